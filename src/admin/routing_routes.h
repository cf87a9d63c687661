// admin/routing_routes.h — a merchant's routing configuration, for ops staff (docs/routing.md,
// docs/admin-api.md):
//   PUT /admin/v1/merchants/{id}/routing?livemode=false            validate and store a new
//                                                                  version; answer it
//   GET /admin/v1/merchants/{id}/routing?livemode=false            the active (latest) version
//   GET /admin/v1/merchants/{id}/routing/versions?livemode=false   every version, newest first
// Registered behind the admin token like every admin route.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "admin/admin.h"
#include "api/http.h"
#include "api/router.h"
#include "base/clock.h"
#include "merchant/merchant.h"
#include "store/store.h"
#include "vault/vault.h"

namespace till::admin {

// Returns which of `account_ids` are not connector accounts of the merchant in that mode, so a
// configuration never routes to an account that does not exist.
using ConnectorAccountCheck = std::function<store::StoreResult<std::vector<std::string>>(
    const std::string& merchant_id, bool livemode, const std::vector<std::string>& account_ids)>;

// The check `till serve` uses: the merchant's accounts in payments' connector_accounts table in
// that mode, disabled ones included (disabling an account must not invalidate a saved config).
ConnectorAccountCheck stored_connector_accounts(store::Database& database,
                                                const vault::Vault& vault);

struct RoutingRouteHooks {
  ConnectorAccountCheck check_accounts;  // empty: account ids are not checked
  std::function<void()> saved;           // after a new version is stored: drop cached configs
};

class RoutingRoutes {
 public:
  RoutingRoutes(store::Database& database, merchant::MerchantStore& merchants, const Clock& clock,
                RoutingRouteHooks hooks = {})
      : database_(database), merchants_(merchants), clock_(clock), hooks_(std::move(hooks)) {}

  api::Response put_config(api::Request& request);
  api::Response get_config(api::Request& request);
  api::Response list_versions(api::Request& request);

 private:
  store::Database& database_;
  merchant::MerchantStore& merchants_;
  const Clock& clock_;
  RoutingRouteHooks hooks_;
};

// Registers the three routes. `database`, `merchants` and `clock` (and what the hooks refer
// to) must outlive the router.
void add_routing_admin_routes(api::Router& router, store::Database& database,
                              merchant::MerchantStore& merchants, const Clock& clock,
                              const AdminOptions& options, RoutingRouteHooks hooks = {});

}  // namespace till::admin
