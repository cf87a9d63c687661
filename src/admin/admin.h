// admin/admin.h — the internal admin API for ops and finance staff, under /admin/v1.
//
// JSON in and out (docs/admin-api.md). Every route needs `Authorization: Bearer <admin.token>`;
// with an empty token the admin API is off and its routes answer 404 `admin_api_disabled`
// (a deliberately unconfigured feature is not a server fault, so not a 5xx that pages anyone,
// and not something a client should retry). Routes: the ledger (/admin/v1/ledger/...) and
// merchants and their API keys (/admin/v1/merchants, /admin/v1/keys). Handlers call the
// ledger and the merchant store, whose methods block, so every route runs on the blocking pool.
#pragma once

#include <functional>
#include <string>

#include "api/router.h"
#include "base/clock.h"
#include "ledger/ledger.h"
#include "merchant/merchant.h"
#include "store/store.h"
#include "vault/vault.h"

namespace till::admin {

struct AdminOptions {
  std::string token;  // admin.token; empty = admin API off. A secret: never logged.
};

// Registers the /admin/v1 routes. `ledger` and `merchants` must outlive every request the
// router serves.
void add_admin_routes(api::Router& router, ledger::Ledger& ledger,
                      merchant::MerchantStore& merchants, const AdminOptions& options);

// Registers the webhook operations routes (admin/webhook_routes.h) behind the same token.
void add_webhook_admin_routes(api::Router& router, store::Database& database, const Clock& clock,
                              const AdminOptions& options);

// Registers processor connector accounts and payment attempts (admin/processor_routes.h).
// `changed` runs after an account changes (the payments module drops cached routing).
void add_processor_admin_routes(api::Router& router, store::Database& database, const Clock& clock,
                                const vault::Vault& vault, std::function<void()> changed,
                                const AdminOptions& options);

}  // namespace till::admin
