#include "money/rounding.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>

#include "money_test_support.h"

namespace till::money {
namespace {

using testing::i128_max;
using testing::i128_min;

constexpr std::array<RoundingMode, 7> modes = {
    RoundingMode::half_even,   RoundingMode::half_up,        RoundingMode::half_down,
    RoundingMode::toward_zero, RoundingMode::away_from_zero, RoundingMode::floor,
    RoundingMode::ceiling,
};

struct DivisionCase {
  std::int64_t numerator;
  std::int64_t denominator;
  // Expected quotient per mode, in the order of `modes`:
  // half_even, half_up, half_down, toward_zero, away_from_zero, floor, ceiling
  std::array<std::int64_t, 7> expected;
};

// clang-format off
constexpr DivisionCase division_cases[] = {
    //  n     d      h_even h_up h_down t_zero a_zero floor ceil
    {   5,    2,   {  2,    3,    2,     2,     3,     2,    3 }},  //  2.5  exact half, even below
    {   7,    2,   {  4,    4,    3,     3,     4,     3,    4 }},  //  3.5  exact half, even above
    {  -5,    2,   { -2,   -3,   -2,    -2,    -3,    -3,   -2 }},  // -2.5
    {  -7,    2,   { -4,   -4,   -3,    -3,    -4,    -4,   -3 }},  // -3.5
    {   5,   -2,   { -2,   -3,   -2,    -2,    -3,    -3,   -2 }},  // sign from the denominator
    {  -5,   -2,   {  2,    3,    2,     2,     3,     2,    3 }},  // two negatives
    {   1,    2,   {  0,    1,    0,     0,     1,     0,    1 }},  //  0.5
    {  -1,    2,   {  0,   -1,    0,     0,    -1,    -1,    0 }},  // -0.5
    {   3,    2,   {  2,    2,    1,     1,     2,     1,    2 }},  //  1.5
    {   1,    3,   {  0,    0,    0,     0,     1,     0,    1 }},  //  0.333…
    {  -1,    3,   {  0,    0,    0,     0,    -1,    -1,    0 }},  // -0.333…
    {   2,    3,   {  1,    1,    1,     0,     1,     0,    1 }},  //  0.666…
    {  -2,    3,   { -1,   -1,   -1,     0,    -1,    -1,    0 }},  // -0.666…
    { 251,  100,   {  3,    3,    3,     2,     3,     2,    3 }},  //  2.51 just above a half
    { 249,  100,   {  2,    2,    2,     2,     3,     2,    3 }},  //  2.49 just below a half
    {-251,  100,   { -3,   -3,   -3,    -2,    -3,    -3,   -2 }},  // -2.51
    {-249,  100,   { -2,   -2,   -2,    -2,    -3,    -3,   -2 }},  // -2.49
    {   6,    3,   {  2,    2,    2,     2,     2,     2,    2 }},  //  exact: every mode agrees
    {  -6,    3,   { -2,   -2,   -2,    -2,    -2,    -2,   -2 }},
    {   0,   -7,   {  0,    0,    0,     0,     0,     0,    0 }},
    {1'000'000'005, 10, {100'000'000, 100'000'001, 100'000'000, 100'000'000, 100'000'001,
                         100'000'000, 100'000'001}},
};
// clang-format on

TEST(DivideRounded, EveryModeOnHalvesAndNearHalves) {
  for (const DivisionCase& c : division_cases) {
    for (std::size_t m = 0; m < modes.size(); m++) {
      SCOPED_TRACE(std::to_string(c.numerator) + " / " + std::to_string(c.denominator) + " " +
                   std::string(to_string(modes[m])));
      const Result<i128> quotient = divide_rounded(c.numerator, c.denominator, modes[m]);
      ASSERT_TRUE(quotient);
      EXPECT_EQ(*quotient, i128{c.expected[m]});
    }
  }
}

struct ExtremeCase {
  i128 numerator;
  i128 denominator;
  RoundingMode mode;
  i128 expected;
};

TEST(DivideRounded, ExactAtTheEndsOfTheRange) {
  const i128 half_range = i128{1} << 126;
  const ExtremeCase cases[] = {
      {i128_max, 1, RoundingMode::half_even, i128_max},
      {i128_min, 1, RoundingMode::half_even, i128_min},
      {i128_max, -1, RoundingMode::floor, i128_min + 1},
      {i128_min, 2, RoundingMode::ceiling, -half_range},
      {i128_max, 2, RoundingMode::half_even, half_range},  // 2^126 - 0.5, even above
      {i128_max, 2, RoundingMode::half_down, half_range - 1},
      {i128_max, 2, RoundingMode::half_up, half_range},
      {i128_max, -2, RoundingMode::floor, -half_range},
      {i128_min, i128_max, RoundingMode::toward_zero, -1},  // -1 - 1/(2^127 - 1)
      {i128_min, i128_max, RoundingMode::floor, -2},
      {i128_min, i128_max, RoundingMode::half_even, -1},
      {i128_min, i128_min, RoundingMode::half_even, 1},
      {i128_max, i128_min, RoundingMode::half_up, -1},  // -(1 - 2^-127)
      {i128_max, i128_min, RoundingMode::ceiling, 0},
      {1, i128_min, RoundingMode::floor, -1},
      {1, i128_min, RoundingMode::half_up, 0},
  };
  for (const ExtremeCase& c : cases) {
    SCOPED_TRACE(std::string(to_string(c.mode)));
    const Result<i128> quotient = divide_rounded(c.numerator, c.denominator, c.mode);
    ASSERT_TRUE(quotient);
    EXPECT_EQ(*quotient, c.expected);
  }
}

TEST(DivideRounded, ZeroDenominatorAndTheOneOverflowAreErrors) {
  for (const RoundingMode mode : modes) {
    EXPECT_EQ(divide_rounded(1, 0, mode).error().code, "division_by_zero");
    EXPECT_EQ(divide_rounded(i128_min, -1, mode).error().code, "amount_overflow");
  }
}

// Checks a quotient q of n / d against the definition of its mode, in exact i128 arithmetic
// (inputs are 64-bit so q * d cannot overflow): r = n - q * d is what rounding left over.
void expect_rounded_correctly(std::int64_t n, std::int64_t d, RoundingMode mode, i128 q) {
  const i128 twice_error = 2 * (i128{n} - q * i128{d});
  const i128 abs_d = d < 0 ? -i128{d} : i128{d};
  const i128 error_over_d_twice = (d < 0) ? -twice_error : twice_error;  // 2 |d| (n/d - q)
  const i128 floor_q = (i128{n} - ((i128{n} % d + d) % d)) / d;
  ASSERT_TRUE(q == floor_q || q == floor_q + 1);
  const bool exact = (i128{n} % d) == 0;
  switch (mode) {
    case RoundingMode::floor:
      EXPECT_EQ(q, floor_q);
      break;
    case RoundingMode::ceiling:
      EXPECT_EQ(q, exact ? floor_q : floor_q + 1);
      break;
    case RoundingMode::toward_zero:
      EXPECT_EQ(q, i128{n} / d);
      break;
    case RoundingMode::away_from_zero:
      EXPECT_EQ(q, exact ? i128{n} / d : i128{n} / d + ((n < 0) != (d < 0) ? -1 : 1));
      break;
    default: {  // the half modes: never more than half a unit off; ties by the mode's rule
      const i128 twice_distance = error_over_d_twice < 0 ? -error_over_d_twice : error_over_d_twice;
      EXPECT_LE(twice_distance, abs_d);
      if (twice_distance != abs_d) break;
      const i128 truncated = i128{n} / d;
      if (mode == RoundingMode::half_even) {
        EXPECT_EQ(q % 2, 0);
      } else if (mode == RoundingMode::half_down) {
        EXPECT_EQ(q, truncated);
      } else {
        EXPECT_NE(q, truncated);  // half_up: away from zero
      }
      break;
    }
  }
}

TEST(DivideRounded, RandomQuotientsMeetTheirModesDefinition) {
  std::mt19937_64 random(99);
  for (int i = 0; i < 20'000; i++) {
    const auto n = static_cast<std::int64_t>(random() >> (random() % 64));
    auto d = static_cast<std::int64_t>(random() >> (random() % 64));
    if (d == 0) d = 1;
    for (const RoundingMode mode : modes) {
      const Result<i128> q = divide_rounded(n, d, mode);
      ASSERT_TRUE(q);
      expect_rounded_correctly(n, d, mode, *q);
    }
  }
}

TEST(DivideRounded, RandomExactHalvesFollowTheirTieRule) {
  std::mt19937_64 random(100);
  for (int i = 0; i < 20'000; i++) {
    const auto half = static_cast<std::int64_t>(random() % 1000) + 1;
    const std::int64_t d = (random() % 2 == 0 ? 2 : -2) * half;
    const std::int64_t n =
        static_cast<std::int32_t>(random()) * d + (random() % 2 == 0 ? half : -half);
    for (const RoundingMode mode : modes) {
      const Result<i128> q = divide_rounded(n, d, mode);
      ASSERT_TRUE(q);
      expect_rounded_correctly(n, d, mode, *q);
    }
  }
}

}  // namespace
}  // namespace till::money
