#include "routing/breakers.h"

#include <cassert>

namespace till::routing {

namespace {

constexpr std::int64_t kPermilleTotal = 1000;

}  // namespace

std::string_view to_string(BreakerState state) {
  switch (state) {
    case BreakerState::closed:
      return "closed";
    case BreakerState::open:
      return "open";
    case BreakerState::half_open:
      return "half_open";
  }
  return "closed";
}

Result<void> validate(const BreakerOptions& options) {
  if (options.bucket_count < 1 || options.bucket_count > 3600) {
    return fail("option_invalid", "breakers: bucket_count must be 1..3600");
  }
  if (options.window_ms < options.bucket_count || options.window_ms % options.bucket_count != 0) {
    return fail("option_invalid",
                "breakers: window_ms must be a positive multiple of bucket_count");
  }
  if (options.min_requests < 1)
    return fail("option_invalid", "breakers: min_requests must be >= 1");
  if (options.error_permille < 1 || options.error_permille > kPermilleTotal ||
      options.slow_permille < 1 || options.slow_permille > kPermilleTotal) {
    return fail("option_invalid", "breakers: error_permille and slow_permille must be 1..1000");
  }
  if (options.slow_call_ms < 1)
    return fail("option_invalid", "breakers: slow_call_ms must be >= 1");
  if (options.open_ms < 1) return fail("option_invalid", "breakers: open_ms must be >= 1");
  if (options.half_open_probes < 1) {
    return fail("option_invalid", "breakers: half_open_probes must be >= 1");
  }
  if (options.connectors_max < 1) {
    return fail("option_invalid", "breakers: connectors_max must be >= 1");
  }
  return {};
}

Breakers::Breakers(BreakerOptions options)
    : options_(options),
      bucket_ms_(options.bucket_count > 0 ? options.window_ms / options.bucket_count : 1),
      breakers_(options.connectors_max > 0 ? options.connectors_max : 1) {
  assert(validate(options_));
}

BreakerState Breakers::effective_state(const Breaker& breaker, std::int64_t now_ms) const {
  if (breaker.state == BreakerState::open && now_ms - breaker.opened_at_ms >= options_.open_ms) {
    return BreakerState::half_open;
  }
  return breaker.state;
}

// Probe slots allow() may still hand out in half-open: slots handed out more than `open_ms`
// ago without an outcome count as lost and are free again.
std::int64_t Breakers::free_probes(const Breaker& breaker, std::int64_t now_ms) const {
  if (breaker.state == BreakerState::open) return options_.half_open_probes;  // not yet advanced
  std::int64_t issued = breaker.probes_issued;
  if (issued > breaker.probes_passed && now_ms - breaker.last_probe_at_ms >= options_.open_ms) {
    issued = breaker.probes_passed;
  }
  return options_.half_open_probes - issued;
}

void Breakers::advance(Breaker& breaker, std::int64_t now_ms) const {
  if (breaker.state == BreakerState::open &&
      effective_state(breaker, now_ms) == BreakerState::half_open) {
    breaker.state = BreakerState::half_open;
    breaker.probes_issued = 0;
    breaker.probes_passed = 0;
  }
  if (breaker.state == BreakerState::half_open && breaker.probes_issued > breaker.probes_passed &&
      now_ms - breaker.last_probe_at_ms >= options_.open_ms) {
    breaker.probes_issued = breaker.probes_passed;  // lost probes: free their slots
  }
}

void Breakers::trip(Breaker& breaker, std::int64_t now_ms) {
  breaker.state = BreakerState::open;
  breaker.opened_at_ms = now_ms;
  breaker.buckets.assign(breaker.buckets.size(), Bucket{});
  breaker.probes_issued = 0;
  breaker.probes_passed = 0;
  openings_++;
}

bool Breakers::over_threshold(const Breaker& breaker, std::int64_t now_ms) const {
  const std::int64_t oldest = now_ms / bucket_ms_ - options_.bucket_count + 1;
  std::int64_t calls = 0;
  std::int64_t failures = 0;
  std::int64_t slow = 0;
  for (const Bucket& bucket : breaker.buckets) {
    if (bucket.epoch < oldest) continue;
    calls += bucket.calls;
    failures += bucket.failures;
    slow += bucket.slow;
  }
  if (calls < options_.min_requests) return false;
  return failures * kPermilleTotal >= options_.error_permille * calls ||
         slow * kPermilleTotal >= options_.slow_permille * calls;
}

bool Breakers::allow(std::string_view connector, std::int64_t now_ms) {
  const std::lock_guard lock(mutex_);
  Breaker* breaker = breakers_.find_mutable(connector);
  if (breaker == nullptr) return true;  // never recorded: closed
  advance(*breaker, now_ms);
  switch (breaker->state) {
    case BreakerState::closed:
      return true;
    case BreakerState::open:
      return false;
    case BreakerState::half_open:
      if (breaker->probes_issued >= options_.half_open_probes) return false;
      breaker->probes_issued++;
      breaker->last_probe_at_ms = now_ms;
      return true;
  }
  return true;
}

bool Breakers::would_allow(std::string_view connector, std::int64_t now_ms) const {
  const std::lock_guard lock(mutex_);
  const Breaker* breaker = breakers_.find(connector);
  if (breaker == nullptr) return true;
  switch (effective_state(*breaker, now_ms)) {
    case BreakerState::closed:
      return true;
    case BreakerState::open:
      return false;
    case BreakerState::half_open:
      return free_probes(*breaker, now_ms) > 0;
  }
  return true;
}

void Breakers::record(std::string_view connector, bool failure, std::int64_t latency_ms,
                      std::int64_t now_ms) {
  assert(now_ms >= 0);
  const bool slow = latency_ms >= options_.slow_call_ms;
  const std::lock_guard lock(mutex_);
  Breaker& breaker = breakers_.touch(connector);
  if (breaker.buckets.empty())
    breaker.buckets.resize(static_cast<std::size_t>(options_.bucket_count));
  advance(breaker, now_ms);
  switch (breaker.state) {
    case BreakerState::open:
      return;  // let through before it opened; the breaker has already judged
    case BreakerState::half_open:
      if (failure || slow) {
        trip(breaker, now_ms);
      } else if (breaker.probes_passed < breaker.probes_issued) {
        breaker.probes_passed++;
        if (breaker.probes_passed >= options_.half_open_probes) {
          breaker.state = BreakerState::closed;
          breaker.buckets.assign(breaker.buckets.size(), Bucket{});
        }
      }
      return;
    case BreakerState::closed:
      break;
  }
  const std::int64_t epoch = now_ms / bucket_ms_;
  Bucket& bucket = breaker.buckets[static_cast<std::size_t>(epoch % options_.bucket_count)];
  if (bucket.epoch > epoch) return;  // older than the window its slot now holds
  if (bucket.epoch < epoch) bucket = Bucket{epoch, 0, 0, 0};
  bucket.calls++;
  if (failure) bucket.failures++;
  if (slow) bucket.slow++;
  if (over_threshold(breaker, now_ms)) trip(breaker, now_ms);
}

BreakerState Breakers::state(std::string_view connector, std::int64_t now_ms) const {
  const std::lock_guard lock(mutex_);
  const Breaker* breaker = breakers_.find(connector);
  return breaker == nullptr ? BreakerState::closed : effective_state(*breaker, now_ms);
}

std::vector<std::pair<std::string, BreakerState>> Breakers::states(std::int64_t now_ms) const {
  std::vector<std::pair<std::string, BreakerState>> all;
  const std::lock_guard lock(mutex_);
  breakers_.for_each([&](const std::string& connector, const Breaker& breaker) {
    all.emplace_back(connector, effective_state(breaker, now_ms));
  });
  return all;
}

std::uint64_t Breakers::openings() const {
  const std::lock_guard lock(mutex_);
  return openings_;
}

}  // namespace till::routing
