#include "events/event_store.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cassert>

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

constexpr std::size_t kListLimitMax = 100;
constexpr std::size_t kInsertBatchMax = 64;  // rows per INSERT statement
constexpr std::size_t kTypeFiltersMax = 20;  // Stripe's limit on types[]

constexpr std::string_view kColumns =
    "seq, id, merchant_id, livemode, type, created, object_id, body";

EventRecord read_event(const Row& row) {
  EventRecord event;
  event.seq = row.get_int64(0);
  event.id = row.get<std::string>(1);
  event.merchant_id = row.get<std::string>(2);
  event.livemode = row.get_bool(3);
  event.type = row.get<std::string>(4);
  event.created = row.get_int64(5);
  event.object_id = row.get<std::string>(6);
  event.body_text = row.get<std::string>(7);
  return event;
}

boost::json::value text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return boost::json::value(text);
}

StoreResult<void> insert_batch(Connection& connection, std::span<const EventRecord> events) {
  constexpr std::size_t kColumnCount = 7;
  std::string sql =
      "INSERT INTO events (id, merchant_id, livemode, type, created, object_id, body) VALUES ";
  std::vector<Value> params;
  params.reserve(events.size() * kColumnCount);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const EventRecord& event = events[i];
    assert(!event.id.empty() && !event.merchant_id.empty() && is_event_type(event.type));
    if (i > 0) sql += ", ";
    sql += "(" + placeholders(i * kColumnCount + 1, kColumnCount) + ")";
    params.insert(params.end(), {event.id, event.merchant_id, event.livemode, event.type,
                                 event.created, event.object_id, event.body_text});
  }
  // The outbox rows come from the events_enqueue trigger (migration 0005).
  auto inserted = connection.execute(sql, params);
  if (!inserted) return unexpected(inserted.error());
  return {};
}

// The seq of one of the owner's events, or nullopt.
StoreResult<std::optional<std::int64_t>> cursor_seq(Connection& connection, const EventQuery& query,
                                                    const std::string& id) {
  return connection.query_one<std::int64_t>(
      "SELECT seq FROM events WHERE id = $1 AND merchant_id = $2 AND livemode = $3",
      {id, query.merchant_id, query.livemode});
}

}  // namespace

EventRecord make_event(const EventDraft& draft, const Clock& clock) {
  assert(is_event_type(draft.type));
  assert(!draft.merchant_id.empty());
  EventRecord event;
  event.id = new_id("evt", clock);
  event.merchant_id = draft.merchant_id;
  event.livemode = draft.livemode;
  event.type = draft.type;
  event.created = clock.now_unix_ms() / 1000;
  const bool has_text = !draft.object_text.empty();
  assert(!has_text || (draft.object_text.front() == '{' && draft.object_text.back() == '}'));
  if (has_text) {
    event.object_id = draft.object_id;
  } else if (const auto* id = draft.object.if_contains("id"); id != nullptr && id->is_string()) {
    event.object_id = std::string(id->as_string());
  }
  boost::json::object data;
  // With object_text, a null stands in for data.object and its text takes the null's place
  // below.
  data["object"] = has_text ? boost::json::value(nullptr) : boost::json::value(draft.object);
  if (draft.previous_attributes) data["previous_attributes"] = *draft.previous_attributes;
  // `data` precedes pending_webhooks on purpose: the dispatcher sets the count in the text it
  // sends by rewriting the last "pending_webhooks" (delivery_payload in dispatcher.cpp).
  boost::json::object body;
  body["id"] = event.id;
  body["object"] = "event";
  body["api_version"] = kApiVersion;
  body["created"] = event.created;
  body["data"] = std::move(data);
  body["livemode"] = event.livemode;
  body["pending_webhooks"] = 0;
  body["request"] = boost::json::object{{"id", text_or_null(draft.request_id)},
                                        {"idempotency_key", text_or_null(draft.idempotency_key)}};
  body["type"] = event.type;
  event.body_text = boost::json::serialize(body);
  if (has_text) {
    // Member order is insertion order and `data` is the first object-valued member, so this
    // is data.object's null (a string value's quotes would be escaped).
    static constexpr std::string_view kStandIn = "\"data\":{\"object\":null";
    const std::size_t at = event.body_text.find(kStandIn);
    assert(at != std::string::npos);
    event.body_text.replace(at + kStandIn.size() - 4, 4, draft.object_text);
  }
  return event;
}

boost::json::object previous_attributes(const boost::json::object& before,
                                        const boost::json::object& after) {
  boost::json::object previous;
  for (const auto& field : before) {
    const boost::json::value* now = after.if_contains(field.key());
    if (now == nullptr || *now != field.value()) previous[field.key()] = field.value();
  }
  for (const auto& field : after) {
    if (!before.contains(field.key())) previous[field.key()] = nullptr;
  }
  return previous;
}

