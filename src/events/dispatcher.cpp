#include "events/dispatcher.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/random.h"
#include "events/delivery_store.h"
#include "events/endpoint_store.h"
#include "events/event_store.h"
#include "events/http_sender.h"
#include "events/signature.h"
#include "obs/log.h"

namespace till::events {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

constexpr std::size_t kFanOutPerCycle = 500;
constexpr int kFanOutRoundsPerCycle = 100;  // a backlog drains in big transactions, bounded
constexpr std::size_t kSweepEndpointsMax = 100'000;
constexpr std::int64_t kBacklogRefreshMs = 5000;
constexpr std::int64_t kFailureBackoffMs = 200;  // after a failed cycle transaction

std::string default_owner() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "till") + ":" + std::to_string(::getpid()) + ":" +
         random_base62(6);
}

// Stripe's pending_webhooks, set in the text the dispatcher sends: the stored event says 0,
// and its last "pending_webhooks" member is the event's own (make_event puts `data` first).
std::string delivery_payload(const std::string& event_body, std::int64_t pending) {
  static constexpr std::string_view kStored = "\"pending_webhooks\":0";
  const std::size_t at = event_body.rfind(kStored);
  if (at == std::string::npos || pending == 0) return event_body;
  std::string payload;
  payload.reserve(event_body.size() + 4);
  payload.append(event_body, 0, at + kStored.size() - 1);
  payload += std::to_string(pending);
  payload.append(event_body, at + kStored.size());
  return payload;
}

// The response excerpt is for operators' eyes and goes into a TEXT column (which must be
// valid UTF-8 on PostgreSQL): printable ASCII is kept, anything else becomes '?'.
std::string printable_excerpt(std::string_view bytes, std::size_t limit) {
  std::string excerpt(bytes.substr(0, std::min(limit, kExcerptBytesMax)));
  for (char& c : excerpt) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t') || byte > 0x7e) c = '?';
  }
  return excerpt;
}

std::string attempt_outcome(const SendResult& result) {
  if (result.outcome == SendOutcome::response) {
    return result.status_code >= 200 && result.status_code < 300 ? "succeeded" : "http_error";
  }
  return std::string(to_string(result.outcome));
}

std::uint64_t random_below(std::uint64_t bound) {
  assert(bound > 0);
  std::uint64_t value = 0;
  random_bytes(std::span(reinterpret_cast<std::uint8_t*>(&value), sizeof value));
  return value % bound;
}

}  // namespace

std::optional<std::string> validate(const DispatcherOptions& options) {
  if (options.timeout_ms < 100 || options.timeout_ms > 120'000) {
    return "webhooks.timeout_ms must be between 100 and 120000";
  }
  if (options.lease_ms <= options.timeout_ms + 1000 || options.lease_ms > 3'600'000) {
    return "webhooks.lease_ms must exceed webhooks.timeout_ms by more than 1000 and be at most "
           "3600000";
  }
  if (options.endpoint_concurrency < 1 || options.endpoint_concurrency > kClaimBatchMax) {
    return "webhooks.endpoint_concurrency must be between 1 and " + std::to_string(kClaimBatchMax);
  }
  if (options.retry_initial_ms < 10 || options.retry_initial_ms > options.retry_interval_max_ms) {
    return "webhooks.retry_initial_ms must be at least 10 and at most "
           "webhooks.retry_interval_max_ms";
  }
  if (options.retry_window_ms < options.retry_initial_ms) {
    return "webhooks.retry_window_ms must be at least webhooks.retry_initial_ms";
  }
  if (options.poll_interval_ms < 1 || options.poll_interval_ms > 10'000) {
    return "webhooks.poll_interval_ms must be between 1 and 10000";
  }
  if (options.sweep_interval_ms < options.poll_interval_ms || options.sweep_interval_ms > 600'000) {
    return "webhooks.sweep_interval_ms must be between webhooks.poll_interval_ms and 600000";
  }
  if (options.excerpt_bytes > kExcerptBytesMax ||
      options.response_bytes_max < options.excerpt_bytes) {
    return "webhooks.excerpt_bytes must be at most " + std::to_string(kExcerptBytesMax) +
           " and at most webhooks.response_bytes_max";
  }
  if (options.connections_max < 1 || options.connections_max > 65'536) {
    return "webhooks.connections_max must be between 1 and 65536";
  }
  return std::nullopt;
}

