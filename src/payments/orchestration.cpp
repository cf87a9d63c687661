#include "payments/orchestration.h"

#include <array>
#include <cassert>

#include "base/random.h"
#include "connectors/registry.h"
#include "obs/log.h"
#include "routing/metrics.h"

namespace till::payments {

namespace {

std::string setup_key(std::string_view merchant_id, bool livemode) {
  return std::string(merchant_id) + (livemode ? "/live" : "/test");
}

bool breaker_failure(const connectors::ProcessorResult& result) {
  // Declines are the processor working; unknown outcomes and refusals to process are it
  // failing (down, erroring, too slow).
  return result.outcome == connectors::Outcome::unknown ||
         result.outcome == connectors::Outcome::not_processed;
}

// A uniform draw for routing's splits and exploration.
std::uint64_t draw() {
  std::array<std::uint8_t, 8> bytes{};
  random_bytes(bytes);
  std::uint64_t value = 0;
  for (std::uint8_t byte : bytes) value = (value << 8) | byte;
  return value;
}

std::string_view outcome_label(const connectors::ProcessorResult& result) {
  if (result.outcome == connectors::Outcome::declined) {
    return result.soft ? "declined_soft" : "declined_hard";
  }
  return to_string(result.outcome);
}

}  // namespace

struct Orchestrator::ConnectorMetrics {
  obs::Counter* approved = nullptr;
  obs::Counter* declined_soft = nullptr;
  obs::Counter* declined_hard = nullptr;
  obs::Counter* not_processed = nullptr;
  obs::Counter* unknown = nullptr;
  obs::Histogram* latency = nullptr;
  obs::Gauge* authorization_rate = nullptr;

  obs::Counter* counter_for(std::string_view label) const {
    if (label == "approved") return approved;
    if (label == "declined_soft") return declined_soft;
    if (label == "declined_hard") return declined_hard;
    if (label == "not_processed") return not_processed;
    return unknown;
  }
};

const RoutedAccount* RoutingSetup::account(std::string_view id) const {
  auto found = accounts.find(id);
  return found == accounts.end() ? nullptr : found->second.get();
}

Orchestrator::Orchestrator(store::Database& database, const Clock& clock, const vault::Vault& vault,
                           obs::MetricsRegistry* metrics, OrchestrationOptions options)
    : database_(database),
      clock_(clock),
      vault_(vault),
      metrics_(metrics),
      options_(options),
      success_rates_(options.success_rates),
      breakers_(options.breakers) {
  if (metrics_ != nullptr) {
    routing::add_routing_metrics(*metrics_, breakers_, success_rates_, clock_);
    syncs_pending_ = &metrics_->gauge("till_processor_syncs_pending",
                                      "Payment attempts whose outcome is not yet known "
                                      "(pending or unknown), waiting for a processor sync.");
  }
}

Orchestrator::~Orchestrator() = default;

store::StoreResult<std::shared_ptr<const RoutingSetup>> Orchestrator::setup_for(
    std::string_view merchant_id, bool livemode) {
  const std::string key = setup_key(merchant_id, livemode);
  const std::int64_t now_ms = clock_.now_unix_ms();
  {
    std::lock_guard lock(mutex_);
    auto cached = setups_.find(key);
    if (cached != setups_.end() && now_ms - cached->second.loaded_at_ms < options_.setup_cache_ms) {
      return cached->second.setup;
    }
  }
  auto loaded = load_setup(merchant_id, livemode);
  if (!loaded) return unexpected(loaded.error());
  std::lock_guard lock(mutex_);
  setups_[key] = CachedSetup{*loaded, now_ms};
  return *loaded;
}

void Orchestrator::invalidate() {
  std::lock_guard lock(mutex_);
  setups_.clear();
}

store::StoreResult<std::shared_ptr<const RoutingSetup>> Orchestrator::load_setup(
    std::string_view merchant_id, bool livemode) {
  std::optional<routing::StoredConfig> stored;
  std::vector<ConnectorAccount> accounts;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto active = routing::active_config(connection, merchant_id, livemode);
    if (!active) return unexpected(active.error());
    stored = std::move(*active);
    if (!stored) return {};
    auto found = connector_accounts_of(connection, vault_, merchant_id, livemode);
    if (!found) return unexpected(found.error());
    accounts = std::move(*found);
    return {};
  });
  if (!read) return unexpected(read.error());
  if (!stored) return std::shared_ptr<const RoutingSetup>{};
  auto config = routing::parse_config(stored->text);
  if (!config) {
    // Stored configurations were validated when saved; one that no longer parses is a bug
    // or a downgrade. Payments must not silently fall back to the sandbox.
    return store::store_fail(store::ErrorKind::corrupt,
                             "routing configuration version " + std::to_string(stored->version) +
                                 " of merchant " + std::string(merchant_id) + " does not parse: " +
                                 config.error().field + ": " + config.error().message);
  }
  auto setup = std::make_shared<RoutingSetup>();
  setup->version = stored->version;
  setup->config = std::move(*config);
  for (const ConnectorAccount& account : accounts) {
    if (account.status != "active") continue;
    auto routed = routed_account(account);
    if (routed) setup->accounts.emplace(account.id, std::move(routed));
  }
  return std::shared_ptr<const RoutingSetup>(std::move(setup));
}

