#include "admin/webhook_routes.h"

#include <array>
#include <boost/json/parse.hpp>

#include "admin/query.h"
#include "admin/responses.h"
#include "events/delivery_store.h"
#include "events/endpoint_store.h"
#include "obs/log.h"

namespace till::admin {

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

constexpr std::array<std::string_view, 3> kEndpointQuery = {"status", "limit", "starting_after"};
constexpr std::array<std::string_view, 4> kAttemptQuery = {"event", "endpoint", "limit",
                                                           "before"};
constexpr std::array<std::string_view, 0> kNoQuery = {};

value optional_ms(const std::optional<std::int64_t>& unix_ms) {
  if (!unix_ms) return nullptr;
  return *unix_ms;
}

value text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return value(text);
}

api::Response unavailable(const api::Request& request, const store::StoreError& error) {
  obs::warn("admin webhook request failed",
            {{"request_id", request.request_id}, {"error", error.message}});
  return failure(api::service_unavailable("the database is unavailable; retry the request"));
}

// The merchant API's object plus what only staff see: owner, failure streak, Till's reason
// for disabling it.
object endpoint_json(const events::Endpoint& endpoint) {
  object json = events::endpoint_object(endpoint);
  json["merchant"] = endpoint.merchant_id;
  json["failing_since_unix_ms"] = optional_ms(endpoint.failing_since_ms);
  json["disabled_reason"] = text_or_null(endpoint.disabled_reason);
  json["disabled_at_unix_ms"] = optional_ms(endpoint.disabled_at_ms);
  return json;
}

object attempt_json(const events::AttemptRow& attempt) {
  return object{{"id", attempt.seq},
                {"object", "webhook_attempt"},
                {"event", attempt.event_id},
                {"endpoint", attempt.endpoint_id},
                {"attempted_at_unix_ms", attempt.attempted_at_ms},
                {"duration_us", attempt.duration_us},
                {"status_code", attempt.status_code == 0 ? value(nullptr) : value(attempt.status_code)},
                {"outcome", attempt.outcome},
                {"error", text_or_null(attempt.error)},
                {"response_excerpt", attempt.response_excerpt},
                {"dispatcher", attempt.dispatcher}};
}

object list_json(array data, bool has_more, std::string_view url) {
  return object{{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more},
                {"url", url}};
}

}  // namespace

api::Response WebhookRoutes::list_endpoints(api::Request& request) {
  auto params = parse_query(request.query, kEndpointQuery);
  if (!params) return failure(params.error());
  auto limit = read_limit(*params);
  if (!limit) return failure(limit.error());
  events::EndpointQuery query;
  query.limit = *limit;
  if (const std::string* status = find_query_param(*params, "status")) {
    if (*status != "enabled" && *status != "disabled") {
      return failure(parameter_invalid("status", "\"enabled\" or \"disabled\""));
    }
    query.status = *status;
  }
  if (const std::string* cursor = find_query_param(*params, "starting_after")) {
    query.starting_after = *cursor;
  }
  std::optional<events::EndpointPage> page;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto listed = events::list_endpoints(connection, query);
    if (!listed) return unexpected(listed.error());
    page = std::move(listed).value();
    return {};
  });
  if (!read) return unavailable(request, read.error());
  if (!page) {
    api::ApiError error;
    error.code = "resource_missing";
    error.message = "No such webhook endpoint: '" + query.starting_after.substr(0, 64) + "'";
    error.param = "starting_after";
    return failure(error);
  }
  array data;
  for (const events::Endpoint& endpoint : page->endpoints) data.push_back(endpoint_json(endpoint));
  return ok(list_json(std::move(data), page->has_more, "/admin/v1/webhook_endpoints"));
}

api::Response WebhookRoutes::list_attempts(api::Request& request) {
  auto params = parse_query(request.query, kAttemptQuery);
  if (!params) return failure(params.error());
  auto limit = read_limit(*params);
  if (!limit) return failure(limit.error());
  auto before = read_int64(*params, "before");
  if (!before) return failure(before.error());
  events::AttemptQuery query;
  query.limit = *limit;
  query.before_seq = before->value_or(0);
  const std::string* event = find_query_param(*params, "event");
  const std::string* endpoint = find_query_param(*params, "endpoint");
  if ((event == nullptr) == (endpoint == nullptr)) {
    return failure(parameter_missing("event"));  // exactly one of event, endpoint
  }
  query.event_id = event != nullptr ? *event : "";
  query.endpoint_id = endpoint != nullptr ? *endpoint : "";
  std::vector<events::AttemptRow> rows;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto listed = events::list_attempts(connection, query);
    if (!listed) return unexpected(listed.error());
    rows = std::move(listed).value();
    return {};
  });
  if (!read) return unavailable(request, read.error());
  array data;
  for (const events::AttemptRow& row : rows) data.push_back(attempt_json(row));
  const bool full = rows.size() == query.limit;
  return ok(list_json(std::move(data), full, "/admin/v1/webhook_attempts"));
}

api::Response WebhookRoutes::resend_event(api::Request& request) {
  if (auto params = parse_query(request.query, kNoQuery); !params) return failure(params.error());
  boost::system::error_code failed;
  value body = boost::json::parse(request.body.empty() ? "{}" : request.body, failed);
  if (failed || !body.is_object()) return failure(json_invalid("the body must be a JSON object"));
  for (const auto& field : body.as_object()) {
    if (field.key() != "endpoint") return failure(parameter_unknown(std::string(field.key())));
  }
  const value* endpoint = body.as_object().if_contains("endpoint");
  if (endpoint == nullptr) return failure(parameter_missing("endpoint"));
  if (!endpoint->is_string()) return failure(parameter_invalid("endpoint", "an endpoint id"));
  const std::string event_id(request.path_param("id"));
  const std::string endpoint_id(endpoint->as_string());
  bool found = false;
  auto done = database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    auto resent = events::resend(connection, event_id, endpoint_id, clock_.now_unix_ms());
    if (!resent) return unexpected(resent.error());
    found = *resent;
    return {};
  });
  if (!done) return unavailable(request, done.error());
  if (!found) {
    api::ApiError error;
    error.status = 404;
    error.code = "resource_missing";
    error.message = "No such event '" + event_id.substr(0, 64) + "' or webhook endpoint '" +
                    endpoint_id.substr(0, 64) + "'";
    return failure(error);
  }
  obs::info("webhook resend requested",
            {{"request_id", request.request_id}, {"event", event_id}, {"endpoint", endpoint_id}});
  return ok(object{{"event", event_id}, {"endpoint", endpoint_id}, {"status", "pending"}});
}

api::Response WebhookRoutes::get_backlog(api::Request& request) {
  if (auto params = parse_query(request.query, kNoQuery); !params) return failure(params.error());
  std::optional<events::Backlog> found;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto counted = events::backlog(connection);
    if (!counted) return unexpected(counted.error());
    found = *counted;
    return {};
  });
  if (!read) return unavailable(request, read.error());
  return ok(object{{"object", "webhook_backlog"},
                   {"pending_deliveries", found->pending_deliveries},
                   {"outbox_events", found->outbox_events},
                   {"oldest_pending_started_at_unix_ms", optional_ms(found->oldest_started_at_ms)},
                   {"oldest_outbox_created", optional_ms(found->oldest_outbox_created)}});
}

}  // namespace till::admin
