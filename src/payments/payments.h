// payments/payments.h — the merchant API v1: Stripe-compatible customers, payment methods,
// payment intents, charges, refunds, balance and balance transactions, over the ledger.
//
// What this module owns
//   - The /v1 routes (routes.h lists the resource files) and their pipeline (service.h):
//     secret-key authentication, Stripe's form/JSON parameters (src/params), Idempotency-Key
//     (idempotency.h), Stripe-shaped errors, expand[] (expand.h), list pagination.
//   - The tables payment_objects, payment_ledger_accounts and idempotency_keys (migration
//     0004; docs/adr/0009-payments-objects.md).
//   - Every money movement's ledger entries, posted in the same group-committed transaction as
//     the objects that describe it (Ledger::run).
//   - The in-process sandbox card processor for test mode (sandbox_card.h).
#pragma once

#include <cstddef>
#include <memory>

#include "api/router.h"
#include "base/clock.h"
#include "ledger/ledger.h"
#include "merchant/merchant.h"
#include "store/store.h"

namespace till::payments {

struct Services;

// The module's long-lived state. Everything passed in must outlive it.
class PaymentsApi {
 public:
  PaymentsApi(store::Database& database, ledger::Ledger& ledger, const Clock& clock,
              const merchant::Authenticator& authenticator);
  ~PaymentsApi();
  PaymentsApi(const PaymentsApi&) = delete;
  PaymentsApi& operator=(const PaymentsApi&) = delete;

  // Registers every /v1 route. The router must not outlive this object.
  void add_routes(api::Router& router);

  // Periodic work for `till serve`: moves funds whose available_on has come from pending to
  // available, cancels uncaptured intents whose authorization lapsed (7 days, as Stripe
  // does), and forgets idempotency keys older than 24 hours. Returns what it did.
  struct Housekeeping {
    std::size_t funds_released = 0;
    std::size_t authorizations_canceled = 0;
    std::int64_t idempotency_keys_purged = 0;
  };
  store::StoreResult<Housekeeping> housekeeping(std::size_t limit);

  Services& services() { return *services_; }

 private:
  std::unique_ptr<Services> services_;
};

// Funds release alone (balance.cpp); housekeeping calls it.
store::StoreResult<std::size_t> release_available_funds(Services& services, std::size_t limit);
// Lapsed authorizations alone (payment_intents.cpp); housekeeping calls it.
store::StoreResult<std::size_t> cancel_lapsed_authorizations(Services& services, std::size_t limit);

}  // namespace till::payments
