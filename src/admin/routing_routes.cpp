#include "admin/routing_routes.h"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <memory>

#include "admin/auth.h"
#include "admin/merchant_routes.h"
#include "admin/query.h"
#include "admin/responses.h"
#include "obs/log.h"
#include "payments/connector_accounts.h"
#include "routing/config.h"
#include "routing/config_store.h"

namespace till::admin {

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

// Until admin users exist, every version saved through the admin API is by "admin_api".
constexpr std::string_view kCreatedBy = "admin_api";

constexpr std::array<std::string_view, 1> kModeQuery = {"livemode"};
constexpr std::array<std::string_view, 3> kVersionsQuery = {"livemode", "limit", "starting_after"};

api::Response unavailable(const api::Request& request, const store::StoreError& error) {
  obs::warn("admin routing request failed",
            {{"request_id", request.request_id}, {"error", error.message}});
  api::ApiError api_error =
      api::service_unavailable("the database is unavailable; retry the request");
  api_error.code = "database_unavailable";
  return failure(api_error);
}

ApiResult<bool> read_livemode(const QueryParams& params) {
  const std::string* text = find_query_param(params, "livemode");
  if (text == nullptr || *text == "false") return false;
  if (*text == "true") return true;
  return unexpected(parameter_invalid("livemode", "true or false"));
}

std::string_view mode_name(bool livemode) { return livemode ? "live" : "test"; }

// The merchant named in the URL must exist: a configuration for a mistyped id would never
// route anything, silently.
std::optional<api::Response> refuse_unknown_merchant(merchant::MerchantStore& merchants,
                                                     const api::Request& request,
                                                     const std::string& merchant_id) {
  auto found = merchants.get_merchant(merchant_id);
  if (found) return std::nullopt;
  const api::ApiError error = to_api_error(found.error());
  if (error.status >= 500) {
    obs::warn("admin routing request failed", {{"request_id", request.request_id},
                                               {"code", found.error().code},
                                               {"error", found.error().message}});
  }
  return failure(error);
}

object config_json(const std::string& merchant_id, bool livemode,
                   const routing::StoredConfig& stored) {
  boost::system::error_code failed;
  value config = boost::json::parse(stored.text, failed);
  if (failed) config = nullptr;  // never: only validated JSON is stored
  return object{{"object", "routing_config"},
                {"merchant", merchant_id},
                {"livemode", livemode},
                {"version", stored.version},
                {"created_at_unix_ms", stored.created_at},
                {"created_by", stored.created_by},
                {"config", std::move(config)}};
}

api::ApiError config_invalid(const routing::ConfigError& error) {
  api::ApiError api_error;
  api_error.code = "routing_config_invalid";
  api_error.message = "Invalid routing configuration: " +
                      (error.field.empty() ? std::string() : error.field + " ") + error.message +
                      ".";
  api_error.param = error.field;
  return api_error;
}

api::ApiError accounts_unknown(const std::vector<std::string>& missing, bool livemode) {
  std::string ids;
  for (const std::string& id : missing) ids += (ids.empty() ? "" : ", ") + id;
  api::ApiError error;
  error.code = "resource_missing";
  error.message = "No such connector account for this merchant in " +
                  std::string(mode_name(livemode)) + " mode: " + ids + ".";
  return error;
}

// The answer every admin route gives while the admin API is off (as admin.cpp's routes do).
api::Response admin_disabled(api::Request& request) {
  api::ApiError error;
  error.status = 404;
  error.code = "admin_api_disabled";
  error.message = "The admin API is disabled on this server (" + std::string(request.method) + " " +
                  std::string(request.path) +
                  "). Set admin.token (environment variable TILL_ADMIN_TOKEN) to a secret of at "
                  "least 32 characters and restart `till serve`.";
  return api::error_response(error);
}

std::string versions_url(const std::string& merchant_id) {
  return "/admin/v1/merchants/" + merchant_id + "/routing/versions";
}

}  // namespace

ConnectorAccountCheck stored_connector_accounts(store::Database& database,
                                                const vault::Vault& vault) {
  return [&database, &vault](const std::string& merchant_id, bool livemode,
                             const std::vector<std::string>& account_ids)
             -> store::StoreResult<std::vector<std::string>> {
    std::vector<std::string> known;
    auto read = database.read([&](store::Connection& connection) -> store::StoreResult<void> {
      auto accounts = payments::connector_accounts_of(connection, vault, merchant_id, livemode);
      if (!accounts) return unexpected(accounts.error());
      for (const payments::ConnectorAccount& account : *accounts) known.push_back(account.id);
      return {};
    });
    if (!read) return unexpected(read.error());
    std::vector<std::string> missing;
    for (const std::string& id : account_ids) {
      if (std::find(known.begin(), known.end(), id) == known.end()) missing.push_back(id);
    }
    return missing;
  };
}

