// admin/processor_routes.h — processor connector accounts and payment attempts, for ops
// staff (internal to admin; admin.cpp registers them behind the token check):
//   POST /admin/v1/merchants/{merchant}/connector_accounts        add an account
//   GET  /admin/v1/merchants/{merchant}/connector_accounts        list (?livemode=true|false)
//   GET  /admin/v1/merchants/{merchant}/connector_accounts/{id}   one
//   POST /admin/v1/merchants/{merchant}/connector_accounts/{id}   {"status": "active|disabled"}
//   GET  /admin/v1/merchants/{merchant}/payment_intents/{id}/attempts
//                                                               every processor attempt
// Credentials go in and are never shown again (only their names).
#pragma once

#include <functional>

#include "api/http.h"
#include "base/clock.h"
#include "store/store.h"
#include "vault/vault.h"

namespace till::admin {

class ProcessorRoutes {
 public:
  // `changed` is called after an account changes, so routing stops using stale copies now.
  ProcessorRoutes(store::Database& database, const Clock& clock, const vault::Vault& vault,
                  std::function<void()> changed)
      : database_(database), clock_(clock), vault_(vault), changed_(std::move(changed)) {}

  api::Response create_account(api::Request& request);
  api::Response list_accounts(api::Request& request);
  api::Response get_account(api::Request& request);
  api::Response update_account(api::Request& request);
  api::Response list_attempts(api::Request& request);

 private:
  store::Database& database_;
  const Clock& clock_;
  const vault::Vault& vault_;
  std::function<void()> changed_;
};

}  // namespace till::admin
