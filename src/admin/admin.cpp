// Registers the admin routes: the route tables (ledger; merchants and their keys), the token
// check in front of every handler, and the answer every route gives while the admin API is off.
#include "admin/admin.h"

#include <array>
#include <memory>

#include "admin/auth.h"
#include "admin/ledger_routes.h"
#include "admin/merchant_routes.h"
#include "admin/processor_routes.h"
#include "admin/webhook_routes.h"

namespace till::admin {

namespace {

template <class Routes>
struct AdminRoute {
  std::string_view method;
  std::string_view pattern;
  api::Response (Routes::*handler)(api::Request&);
};

constexpr std::array kLedgerRoutes = std::to_array<AdminRoute<LedgerRoutes>>({
    {"POST", "/admin/v1/ledger/accounts", &LedgerRoutes::create_account},
    {"GET", "/admin/v1/ledger/accounts", &LedgerRoutes::list_accounts},
    {"GET", "/admin/v1/ledger/accounts/{id}", &LedgerRoutes::get_account},
    {"GET", "/admin/v1/ledger/accounts/{id}/balance", &LedgerRoutes::get_balance},
    {"GET", "/admin/v1/ledger/accounts/{id}/postings", &LedgerRoutes::list_postings},
    {"POST", "/admin/v1/ledger/entries", &LedgerRoutes::post_entry},
    {"GET", "/admin/v1/ledger/entries/{id}", &LedgerRoutes::get_entry},
    {"POST", "/admin/v1/ledger/entry_batches", &LedgerRoutes::post_batch},
    {"GET", "/admin/v1/ledger/trial_balance", &LedgerRoutes::get_trial_balance},
});

constexpr std::array kMerchantRoutes = std::to_array<AdminRoute<MerchantRoutes>>({
    {"POST", "/admin/v1/merchants", &MerchantRoutes::create_merchant},
    {"GET", "/admin/v1/merchants", &MerchantRoutes::list_merchants},
    {"GET", "/admin/v1/merchants/{id}", &MerchantRoutes::get_merchant},
    {"POST", "/admin/v1/merchants/{id}/keys", &MerchantRoutes::issue_key},
    {"GET", "/admin/v1/merchants/{id}/keys", &MerchantRoutes::list_keys},
    {"POST", "/admin/v1/keys/{id}/roll", &MerchantRoutes::roll_key},
    {"POST", "/admin/v1/keys/{id}/revoke", &MerchantRoutes::revoke_key},
});

constexpr std::array kWebhookRoutes = std::to_array<AdminRoute<WebhookRoutes>>({
    {"GET", "/admin/v1/webhook_endpoints", &WebhookRoutes::list_endpoints},
    {"GET", "/admin/v1/webhook_attempts", &WebhookRoutes::list_attempts},
    {"POST", "/admin/v1/events/{id}/resend", &WebhookRoutes::resend_event},
    {"GET", "/admin/v1/webhook_backlog", &WebhookRoutes::get_backlog},
});

constexpr std::array kProcessorRoutes = std::to_array<AdminRoute<ProcessorRoutes>>({
    {"POST", "/admin/v1/merchants/{merchant}/connector_accounts", &ProcessorRoutes::create_account},
    {"GET", "/admin/v1/merchants/{merchant}/connector_accounts", &ProcessorRoutes::list_accounts},
    {"GET", "/admin/v1/merchants/{merchant}/connector_accounts/{id}",
     &ProcessorRoutes::get_account},
    {"POST", "/admin/v1/merchants/{merchant}/connector_accounts/{id}",
     &ProcessorRoutes::update_account},
    {"GET", "/admin/v1/merchants/{merchant}/payment_intents/{id}/attempts",
     &ProcessorRoutes::list_attempts},
});

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

api::Response unauthorized(const api::ApiError& error) {
  api::Response response = api::error_response(error);
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"till-admin\"");
  return response;
}

// Cheap and touches nothing: answered on the I/O thread.
template <class Routes, std::size_t N>
void add_disabled(api::Router& router, const std::array<AdminRoute<Routes>, N>& table) {
  for (const AdminRoute<Routes>& route : table) {
    router.add(route.method, route.pattern, api::Execution::io_thread, admin_disabled);
  }
}

template <class Routes, std::size_t N>
void add_enabled(api::Router& router, const std::shared_ptr<const AdminAuth>& auth,
                 const std::shared_ptr<Routes>& routes,
                 const std::array<AdminRoute<Routes>, N>& table) {
  for (const AdminRoute<Routes>& route : table) {
    router.add(route.method, route.pattern, api::Execution::blocking,
               [auth, routes, handler = route.handler](api::Request& request) {
                 if (auto denied = auth->check(request)) return unauthorized(*denied);
                 return ((*routes).*handler)(request);
               });
  }
}

}  // namespace

void add_admin_routes(api::Router& router, ledger::Ledger& ledger,
                      merchant::MerchantStore& merchants, const AdminOptions& options) {
  if (options.token.empty()) {
    add_disabled(router, kLedgerRoutes);
    add_disabled(router, kMerchantRoutes);
    return;
  }
  auto auth = std::make_shared<const AdminAuth>(options.token);
  add_enabled(router, auth, std::make_shared<LedgerRoutes>(ledger), kLedgerRoutes);
  add_enabled(router, auth, std::make_shared<MerchantRoutes>(merchants), kMerchantRoutes);
}

void add_webhook_admin_routes(api::Router& router, store::Database& database, const Clock& clock,
                              const AdminOptions& options) {
  if (options.token.empty()) {
    add_disabled(router, kWebhookRoutes);
    return;
  }
  auto auth = std::make_shared<const AdminAuth>(options.token);
  add_enabled(router, auth, std::make_shared<WebhookRoutes>(database, clock), kWebhookRoutes);
}

void add_processor_admin_routes(api::Router& router, store::Database& database, const Clock& clock,
                                const vault::Vault& vault, std::function<void()> changed,
                                const AdminOptions& options) {
  if (options.token.empty()) {
    add_disabled(router, kProcessorRoutes);
    return;
  }
  auto auth = std::make_shared<const AdminAuth>(options.token);
  add_enabled(router, auth,
              std::make_shared<ProcessorRoutes>(database, clock, vault, std::move(changed)),
              kProcessorRoutes);
}

}  // namespace till::admin
