#include "base/clock.h"

#include <cassert>
#include <ctime>
#include <string>

namespace till {

std::int64_t Clock::now_unix_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
}

std::int64_t Clock::now_unix_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
}

std::chrono::system_clock::time_point SystemClock::now() const {
  return std::chrono::system_clock::now();
}

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

ManualClock::ManualClock(std::int64_t start_unix_ms) : unix_ms_(start_unix_ms) {
  assert(start_unix_ms >= 0);
}

std::chrono::system_clock::time_point ManualClock::now() const {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms_.load()));
}

void ManualClock::advance_ms(std::int64_t delta_ms) {
  assert(delta_ms >= 0);  // time never runs backwards, even in tests
  unix_ms_.fetch_add(delta_ms);
}

void ManualClock::set_unix_ms(std::int64_t unix_ms) {
  assert(unix_ms >= unix_ms_.load());
  unix_ms_.store(unix_ms);
}

std::string format_rfc3339_ms(std::chrono::system_clock::time_point time) {
  const auto since_epoch_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(since_epoch_ms / 1000);
  const auto millis = static_cast<int>(since_epoch_ms % 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  assert(length > 0);
  char out[40];
  std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(length), buffer, millis);
  return out;
}

}  // namespace till
