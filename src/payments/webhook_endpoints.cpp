// payments/webhook_endpoints.cpp — /v1/webhook_endpoints: create, retrieve, update, delete,
// list, and Till's secret roll (POST /v1/webhook_endpoints/{id}/roll_secret).
//
// The endpoint rows and their secrets belong to src/events/ (endpoint_store.h); delivery is
// the dispatcher's. Here: Stripe's parameters and rules.
//   - `url`: an absolute http(s) URL without credentials or fragment, at most 2048 bytes.
//     Live mode requires https and refuses addresses that are not public (checked again, on
//     the address actually connected, at every send: docs/webhooks.md "Safety").
//   - `enabled_events`: event types Till sends, or "*".
//   - The secret (whsec_...) is in the create and roll answers only.
//   - At most 16 endpoints per merchant and mode, as at Stripe.
#include <boost/url/parse.hpp>
#include <functional>

#include "base/ids.h"
#include "events/address_guard.h"
#include "events/catalog.h"
#include "events/endpoint_store.h"
#include "events/signature.h"
#include "params/errors.h"
#include "payments/metadata.h"
#include "payments/objects.h"
#include "payments/routes.h"

namespace till::payments {

namespace {

constexpr std::string_view kKind = "webhook_endpoint";
constexpr std::size_t kUrlBytesMax = 2048;
constexpr std::size_t kDescriptionCharsMax = 5000;
constexpr std::size_t kEnabledEventsMax = 256;
constexpr std::size_t kEventTypeBytesMax = 100;
constexpr std::int64_t kRollOverlapSecondsMax = 7 * 24 * 3600;
constexpr std::int64_t kRollOverlapSecondsDefault = 24 * 3600;

api::ApiError url_invalid(std::string_view why) {
  return params::parameter_invalid("url", "url", std::string(why));
}

// Stripe's rules for an endpoint URL, plus Till's: no credentials (they would be stored and
// shown), and in live mode only https to a host that is not an internal address.
std::optional<api::ApiError> check_url(const std::string& url, bool livemode) {
  if (url.size() > kUrlBytesMax) {
    return url_invalid("must be at most " + std::to_string(kUrlBytesMax) + " characters long.");
  }
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return url_invalid("must be an absolute URL, such as https://example.com/webhooks.");
  const std::string scheme(parsed->scheme());
  if (scheme != "https" && scheme != "http") {
    return url_invalid("must use https (or http, in test mode only).");
  }
  if (livemode && scheme != "https") {
    return url_invalid("must use https: live mode endpoints receive events over TLS only.");
  }
  if (parsed->encoded_host().empty()) return url_invalid("must name a host.");
  if (parsed->has_userinfo()) return url_invalid("must not contain a user name or password.");
  if (parsed->has_fragment()) return url_invalid("must not contain a fragment (#...).");
  if (!livemode) return std::nullopt;
  std::string host(parsed->encoded_host_address());
  for (char& c : host) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (host.ends_with('.')) host.pop_back();  // "localhost." is the same name
  if (host == "localhost" || host.ends_with(".localhost")) {
    return url_invalid("must not point at this machine in live mode.");
  }
  if (auto address = events::classify_text(host);
      address && !events::permitted(*address, events::AddressPolicy::public_only)) {
    return url_invalid("must not point at a " + std::string(events::to_string(*address)) +
                       " address in live mode.");
  }
  return std::nullopt;
}

struct EndpointParams {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> enabled_events;
  std::optional<std::string> description;
  std::optional<params::MetadataUpdate> metadata;
  std::optional<std::string> api_version;
  std::optional<bool> disabled;  // update only
};

Expected<std::vector<std::string>, api::ApiError> check_enabled_events(
    std::vector<std::string> types) {
  if (types.empty()) return unexpected(params::parameter_invalid_empty("enabled_events"));
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (types[i] == "*" || events::is_event_type(types[i])) continue;
    const std::string param = "enabled_events[" + std::to_string(i) + "]";
    return unexpected(params::parameter_invalid(
        param, param,
        "'" + types[i].substr(0, kEventTypeBytesMax) +
            "' is not an event type Till sends; use '*' for every type (docs/webhooks.md)."));
  }
  return types;
}

Expected<EndpointParams, api::ApiError> read_params(const Call& call, bool creating) {
  params::Reader reader(call.params);
  EndpointParams request;
  auto url = reader.string("url", kUrlBytesMax + 1);
  if (!url) return unexpected(url.error());
  request.url = *url;
  auto types = reader.string_list("enabled_events", kEnabledEventsMax, kEventTypeBytesMax);
  if (!types) return unexpected(types.error());
  if (*types) {
    auto checked = check_enabled_events(std::move(**types));
    if (!checked) return unexpected(checked.error());
    request.enabled_events = std::move(checked).value();
  }
  auto description = read_text(reader, "description", kDescriptionCharsMax);
  if (!description) return unexpected(description.error());
  request.description = *description;
  auto metadata = reader.metadata("metadata");
  if (!metadata) return unexpected(metadata.error());
  request.metadata = *metadata;
  if (creating) {
    auto version = reader.string("api_version", kEventTypeBytesMax);
    if (!version) return unexpected(version.error());
    if (*version && !(*version)->empty() && **version != events::kApiVersion) {
      return unexpected(params::parameter_invalid(
          "api_version", "api_version",
          "Till sends events in API version " + std::string(events::kApiVersion) +
              " only; leave api_version unset or pass that version."));
    }
    request.api_version = *version;
  } else {
    auto disabled = reader.boolean("disabled");
    if (!disabled) return unexpected(disabled.error());
    request.disabled = *disabled;
  }
  if (auto unknown = reader.finish()) return unexpected(*unknown);
  if (creating && (!request.url || request.url->empty())) {
    return unexpected(params::parameter_missing("url"));
  }
  if (creating && !request.enabled_events) {
    return unexpected(params::parameter_missing("enabled_events"));
  }
  if (request.url) {
    if (request.url->empty()) return unexpected(params::parameter_invalid_empty("url"));
    if (auto bad = check_url(*request.url, call.auth.livemode)) return unexpected(*bad);
  }
  return request;
}

// Applies what create and update share; the caller has validated it.
std::optional<api::ApiError> apply_params(events::Endpoint& endpoint,
                                          const EndpointParams& request) {
  if (request.url) endpoint.url = *request.url;
  if (request.enabled_events) endpoint.enabled_events = *request.enabled_events;
  if (request.description) endpoint.description = *request.description;
  if (request.metadata) {
    apply_metadata(endpoint.metadata, *request.metadata);
    if (auto too_many = check_metadata_size(endpoint.metadata)) return too_many;
  }
  if (request.disabled) {
    endpoint.status = *request.disabled ? "disabled" : "enabled";
    if (!*request.disabled) {
      // Re-enabled by the merchant: Till's reason and failure streak are history now.
      endpoint.disabled_reason.clear();
      endpoint.disabled_at_ms.reset();
      endpoint.failing_since_ms.reset();
    }
  }
  return std::nullopt;
}

boost::json::object with_secret(const events::Endpoint& endpoint) {
  boost::json::object object = events::endpoint_object(endpoint);
  object["secret"] = endpoint.secret;
  return object;
}

// The caller's endpoint `id`, undeleted, read in the unit.
store::StoreResult<std::optional<events::Endpoint>> find_endpoint(store::Connection& connection,
                                                                  const Call& call,
                                                                  const std::string& id) {
  if (!is_valid_id(id, "we")) return std::optional<events::Endpoint>{};
  auto found = events::select_endpoint(connection, id);
  if (!found) return unexpected(found.error());
  if (!*found || (*found)->deleted || (*found)->merchant_id != call.auth.merchant_id ||
      (*found)->livemode != call.auth.livemode) {
    return std::optional<events::Endpoint>{};
  }
  return found;
}

Reply too_many_endpoints(const Call& call) {
  return fail(params::request_error(
      "parameter_invalid",
      "You have reached the maximum of " + std::to_string(events::kEndpointsPerMerchantMax) +
          (call.auth.livemode ? " live" : " test") +
          " mode webhook endpoints. Delete one before creating another.",
      "url"));
}

Reply create_endpoint(Services& services, Call& call) {
  auto parsed = read_params(call, true);
  if (!parsed) return fail(parsed.error());
  return mutate(services, call, [&](auto& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    auto count = events::count_endpoints(connection, call.auth.merchant_id, call.auth.livemode);
    if (!count) return unexpected(count.error());
    if (*count >= static_cast<std::int64_t>(events::kEndpointsPerMerchantMax)) {
      return too_many_endpoints(call);
    }
    events::Endpoint endpoint;
    endpoint.id = new_id("we", services.clock);
    endpoint.merchant_id = call.auth.merchant_id;
    endpoint.livemode = call.auth.livemode;
    endpoint.created = call.now_seconds();
    endpoint.api_version = parsed->api_version.value_or("");
    endpoint.secret = events::new_endpoint_secret();
    if (auto bad = apply_params(endpoint, *parsed)) return fail(*bad);
    auto inserted = events::insert_endpoint(connection, endpoint);
    if (!inserted) return unexpected(inserted.error());
    return ok(with_secret(endpoint));
  });
}

Reply retrieve_endpoint(Services& services, Call& call) {
  params::Reader reader(call.params);
  if (auto unknown = reader.finish()) return fail(*unknown);
  const std::string id(call.request.path_param("id"));
  std::optional<events::Endpoint> found;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto endpoint = find_endpoint(connection, call, id);
        if (!endpoint) return unexpected(endpoint.error());
        found = std::move(endpoint).value();
        return {};
      });
  if (!read) return unavailable(call, read.error().message);
  if (!found) return no_such(kKind, id);
  return ok(events::endpoint_object(*found));
}

