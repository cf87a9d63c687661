// base/clock.h — the one source of "now".
//
// Everything that reads the time takes a Clock&, so tests can move time forward (hold expiry,
// idempotency-key retention, webhook back-off) without sleeping. Times are UTC.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace till {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps that are stored or shown (`created`, log lines).
  virtual std::chrono::system_clock::time_point now() const = 0;

  std::int64_t now_unix_s() const;
  std::int64_t now_unix_ms() const;
};

// The real clock.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  static SystemClock& instance();
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_unix_ms);
  std::chrono::system_clock::time_point now() const override;
  void advance_ms(std::int64_t delta_ms);
  void set_unix_ms(std::int64_t unix_ms);

 private:
  std::atomic<std::int64_t> unix_ms_;
};

// RFC 3339 / ISO 8601 UTC with milliseconds: 2026-11-25T17:46:08.123Z
std::string format_rfc3339_ms(std::chrono::system_clock::time_point time);

}  // namespace till