struct Dispatcher::State {
  // A delivery handed to the sender, until its result is recorded.
  struct Sent {
    std::int64_t delivery_seq = 0;
    std::string event_id;
    std::string endpoint_id;
    std::int64_t attempt_count = 0;  // before this attempt
    std::int64_t started_at_ms = 0;
    std::int64_t sent_at_ms = 0;
  };
  // What this process knows of one endpoint.
  struct Slot {
    std::size_t in_flight = 0;
    std::int64_t next_check_ms = 0;  // clock time at which its queue is worth a claim
  };
  // One cycle's transaction's outputs (reset when the transaction is retried).
  struct CycleOutput {
    std::size_t settled = 0;
    std::vector<std::string> disabled;
    std::size_t fanned_out = 0;
    std::vector<std::string> fanned_endpoints;
    std::vector<std::string> swept;
    bool swept_all = false;
    std::vector<Endpoint> claimed_endpoints;
    std::vector<std::vector<ClaimedDelivery>> claims;  // parallel to claimed_endpoints
    std::unordered_map<std::string, std::optional<std::int64_t>> next_due;
    std::vector<std::string> gone;  // asked about, but no longer enabled (disabled, deleted)
  };

  store::Database& database;
  const Clock& clock;
  DispatcherOptions options;
  HttpSender sender;

  obs::Counter& fanned_out_total;
  obs::Gauge& backlog_deliveries;
  obs::Gauge& backlog_outbox;
  obs::Gauge& oldest_undelivered_seconds;
  obs::Gauge& in_flight_gauge;
  obs::Histogram& attempt_duration;
  obs::Counter& endpoints_disabled_total;
  obs::MetricsRegistry& metrics;

  std::atomic<bool> stopping{false};
  std::thread thread;
  mutable std::mutex stats_mutex;
  DispatcherStats stats;

  // Owned by the dispatcher thread.
  std::unordered_map<std::uint64_t, Sent> in_flight;
  std::uint64_t next_tag = 1;
  std::unordered_map<std::string, Slot> slots;
  std::vector<SendResult> unrecorded;
  SteadyTime next_outbox_poll{};
  SteadyTime next_sweep{};
  SteadyTime next_backlog{};
  SteadyTime retry_after{};

  State(store::Database& database_in, const Clock& clock_in, obs::MetricsRegistry& registry,
        DispatcherOptions options_in)
      : database(database_in),
        clock(clock_in),
        options(std::move(options_in)),
        sender(SenderOptions{options.connections_max, options.response_bytes_max,
                             options.excerpt_bytes, "Till-Webhooks/1.0"}),
        fanned_out_total(registry.counter("till_webhook_events_fanned_out_total",
                                          "Events taken from the outbox into deliveries")),
        backlog_deliveries(registry.gauge("till_webhook_backlog_deliveries",
                                          "Deliveries not yet succeeded nor given up")),
        backlog_outbox(registry.gauge("till_webhook_outbox_events",
                                      "Events written but not yet fanned out to endpoints")),
        oldest_undelivered_seconds(
            registry.gauge("till_webhook_oldest_undelivered_seconds",
                           "Age of the oldest pending delivery or outbox event")),
        in_flight_gauge(registry.gauge("till_webhook_in_flight",
                                       "Delivery attempts this process has in flight")),
        attempt_duration(registry.histogram("till_webhook_attempt_duration_seconds",
                                            "Duration of webhook delivery attempts", {},
                                            obs::default_latency_buckets_ns())),
        endpoints_disabled_total(
            registry.counter("till_webhook_endpoints_disabled_total",
                             "Endpoints disabled after failing for the whole retry window")),
        metrics(registry) {}

