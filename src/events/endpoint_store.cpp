#include "events/endpoint_store.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cassert>

#include "events/sql_text.h"

namespace till::events {

namespace {

using detail::int_or_null;
using detail::text_or_null;

using store::Connection;
using store::Row;
using store::StoreResult;
using store::Value;

constexpr std::size_t kListLimitMax = 100;

constexpr std::string_view kColumns =
    "seq, id, merchant_id, livemode, created, url, status, enabled_events, extras, secret, "
    "previous_secret, previous_secret_expires_at_ms, failing_since_ms, disabled_reason, "
    "disabled_at_ms, deleted";

std::string events_json(const std::vector<std::string>& types) {
  boost::json::array array;
  for (const std::string& type : types) array.emplace_back(type);
  return boost::json::serialize(array);
}

std::string extras_json(const Endpoint& endpoint) {
  boost::json::object extras;
  extras["description"] = endpoint.description;
  extras["metadata"] = endpoint.metadata;
  extras["api_version"] = endpoint.api_version;
  return boost::json::serialize(extras);
}

// Lenient on read, like every JSON column: what cannot be read is left empty (the writers
// above never produce it).
boost::json::value parse_or_null(std::string_view text) {
  boost::system::error_code failure;
  boost::json::value value = boost::json::parse(text, failure);
  if (failure) return nullptr;
  return value;
}

std::string string_member(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return "";
  return std::string(value->as_string());
}

Endpoint read_endpoint(const Row& row) {
  Endpoint endpoint;
  endpoint.seq = row.get_int64(0);
  endpoint.id = row.get<std::string>(1);
  endpoint.merchant_id = row.get<std::string>(2);
  endpoint.livemode = row.get_bool(3);
  endpoint.created = row.get_int64(4);
  endpoint.url = row.get<std::string>(5);
  endpoint.status = row.get<std::string>(6);
  if (boost::json::value types = parse_or_null(row.get_text(7)); types.is_array()) {
    for (const auto& type : types.as_array()) {
      if (type.is_string()) endpoint.enabled_events.emplace_back(type.as_string());
    }
  }
  if (boost::json::value extras = parse_or_null(row.get_text(8)); extras.is_object()) {
    const boost::json::object& object = extras.as_object();
    endpoint.description = string_member(object, "description");
    endpoint.api_version = string_member(object, "api_version");
    if (const auto* metadata = object.if_contains("metadata"); metadata && metadata->is_object()) {
      endpoint.metadata = metadata->as_object();
    }
  }
  endpoint.secret = row.get<std::string>(9);
  endpoint.previous_secret = row.get<std::optional<std::string>>(10).value_or("");
  endpoint.previous_secret_expires_at_ms = row.get<std::optional<std::int64_t>>(11).value_or(0);
  endpoint.failing_since_ms = row.get<std::optional<std::int64_t>>(12);
  endpoint.disabled_reason = row.get<std::optional<std::string>>(13).value_or("");
  endpoint.disabled_at_ms = row.get<std::optional<std::int64_t>>(14);
  endpoint.deleted = row.get_bool(15);
  return endpoint;
}

StoreResult<std::vector<Endpoint>> select_where(Connection& connection, const std::string& where,
                                                const std::vector<Value>& params) {
  std::vector<Endpoint> found;
  auto queried =
      connection.query("SELECT " + std::string(kColumns) + " FROM webhook_endpoints WHERE " + where,
                       params, [&](const Row& row) { found.push_back(read_endpoint(row)); });
  if (!queried) return unexpected(queried.error());
  return found;
}

}  // namespace

std::vector<std::string> Endpoint::signing_secrets(std::int64_t now_ms) const {
  std::vector<std::string> secrets{secret};
  if (!previous_secret.empty() && previous_secret_expires_at_ms > now_ms) {
    secrets.push_back(previous_secret);
  }
  return secrets;
}

boost::json::object endpoint_object(const Endpoint& endpoint) {
  boost::json::object object;
  object["id"] = endpoint.id;
  object["object"] = "webhook_endpoint";
  object["api_version"] = endpoint.api_version.empty() ? boost::json::value(nullptr)
                                                       : boost::json::value(endpoint.api_version);
  object["application"] = nullptr;
  object["created"] = endpoint.created;
  object["description"] = endpoint.description.empty() ? boost::json::value(nullptr)
                                                       : boost::json::value(endpoint.description);
  boost::json::array types;
  for (const std::string& type : endpoint.enabled_events) types.emplace_back(type);
  object["enabled_events"] = std::move(types);
  object["livemode"] = endpoint.livemode;
  object["metadata"] = endpoint.metadata;
  object["status"] = endpoint.status;
  object["url"] = endpoint.url;
  return object;
}

StoreResult<void> insert_endpoint(Connection& connection, const Endpoint& endpoint) {
  assert(!endpoint.id.empty() && !endpoint.merchant_id.empty() && !endpoint.secret.empty());
  auto inserted = connection.execute(
      "INSERT INTO webhook_endpoints (id, merchant_id, livemode, created, url, status, "
      "enabled_events, extras, secret, previous_secret, previous_secret_expires_at_ms, "
      "failing_since_ms, disabled_reason, disabled_at_ms, deleted) VALUES ($1, $2, $3, $4, $5, "
      "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
      {endpoint.id, endpoint.merchant_id, endpoint.livemode, endpoint.created, endpoint.url,
       endpoint.status, events_json(endpoint.enabled_events), extras_json(endpoint),
       endpoint.secret, text_or_null(endpoint.previous_secret),
       endpoint.previous_secret.empty() ? Value(nullptr)
                                        : Value(endpoint.previous_secret_expires_at_ms),
       int_or_null(endpoint.failing_since_ms), text_or_null(endpoint.disabled_reason),
       int_or_null(endpoint.disabled_at_ms), endpoint.deleted});
  if (!inserted) return unexpected(inserted.error());
  return {};
}

StoreResult<void> update_endpoint(Connection& connection, const Endpoint& endpoint) {
  auto updated = connection.execute(
      "UPDATE webhook_endpoints SET url = $2, status = $3, enabled_events = $4, extras = $5, "
      "secret = $6, previous_secret = $7, previous_secret_expires_at_ms = $8, "
      "failing_since_ms = $9, disabled_reason = $10, disabled_at_ms = $11, deleted = $12 "
      "WHERE id = $1",
      {endpoint.id, endpoint.url, endpoint.status, events_json(endpoint.enabled_events),
       extras_json(endpoint), endpoint.secret, text_or_null(endpoint.previous_secret),
       endpoint.previous_secret.empty() ? Value(nullptr)
                                        : Value(endpoint.previous_secret_expires_at_ms),
       int_or_null(endpoint.failing_since_ms), text_or_null(endpoint.disabled_reason),
       int_or_null(endpoint.disabled_at_ms), endpoint.deleted});
  if (!updated) return unexpected(updated.error());
  if (*updated != 1) {
    return store::store_fail(store::ErrorKind::other,
                             "webhook endpoint " + endpoint.id + " vanished before its update");
  }
  return {};
}

StoreResult<std::optional<Endpoint>> select_endpoint(Connection& connection,
                                                     const std::string& id) {
  auto found = select_where(connection, "id = $1", {id});
  if (!found) return unexpected(found.error());
  if (found->empty()) return std::optional<Endpoint>{};
  return std::optional<Endpoint>(std::move(found->front()));
}

StoreResult<std::vector<Endpoint>> select_enabled_endpoints(Connection& connection,
                                                            const std::vector<std::string>& ids) {
  if (ids.empty()) return std::vector<Endpoint>{};
  assert(ids.size() <= static_cast<std::size_t>(store::parameter_count_max));
  std::string where = "status = 'enabled' AND deleted = FALSE AND id IN (";
  std::vector<Value> params;
  for (const std::string& id : ids) {
    params.emplace_back(id);
    if (params.size() > 1) where += ", ";
    where += "$" + std::to_string(params.size());
  }
  return select_where(connection, where + ")", params);
}

StoreResult<std::vector<std::string>> enabled_endpoint_ids(Connection& connection,
                                                           std::size_t limit) {
  std::vector<std::string> ids;
  auto queried = connection.query(
      "SELECT id FROM webhook_endpoints WHERE status = 'enabled' AND deleted = FALSE ORDER BY "
      "seq LIMIT " +
          std::to_string(limit),
      {}, [&](const Row& row) { ids.emplace_back(row.get_text(0)); });
  if (!queried) return unexpected(queried.error());
  return ids;
}

StoreResult<std::int64_t> count_endpoints(Connection& connection, const std::string& merchant_id,
                                          bool livemode) {
  auto counted = connection.query_one<std::int64_t>(
      "SELECT COUNT(*) FROM webhook_endpoints WHERE merchant_id = $1 AND livemode = $2 AND "
      "deleted = FALSE",
      {merchant_id, livemode});
  if (!counted) return unexpected(counted.error());
  return counted->value_or(0);
}

StoreResult<std::optional<EndpointPage>> list_endpoints(Connection& connection,
                                                        const EndpointQuery& query) {
  assert(query.limit >= 1 && query.limit <= kListLimitMax);
  std::string where = "deleted = FALSE";
  std::vector<Value> params;
  auto next = [&](Value value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  };
  if (!query.merchant_id.empty()) {
    where += " AND merchant_id = " + next(query.merchant_id);
    where += " AND livemode = " + next(query.livemode);
  }
  if (!query.status.empty()) where += " AND status = " + next(query.status);
  const bool backwards = query.starting_after.empty() && !query.ending_before.empty();
  const std::string& cursor = backwards ? query.ending_before : query.starting_after;
  if (!cursor.empty()) {
    auto cursor_rows = select_where(connection, where + " AND id = " + next(cursor), params);
    if (!cursor_rows) return unexpected(cursor_rows.error());
    if (cursor_rows->empty()) return std::optional<EndpointPage>{};
    params.pop_back();  // the cursor id: its seq bounds the page instead
    where += (backwards ? " AND seq > " : " AND seq < ") + next(cursor_rows->front().seq);
  }
  where += backwards ? " ORDER BY seq ASC" : " ORDER BY seq DESC";
  where += " LIMIT " + std::to_string(query.limit + 1);
  auto rows = select_where(connection, where, params);
  if (!rows) return unexpected(rows.error());
  EndpointPage page{std::move(rows).value(), false};
  page.has_more = page.endpoints.size() > query.limit;
  if (page.has_more) page.endpoints.pop_back();
  if (backwards) std::reverse(page.endpoints.begin(), page.endpoints.end());
  return std::optional<EndpointPage>(std::move(page));
}

}  // namespace till::events