StoreResult<void> insert_events(Connection& connection, std::span<const EventRecord> events) {
  for (std::size_t first = 0; first < events.size(); first += kInsertBatchMax) {
    const std::size_t count = std::min(kInsertBatchMax, events.size() - first);
    if (auto inserted = insert_batch(connection, events.subspan(first, count)); !inserted) {
      return inserted;
    }
  }
  return {};
}

StoreResult<std::optional<EventRecord>> select_event(Connection& connection,
                                                     const std::string& id) {
  std::optional<EventRecord> found;
  auto queried = connection.query("SELECT " + std::string(kColumns) + " FROM events WHERE id = $1",
                                  {id}, [&](const Row& row) { found = read_event(row); });
  if (!queried) return unexpected(queried.error());
  return found;
}

StoreResult<std::optional<EventPage>> list_events(Connection& connection, const EventQuery& query) {
  assert(query.limit >= 1 && query.limit <= kListLimitMax);
  assert(query.types.size() <= kTypeFiltersMax);
  std::string sql =
      "SELECT " + std::string(kColumns) + " FROM events WHERE merchant_id = $1 AND livemode = $2";
  std::vector<Value> params{query.merchant_id, query.livemode};
  auto next = [&](Value value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  };
  if (!query.types.empty()) {
    sql += " AND (";
    for (std::size_t i = 0; i < query.types.size(); ++i) {
      const std::string& type = query.types[i];
      if (i > 0) sql += " OR ";
      if (type.size() > 2 && type.ends_with(".*")) {
        // "charge.*": every type from "charge." up to, not including, "charge/" ('/' follows
        // '.' in ASCII), a range the type index serves.
        const std::string prefix = type.substr(0, type.size() - 1);
        const std::string bound = type.substr(0, type.size() - 2) + "/";
        sql += "(type >= " + next(prefix) + " AND type < " + next(bound) + ")";
      } else {
        sql += "type = " + next(type);
      }
    }
    sql += ")";
  }
  if (query.created_gte) sql += " AND created >= " + next(*query.created_gte);
  if (query.created_lte) sql += " AND created <= " + next(*query.created_lte);
  const bool backwards = query.starting_after.empty() && !query.ending_before.empty();
  const std::string& cursor = backwards ? query.ending_before : query.starting_after;
  if (!cursor.empty()) {
    auto seq = cursor_seq(connection, query, cursor);
    if (!seq) return unexpected(seq.error());
    if (!*seq) return std::optional<EventPage>{};
    sql += (backwards ? " AND seq > " : " AND seq < ") + next(**seq);
  }
  sql += backwards ? " ORDER BY seq ASC" : " ORDER BY seq DESC";
  sql += " LIMIT " + std::to_string(query.limit + 1);
  EventPage page;
  auto queried = connection.query(sql, params,
                                  [&](const Row& row) { page.events.push_back(read_event(row)); });
  if (!queried) return unexpected(queried.error());
  page.has_more = page.events.size() > query.limit;
  if (page.has_more) page.events.pop_back();
  if (backwards) std::reverse(page.events.begin(), page.events.end());
  return std::optional<EventPage>(std::move(page));
}

StoreResult<std::int64_t> purge_events(Connection& connection, std::int64_t cutoff_seconds,
                                       std::size_t limit) {
  assert(limit >= 1 && limit <= 1000);
  // Oldest first by seq, which follows creation time closely enough for a retention period
  // (no index on `created` to maintain on every event): the purge stops at the first event
  // still within it.
  std::vector<Value> seqs;
  std::vector<Value> ids;
  bool reached_recent = false;
  auto found = connection.query(
      "SELECT seq, id, created FROM events ORDER BY seq LIMIT " + std::to_string(limit), {},
      [&](const Row& row) {
        if (reached_recent || row.get_int64(2) >= cutoff_seconds) {
          reached_recent = true;
          return;
        }
        seqs.emplace_back(row.get_int64(0));
        ids.emplace_back(row.get<std::string>(1));
      });
  if (!found) return unexpected(found.error());
  if (seqs.empty()) return std::int64_t{0};
  const std::string seq_list = "(" + placeholders(1, seqs.size()) + ")";
  std::vector<std::string> statements{"DELETE FROM webhook_deliveries WHERE event_seq IN ",
                                      "DELETE FROM events WHERE seq IN "};
  if (connection.dialect() == store::Dialect::postgres) {
    statements.emplace_back("DELETE FROM event_outbox WHERE event_seq IN ");
  }
  for (const std::string& statement : statements) {
    auto deleted = connection.execute(statement + seq_list, seqs);
    if (!deleted) return unexpected(deleted.error());
  }
  auto attempts =
      connection.execute("DELETE FROM webhook_attempts WHERE event_id IN " + seq_list, ids);
  if (!attempts) return unexpected(attempts.error());
  return static_cast<std::int64_t>(seqs.size());
}

}  // namespace till::events
