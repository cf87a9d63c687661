// events/endpoint_store.h — webhook endpoints: the rows behind /v1/webhook_endpoints.
//
// An endpoint belongs to one merchant and mode. Its secret signs every delivery; after a roll
// the previous secret keeps signing until its overlap ends, so receivers can switch without
// losing a delivery. Deleting an endpoint marks it deleted (its delivery history stays for
// the admin API) and stops its deliveries.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace till::events {

constexpr std::size_t kEndpointsPerMerchantMax = 16;  // per mode, as at Stripe

struct Endpoint {
  std::int64_t seq = 0;  // set when read
  std::string id;        // we_...
  std::string merchant_id;
  bool livemode = false;
  std::int64_t created = 0;  // unix seconds
  std::string url;
  std::string status = "enabled";           // enabled, disabled
  std::vector<std::string> enabled_events;  // event types, or {"*"}
  std::string description;                  // "" = null
  boost::json::object metadata;  // string values
  std::string api_version;  // "" = null (the account's default)
  std::string secret;
  std::string previous_secret;  // "" = none
  std::int64_t previous_secret_expires_at_ms = 0;
  std::optional<std::int64_t> failing_since_ms;
  std::string disabled_reason;  // "" = none; set when Till disabled it
  std::optional<std::int64_t> disabled_at_ms;
  bool deleted = false;

  // The secrets that sign a delivery sent at `now_ms`: the current one first.
  std::vector<std::string> signing_secrets(std::int64_t now_ms) const;
};

// The API object (Stripe's webhook_endpoint), without the secret.
boost::json::object endpoint_object(const Endpoint& endpoint);

store::StoreResult<void> insert_endpoint(store::Connection& connection, const Endpoint& endpoint);
// Rewrites every mutable column of an existing endpoint (by id).
store::StoreResult<void> update_endpoint(store::Connection& connection, const Endpoint& endpoint);
// Deleted endpoints too (the caller decides what they mean).
store::StoreResult<std::optional<Endpoint>> select_endpoint(store::Connection& connection,
                                                            const std::string& id);
// Endpoints of the given ids that are enabled and not deleted.
store::StoreResult<std::vector<Endpoint>> select_enabled_endpoints(
    store::Connection& connection, const std::vector<std::string>& ids);
// Ids of every enabled, undeleted endpoint (the dispatcher's sweep), at most `limit`.
store::StoreResult<std::vector<std::string>> enabled_endpoint_ids(store::Connection& connection,
                                                                  std::size_t limit);
store::StoreResult<std::int64_t> count_endpoints(store::Connection& connection,
                                                 const std::string& merchant_id, bool livemode);

struct EndpointQuery {
  std::string merchant_id;  // "" = every merchant (admin)
  bool livemode = false;    // ignored when merchant_id is ""
  std::string status;       // "" = any
  std::string starting_after, ending_before;
  std::size_t limit = 10;  // 1..100
};
struct EndpointPage {
  std::vector<Endpoint> endpoints;  // newest first
  bool has_more = false;
};
// Undeleted endpoints. nullopt when a cursor is not one of the listed endpoints.
store::StoreResult<std::optional<EndpointPage>> list_endpoints(store::Connection& connection,
                                                               const EndpointQuery& query);

}  // namespace till::events
