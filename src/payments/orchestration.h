// payments/orchestration.h — routing payments to processors (internal to payments).
//
// When a merchant has a routing configuration for a mode (routing/, admin API), its card
// payments in that mode go to processors through connectors (connectors/) instead of the
// in-process sandbox. The Orchestrator holds what that needs across requests:
//   - each merchant's routing setup — the active configuration and its connector accounts
//     with their connectors — cached for `setup_cache_ms`, so a request does not read them;
//   - the success rates and circuit breakers routing decides with (per process, in memory:
//     they are an estimate of the recent past, not a record);
//   - the per-connector metrics.
// The confirmation itself — attempts written before each call, failover, unknown outcomes —
// is in routed_confirmation.cpp; resolving unknown outcomes later (sync, processor webhooks)
// in processor_sync.cpp. docs/orchestration.md explains the whole flow.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "connectors/connector.h"
#include "obs/metrics.h"
#include "payments/connector_accounts.h"
#include "routing/routing.h"
#include "store/store.h"
#include "vault/vault.h"

namespace till::payments {

struct OrchestrationOptions {
  std::int64_t setup_cache_ms = 1000;  // how stale a merchant's routing setup may be
  routing::SuccessRateOptions success_rates;
  routing::BreakerOptions breakers;
};

// A connector account ready to call.
struct RoutedAccount {
  ConnectorAccount account;
  std::unique_ptr<connectors::Connector> connector;
};

// A merchant's routing in one mode: the configuration and the accounts it may use (active
// ones of that mode, by id).
struct RoutingSetup {
  std::int64_t version = 0;
  routing::RoutingConfig config;
  std::map<std::string, std::shared_ptr<RoutedAccount>, std::less<>> accounts;

  const RoutedAccount* account(std::string_view id) const;
};

class Orchestrator {
 public:
  // `vault` opens connector credentials; `metrics` may be null (no metrics).
  Orchestrator(store::Database& database, const Clock& clock, const vault::Vault& vault,
               obs::MetricsRegistry* metrics, OrchestrationOptions options);
  ~Orchestrator();
  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;

  // The merchant's routing setup in a mode, or nullptr when it has none (its payments use
  // the in-process sandbox). A store error is returned as such.
  store::StoreResult<std::shared_ptr<const RoutingSetup>> setup_for(std::string_view merchant_id,
                                                                    bool livemode);
  // Forgets cached setups (after an admin changed routing or accounts in this process).
  void invalidate();

  // The ordered candidate accounts for a payment.
  routing::RouteDecision decide(const RoutingSetup& setup, const routing::PaymentFacts& facts);

  // Calls a processor, recording the call in the breaker, the success rates (under each of
  // the decision's `rate_dimensions`) and metrics.
  connectors::ProcessorResult authorize(const RoutedAccount& account,
                                        const connectors::AuthorizeRequest& request,
                                        const std::vector<std::string>& rate_dimensions);
  connectors::ProcessorResult resolve(const RoutedAccount& account,
                                      const connectors::CallContext& context);

  // The account by id for webhooks and the sync, from the database (credentials opened),
  // with its connector. nullptr when it does not exist.
  store::StoreResult<std::shared_ptr<RoutedAccount>> account_by_id(std::string_view id);

  void set_syncs_pending(std::int64_t count);
  const vault::Vault& vault() const { return vault_; }
  const OrchestrationOptions& options() const { return options_; }

 private:
  struct CachedSetup {
    std::shared_ptr<const RoutingSetup> setup;  // nullptr: the merchant has no routing
    std::int64_t loaded_at_ms = 0;
  };
  struct ConnectorMetrics;

  store::StoreResult<std::shared_ptr<const RoutingSetup>> load_setup(std::string_view merchant_id,
                                                                     bool livemode);
  std::shared_ptr<RoutedAccount> routed_account(const ConnectorAccount& account);
  ConnectorMetrics& metrics_for(const ConnectorAccount& account);
  void record(const RoutedAccount& account, std::string_view operation,
              const connectors::ProcessorResult& result);

  store::Database& database_;
  const Clock& clock_;
  const vault::Vault& vault_;
  obs::MetricsRegistry* metrics_;
  OrchestrationOptions options_;
  routing::SuccessRates success_rates_;
  routing::Breakers breakers_;

  std::mutex mutex_;                                        // guards the maps below
  std::map<std::string, CachedSetup, std::less<>> setups_;  // key: merchant + mode
  // Connectors are reused while their account is unchanged (they keep connections open).
  std::map<std::string, std::shared_ptr<RoutedAccount>, std::less<>> accounts_;
  std::map<std::string, std::unique_ptr<ConnectorMetrics>, std::less<>> connector_metrics_;
  obs::Gauge* syncs_pending_ = nullptr;
};

}  // namespace till::payments