// Loads the caller's endpoint `id` in a unit of work, lets `change` modify it (or refuse with a
// reply) and writes it back; the reply is what `change` answers. 404 when there is no such
// endpoint.
using EndpointChange = std::function<Reply(events::Endpoint&)>;
Reply change_endpoint(Services& services, Call& call, const EndpointChange& change) {
  const std::string id(call.request.path_param("id"));
  return mutate(services, call, [&](auto& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    auto found = find_endpoint(connection, call, id);
    if (!found) return unexpected(found.error());
    if (!*found) return no_such(kKind, id);
    Reply reply = change(**found);
    if (reply.status != 200) return reply;
    auto updated = events::update_endpoint(connection, **found);
    if (!updated) return unexpected(updated.error());
    return reply;
  });
}

Reply update_endpoint(Services& services, Call& call) {
  auto parsed = read_params(call, false);
  if (!parsed) return fail(parsed.error());
  return change_endpoint(services, call, [&](events::Endpoint& endpoint) {
    if (auto bad = apply_params(endpoint, *parsed)) return fail(*bad);
    return ok(events::endpoint_object(endpoint));
  });
}

Reply delete_endpoint(Services& services, Call& call) {
  params::Reader reader(call.params);
  if (auto unknown = reader.finish()) return fail(*unknown);
  return change_endpoint(services, call, [&](events::Endpoint& endpoint) {
    endpoint.deleted = true;
    return ok(boost::json::object{{"id", endpoint.id}, {"object", kKind}, {"deleted", true}});
  });
}

