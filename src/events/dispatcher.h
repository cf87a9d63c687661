// events/dispatcher.h — delivers events to webhook endpoints, at least once.
//
// One Dispatcher per `till serve` process; several processes on one PostgreSQL cooperate
// through the delivery queue's leases (delivery_store.h), never through each other. Its
// thread runs cycles; each cycle is one database transaction that
//   1. records the attempts that finished since the last cycle and settles their deliveries
//      (success, retry with exponential backoff and jitter, or failed after the retry window),
//      and disables an endpoint that has failed continuously for the whole window;
//   2. fans new events out of the outbox into deliveries;
//   3. claims due deliveries for endpoints with free capacity (at most
//      `endpoint_concurrency` in flight per endpoint in this process, so one slow receiver
//      cannot hold the others' slots);
// and then hands the claimed deliveries, signed, to the HttpSender (http_sender.h), whose
// thread sends them while the next cycle runs. Work that needs no database (waiting for
// responses) never holds a transaction open.
//
// Endpoints are polled only when there may be work: when this process fanned out to them,
// when one of their retries comes due, and at every sweep (`sweep_interval_ms`), which also
// finds other processes' work whose leases lapsed (a crashed process's deliveries).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.h"
#include "obs/metrics.h"
#include "store/store.h"

namespace till::events {

struct DispatcherOptions {
  std::string owner;  // unique per process (leases are held in its name); "" = generated
  std::int64_t timeout_ms = 10'000;  // per attempt: 2xx within it is success
  std::int64_t lease_ms = 60'000;    // > timeout_ms: a lease outlives its attempt
  std::size_t endpoint_concurrency = 64;
  std::int64_t retry_initial_ms = 60'000;
  std::int64_t retry_interval_max_ms = 6LL * 3600 * 1000;
  std::int64_t retry_window_ms = 3LL * 24 * 3600 * 1000;  // then failed; endpoint disabled
  std::int64_t poll_interval_ms = 20;  // outbox check period while delivering (else the sweep)
  std::int64_t sweep_interval_ms = 1000;
  std::size_t response_bytes_max = 64 * 1024;
  std::size_t excerpt_bytes = 256;
  std::size_t connections_max = 512;
};

// Checks the options' limits; the message names the offending option.
std::optional<std::string> validate(const DispatcherOptions& options);

struct DispatcherStats {
  std::uint64_t cycles = 0;
  std::uint64_t events_fanned_out = 0;
  std::uint64_t attempts = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t lost_leases = 0;  // attempts whose lease another dispatcher had taken
  std::uint64_t endpoints_disabled = 0;
};

class Dispatcher {
 public:
  // `database`, `clock` and `metrics` must outlive the dispatcher. Options are validated
  // (asserted: validate() first).
  Dispatcher(store::Database& database, const Clock& clock, obs::MetricsRegistry& metrics,
             DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // Stops claiming, waits for the attempts in flight (up to timeout_ms) and records them.
  // Idempotent.
  void stop();

  const std::string& owner() const;
  DispatcherStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Events older than 30 days go, with their deliveries and attempts (serve's housekeeper).
store::StoreResult<std::int64_t> purge_expired_events(store::Database& database,
                                                      const Clock& clock, std::size_t limit);

}  // namespace till::events
