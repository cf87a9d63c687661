// routing/breakers.h — a circuit breaker per connector account.
//
// closed → open: in the rolling window (default 60 s in 12 buckets), once at least
//   `min_requests` calls were recorded, failures reach `error_permille` of them, or calls
//   slower than `slow_call_ms` reach `slow_permille` of them. A failure is a call that got no
//   usable answer — unavailable, unknown outcome, 5xx, timeout — never a decline: a processor
//   that declines is working.
// open: allow() refuses for `open_ms`.
// half-open: then allow() lets `half_open_probes` calls through, one probe slot each. If all
//   succeed (and are not slow) the breaker closes with an empty window; the first failed or
//   slow probe opens it again for another `open_ms`. Slots whose outcome never arrives are
//   released after `open_ms`, so a lost probe cannot hold the breaker half-open for ever.
//
// Outcomes recorded while open are ignored (those calls were let through before it opened),
// and so are successes in half-open beyond the probes handed out.
//
// Thread-safe. Bounded: at most `connectors_max` connectors are tracked (the least recently
// recorded one is forgotten, which closes its breaker). States for metrics: closed=0, open=1,
// half_open=2 (the enum's values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "routing/lru.h"

namespace till::routing {

enum class BreakerState : std::uint8_t { closed = 0, open = 1, half_open = 2 };
std::string_view to_string(BreakerState state);  // "closed", "open", "half_open"

struct BreakerOptions {
  std::int64_t window_ms = 60 * 1000;
  std::int64_t bucket_count = 12;  // window_ms must be a multiple of it
  std::int64_t min_requests = 20;
  std::int64_t error_permille = 500;
  std::int64_t slow_call_ms = 5000;
  std::int64_t slow_permille = 800;
  std::int64_t open_ms = 30 * 1000;
  std::int64_t half_open_probes = 3;
  std::size_t connectors_max = 4096;
};

// Says which option is out of range (the constructor asserts this holds).
Result<void> validate(const BreakerOptions& options);

class Breakers {
 public:
  explicit Breakers(BreakerOptions options = {});
  Breakers(const Breakers&) = delete;
  Breakers& operator=(const Breakers&) = delete;

  // Whether a call to `connector` may go now. In half-open a true answer reserves one probe
  // slot: call it right before the call, and record() the call's outcome.
  bool allow(std::string_view connector, std::int64_t now_ms);

  // What allow() would answer, without reserving a probe slot (routing decisions use this).
  bool would_allow(std::string_view connector, std::int64_t now_ms) const;

  // The outcome of a call that allow() let through. `failure`: no usable answer (see above);
  // a decline is not a failure.
  void record(std::string_view connector, bool failure, std::int64_t latency_ms,
              std::int64_t now_ms);

  BreakerState state(std::string_view connector, std::int64_t now_ms) const;

  // Every tracked connector's state (for metrics), most recently recorded first.
  std::vector<std::pair<std::string, BreakerState>> states(std::int64_t now_ms) const;

  // How many times any breaker has opened (closed → open or half-open → open).
  std::uint64_t openings() const;

  const BreakerOptions& options() const { return options_; }

 private:
  struct Bucket {
    std::int64_t epoch = -1;
    std::int64_t calls = 0;
    std::int64_t failures = 0;
    std::int64_t slow = 0;
  };
  struct Breaker {
    BreakerState state = BreakerState::closed;
    std::vector<Bucket> buckets;
    std::int64_t opened_at_ms = 0;
    std::int64_t probes_issued = 0;
    std::int64_t probes_passed = 0;
    std::int64_t last_probe_at_ms = 0;
  };

  BreakerState effective_state(const Breaker& breaker, std::int64_t now_ms) const;
  std::int64_t free_probes(const Breaker& breaker, std::int64_t now_ms) const;
  void advance(Breaker& breaker, std::int64_t now_ms) const;
  void trip(Breaker& breaker, std::int64_t now_ms);
  bool over_threshold(const Breaker& breaker, std::int64_t now_ms) const;

  const BreakerOptions options_;
  const std::int64_t bucket_ms_;
  mutable std::mutex mutex_;
  detail::LruMap<Breaker> breakers_;
  std::uint64_t openings_ = 0;
};

}  // namespace till::routing
