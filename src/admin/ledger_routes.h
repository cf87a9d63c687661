// admin/ledger_routes.h — the /admin/v1/ledger handlers (internal to admin; admin.cpp
// registers them behind the token check).
#pragma once

#include "api/http.h"
#include "ledger/ledger.h"

namespace till::admin {

class LedgerRoutes {
 public:
  explicit LedgerRoutes(ledger::Ledger& ledger) : ledger_(ledger) {}

  api::Response create_account(api::Request& request);
  api::Response list_accounts(api::Request& request);
  api::Response get_account(api::Request& request);
  api::Response get_balance(api::Request& request);
  api::Response list_postings(api::Request& request);
  api::Response post_entry(api::Request& request);
  api::Response post_batch(api::Request& request);
  api::Response get_entry(api::Request& request);
  api::Response get_trial_balance(api::Request& request);

 private:
  ledger::Ledger& ledger_;
};

}  // namespace till::admin
