// payments/events_routes.cpp — GET /v1/events and GET /v1/events/{id}.
//
// Events are written by the units of work that make the changes they announce (unit.h) and
// stored by src/events/. Here they are only read: the stored text is the event as it was
// created, and `pending_webhooks` is filled in as it stands now (deliveries not yet
// succeeded). Events are kept 30 days, as at Stripe.
#include <boost/json/parse.hpp>

#include "events/catalog.h"
#include "events/delivery_store.h"
#include "events/event_store.h"
#include "params/errors.h"
#include "payments/objects.h"
#include "payments/routes.h"

namespace till::payments {

namespace {

constexpr std::string_view kKind = "event";
constexpr std::size_t kTypeFiltersMax = 20;  // Stripe's limit on types[]
constexpr std::size_t kTypeBytesMax = 100;

// An event type, or a wildcard "<prefix>.*" that covers at least one known type.
bool is_type_filter(std::string_view filter) {
  if (events::is_event_type(filter)) return true;
  if (filter.size() < 3 || !filter.ends_with(".*")) return false;
  const std::string_view prefix = filter.substr(0, filter.size() - 1);  // keeps the dot
  for (const std::string_view type : events::event_types()) {
    if (type.starts_with(prefix)) return true;
  }
  return false;
}

api::ApiError unknown_type(const std::string& param, const std::string& value) {
  return params::parameter_invalid(
      param, param,
      "'" + value.substr(0, kTypeBytesMax) +
          "' is not an event type Till sends (see GET /v1/openapi.json or docs/webhooks.md); "
          "a wildcard such as 'charge.*' is accepted too.");
}

// The stored events with pending_webhooks as it stands (one query for all of them).
store::StoreResult<boost::json::array> event_values(
    store::Connection& connection, const std::vector<events::EventRecord>& events) {
  std::vector<std::int64_t> seqs;
  seqs.reserve(events.size());
  for (const events::EventRecord& event : events) seqs.push_back(event.seq);
  auto pending = events::pending_webhooks(connection, seqs);
  if (!pending) return unexpected(pending.error());
  boost::json::array values;
  for (const events::EventRecord& event : events) {
    boost::system::error_code failure;
    boost::json::value value = boost::json::parse(event.body_text, failure);
    if (failure || !value.is_object()) {
      return store::store_fail(store::ErrorKind::corrupt, "event " + event.id + " is not JSON");
    }
    const auto count = pending->find(event.seq);
    value.as_object()["pending_webhooks"] = count == pending->end() ? 0 : count->second;
    values.push_back(std::move(value));
  }
  return values;
}

Reply retrieve_event(Services& services, Call& call) {
  params::Reader reader(call.params);
  if (auto unknown = reader.finish()) return fail(*unknown);
  const std::string id(call.request.path_param("id"));
  std::optional<boost::json::value> found;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto event = events::select_event(connection, id);
        if (!event) return unexpected(event.error());
        if (!*event || (*event)->merchant_id != call.auth.merchant_id ||
            (*event)->livemode != call.auth.livemode) {
          return {};
        }
        auto values = event_values(connection, {**event});
        if (!values) return unexpected(values.error());
        found = std::move(values->front());
        return {};
      });
  if (!read) return unavailable(call, read.error().message);
  if (!found) return no_such(kKind, id);
  return ok(std::move(found->as_object()));
}

Reply list_events(Services& services, Call& call) {
  params::Reader reader(call.params);
  ListQuery list;
  if (auto bad = read_list_params(reader, call, kKind, list)) return fail(*bad);
  events::EventQuery query;
  query.merchant_id = list.merchant_id;
  query.livemode = list.livemode;
  query.limit = list.limit;
  query.starting_after = list.starting_after;
  query.ending_before = list.ending_before;
  query.created_gte = list.created_gte;
  query.created_lte = list.created_lte;
  auto type = reader.string("type", kTypeBytesMax);
  if (!type) return fail(type.error());
  auto types = reader.string_list("types", kTypeFiltersMax, kTypeBytesMax);
  if (!types) return fail(types.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  if (*type && !(*type)->empty() && *types && !(*types)->empty()) {
    return fail(params::request_error(
        "parameter_invalid", "You may pass either `type` or `types`, but not both.", "types"));
  }
  if (*type && !(*type)->empty()) {
    if (!is_type_filter(**type)) return fail(unknown_type("type", **type));
    query.types.push_back(**type);
  }
  if (*types) {
    for (std::size_t i = 0; i < (*types)->size(); ++i) {
      const std::string& filter = (**types)[i];
      if (!is_type_filter(filter)) {
        return fail(unknown_type("types[" + std::to_string(i) + "]", filter));
      }
      query.types.push_back(filter);
    }
  }

  boost::json::object body;
  bool cursor_missing = false;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto page = events::list_events(connection, query);
        if (!page) return unexpected(page.error());
        if (!*page) {
          cursor_missing = true;
          return {};
        }
        auto data = event_values(connection, (*page)->events);
        if (!data) return unexpected(data.error());
        body = boost::json::object{{"object", "list"},
                                   {"data", std::move(data).value()},
                                   {"has_more", (*page)->has_more},
                                   {"url", "/v1/events"}};
        return {};
      });
  if (!read) return unavailable(call, read.error().message);
  if (cursor_missing) {
    return fail(no_such_cursor(kKind, query.starting_after, query.ending_before));
  }
  return ok(std::move(body));
}

}  // namespace

void add_event_routes(api::Router& router, Services& services) {
  add_route(router, services, "GET", "/v1/events", list_events);
  add_route(router, services, "GET", "/v1/events/{id}", retrieve_event);
}

}  // namespace till::payments
