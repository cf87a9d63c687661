#include "events/delivery_store.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cassert>
#include <map>
#include <set>
#include <unordered_map>

#include "base/ids.h"
#include "events/catalog.h"
#include "events/sql_text.h"

namespace till::events {

namespace {

using detail::placeholders;

using store::Connection;
using store::Row;
using store::StoreResult;
using store::Value;

constexpr std::size_t kRowsPerStatement = 64;

std::string_view skip_locked(const Connection& connection) {
  return connection.dialect() == store::Dialect::postgres ? " FOR UPDATE SKIP LOCKED" : "";
}

struct OutboxEvent {
  std::int64_t seq = 0;
  std::int64_t created_ms = 0;  // from its id (ids carry their creation time to the millisecond)
  std::string merchant_id;
  bool livemode = false;
  std::string type;
  std::int64_t created = 0;
};

struct Subscriber {
  std::string id;
  std::int64_t created_ms = 0;  // from its id, as for events
  std::vector<std::string> enabled_events;
};

StoreResult<std::vector<Subscriber>> subscribers_of(Connection& connection,
                                                    const std::string& merchant_id, bool livemode) {
  std::vector<Subscriber> found;
  auto queried = connection.query(
      "SELECT id, created, enabled_events FROM webhook_endpoints WHERE merchant_id = $1 AND "
      "livemode = $2 AND status = 'enabled' AND deleted = FALSE",
      {merchant_id, livemode}, [&](const Row& row) {
        std::string id = row.get<std::string>(0);
        const std::int64_t created_ms = id_unix_ms(id).value_or(row.get_int64(1) * 1000);
        Subscriber subscriber{std::move(id), created_ms, {}};
        boost::system::error_code failure;
        boost::json::value types = boost::json::parse(row.get_text(2), failure);
        if (!failure && types.is_array()) {
          for (const auto& type : types.as_array()) {
            if (type.is_string()) subscriber.enabled_events.emplace_back(type.as_string());
          }
        }
        found.push_back(std::move(subscriber));
      });
  if (!queried) return unexpected(queried.error());
  return found;
}

struct NewDelivery {
  std::int64_t event_seq = 0;
  const std::string* endpoint_id = nullptr;
  std::int64_t fanout_count = 0;
};

StoreResult<void> insert_deliveries(Connection& connection, std::span<const NewDelivery> rows,
                                    std::int64_t now_ms) {
  for (std::size_t first = 0; first < rows.size(); first += kRowsPerStatement) {
    const std::size_t count = std::min(kRowsPerStatement, rows.size() - first);
    std::string sql =
        "INSERT INTO webhook_deliveries (event_seq, endpoint_id, state, attempt_count, "
        "started_at_ms, next_attempt_at_ms, lease_owner, lease_until_ms, fanout_count) VALUES ";
    std::vector<Value> params{now_ms};
    for (std::size_t i = 0; i < count; ++i) {
      const NewDelivery& row = rows[first + i];
      if (i > 0) sql += ", ";
      const std::size_t base = params.size();
      sql += "($" + std::to_string(base + 1) + ", $" + std::to_string(base + 2) +
             ", 'pending', 0, $1, $1, NULL, 0, $" + std::to_string(base + 3) + ")";
      params.insert(params.end(), {row.event_seq, *row.endpoint_id, row.fanout_count});
    }
    sql += " ON CONFLICT (event_seq, endpoint_id) DO NOTHING";
    if (auto inserted = connection.execute(sql, params); !inserted) {
      return unexpected(inserted.error());
    }
  }
  return {};
}

bool outbox_is_cursor(const Connection& connection) {
  return connection.dialect() == store::Dialect::sqlite;  // migration 0005 says why
}

// Marks `consumed` (seqs, ascending) fanned out: the cursor moves past the last (SQLite), or
// their outbox rows go (PostgreSQL).
StoreResult<void> consume_outbox(Connection& connection, const std::vector<Value>& consumed) {
  if (consumed.empty()) return {};
  auto done = outbox_is_cursor(connection)
                  ? connection.execute("UPDATE event_fanout SET fanned_out_seq = $1 WHERE id = 1",
                                       {consumed.back()})
                  : connection.execute("DELETE FROM event_outbox WHERE event_seq IN (" +
                                           placeholders(1, consumed.size()) + ")",
                                       consumed);
  if (!done) return unexpected(done.error());
  return {};
}

// The events still to be fanned out, oldest first.
std::string pending_events_sql(const Connection& connection, std::size_t limit) {
  if (outbox_is_cursor(connection)) {
    return "SELECT e.seq, e.merchant_id, e.livemode, e.type, e.created, e.id FROM events e "
           "WHERE e.seq > (SELECT fanned_out_seq FROM event_fanout WHERE id = 1) ORDER BY e.seq "
           "LIMIT " +
           std::to_string(limit);
  }
  // Several dispatchers may fan out at once: each locks the outbox rows it takes.
  return "SELECT o.event_seq, e.merchant_id, e.livemode, e.type, e.created, e.id FROM "
         "event_outbox o JOIN events e ON e.seq = o.event_seq ORDER BY o.event_seq LIMIT " +
         std::to_string(limit) + " FOR UPDATE OF o SKIP LOCKED";
}

}  // namespace

// SQLite, when no endpoint is enabled at all (a store without webhooks): every pending event is
// fanned out to nobody, so the cursor jumps to the newest event in one statement. (On SQLite
// nothing can commit between the check and the jump; on PostgreSQL an endpoint and its first
// event could, so there every event takes the normal path.)
StoreResult<std::optional<FanOutResult>> fan_out_to_nobody(Connection& connection) {
  if (!outbox_is_cursor(connection)) return std::optional<FanOutResult>{};
  auto any = connection.query_one<std::int64_t>(
      "SELECT 1 FROM webhook_endpoints WHERE status = 'enabled' AND deleted = FALSE LIMIT 1");
  if (!any) return unexpected(any.error());
  if (any->has_value()) return std::optional<FanOutResult>{};
  auto pending = connection.query_one<std::int64_t>(
      "SELECT COUNT(*) FROM events WHERE seq > (SELECT fanned_out_seq FROM event_fanout WHERE id "
      "= 1)");
  if (!pending) return unexpected(pending.error());
  FanOutResult result;
  result.events = static_cast<std::size_t>(pending->value_or(0));
  if (result.events == 0) return std::optional<FanOutResult>(result);
  auto moved = connection.execute(
      "UPDATE event_fanout SET fanned_out_seq = (SELECT MAX(seq) FROM events) WHERE id = 1");
  if (!moved) return unexpected(moved.error());
  return std::optional<FanOutResult>(result);
}

StoreResult<FanOutResult> fan_out(Connection& connection, std::size_t limit, std::int64_t now_ms) {
  assert(limit >= 1 && limit <= kFanOutBatchMax);
  auto nobody = fan_out_to_nobody(connection);
  if (!nobody) return unexpected(nobody.error());
  if (*nobody) return std::move(**nobody);
  std::vector<OutboxEvent> pending;
  auto read = connection.query(pending_events_sql(connection, limit), {}, [&](const Row& row) {
    const std::int64_t created_ms = id_unix_ms(row.get_text(5)).value_or(row.get_int64(4) * 1000);
    pending.push_back(OutboxEvent{row.get_int64(0), created_ms, row.get<std::string>(1),
                                  row.get_bool(2), row.get<std::string>(3), row.get_int64(4)});
  });
  if (!read) return unexpected(read.error());
  FanOutResult result;
  if (pending.empty()) return result;

  std::map<std::pair<std::string, bool>, std::vector<Subscriber>> subscribers;
  std::vector<NewDelivery> deliveries;
  std::vector<Value> consumed;
  std::set<std::string> touched;
  consumed.reserve(pending.size());
  for (const OutboxEvent& event : pending) {
    consumed.emplace_back(event.seq);
    auto owner = std::make_pair(event.merchant_id, event.livemode);
    auto found = subscribers.find(owner);
    if (found == subscribers.end()) {
      auto loaded = subscribers_of(connection, event.merchant_id, event.livemode);
      if (!loaded) return unexpected(loaded.error());
      found = subscribers.emplace(owner, std::move(loaded).value()).first;
    }
    const std::size_t first = deliveries.size();
    for (const Subscriber& subscriber : found->second) {
      // Only events that happened once the endpoint existed, as at Stripe; to the
      // millisecond, so an event of the same second but earlier is not sent.
      if (subscriber.created_ms > event.created_ms) continue;
      if (!subscribed(subscriber.enabled_events, event.type)) continue;
      deliveries.push_back(NewDelivery{event.seq, &subscriber.id, 0});
      touched.insert(subscriber.id);
    }
    for (std::size_t i = first; i < deliveries.size(); ++i) {
      deliveries[i].fanout_count = static_cast<std::int64_t>(deliveries.size() - first);
    }
  }
  if (auto inserted = insert_deliveries(connection, deliveries, now_ms); !inserted) {
    return unexpected(inserted.error());
  }
  if (auto marked = consume_outbox(connection, consumed); !marked) {
    return unexpected(marked.error());
  }
  result.events = pending.size();
  result.deliveries = deliveries.size();
  result.endpoint_ids.assign(touched.begin(), touched.end());
  return result;
}

StoreResult<std::vector<ClaimedDelivery>> claim_deliveries(
    Connection& connection, const std::string& endpoint_id, std::size_t limit,
    const std::string& owner, std::int64_t now_ms, std::int64_t lease_until_ms) {
  assert(limit >= 1 && limit <= kClaimBatchMax);
  assert(lease_until_ms > now_ms);
  std::vector<ClaimedDelivery> claimed;
  auto leased = connection.query(
      "UPDATE webhook_deliveries SET lease_owner = $1, lease_until_ms = $2 WHERE seq IN (SELECT "
      "seq FROM webhook_deliveries WHERE endpoint_id = $3 AND state = 'pending' AND "
      "next_attempt_at_ms <= $4 AND lease_until_ms <= $4 ORDER BY next_attempt_at_ms LIMIT $5" +
          std::string(skip_locked(connection)) +
          ") RETURNING seq, event_seq, attempt_count, started_at_ms, fanout_count",
      {owner, lease_until_ms, endpoint_id, now_ms, static_cast<std::int64_t>(limit)},
      [&](const Row& row) {
        ClaimedDelivery delivery;
        delivery.seq = row.get_int64(0);
        delivery.event_seq = row.get_int64(1);
        delivery.endpoint_id = endpoint_id;
        delivery.attempt_count = row.get_int64(2);
        delivery.started_at_ms = row.get_int64(3);
        delivery.fanout_count = row.get_int64(4);
        claimed.push_back(std::move(delivery));
      });
  if (!leased) return unexpected(leased.error());
  if (claimed.empty()) return claimed;
  std::sort(claimed.begin(), claimed.end(),
            [](const ClaimedDelivery& a, const ClaimedDelivery& b) { return a.seq < b.seq; });

  std::vector<Value> event_seqs;
  event_seqs.reserve(claimed.size());
  for (const ClaimedDelivery& delivery : claimed) event_seqs.emplace_back(delivery.event_seq);
  std::unordered_map<std::int64_t, std::pair<std::string, std::string>> bodies;
  auto read = connection.query(
      "SELECT seq, id, body FROM events WHERE seq IN (" + placeholders(1, event_seqs.size()) + ")",
      event_seqs, [&](const Row& row) {
        bodies.emplace(row.get_int64(0),
                       std::make_pair(row.get<std::string>(1), row.get<std::string>(2)));
      });
  if (!read) return unexpected(read.error());
  for (ClaimedDelivery& delivery : claimed) {
    auto body = bodies.find(delivery.event_seq);
    // Deliveries go with their event (purge_events deletes both in one transaction).
    if (body == bodies.end()) {
      return store::store_fail(
          store::ErrorKind::corrupt,
          "webhook delivery " + std::to_string(delivery.seq) + " refers to a missing event");
    }
    delivery.event_id = body->second.first;
    delivery.event_body = body->second.second;
  }
  return claimed;
}

StoreResult<std::optional<std::int64_t>> next_due_at(Connection& connection,
                                                     const std::string& endpoint_id) {
  // Leased rows are skipped: their holder settles them. The index walk is in due order, so it
  // stops at the first free row.
  return connection.query_one<std::int64_t>(
      "SELECT next_attempt_at_ms FROM webhook_deliveries WHERE endpoint_id = $1 AND state = "
      "'pending' AND lease_until_ms = 0 ORDER BY next_attempt_at_ms LIMIT 1",
      {endpoint_id});
}

StoreResult<std::size_t> record_attempts(Connection& connection,
                                         std::span<const AttemptRecord> attempts,
                                         const std::string& owner, std::int64_t now_ms) {
  // One UPDATE per 64 attempts, joined with their outcomes as a VALUES list (columns
  // column1.. on both backends): on PostgreSQL a statement per attempt would be a round trip
  // per attempt. Casts type the parameters, which PostgreSQL cannot infer inside VALUES.
  std::size_t settled = 0;
  for (std::size_t first = 0; first < attempts.size(); first += kRowsPerStatement) {
    const std::size_t count = std::min(kRowsPerStatement, attempts.size() - first);
    std::vector<Value> params{owner};
    std::string values;
    for (std::size_t i = 0; i < count; ++i) {
      const AttemptRecord& attempt = attempts[first + i];
      assert(attempt.response_excerpt.size() <= kExcerptBytesMax);
      const char* state = attempt.settlement == Settlement::succeeded ? "succeeded"
                          : attempt.settlement == Settlement::failed  ? "failed"
                                                                      : "pending";
      const bool finished = attempt.settlement != Settlement::retry;
      const std::size_t base = params.size();
      if (i > 0) values += ", ";
      values += "(CAST($" + std::to_string(base + 1) + " AS BIGINT), CAST($" +
                std::to_string(base + 2) + " AS TEXT), CAST($" + std::to_string(base + 3) +
                " AS BIGINT), CAST($" + std::to_string(base + 4) + " AS BIGINT))";
      params.insert(params.end(), {attempt.delivery_seq, std::string(state),
                                   finished ? now_ms : attempt.retry_at_ms,
                                   finished ? Value(now_ms) : Value(nullptr)});
    }
    auto updated = connection.execute(
        "UPDATE webhook_deliveries SET state = v.column2, attempt_count = attempt_count + 1, "
        "next_attempt_at_ms = v.column3, lease_owner = NULL, lease_until_ms = 0, "
        "finished_at_ms = v.column4 FROM (VALUES " +
            values +
            ") AS v WHERE webhook_deliveries.seq = v.column1 AND webhook_deliveries.lease_owner "
            "= $1",
        params);
    if (!updated) return unexpected(updated.error());
    settled += static_cast<std::size_t>(*updated);
  }
  constexpr std::size_t kColumnCount = 10;
  for (std::size_t first = 0; first < attempts.size(); first += kRowsPerStatement) {
    const std::size_t count = std::min(kRowsPerStatement, attempts.size() - first);
    std::string sql =
        "INSERT INTO webhook_attempts (delivery_seq, event_id, endpoint_id, attempted_at_ms, "
        "duration_us, status_code, outcome, error, response_excerpt, dispatcher) VALUES ";
    std::vector<Value> params;
    params.reserve(count * kColumnCount);
    for (std::size_t i = 0; i < count; ++i) {
      const AttemptRecord& attempt = attempts[first + i];
      if (i > 0) sql += ", ";
      sql += "(" + placeholders(i * kColumnCount + 1, kColumnCount) + ")";
      params.insert(params.end(), {attempt.delivery_seq, attempt.event_id, attempt.endpoint_id,
                                   attempt.attempted_at_ms, attempt.duration_us,
                                   static_cast<std::int64_t>(attempt.status_code), attempt.outcome,
                                   attempt.error, attempt.response_excerpt, owner});
    }
    if (auto inserted = connection.execute(sql, params); !inserted) {
      return unexpected(inserted.error());
    }
  }
  return settled;
}

StoreResult<bool> note_endpoint_health(Connection& connection, const std::string& endpoint_id,
                                       bool any_success,
                                       std::optional<std::int64_t> failing_delivery_started_ms,
                                       std::int64_t now_ms, std::int64_t disable_before_ms,
                                       const std::string& reason) {
  if (any_success) {
    auto cleared = connection.execute(
        "UPDATE webhook_endpoints SET failing_since_ms = NULL WHERE id = $1 AND "
        "failing_since_ms IS NOT NULL",
        {endpoint_id});
    if (!cleared) return unexpected(cleared.error());
    return false;
  }
  if (!failing_delivery_started_ms) return false;
  auto marked = connection.execute(
      "UPDATE webhook_endpoints SET failing_since_ms = $2 WHERE id = $1 AND failing_since_ms IS "
      "NULL",
      {endpoint_id, *failing_delivery_started_ms});
  if (!marked) return unexpected(marked.error());
  auto disabled = connection.execute(
      "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, disabled_at_ms = "
      "$3 WHERE id = $1 AND status = 'enabled' AND failing_since_ms <= $4",
      {endpoint_id, reason, now_ms, disable_before_ms});
  if (!disabled) return unexpected(disabled.error());
  return *disabled == 1;
}

StoreResult<bool> resend(Connection& connection, const std::string& event_id,
                         const std::string& endpoint_id, std::int64_t now_ms) {
  auto event_seq =
      connection.query_one<std::int64_t>("SELECT seq FROM events WHERE id = $1", {event_id});
  if (!event_seq) return unexpected(event_seq.error());
  auto endpoint = connection.query_one<std::int64_t>(
      "SELECT seq FROM webhook_endpoints WHERE id = $1 AND deleted = FALSE", {endpoint_id});
  if (!endpoint) return unexpected(endpoint.error());
  if (!*event_seq || !*endpoint) return false;
  auto upserted = connection.execute(
      "INSERT INTO webhook_deliveries (event_seq, endpoint_id, state, attempt_count, "
      "started_at_ms, next_attempt_at_ms, lease_owner, lease_until_ms, fanout_count) VALUES ($1, "
      "$2, 'pending', 0, $3, $3, NULL, 0, 1) ON CONFLICT (event_seq, endpoint_id) DO UPDATE SET "
      "state = 'pending', started_at_ms = $3, next_attempt_at_ms = $3, finished_at_ms = NULL",
      {**event_seq, endpoint_id, now_ms});
  if (!upserted) return unexpected(upserted.error());
  return true;
}

StoreResult<Backlog> backlog(Connection& connection) {
  Backlog result;
  auto deliveries = connection.query(
      "SELECT COUNT(*), MIN(started_at_ms) FROM webhook_deliveries WHERE state = 'pending'", {},
      [&](const Row& row) {
        result.pending_deliveries = row.get_int64(0);
        result.oldest_started_at_ms = row.get<std::optional<std::int64_t>>(1);
      });
  if (!deliveries) return unexpected(deliveries.error());
  const std::string pending =
      outbox_is_cursor(connection)
          ? "SELECT COUNT(*), MIN(created) FROM events WHERE seq > (SELECT fanned_out_seq FROM "
            "event_fanout WHERE id = 1)"
          : "SELECT COUNT(*), MIN(e.created) FROM event_outbox o JOIN events e ON e.seq = "
            "o.event_seq";
  auto outbox = connection.query(pending, {}, [&](const Row& row) {
    result.outbox_events = row.get_int64(0);
    result.oldest_outbox_created = row.get<std::optional<std::int64_t>>(1);
  });
  if (!outbox) return unexpected(outbox.error());
  return result;
}

StoreResult<std::vector<AttemptRow>> list_attempts(Connection& connection,
                                                   const AttemptQuery& query) {
  assert(query.limit >= 1 && query.limit <= 100);
  assert(query.event_id.empty() != query.endpoint_id.empty());
  const bool by_event = !query.event_id.empty();
  std::string sql =
      "SELECT seq, event_id, endpoint_id, attempted_at_ms, duration_us, status_code, outcome, "
      "error, response_excerpt, dispatcher FROM webhook_attempts WHERE ";
  sql += by_event ? "event_id = $1" : "endpoint_id = $1";
  std::vector<Value> params{by_event ? query.event_id : query.endpoint_id};
  if (query.before_seq > 0) {
    sql += " AND seq < $2";
    params.emplace_back(query.before_seq);
  }
  sql += " ORDER BY seq DESC LIMIT " + std::to_string(query.limit);
  std::vector<AttemptRow> rows;
  auto queried = connection.query(sql, params, [&](const Row& row) {
    rows.push_back(AttemptRow{
        row.get_int64(0), row.get<std::string>(1), row.get<std::string>(2), row.get_int64(3),
        row.get_int64(4), static_cast<int>(row.get_int64(5)), row.get<std::string>(6),
        row.get<std::string>(7), row.get<std::string>(8), row.get<std::string>(9)});
  });
  if (!queried) return unexpected(queried.error());
  return rows;
}

StoreResult<std::unordered_map<std::int64_t, std::int64_t>> pending_webhooks(
    Connection& connection, std::span<const std::int64_t> event_seqs) {
  assert(event_seqs.size() <= kClaimBatchMax);
  std::unordered_map<std::int64_t, std::int64_t> pending;
  if (event_seqs.empty()) return pending;
  const std::vector<Value> params(event_seqs.begin(), event_seqs.end());
  auto counted = connection.query(
      "SELECT event_seq, COUNT(*) FROM webhook_deliveries WHERE event_seq IN (" +
          placeholders(1, params.size()) + ") AND state <> 'succeeded' GROUP BY event_seq",
      params, [&](const Row& row) { pending[row.get_int64(0)] = row.get_int64(1); });
  if (!counted) return unexpected(counted.error());
  return pending;
}

}  // namespace till::events