std::shared_ptr<RoutedAccount> Orchestrator::routed_account(const ConnectorAccount& account) {
  const std::string key = account.id + "@" + std::to_string(account.updated_at_unix_ms);
  {
    std::lock_guard lock(mutex_);
    auto found = accounts_.find(key);
    if (found != accounts_.end()) return found->second;
  }
  auto connector = connectors::make_connector(connector_config(account));
  if (!connector) {
    obs::error("connector account names a connector this build does not have",
               {{"account", account.id}, {"connector", account.connector}});
    return nullptr;
  }
  auto routed = std::make_shared<RoutedAccount>();
  routed->account = account;
  routed->connector = std::move(connector);
  metrics_for(account);
  std::lock_guard lock(mutex_);
  accounts_[key] = routed;
  return routed;
}

store::StoreResult<std::shared_ptr<RoutedAccount>> Orchestrator::account_by_id(
    std::string_view id) {
  std::optional<ConnectorAccount> account;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = find_connector_account(connection, vault_, id);
    if (!found) return unexpected(found.error());
    account = std::move(*found);
    return {};
  });
  if (!read) return unexpected(read.error());
  if (!account) return std::shared_ptr<RoutedAccount>{};
  return routed_account(*account);
}

routing::RouteDecision Orchestrator::decide(const RoutingSetup& setup,
                                            const routing::PaymentFacts& facts) {
  routing::RouteDecision decision =
      routing::decide(setup.config, facts, success_rates_, breakers_, clock_.now_unix_ms(), draw());
  // Accounts disabled or deleted since the configuration was saved are skipped.
  std::erase_if(decision.candidates,
                [&](const std::string& id) { return setup.account(id) == nullptr; });
  return decision;
}

connectors::ProcessorResult Orchestrator::authorize(
    const RoutedAccount& account, const connectors::AuthorizeRequest& request,
    const std::vector<std::string>& rate_dimensions) {
  // Reserves the half-open probe slot when the breaker is probing. A refusal does not stop
  // the call: routing put refused accounts last, so this one is the only place left to go.
  breakers_.allow(account.account.id, clock_.now_unix_ms());
  connectors::ProcessorResult result = account.connector->authorize(request);
  record(account, "authorize", result);
  if (result.outcome == connectors::Outcome::approved ||
      result.outcome == connectors::Outcome::declined) {
    const std::int64_t now_ms = clock_.now_unix_ms();
    const bool approved = result.outcome == connectors::Outcome::approved;
    for (const std::string& dimension : rate_dimensions) {
      if (!dimension.empty())
        success_rates_.record(account.account.id, dimension, approved, now_ms);
    }
    success_rates_.record(account.account.id, "", approved, now_ms);
    if (metrics_ != nullptr) {
      metrics_for(account.account)
          .authorization_rate->set(success_rates_.rate(account.account.id, "", now_ms).permille);
    }
  }
  return result;
}

connectors::ProcessorResult Orchestrator::resolve(const RoutedAccount& account,
                                                  const connectors::CallContext& context) {
  breakers_.allow(account.account.id, clock_.now_unix_ms());
  connectors::ProcessorResult result = account.connector->resolve(context);
  if (result.outcome == connectors::Outcome::not_processed && !result.key_closed) {
    // A resolve that could not reach the processor, or was refused, learned nothing: the
    // original request may still have been charged. Only a closed key frees the payment.
    result.outcome = connectors::Outcome::unknown;
  }
  record(account, "resolve", result);
  return result;
}

void Orchestrator::record(const RoutedAccount& account, std::string_view operation,
                          const connectors::ProcessorResult& result) {
  const std::int64_t now_ms = clock_.now_unix_ms();
  const std::int64_t latency_ms = result.latency.count() / 1000;
  breakers_.record(account.account.id, breaker_failure(result), latency_ms, now_ms);
  if (metrics_ == nullptr) return;
  ConnectorMetrics& metrics = metrics_for(account.account);
  if (operation == "authorize") metrics.counter_for(outcome_label(result))->increment();
  metrics.latency->observe_ns(result.latency.count() * 1000);
}

Orchestrator::ConnectorMetrics& Orchestrator::metrics_for(const ConnectorAccount& account) {
  std::lock_guard lock(mutex_);
  auto found = connector_metrics_.find(account.id);
  if (found != connector_metrics_.end()) return *found->second;
  auto metrics = std::make_unique<ConnectorMetrics>();
  if (metrics_ != nullptr) {
    const obs::Labels base = {{"connector", account.connector}, {"account", account.id}};
    auto with_outcome = [&](std::string_view outcome) {
      obs::Labels labels = base;
      labels.emplace_back("outcome", std::string(outcome));
      return &metrics_->counter("till_connector_attempts_total",
                                "Authorization attempts sent to a processor, by outcome "
                                "(approved, declined_soft, declined_hard, not_processed, "
                                "unknown).",
                                labels);
    };
    metrics->approved = with_outcome("approved");
    metrics->declined_soft = with_outcome("declined_soft");
    metrics->declined_hard = with_outcome("declined_hard");
    metrics->not_processed = with_outcome("not_processed");
    metrics->unknown = with_outcome("unknown");
    metrics->latency = &metrics_->histogram("till_connector_call_duration_seconds",
                                            "Duration of processor calls (authorize, resolve).",
                                            base, obs::default_latency_buckets_ns());
    metrics->authorization_rate = &metrics_->gauge(
        "till_connector_authorization_rate_permille",
        "Approved share of the account's recent authorizations (success-rate window), per mille.",
        base);
  }
  auto& stored = connector_metrics_[account.id];
  stored = std::move(metrics);
  return *stored;
}

void Orchestrator::set_syncs_pending(std::int64_t count) {
  if (syncs_pending_ != nullptr) syncs_pending_->set(count);
}

}  // namespace till::payments