  // Outcomes are a handful of fixed names; each counter is looked up in the registry once.
  std::unordered_map<std::string, obs::Counter*> outcome_counters;
  obs::Counter& outcome_counter(const std::string& outcome) {
    obs::Counter*& counter = outcome_counters[outcome];
    if (counter == nullptr) {
      counter = &metrics.counter("till_webhook_attempts_total",
                                 "Webhook delivery attempts by outcome", {{"outcome", outcome}});
    }
    return *counter;
  }

  // Backoff before attempt n+1 after n failures: initial * 2^(n-1), capped, then a random
  // point in its upper half (jitter spreads retries of a recovering endpoint).
  std::int64_t retry_delay_ms(std::int64_t failures) const {
    assert(failures >= 1);
    std::int64_t delay = options.retry_initial_ms;
    for (std::int64_t i = 1; i < failures && delay < options.retry_interval_max_ms; ++i) delay *= 2;
    delay = std::min(delay, options.retry_interval_max_ms);
    const std::int64_t half = delay / 2;
    return half + static_cast<std::int64_t>(random_below(static_cast<std::uint64_t>(half) + 1));
  }

  AttemptRecord record_for(const SendResult& result, const Sent& sent, std::int64_t now_ms) {
    AttemptRecord record;
    record.delivery_seq = sent.delivery_seq;
    record.event_id = sent.event_id;
    record.endpoint_id = sent.endpoint_id;
    record.attempted_at_ms = sent.sent_at_ms;
    record.duration_us = result.duration_ns / 1000;
    record.status_code = result.status_code;
    record.outcome = attempt_outcome(result);
    record.error = result.error.substr(0, kExcerptBytesMax);
    record.response_excerpt = printable_excerpt(result.body_excerpt, options.excerpt_bytes);
    if (record.outcome == "succeeded") {
      record.settlement = Settlement::succeeded;
    } else if (now_ms - sent.started_at_ms >= options.retry_window_ms) {
      record.settlement = Settlement::failed;
    } else {
      const std::int64_t window_end = sent.started_at_ms + options.retry_window_ms;
      record.settlement = Settlement::retry;
      // The last retry lands at the window's end, so every delivery gets its full window.
      record.retry_at_ms = std::min(now_ms + retry_delay_ms(sent.attempt_count + 1), window_end);
    }
    return record;
  }

  std::vector<std::string> due_endpoints(std::int64_t now_ms) const {
    std::vector<std::string> due;
    for (const auto& [id, slot] : slots) {
      if (slot.next_check_ms <= now_ms && slot.in_flight < options.endpoint_concurrency) {
        due.push_back(id);
      }
    }
    return due;
  }

  void run() {
    while (true) {
      const bool draining = stopping.load();
      if (draining && in_flight.empty() && unrecorded.empty()) break;
      auto results = sender.take_results(milliseconds(wait_ms(draining)));
      for (SendResult& result : results) unrecorded.push_back(std::move(result));
      cycle(draining);
      if (draining && drain_deadline_passed()) break;
    }
    in_flight_gauge.set(0);
  }

  SteadyTime drain_deadline{};
  bool drain_deadline_passed() {
    const SteadyTime now = std::chrono::steady_clock::now();
    if (drain_deadline == SteadyTime{}) {
      drain_deadline = now + milliseconds(options.timeout_ms + 1000);
    }
    return now >= drain_deadline;
  }

  std::int64_t wait_ms(bool draining) const {
    if (draining) return 20;
    const SteadyTime now = std::chrono::steady_clock::now();
    if (now < retry_after) {
      return std::chrono::duration_cast<milliseconds>(retry_after - now).count() + 1;
    }
    if (!unrecorded.empty()) return 0;
    SteadyTime next = std::min(next_outbox_poll, next_sweep);
    const std::int64_t now_ms = clock.now_unix_ms();
    for (const auto& [id, slot] : slots) {
      if (slot.in_flight >= options.endpoint_concurrency) continue;
      if (slot.next_check_ms <= now_ms) return 0;
      next = std::min(next, now + milliseconds(slot.next_check_ms - now_ms));
    }
    const auto wait = std::chrono::duration_cast<milliseconds>(next - now).count();
    return std::clamp<std::int64_t>(wait, 0, options.poll_interval_ms);
  }

