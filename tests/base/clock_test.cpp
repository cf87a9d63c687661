#include "base/clock.h"

#include <gtest/gtest.h>

namespace till {
namespace {

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(1'700'000'000'000);
  EXPECT_EQ(clock.now_unix_ms(), 1'700'000'000'000);
  EXPECT_EQ(clock.now_unix_s(), 1'700'000'000);
  clock.advance_ms(1'500);
  EXPECT_EQ(clock.now_unix_ms(), 1'700'000'001'500);
  clock.set_unix_ms(1'800'000'000'000);
  EXPECT_EQ(clock.now_unix_s(), 1'800'000'000);
}

TEST(SystemClock, IsNearTheRealTime) {
  const auto before = std::chrono::system_clock::now();
  const auto now = SystemClock::instance().now();
  EXPECT_LE(before, now);
  EXPECT_GT(SystemClock::instance().now_unix_s(), 1'700'000'000);
}

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  const auto time =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'764'092'768'123));
  EXPECT_EQ(format_rfc3339_ms(time), "2025-11-25T17:46:08.123Z");
  EXPECT_EQ(format_rfc3339_ms(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace till