api::Response RoutingRoutes::put_config(api::Request& request) {
  auto params = parse_query(request.query, kModeQuery);
  if (!params) return failure(params.error());
  auto livemode = read_livemode(*params);
  if (!livemode) return failure(livemode.error());
  const std::string merchant_id(request.path_param("id"));
  auto parsed = routing::parse_config(request.body);
  if (!parsed) return failure(config_invalid(parsed.error()));
  if (auto refused = refuse_unknown_merchant(merchants_, request, merchant_id)) return *refused;
  if (hooks_.check_accounts) {
    auto missing =
        hooks_.check_accounts(merchant_id, *livemode, routing::referenced_connectors(*parsed));
    if (!missing) return unavailable(request, missing.error());
    if (!missing->empty()) return failure(accounts_unknown(*missing, *livemode));
  }
  const std::int64_t now_ms = clock_.now_unix_ms();
  auto saved =
      routing::save_config(database_, merchant_id, *livemode, request.body, kCreatedBy, now_ms);
  if (!saved) return unavailable(request, saved.error());
  if (hooks_.saved) hooks_.saved();
  obs::info("routing configuration saved", {{"request_id", request.request_id},
                                            {"merchant", merchant_id},
                                            {"livemode", *livemode},
                                            {"version", *saved}});
  const routing::StoredConfig stored{*saved, std::string(request.body), now_ms,
                                     std::string(kCreatedBy)};
  return ok(config_json(merchant_id, *livemode, stored));
}

api::Response RoutingRoutes::get_config(api::Request& request) {
  auto params = parse_query(request.query, kModeQuery);
  if (!params) return failure(params.error());
  auto livemode = read_livemode(*params);
  if (!livemode) return failure(livemode.error());
  const std::string merchant_id(request.path_param("id"));
  if (auto refused = refuse_unknown_merchant(merchants_, request, merchant_id)) return *refused;
  auto active = routing::active_config(database_, merchant_id, *livemode);
  if (!active) return unavailable(request, active.error());
  if (!active->has_value()) {
    api::ApiError error;
    error.status = 404;
    error.code = "resource_missing";
    error.message = "Merchant " + merchant_id + " has no routing configuration in " +
                    std::string(mode_name(*livemode)) + " mode; PUT one to /admin/v1/merchants/" +
                    merchant_id + "/routing.";
    return failure(error);
  }
  return ok(config_json(merchant_id, *livemode, **active));
}

api::Response RoutingRoutes::list_versions(api::Request& request) {
  auto params = parse_query(request.query, kVersionsQuery);
  if (!params) return failure(params.error());
  auto livemode = read_livemode(*params);
  if (!livemode) return failure(livemode.error());
  auto limit = read_limit(*params);
  if (!limit) return failure(limit.error());
  if (*limit > routing::kVersionsPageMax) {
    return failure(parameter_invalid_integer("limit", "an integer from 1 to 100"));
  }
  auto after = read_int64(*params, "starting_after");
  if (!after) return failure(after.error());
  if (*after && **after < 1) {
    return failure(parameter_invalid_integer("starting_after", "a version number (1 or more)"));
  }
  const std::string merchant_id(request.path_param("id"));
  if (auto refused = refuse_unknown_merchant(merchants_, request, merchant_id)) return *refused;
  // One more than asked for says whether there is another page.
  auto versions = routing::list_versions(database_, merchant_id, *livemode,
                                         std::min(*limit + 1, routing::kVersionsPageMax), *after);
  if (!versions) return unavailable(request, versions.error());
  const bool has_more = versions->size() > *limit;
  if (has_more) versions->resize(*limit);
  array data;
  for (const routing::StoredConfig& stored : *versions) {
    data.push_back(config_json(merchant_id, *livemode, stored));
  }
  return ok(object{{"object", "list"},
                   {"data", std::move(data)},
                   {"has_more", has_more},
                   {"url", versions_url(merchant_id)}});
}

void add_routing_admin_routes(api::Router& router, store::Database& database,
                              merchant::MerchantStore& merchants, const Clock& clock,
                              const AdminOptions& options, RoutingRouteHooks hooks) {
  using Handler = api::Response (RoutingRoutes::*)(api::Request&);
  struct Route {
    std::string_view method;
    std::string_view pattern;
    Handler handler;
  };
  constexpr std::array kRoutes = std::to_array<Route>({
      {"PUT", "/admin/v1/merchants/{id}/routing", &RoutingRoutes::put_config},
      {"GET", "/admin/v1/merchants/{id}/routing", &RoutingRoutes::get_config},
      {"GET", "/admin/v1/merchants/{id}/routing/versions", &RoutingRoutes::list_versions},
  });
  if (options.token.empty()) {
    for (const Route& route : kRoutes) {
      router.add(route.method, route.pattern, api::Execution::io_thread, admin_disabled);
    }
    return;
  }
  auto auth = std::make_shared<const AdminAuth>(options.token);
  auto routes = std::make_shared<RoutingRoutes>(database, merchants, clock, std::move(hooks));
  for (const Route& route : kRoutes) {
    router.add(route.method, route.pattern, api::Execution::blocking,
               [auth, routes, handler = route.handler](api::Request& request) {
                 if (auto denied = auth->check(request)) {
                   api::Response response = api::error_response(*denied);
                   response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"till-admin\"");
                   return response;
                 }
                 return ((*routes).*handler)(request);
               });
  }
}

}  // namespace till::admin