  void cycle(bool draining) {
    const SteadyTime now = std::chrono::steady_clock::now();
    if (now < retry_after) return;
    const std::int64_t now_ms = clock.now_unix_ms();
    const bool poll_outbox = !draining && now >= next_outbox_poll;
    const bool sweep = !draining && now >= next_sweep;
    std::vector<std::string> due = draining ? std::vector<std::string>{} : due_endpoints(now_ms);
    if (unrecorded.empty() && !poll_outbox && !sweep && due.empty()) {
      refresh_backlog(now);
      return;
    }

    std::vector<AttemptRecord> records;
    // endpoint -> (any success, start of the earliest delivery that failed); and the last
    // failure, for the reason if the endpoint gets disabled
    std::unordered_map<std::string, std::pair<bool, std::optional<std::int64_t>>> health;
    std::unordered_map<std::string, std::string> last_failure;
    records.reserve(unrecorded.size());
    for (const SendResult& result : unrecorded) {
      auto sent = in_flight.find(result.tag);
      assert(sent != in_flight.end());
      records.push_back(record_for(result, sent->second, now_ms));
      auto& flags = health[sent->second.endpoint_id];
      if (records.back().settlement == Settlement::succeeded) {
        flags.first = true;
      } else {
        flags.second = std::min(flags.second.value_or(sent->second.started_at_ms),
                                sent->second.started_at_ms);
        last_failure[sent->second.endpoint_id] =
            records.back().outcome +
            (result.status_code != 0 ? " (HTTP " + std::to_string(result.status_code) + ")" : "");
      }
    }

    CycleOutput out;
    auto ran = database.transact([&](store::Connection& connection) -> store::StoreResult<void> {
      out = CycleOutput{};
      if (!records.empty()) {
        auto settled = record_attempts(connection, records, options.owner, now_ms);
        if (!settled) return unexpected(settled.error());
        out.settled = *settled;
        for (const auto& [endpoint_id, flags] : health) {
          const std::string reason =
              "every delivery attempt failed for the whole retry window (" +
              std::to_string(options.retry_window_ms / 1000) + " s); last: " +
              last_failure[endpoint_id];
          auto disabled = note_endpoint_health(connection, endpoint_id, flags.first, flags.second,
                                               now_ms, now_ms - options.retry_window_ms, reason);
          if (!disabled) return unexpected(disabled.error());
          if (*disabled) out.disabled.push_back(endpoint_id);
        }
      }
      if (poll_outbox) {
        for (int round = 0; round < kFanOutRoundsPerCycle; ++round) {
          auto fanned = fan_out(connection, kFanOutPerCycle, now_ms);
          if (!fanned) return unexpected(fanned.error());
          out.fanned_out += fanned->events;
          out.fanned_endpoints.insert(out.fanned_endpoints.end(), fanned->endpoint_ids.begin(),
                                      fanned->endpoint_ids.end());
          if (fanned->events < kFanOutPerCycle) break;
        }
      }
      if (sweep) {
        auto ids = enabled_endpoint_ids(connection, kSweepEndpointsMax);
        if (!ids) return unexpected(ids.error());
        out.swept = std::move(ids).value();
        out.swept_all = true;
      }
      return claim(connection, due, out, now_ms);
    });
    if (!ran) {
      obs::warn("webhook dispatcher cycle failed; retrying",
                {{"error", ran.error().message}, {"unrecorded_attempts", unrecorded.size()}});
      retry_after = now + milliseconds(kFailureBackoffMs);
      return;
    }
    apply(records, out, now_ms, poll_outbox, sweep, now);
    refresh_backlog(now);
  }