// Till's extension (Stripe rolls secrets in its dashboard only): a new secret now, and the
// old one keeps signing for `expires_in` seconds (default 24 hours, at most 7 days; 0 stops
// it at once). During the overlap each delivery carries one v1 signature per secret.
Reply roll_secret(Services& services, Call& call) {
  params::Reader reader(call.params);
  auto expires_in = reader.integer("expires_in", 0, kRollOverlapSecondsMax);
  if (!expires_in) return fail(expires_in.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  const std::int64_t overlap_s = expires_in->value_or(kRollOverlapSecondsDefault);
  return change_endpoint(services, call, [&](events::Endpoint& endpoint) {
    endpoint.previous_secret = overlap_s > 0 ? endpoint.secret : "";
    endpoint.previous_secret_expires_at_ms = call.now_unix_ms + overlap_s * 1000;
    endpoint.secret = events::new_endpoint_secret();
    return ok(with_secret(endpoint));
  });
}

Reply list_endpoints(Services& services, Call& call) {
  params::Reader reader(call.params);
  ListQuery list;
  if (auto bad = read_list_params(reader, call, kKind, list)) return fail(*bad);
  if (auto unknown = reader.finish()) return fail(*unknown);
  if (list.created_gte || list.created_lte) {
    return fail(params::parameter_unknown("created", "created"));
  }
  events::EndpointQuery query;
  query.merchant_id = list.merchant_id;
  query.livemode = list.livemode;
  query.limit = list.limit;
  query.starting_after = list.starting_after;
  query.ending_before = list.ending_before;
  std::optional<events::EndpointPage> page;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto listed = events::list_endpoints(connection, query);
        if (!listed) return unexpected(listed.error());
        page = std::move(listed).value();
        return {};
      });
  if (!read) return unavailable(call, read.error().message);
  if (!page) {
    return fail(no_such_cursor(kKind, query.starting_after, query.ending_before));
  }
  boost::json::array data;
  for (const events::Endpoint& endpoint : page->endpoints) {
    data.emplace_back(events::endpoint_object(endpoint));
  }
  return ok(boost::json::object{{"object", "list"},
                                {"data", std::move(data)},
                                {"has_more", page->has_more},
                                {"url", "/v1/webhook_endpoints"}});
}

}  // namespace

void add_webhook_endpoint_routes(api::Router& router, Services& services) {
  add_route(router, services, "POST", "/v1/webhook_endpoints", create_endpoint);
  add_route(router, services, "GET", "/v1/webhook_endpoints", list_endpoints);
  add_route(router, services, "GET", "/v1/webhook_endpoints/{id}", retrieve_endpoint);
  add_route(router, services, "POST", "/v1/webhook_endpoints/{id}", update_endpoint);
  add_route(router, services, "DELETE", "/v1/webhook_endpoints/{id}", delete_endpoint);
  add_route(router, services, "POST", "/v1/webhook_endpoints/{id}/roll_secret", roll_secret);
}

}  // namespace till::payments
