#include "ledger/amount_text.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace till::ledger {
namespace {

TEST(AmountText, ParsesStrictIntegers) {
  EXPECT_EQ(parse_i128("0"), i128{0});
  EXPECT_EQ(parse_i128("1234"), i128{1234});
  EXPECT_EQ(parse_i128("-1234"), i128{-1234});
  for (const char* bad : {"", "-", "-0", "007", "+5", " 5", "5 ", "1e3", "12.5", "0x10", "--1"}) {
    EXPECT_EQ(parse_i128(bad), std::nullopt) << bad;
  }
}

TEST(AmountText, CoversTheWholeI128Range) {
  const i128 max = std::numeric_limits<i128>::max();
  const i128 min = std::numeric_limits<i128>::min();
  EXPECT_EQ(format_i128(max), "170141183460469231731687303715884105727");
  EXPECT_EQ(format_i128(min), "-170141183460469231731687303715884105728");
  EXPECT_EQ(parse_i128("170141183460469231731687303715884105727"), max);
  EXPECT_EQ(parse_i128("-170141183460469231731687303715884105728"), min);
  EXPECT_EQ(parse_i128("170141183460469231731687303715884105728"), std::nullopt);
  EXPECT_EQ(parse_i128("-170141183460469231731687303715884105729"), std::nullopt);
}

TEST(AmountText, RoundTripsRandomValues) {
  std::mt19937_64 random(42);
  for (int i = 0; i < 100'000; ++i) {
    const i128 value = (static_cast<i128>(random()) << 64) | random();
    ASSERT_EQ(parse_i128(format_i128(value)), value);
  }
}

}  // namespace
}  // namespace till::ledger
