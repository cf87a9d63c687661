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
//   - Routing payments to processors through connectors: connector accounts, payment
//     attempts, failover, unknown outcomes and their sync, processor webhooks
//     (orchestration.h, routed_confirmation.h; migration 0008; docs/orchestration.md).
#pragma once

#include <cstddef>
#include <memory>

#include "api/router.h"
#include "base/clock.h"
#include "ledger/ledger.h"
#include "merchant/merchant.h"
#include "obs/metrics.h"
#include "store/store.h"

namespace till::vault {
class Vault;
}

namespace till::payments {

struct Services;
class Orchestrator;

struct PaymentsOptions {
  // Keeps card numbers and opens connector credentials; without one (unit tests) card
  // numbers are not kept and payments cannot be routed to processors.
  const vault::Vault* vault = nullptr;
  obs::MetricsRegistry* metrics = nullptr;  // per-connector metrics; may be null
  // Processor routing (config processors.*; docs/configuration.md).
  std::int64_t setup_cache_ms = 1000;
  std::int64_t breaker_min_requests = 20;
  std::int64_t breaker_error_permille = 500;
  std::int64_t breaker_slow_call_ms = 5000;
  std::int64_t breaker_open_ms = 30'000;
};

// The module's long-lived state. Everything passed in must outlive it.
class PaymentsApi {
 public:
  PaymentsApi(store::Database& database, ledger::Ledger& ledger, const Clock& clock,
              const merchant::Authenticator& authenticator, PaymentsOptions options = {});
  ~PaymentsApi();
  PaymentsApi(const PaymentsApi&) = delete;
  PaymentsApi& operator=(const PaymentsApi&) = delete;

  // Registers every /v1 route. The router must not outlive this object.
  void add_routes(api::Router& router);
  // Registers the routes processors call (POST /v1/processor_webhooks/{account}): not part of
  // the Stripe-compatible API, and authenticated by the processor's signature, not a key.
  void add_processor_routes(api::Router& router);

  // Periodic work for `till serve`: moves funds whose available_on has come from pending to
  // available, cancels uncaptured intents whose authorization lapsed (7 days, as Stripe
  // does), and forgets idempotency keys older than 24 hours. Returns what it did.
  struct Housekeeping {
    std::size_t funds_released = 0;
    std::size_t authorizations_canceled = 0;
    std::int64_t idempotency_keys_purged = 0;
  };
  store::StoreResult<Housekeeping> housekeeping(std::size_t limit);

  // The processor sync (`till serve` runs it every few hundred milliseconds): claims up to
  // `limit` payment attempts whose outcome is unknown — or pending past their caller's
  // patience — under a lease held by `owner`, asks each one's processor, and settles those
  // it learns about. Returns how many it settled.
  store::StoreResult<std::size_t> sync_processor_attempts(std::string_view owner,
                                                          std::size_t limit);

  // Drops cached routing setups (after connector accounts or routing changed).
  void routing_changed();

  Services& services() { return *services_; }

 private:
  std::unique_ptr<Services> services_;
  std::unique_ptr<Orchestrator> orchestrator_;  // when there is a vault
};

// Funds release alone (balance.cpp); housekeeping calls it.
store::StoreResult<std::size_t> release_available_funds(Services& services, std::size_t limit);
// Lapsed authorizations alone (payment_intents.cpp); housekeeping calls it.
store::StoreResult<std::size_t> cancel_lapsed_authorizations(Services& services, std::size_t limit);
// The processor sync alone (processor_sync.cpp).
store::StoreResult<std::size_t> sync_processor_attempts(Services& services, std::string_view owner,
                                                        std::size_t limit);

}  // namespace till::payments