  // Claims for the endpoints that are due, plus those this cycle found work for.
  store::StoreResult<void> claim(store::Connection& connection, std::vector<std::string> due,
                                 CycleOutput& out, std::int64_t now_ms) {
    std::unordered_set<std::string> wanted(due.begin(), due.end());
    auto consider = [&](const std::string& id) {
      const auto slot = slots.find(id);
      const std::size_t busy = slot == slots.end() ? 0 : slot->second.in_flight;
      if (!stopping.load() && busy < options.endpoint_concurrency) wanted.insert(id);
    };
    for (const std::string& id : out.fanned_endpoints) consider(id);
    for (const std::string& id : out.swept) consider(id);
    if (wanted.empty()) return {};
    auto endpoints = select_enabled_endpoints(
        connection, std::vector<std::string>(wanted.begin(), wanted.end()));
    if (!endpoints) return unexpected(endpoints.error());
    for (Endpoint& endpoint : *endpoints) {
      const auto slot = slots.find(endpoint.id);
      const std::size_t busy = slot == slots.end() ? 0 : slot->second.in_flight;
      const std::size_t room = options.endpoint_concurrency - busy;
      auto claimed = claim_deliveries(connection, endpoint.id, room, options.owner, now_ms,
                                      now_ms + options.lease_ms);
      if (!claimed) return unexpected(claimed.error());
      if (claimed->size() < room) {
        auto next = next_due_at(connection, endpoint.id);
        if (!next) return unexpected(next.error());
        out.next_due[endpoint.id] = *next;
      } else {
        out.next_due[endpoint.id] = now_ms;  // a full claim: there may be more at once
      }
      if (!claimed->empty()) {
        out.claimed_endpoints.push_back(std::move(endpoint));
        out.claims.push_back(std::move(claimed).value());
      }
    }
    for (const std::string& id : wanted) {
      if (std::none_of(endpoints->begin(), endpoints->end(),
                       [&](const Endpoint& e) { return e.id == id; })) {
        out.gone.push_back(id);
      }
    }
    return {};
  }

  void apply(const std::vector<AttemptRecord>& records, CycleOutput& out, std::int64_t now_ms,
             bool polled_outbox, bool swept, SteadyTime now) {
    std::size_t succeeded = 0;
    for (std::size_t i = 0; i < records.size(); ++i) {
      const AttemptRecord& record = records[i];
      const SendResult& result = unrecorded[i];
      in_flight.erase(result.tag);
      Slot& slot = slots[record.endpoint_id];
      assert(slot.in_flight > 0);
      --slot.in_flight;
      if (record.settlement == Settlement::retry) {
        slot.next_check_ms = std::min(slot.next_check_ms == 0 ? record.retry_at_ms : slot.next_check_ms,
                                      record.retry_at_ms);
      }
      if (record.settlement == Settlement::succeeded) ++succeeded;
      outcome_counter(record.outcome).increment();
      attempt_duration.observe_ns(result.duration_ns);
    }
    unrecorded.clear();
    for (const std::string& id : out.disabled) {
      obs::warn("webhook endpoint disabled: it failed for the whole retry window",
                {{"endpoint", id}});
      endpoints_disabled_total.increment();
    }
    if (polled_outbox) {
      // Events that went to nobody: no endpoint is waiting, so the outbox is checked less often
      // (a synced commit every poll_interval_ms would compete with the payments' own). The
      // first delivery to a new endpoint then waits at most one sweep interval.
      const bool idle = out.fanned_out > 0 && out.fanned_endpoints.empty();
      next_outbox_poll =
          now + milliseconds(idle ? options.sweep_interval_ms : options.poll_interval_ms);
    }
    if (swept) next_sweep = now + milliseconds(options.sweep_interval_ms);
    fanned_out_total.increment(out.fanned_out);
    for (const std::string& id : out.fanned_endpoints) slots[id].next_check_ms = now_ms;
    for (const std::string& id : out.swept) {
      Slot& slot = slots[id];
      slot.next_check_ms = std::min(slot.next_check_ms, now_ms);
    }
    for (const auto& [id, next] : out.next_due) {
      const std::int64_t sweep_at = now_ms + options.sweep_interval_ms;
      slots[id].next_check_ms = next ? std::max(*next, now_ms) : sweep_at;
    }
    // Forgotten until a sweep finds them enabled again; attempts in flight keep their slot.
    for (const std::string& id : out.gone) {
      if (auto slot = slots.find(id); slot != slots.end() && slot->second.in_flight == 0) {
        slots.erase(slot);
      }
    }
    std::vector<OutboundRequest> requests;
    for (std::size_t e = 0; e < out.claimed_endpoints.size(); ++e) {
      const Endpoint& endpoint = out.claimed_endpoints[e];
      const std::vector<std::string> secrets = endpoint.signing_secrets(now_ms);
      Slot& slot = slots[endpoint.id];
      for (ClaimedDelivery& delivery : out.claims[e]) {
        OutboundRequest request;
        request.tag = next_tag++;
        request.url = endpoint.url;
        request.body = delivery_payload(delivery.event_body, delivery.fanout_count);
        request.headers.emplace_back("Stripe-Signature",
                                     signature_header(now_ms / 1000, request.body, secrets));
        request.policy = endpoint.livemode ? AddressPolicy::public_only : AddressPolicy::allow_private;
        request.https_only = endpoint.livemode;
        request.timeout_ms = options.timeout_ms;
        in_flight.emplace(request.tag,
                          Sent{delivery.seq, delivery.event_id, endpoint.id, delivery.attempt_count,
                               delivery.started_at_ms, now_ms});
        ++slot.in_flight;
        requests.push_back(std::move(request));
      }
    }
    in_flight_gauge.set(static_cast<std::int64_t>(in_flight.size()));
    {
      std::lock_guard lock(stats_mutex);
      ++stats.cycles;
      stats.events_fanned_out += out.fanned_out;
      stats.attempts += records.size();
      stats.succeeded += succeeded;
      stats.failed_attempts += records.size() - succeeded;
      stats.lost_leases += records.size() - out.settled;
      stats.endpoints_disabled += out.disabled.size();
    }
    if (!requests.empty()) sender.submit(std::move(requests));
  }

