#include "base/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace till {
namespace {

TEST(Ids, HavePrefixUnderscoreAndFixedWidthBody) {
  ManualClock clock(1'764'000'000'000);
  const std::string id = new_id("pi", clock);
  EXPECT_EQ(id.substr(0, 3), "pi_");
  EXPECT_EQ(id.size(), 3 + kIdBodyLength);
  EXPECT_TRUE(is_valid_id(id, "pi"));
  EXPECT_FALSE(is_valid_id(id, "cus"));
}

TEST(Ids, EmbedTheirCreationTime) {
  ManualClock clock(1'764'000'123'456);
  EXPECT_EQ(id_unix_ms(new_id("cus", clock)), 1'764'000'123'456);
}

TEST(Ids, SortAsStringsInCreationOrder) {
  ManualClock clock(1'000);
  std::string previous = new_id("evt", clock);
  for (int i = 0; i < 1000; ++i) {
    clock.advance_ms(1);
    const std::string next = new_id("evt", clock);
    ASSERT_LT(previous, next) << "at step " << i;
    previous = next;
  }
}

TEST(Ids, AreUniqueWithinOneMillisecond) {
  ManualClock clock(5'000);
  std::set<std::string> seen;
  for (int i = 0; i < 20'000; ++i) ASSERT_TRUE(seen.insert(new_id("req", clock)).second);
}

TEST(Ids, RejectMalformedInput) {
  ManualClock clock(5'000);
  const std::string good = new_id("pi", clock);
  EXPECT_FALSE(is_valid_id("", "pi"));
  EXPECT_FALSE(is_valid_id("pi_", "pi"));
  EXPECT_FALSE(is_valid_id(good + "x", "pi"));
  EXPECT_FALSE(is_valid_id(good.substr(0, good.size() - 1), "pi"));
  std::string bad_char = good;
  bad_char[5] = '-';
  EXPECT_FALSE(is_valid_id(bad_char, "pi"));
  std::string no_underscore = good;
  no_underscore[2] = 'x';
  EXPECT_FALSE(is_valid_id(no_underscore, "pi"));
  // 22 'z' is above 2^128: well-formed characters, impossible value.
  EXPECT_FALSE(is_valid_id("pi_" + std::string(kIdBodyLength, 'z'), "pi"));
  EXPECT_EQ(id_unix_ms("nonsense"), std::nullopt);
  EXPECT_EQ(id_unix_ms("PI_" + good.substr(3)), std::nullopt);
}

}  // namespace
}  // namespace till
