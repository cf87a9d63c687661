#include "money/allocate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "money/detail/integer.h"
#include "money_test_support.h"

namespace till::money {
namespace {

using testing::currency;
using testing::i128_max;
using testing::i128_min;

std::vector<i128> allocated_minor_units(i128 total, const std::vector<std::uint64_t>& ratios) {
  const Result<std::vector<Amount>> parts = allocate(Amount(total, currency("USD")), ratios);
  if (!parts) {
    ADD_FAILURE() << parts.error().message;
    return {};
  }
  std::vector<i128> minor_units;
  for (const Amount& part : *parts) {
    EXPECT_EQ(&part.currency(), &currency("USD"));
    minor_units.push_back(part.minor_units());
  }
  return minor_units;
}

struct AllocationCase {
  std::int64_t total;
  std::vector<std::uint64_t> ratios;
  std::vector<std::int64_t> expected;
};

TEST(Allocate, LargestRemainderTable) {
  const AllocationCase cases[] = {
      {100, {1, 1, 1}, {34, 33, 33}},      // the leftover cent goes to the first of equals
      {-100, {1, 1, 1}, {-34, -33, -33}},  // negative totals mirror positive ones
      {2, {1, 1, 1}, {1, 1, 0}},
      {-2, {1, 1, 1}, {-1, -1, 0}},
      {1, {1, 1}, {1, 0}},
      {100, {50, 50}, {50, 50}},
      {1000, {1, 2, 3}, {167, 333, 500}},  // remainders 4/6, 2/6, 0/6: the first gets it
      {1000, {3, 2, 1}, {500, 333, 167}},  // ... whichever index it is at
      {10, {0, 1}, {0, 10}},               // a zero ratio gets nothing
      {7, {3, 0, 4}, {3, 0, 4}},
      {5, {1, 0, 1, 0, 1}, {2, 0, 2, 0, 1}},
      {0, {1, 2}, {0, 0}},
      {99, {1}, {99}},
      {10, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}},
      {100, {UINT64_MAX, UINT64_MAX, 1}, {50, 50, 0}},
      {3, {UINT64_MAX, 1, UINT64_MAX - 1}, {2, 0, 1}},
  };
  for (const AllocationCase& c : cases) {
    SCOPED_TRACE(std::to_string(c.total));
    const std::vector<i128> expected(c.expected.begin(), c.expected.end());
    EXPECT_EQ(allocated_minor_units(c.total, c.ratios), expected);
  }
}

TEST(Allocate, WholeI128Range) {
  const i128 half = i128{1} << 126;
  EXPECT_EQ(allocated_minor_units(i128_max, {1, 1}), (std::vector<i128>{half, half - 1}));
  EXPECT_EQ(allocated_minor_units(i128_min, {1, 1}), (std::vector<i128>{-half, -half}));
  EXPECT_EQ(allocated_minor_units(i128_min, {0, 1}), (std::vector<i128>{0, i128_min}));
  EXPECT_EQ(allocated_minor_units(i128_max, {UINT64_MAX}), (std::vector<i128>{i128_max}));
}

TEST(Allocate, RatioErrors) {
  const Amount total(100, currency("EUR"));
  EXPECT_EQ(allocate(total, {}).error().code, "allocation_ratios_empty");
  const std::vector<std::uint64_t> zeros = {0, 0, 0};
  EXPECT_EQ(allocate(total, zeros).error().code, "allocation_ratios_zero");
  const std::vector<std::uint64_t> too_many(allocation_ratio_count_max + 1, 1);
  EXPECT_EQ(allocate(total, too_many).error().code, "allocation_ratios_too_many");
  const std::vector<std::uint64_t> at_limit(allocation_ratio_count_max, UINT64_MAX);
  const Result<std::vector<Amount>> parts = allocate(total, at_limit);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->size(), allocation_ratio_count_max);
  EXPECT_EQ(parts->front().minor_units(), 1);
  EXPECT_EQ(parts->back().minor_units(), 0);
}

std::uint64_t random_ratio(std::mt19937_64& random) {
  switch (random() % 4) {
    case 0:
      return 0;
    case 1:
      return random() % 10;
    case 2:
      return random();
    default:
      return random() >> (random() % 64);
  }
}

// Sum equals total; each part is the floor or the ceiling of its exact share in magnitude
// (so within one minor unit), and exactly the share when that is whole.
void check_allocation(i128 total, const std::vector<std::uint64_t>& ratios) {
  const Result<std::vector<Amount>> parts = allocate(Amount(total, currency("USD")), ratios);
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), ratios.size());
  u128 ratio_sum = 0;
  for (const std::uint64_t ratio : ratios) ratio_sum += ratio;
  const u128 total_magnitude = detail::magnitude(total);
  u128 magnitude_sum = 0;
  for (std::size_t i = 0; i < ratios.size(); i++) {
    const i128 part = (*parts)[i].minor_units();
    ASSERT_TRUE(part == 0 || (part < 0) == (total < 0));
    const detail::WideDivision share =
        detail::divide_wide(detail::multiply_wide(total_magnitude, ratios[i]), ratio_sum);
    const u128 part_magnitude = detail::magnitude(part);
    ASSERT_TRUE(part_magnitude == share.quotient.low ||
                (share.remainder != 0 && part_magnitude == share.quotient.low + 1));
    magnitude_sum += part_magnitude;
  }
  ASSERT_EQ(magnitude_sum, total_magnitude);
}

TEST(Allocate, RandomTotalsAndRatiosSumExactly) {
  std::mt19937_64 random(4242);
  for (int i = 0; i < 3'000; i++) {
    const i128 total = testing::random_i128(random);
    std::vector<std::uint64_t> ratios(random() % 40 + 1);
    for (std::uint64_t& ratio : ratios) ratio = random_ratio(random);
    if (std::all_of(ratios.begin(), ratios.end(), [](std::uint64_t r) { return r == 0; })) {
      ratios.front() = 1;
    }
    SCOPED_TRACE("case " + std::to_string(i));
    check_allocation(total, ratios);
  }
}

TEST(Allocate, IsDeterministic) {
  const std::vector<std::uint64_t> ratios = {7, 7, 7, 1, 7};
  const std::vector<i128> first = allocated_minor_units(1'000'003, ratios);
  for (int i = 0; i < 10; i++) EXPECT_EQ(allocated_minor_units(1'000'003, ratios), first);
}

}  // namespace
}  // namespace till::money
