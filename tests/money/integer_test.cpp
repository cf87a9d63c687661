// The 256-bit helpers behind FX conversion and allocation (money/detail, not public API).
#include "money/detail/integer.h"

#include <gtest/gtest.h>

#include <random>

#include "money/detail/decimal.h"

namespace till::money::detail {
namespace {

constexpr u128 u128_max = ~u128{0};

u128 random_u128(std::mt19937_64& random) {
  const u128 bits = (static_cast<u128>(random()) << 64) | random();
  return bits >> (random() % 128);
}

TEST(U256, MultipliesWithoutLoss) {
  EXPECT_EQ(multiply_wide(0, u128_max), (U256{0, 0}));
  EXPECT_EQ(multiply_wide(u128_max, 1), (U256{0, u128_max}));
  EXPECT_EQ(multiply_wide(u128{1} << 127, 2), (U256{1, 0}));
  // (2^128 - 1)^2 = 2^256 - 2^129 + 1
  EXPECT_EQ(multiply_wide(u128_max, u128_max), (U256{u128_max - 1, 1}));
}

TEST(U256, CheckedMultiplyReportsOverflow) {
  const u128 top_bit = u128{1} << 127;
  U256 product;
  EXPECT_TRUE(multiply_checked(U256{1, 0}, top_bit, product));
  EXPECT_EQ(product, (U256{top_bit, 0}));
  EXPECT_TRUE(multiply_checked(U256{0, u128_max}, u128_max, product));
  EXPECT_EQ(product, multiply_wide(u128_max, u128_max));
  EXPECT_TRUE(multiply_checked(U256{1, u128_max}, top_bit, product));  // 2^256 - 2^127
  EXPECT_EQ(product, (U256{u128_max, top_bit}));
  EXPECT_FALSE(multiply_checked(U256{top_bit, 0}, 2, product));             // high half overflows
  EXPECT_FALSE(multiply_checked(U256{1, u128_max}, top_bit + 1, product));  // the carry does
  EXPECT_FALSE(multiply_checked(U256{1, u128_max}, u128_max, product));
}

TEST(U256, DividesWithRemainder) {
  const WideDivision max_by_one = divide_wide(U256{u128_max, u128_max}, 1);
  EXPECT_EQ(max_by_one.quotient, (U256{u128_max, u128_max}));
  EXPECT_EQ(max_by_one.remainder, 0);
  const WideDivision by_max = divide_wide(U256{u128_max, u128_max}, u128_max);
  EXPECT_EQ(by_max.quotient, (U256{1, 1}));  // (2^256 - 1) / (2^128 - 1) = 2^128 + 1
  EXPECT_EQ(by_max.remainder, 0);
  const WideDivision small = divide_wide(U256{0, 1000}, 7);
  EXPECT_EQ(small.quotient, (U256{0, 142}));
  EXPECT_EQ(small.remainder, 6);
}

TEST(U256, DivisionInvertsMultiplication) {
  std::mt19937_64 random(256);
  for (int i = 0; i < 50'000; i++) {
    const u128 a = random_u128(random);
    u128 b = random_u128(random);
    if (b == 0) b = 1;
    const u128 r = random_u128(random) % b;
    U256 n = multiply_wide(a, b);
    n.low += r;
    if (n.low < r) n.high += 1;  // a * b + r < 2^256 always
    const WideDivision division = divide_wide(n, b);
    ASSERT_EQ(division.quotient, (U256{0, a}));
    ASSERT_EQ(division.remainder, r);
  }
}

TEST(PowerOfTen, UpToThirtyEight) {
  EXPECT_EQ(power_of_ten(0), 1);
  EXPECT_EQ(power_of_ten(18), u128{1'000'000'000'000'000'000ULL});
  EXPECT_EQ(power_of_ten(36), power_of_ten(18) * power_of_ten(18));
  EXPECT_EQ(format_scaled(false, power_of_ten(38), 0), "100000000000000000000000000000000000000");
}

}  // namespace
}  // namespace till::money::detail