  void refresh_backlog(SteadyTime now) {
    if (now < next_backlog) return;
    next_backlog = now + milliseconds(kBacklogRefreshMs);
    std::optional<Backlog> found;
    auto read = database.read([&](store::Connection& connection) -> store::StoreResult<void> {
      auto counted = backlog(connection);
      if (!counted) return unexpected(counted.error());
      found = *counted;
      return {};
    });
    if (!read || !found) return;
    backlog_deliveries.set(found->pending_deliveries);
    backlog_outbox.set(found->outbox_events);
    const std::int64_t now_ms = clock.now_unix_ms();
    std::int64_t oldest_ms = now_ms;
    if (found->oldest_started_at_ms) oldest_ms = std::min(oldest_ms, *found->oldest_started_at_ms);
    if (found->oldest_outbox_created) {
      oldest_ms = std::min(oldest_ms, *found->oldest_outbox_created * 1000);
    }
    oldest_undelivered_seconds.set((now_ms - oldest_ms) / 1000);
  }
};

Dispatcher::Dispatcher(store::Database& database, const Clock& clock,
                       obs::MetricsRegistry& metrics, DispatcherOptions options) {
  assert(!validate(options).has_value());
  if (options.owner.empty()) options.owner = default_owner();
  state_ = std::make_unique<State>(database, clock, metrics, std::move(options));
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  assert(!state_->thread.joinable());
  state_->thread = std::thread([this] { state_->run(); });
}

void Dispatcher::stop() {
  state_->stopping = true;
  if (state_->thread.joinable()) state_->thread.join();
}

const std::string& Dispatcher::owner() const { return state_->options.owner; }

DispatcherStats Dispatcher::stats() const {
  std::lock_guard lock(state_->stats_mutex);
  return state_->stats;
}

store::StoreResult<std::int64_t> purge_expired_events(store::Database& database,
                                                      const Clock& clock, std::size_t limit) {
  std::int64_t purged = 0;
  const std::int64_t cutoff = clock.now_unix_ms() / 1000 - kEventRetentionSeconds;
  auto ran = database.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    auto done = purge_events(connection, cutoff, limit);
    if (!done) return unexpected(done.error());
    purged = *done;
    return {};
  });
  if (!ran) return unexpected(ran.error());
  return purged;
}

}  // namespace till::events
