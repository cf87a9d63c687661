#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace till {
namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return fail("not_positive", "value must be positive");
  return value;
}

TEST(Result, CarriesAValueOrAnError) {
  const auto good = parse_positive(3);
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 3);
  const auto bad = parse_positive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "not_positive");
}

TEST(Result, VoidSpecialisation) {
  Result<void> ok;
  EXPECT_TRUE(ok.has_value());
  Result<void> failed = fail("x", "y");
  EXPECT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message, "y");
}

TEST(Result, HoldsMoveOnlyValues) {
  Expected<std::unique_ptr<int>, Error> owned = std::make_unique<int>(7);
  ASSERT_TRUE(owned);
  std::unique_ptr<int> taken = std::move(owned).value();
  EXPECT_EQ(*taken, 7);
}

}  // namespace
}  // namespace till
