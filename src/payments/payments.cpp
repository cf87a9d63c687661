#include "payments/payments.h"

#include "payments/idempotency.h"
#include "payments/openapi.h"
#include "payments/orchestration.h"
#include "payments/routes.h"
#include "payments/service.h"

namespace till::payments {

PaymentsApi::PaymentsApi(store::Database& database, ledger::Ledger& ledger, const Clock& clock,
                         const merchant::Authenticator& authenticator, PaymentsOptions options)
    : services_(std::make_unique<Services>(database, ledger, clock, authenticator)) {
  services_->vault = options.vault;
  if (options.vault != nullptr) {
    OrchestrationOptions orchestration;
    orchestration.setup_cache_ms = options.setup_cache_ms;
    orchestration.breakers.min_requests = options.breaker_min_requests;
    orchestration.breakers.error_permille = options.breaker_error_permille;
    orchestration.breakers.slow_call_ms = options.breaker_slow_call_ms;
    orchestration.breakers.open_ms = options.breaker_open_ms;
    orchestrator_ = std::make_unique<Orchestrator>(database, clock, *options.vault, options.metrics,
                                                   orchestration);
    services_->orchestrator = orchestrator_.get();
  }
}

PaymentsApi::~PaymentsApi() = default;

void PaymentsApi::add_processor_routes(api::Router& router) {
  add_processor_webhook_route(router, *services_);
}

void PaymentsApi::routing_changed() {
  if (orchestrator_) orchestrator_->invalidate();
}

store::StoreResult<std::size_t> PaymentsApi::sync_processor_attempts(std::string_view owner,
                                                                     std::size_t limit) {
  return payments::sync_processor_attempts(*services_, owner, limit);
}

void PaymentsApi::add_routes(api::Router& router) {
  add_customer_routes(router, *services_);
  add_payment_method_routes(router, *services_);
  add_payment_intent_routes(router, *services_);
  add_charge_routes(router, *services_);
  add_refund_routes(router, *services_);
  add_balance_routes(router, *services_);
  add_event_routes(router, *services_);
  add_webhook_endpoint_routes(router, *services_);
  add_openapi_route(router);
}

store::StoreResult<PaymentsApi::Housekeeping> PaymentsApi::housekeeping(std::size_t limit) {
  Housekeeping done;
  auto released = release_available_funds(*services_, limit);
  if (!released) return unexpected(released.error());
  done.funds_released = *released;
  auto lapsed = cancel_lapsed_authorizations(*services_, limit);
  if (!lapsed) return unexpected(lapsed.error());
  done.authorizations_canceled = *lapsed;
  auto purged = purge_expired_keys(services_->database, services_->clock.now_unix_ms(), limit);
  if (!purged) return unexpected(purged.error());
  done.idempotency_keys_purged = *purged;
  return done;
}

}  // namespace till::payments
