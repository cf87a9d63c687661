// events/delivery_store.h — the delivery work queue: fan-out, leased claims, attempts.
//
// Life of a delivery (docs/adr/0010-events-and-webhooks.md):
//   1. fan_out takes events from the outbox and inserts one webhook_deliveries row per
//      enabled endpoint of the event's merchant and mode that subscribes to its type and
//      existed when it happened, and marks the events fanned out, in one transaction. On
//      PostgreSQL several dispatchers fan out at once: each locks the outbox rows it takes
//      (SKIP LOCKED), and (event, endpoint) is unique besides.
//   2. claim_deliveries leases due deliveries of one endpoint to one dispatcher until
//      `lease_until_ms`: nobody else takes them before then, so one attempt is never made
//      twice at once. A dispatcher that dies loses its leases when they lapse, and its work is
//      taken over; only the attempts that were in flight at the crash can be repeated.
//   3. record_attempts logs each attempt (append-only webhook_attempts) and settles its
//      delivery: succeeded, retried at a later time, or failed for good. Settling requires the
//      lease still to be ours (a lapsed lease that someone else took is not overwritten).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace till::events {

constexpr std::size_t kFanOutBatchMax = 1000;
constexpr std::size_t kClaimBatchMax = 1000;
constexpr std::size_t kExcerptBytesMax = 1024;

struct FanOutResult {
  std::size_t events = 0;                 // outbox rows consumed
  std::size_t deliveries = 0;             // deliveries created
  std::vector<std::string> endpoint_ids;  // endpoints that got new deliveries, distinct
};
// Fans out at most `limit` outbox events, oldest first (on SQLite with no enabled endpoint at
// all, every pending event at once: they go to nobody).
//
// The outbox's form depends on the backend (migration 0005): on SQLite, whose one writer
// commits events in seq order, it is a cursor over events.seq; on PostgreSQL, a row per event
// (event_outbox), locked by the dispatcher that takes it.
store::StoreResult<FanOutResult> fan_out(store::Connection& connection, std::size_t limit,
                                         std::int64_t now_ms);

struct ClaimedDelivery {
  std::int64_t seq = 0;
  std::int64_t event_seq = 0;
  std::string event_id;
  std::string endpoint_id;
  std::int64_t attempt_count = 0;  // attempts made before this one
  std::int64_t started_at_ms = 0;
  std::int64_t fanout_count = 0;
  std::string event_body;  // the stored event text
};
// Leases up to `limit` due deliveries of `endpoint_id` (oldest due first) to `owner` until
// `lease_until_ms`, with their events' bodies.
store::StoreResult<std::vector<ClaimedDelivery>> claim_deliveries(
    store::Connection& connection, const std::string& endpoint_id, std::size_t limit,
    const std::string& owner, std::int64_t now_ms, std::int64_t lease_until_ms);

// The earliest time a delivery of `endpoint_id` that nobody holds becomes due, if any.
store::StoreResult<std::optional<std::int64_t>> next_due_at(store::Connection& connection,
                                                            const std::string& endpoint_id);

enum class Settlement { succeeded, retry, failed };

struct AttemptRecord {
  std::int64_t delivery_seq = 0;
  std::string event_id;
  std::string endpoint_id;
  std::int64_t attempted_at_ms = 0;
  std::int64_t duration_us = 0;
  int status_code = 0;  // 0 = no HTTP response
  std::string outcome;  // succeeded, http_error, timeout, connect_failed, blocked_address, ...
  std::string error;
  std::string response_excerpt;  // at most kExcerptBytesMax
  Settlement settlement = Settlement::retry;
  std::int64_t retry_at_ms = 0;  // when settlement is retry
};

// Logs the attempts (one statement per 64) and settles each delivery if `owner` still holds
// its lease. Returns how many deliveries were settled (the rest had lost their lease).
store::StoreResult<std::size_t> record_attempts(store::Connection& connection,
                                                std::span<const AttemptRecord> attempts,
                                                const std::string& owner, std::int64_t now_ms);

// Endpoint health after attempts. A success clears `failing_since_ms`. A failure sets it, if
// unset, to `failing_delivery_started_ms`: when the earliest delivery that just failed became
// due, since the endpoint has owed it from then. An endpoint failing since before
// `disable_before_ms` is disabled with `reason`. Returns true when this call disabled it.
store::StoreResult<bool> note_endpoint_health(
    store::Connection& connection, const std::string& endpoint_id, bool any_success,
    std::optional<std::int64_t> failing_delivery_started_ms, std::int64_t now_ms,
    std::int64_t disable_before_ms, const std::string& reason);

// Makes the event's delivery to the endpoint due now (creating it if the endpoint never had
// one), with a fresh retry window. Returns false when the event or endpoint does not exist.
store::StoreResult<bool> resend(store::Connection& connection, const std::string& event_id,
                                const std::string& endpoint_id, std::int64_t now_ms);

struct Backlog {
  std::int64_t pending_deliveries = 0;
  std::int64_t outbox_events = 0;
  std::optional<std::int64_t> oldest_started_at_ms;   // of a pending delivery
  std::optional<std::int64_t> oldest_outbox_created;  // unix seconds, of an outbox event
};
store::StoreResult<Backlog> backlog(store::Connection& connection);

struct AttemptRow {
  std::int64_t seq = 0;
  std::string event_id;
  std::string endpoint_id;
  std::int64_t attempted_at_ms = 0;
  std::int64_t duration_us = 0;
  int status_code = 0;
  std::string outcome;
  std::string error;
  std::string response_excerpt;
  std::string dispatcher;
};
struct AttemptQuery {
  std::string event_id;  // one of event_id / endpoint_id
  std::string endpoint_id;
  std::int64_t before_seq = 0;  // 0 = newest
  std::size_t limit = 20;       // 1..100
};
store::StoreResult<std::vector<AttemptRow>> list_attempts(store::Connection& connection,
                                                          const AttemptQuery& query);

// For each of the events, the number of its deliveries not yet succeeded (the API's
// pending_webhooks), in one query; events with none are absent. At most kClaimBatchMax.
store::StoreResult<std::unordered_map<std::int64_t, std::int64_t>> pending_webhooks(
    store::Connection& connection, std::span<const std::int64_t> event_seqs);

}  // namespace till::events
