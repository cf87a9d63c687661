// `till serve` and `till migrate`: open the database, bring the schema up to date (SQLite) or
// check it (PostgreSQL, where `till migrate` is a deliberate deploy step), then serve. With
// --demo-merchant, serve also prints a demo merchant's test key (cli/admin_commands.cpp).
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "admin/admin.h"
#include "admin/routing_routes.h"
#include "api/server.h"
#include "api/system_routes.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/random.h"
#include "cli/admin_commands.h"
#include "cli/build_info.h"
#include "cli/commands.h"
#include "events/dispatcher.h"
#include "ledger/ledger.h"
#include "merchant/merchant.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "payments/payments.h"
#include "store/migrations.h"
#include "store/store.h"
#include "vault/vault.h"

namespace till::cli {

namespace {

store::StoreOptions store_options(const config::StorageConfig& storage) {
  store::StoreOptions options;
  options.data_dir = storage.data_dir;
  options.database_url = storage.database_url;
  options.pool_size = storage.pool_size;
  options.busy_timeout_ms = storage.busy_timeout_ms;
  options.retry_attempts_max = storage.retry_attempts_max;
  return options;
}

api::ServerOptions server_options(const config::Config& config) {
  api::ServerOptions options;
  options.listen_host = config.server.listen_host;
  options.listen_port = config.server.listen_port;
  options.io_threads = config.server.threads;
  options.blocking_threads = config.server.blocking_threads;
  options.header_limit_bytes = config.server.header_limit_bytes;
  options.body_limit_bytes = config.server.body_limit_bytes;
  options.header_timeout_ms = config.server.header_timeout_ms;
  options.body_timeout_ms = config.server.body_timeout_ms;
  options.idle_timeout_ms = config.server.idle_timeout_ms;
  options.write_timeout_ms = config.server.body_timeout_ms;
  options.shutdown_grace_ms = config.server.shutdown_grace_ms;
  return options;
}

events::DispatcherOptions dispatcher_options(const config::WebhooksConfig& webhooks) {
  events::DispatcherOptions options;
  options.timeout_ms = webhooks.timeout_ms;
  options.lease_ms = webhooks.lease_ms;
  options.endpoint_concurrency = static_cast<std::size_t>(webhooks.endpoint_concurrency);
  options.retry_initial_ms = webhooks.retry_initial_ms;
  options.retry_interval_max_ms = webhooks.retry_interval_max_ms;
  options.retry_window_ms = webhooks.retry_window_ms;
  options.poll_interval_ms = webhooks.poll_interval_ms;
  options.sweep_interval_ms = webhooks.sweep_interval_ms;
  options.connections_max = static_cast<std::size_t>(webhooks.connections_max);
  return options;
}

// Prints a start-up failure for humans (stderr) and as a log line, and returns the status.
int startup_failure(std::string_view what, std::string_view message) {
  obs::error("startup failed", {{"step", what}, {"error", message}});
  std::fprintf(stderr, "till: %.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(message.size()), message.data());
  return kExitFailure;
}

// SQLite migrates on start (an embedded database has no separate deploy step); PostgreSQL
// only checks, because with several nodes migrations belong to the deploy, not to each boot.
std::optional<std::string> prepare_schema(store::Database& database) {
  if (database.dialect() == store::Dialect::sqlite) {
    auto migrated = store::migrate(database);
    if (!migrated) return migrated.error().message;
    return std::nullopt;
  }
  auto status = store::schema_status(database);
  if (!status) return status.error().message;
  if (!status->pending.empty()) {
    return "the database schema is at version " + std::to_string(status->database_version) +
           " but this binary needs version " + std::to_string(status->binary_version) +
           "; run `till migrate --database ...` first";
  }
  return std::nullopt;
}

// Returns this database's installation id, minting it on first start. Logged at start-up so
// operators can tell databases apart (and notice a node pointed at the wrong one).
store::StoreResult<std::string> ensure_instance_id(store::Database& database) {
  std::string id;
  auto done = database.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    auto existing = connection.query_one<std::string>(
        "SELECT id FROM till_instance ORDER BY created_at_unix_ms LIMIT 1");
    if (!existing) return unexpected(existing.error());
    if (existing->has_value()) {
      id = **existing;
      return {};
    }
    id = new_id("inst", SystemClock::instance());
    auto inserted =
        connection.execute("INSERT INTO till_instance (id, created_at_unix_ms) VALUES ($1, $2)",
                           {id, SystemClock::instance().now_unix_ms()});
    if (!inserted) return unexpected(inserted.error());
    return {};
  });
  if (!done) return unexpected(done.error());
  return id;
}

Result<void> check_ready(store::Database& database) {
  if (auto ping = database.ping(); !ping) return fail("database_unreachable", ping.error().message);
  auto status = store::schema_status(database);
  if (!status) return fail("schema_invalid", status.error().message);
  if (!status->ready()) {
    return fail("schema_outdated",
                "database schema is at version " + std::to_string(status->database_version) +
                    "; this binary needs " + std::to_string(status->binary_version));
  }
  return {};
}

// Runs `work` every `interval` on its own thread until stopped; `work` should do a bounded
// amount each time (the housekeeper, the processor sync).
class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> work)
      : interval_(interval), work_(std::move(work)), thread_([this] { run(); }) {
    assert(interval.count() > 0);
  }
  ~PeriodicTask() { stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Returns after the thread has finished its current run of `work` and exited. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // For long work to cut itself short once a stop was asked for.
  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      work_();
      lock.lock();
    }
  }

  const std::chrono::milliseconds interval_;
  std::function<void()> work_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything above is constructed
};

// Periodic work on its own thread, every interval: expires due ledger holds (so a lapsed hold
// gives its funds back even when nothing else touches the ledger), makes merchants' funds
// available when their time comes, forgets idempotency keys older than 24 hours and events
// older than 30 days. Each node runs one; the ledger serialises the writes of several nodes,
// and each step is idempotent.
class Housekeeper {
 public:
  // A tick sweeps again while sweeps come back full, up to this many times, then waits for
  // the next tick: a backlog drains fast without the thread ever running unbounded.
  static constexpr int kSweepsPerTickMax = 16;

  Housekeeper(store::Database& database, ledger::Ledger& ledger, payments::PaymentsApi& payments,
              std::chrono::milliseconds interval)
      : database_(database), ledger_(ledger), payments_(payments), task_(interval, [this] {
          sweep();
          tidy_payments();
          purge_events();
        }) {}
  Housekeeper(const Housekeeper&) = delete;
  Housekeeper& operator=(const Housekeeper&) = delete;

  // Returns after the thread has finished its current sweep and exited. Idempotent.
  void stop() { task_.stop(); }

 private:
  bool stop_requested() { return task_.stopping(); }

  void sweep() {
    for (int round = 0; round < kSweepsPerTickMax && !stop_requested(); ++round) {
      auto expired = ledger_.expire_due_holds(ledger::kEntriesPerBatchMax);
      if (!expired) {
        obs::warn("ledger hold expiry failed",
                  {{"code", expired.error().code}, {"error", expired.error().message}});
        return;
      }
      if (*expired > 0) obs::info("ledger holds expired", {{"count", *expired}});
      if (*expired < ledger::kEntriesPerBatchMax) return;
    }
  }

  void tidy_payments() {
    constexpr std::size_t kPaymentsWorkPerTickMax = 1000;
    auto done = payments_.housekeeping(kPaymentsWorkPerTickMax);
    if (!done) {
      obs::warn("payments housekeeping failed", {{"error", done.error().message}});
      return;
    }
    if (done->funds_released > 0 || done->authorizations_canceled > 0 ||
        done->idempotency_keys_purged > 0) {
      obs::info("payments housekeeping",
                {{"funds_released", done->funds_released},
                 {"authorizations_canceled", done->authorizations_canceled},
                 {"idempotency_keys_purged", done->idempotency_keys_purged}});
    }
  }

  void purge_events() {
    constexpr std::size_t kEventsPurgedPerTickMax = 1000;
    auto purged =
        events::purge_expired_events(database_, SystemClock::instance(), kEventsPurgedPerTickMax);
    if (!purged) {
      obs::warn("event retention purge failed", {{"error", purged.error().message}});
      return;
    }
    if (*purged > 0) obs::info("events past retention purged", {{"count", *purged}});
  }

  store::Database& database_;
  ledger::Ledger& ledger_;
  payments::PaymentsApi& payments_;
  PeriodicTask task_;  // last: starts after everything above is constructed
};

// Asks processors about payment attempts whose outcome is unknown (payments/processor_sync).
void sync_processors(payments::PaymentsApi& payments, const std::string& owner) {
  constexpr std::size_t kAttemptsPerTickMax = 64;
  auto settled = payments.sync_processor_attempts(owner, kAttemptsPerTickMax);
  if (!settled) {
    obs::warn("processor sync failed", {{"error", settled.error().message}});
  }
}

std::optional<config::Config> load_and_init_logging(const config::ConfigSources& sources) {
  auto config = load_config_or_report(sources);
  if (!config) return std::nullopt;
  obs::init_logging(*obs::parse_log_level(config->log.level));
  return config;
}

// The address to show in an example request: a wildcard listen address is not one a client
// can connect to.
std::string client_base_url(const std::string& listen_host, std::uint16_t port) {
  const bool wildcard = listen_host.empty() || listen_host == "0.0.0.0" || listen_host == "::";
  const std::string host = wildcard ? "127.0.0.1" : listen_host;
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

int run_serve(const config::ConfigSources& sources) { return run_serve(sources, ServeOptions{}); }

int run_serve(const config::ConfigSources& sources, const ServeOptions& options) {
  const auto config = load_and_init_logging(sources);
  if (!config) return kExitUsage;
  const events::DispatcherOptions webhook_options = dispatcher_options(config->webhooks);
  if (auto problem = events::validate(webhook_options)) {
    return startup_failure("webhooks configuration", *problem);
  }

  auto database = store::open_database(store_options(config->storage));
  if (!database) return startup_failure("cannot open the database", database.error().message);
  if (auto problem = prepare_schema(**database)) {
    return startup_failure("database schema", *problem);
  }

  const auto instance_id = ensure_instance_id(**database);
  if (!instance_id) return startup_failure("database", instance_id.error().message);

  // Destroyed in reverse: the server (and its blocking pool) before the ledger, whose
  // destructor drains the committer, before the database.
  store::Database& db = **database;
  obs::MetricsRegistry registry;  // before the ledger, which reports into it
  obs::register_process_metrics(registry, build_version(), build_commit());
  ledger::LedgerOptions ledger_options;
  ledger_options.metrics = &registry;
  ledger::Ledger ledger(db, SystemClock::instance(), ledger_options);
  merchant::MerchantStore merchants(db, SystemClock::instance());
  merchant::Authenticator authenticator(merchants);
  // Card numbers and processor credentials are sealed under these keys (docs/vault.md).
  auto key_ring = vault::key_ring_from_config(*config);
  if (!key_ring) return startup_failure("card vault", key_ring.error().message);
  const vault::Vault vault(*key_ring);
  payments::PaymentsOptions payments_options;
  payments_options.vault = &vault;
  payments_options.metrics = &registry;
  payments_options.setup_cache_ms = config->processors.setup_cache_ms;
  payments_options.breaker_min_requests = config->processors.breaker_min_requests;
  payments_options.breaker_error_permille = config->processors.breaker_error_permille;
  payments_options.breaker_slow_call_ms = config->processors.breaker_slow_call_ms;
  payments_options.breaker_open_ms = config->processors.breaker_open_ms;
  payments::PaymentsApi payments(db, ledger, SystemClock::instance(), authenticator,
                                 payments_options);

  api::Router router;
  api::add_system_routes(router, registry, [&db] { return check_ready(db); });
  admin::add_admin_routes(router, ledger, merchants, admin::AdminOptions{config->admin.token});
  admin::add_webhook_admin_routes(router, db, SystemClock::instance(),
                                  admin::AdminOptions{config->admin.token});
  admin::add_processor_admin_routes(
      router, db, SystemClock::instance(), vault, [&payments] { payments.routing_changed(); },
      admin::AdminOptions{config->admin.token});
  admin::add_routing_admin_routes(
      router, db, merchants, SystemClock::instance(), admin::AdminOptions{config->admin.token},
      admin::RoutingRouteHooks{admin::stored_connector_accounts(db, vault),
                               [&payments] { payments.routing_changed(); }});
  payments.add_routes(router);
  payments.add_processor_routes(router);

  api::Server server(server_options(*config), router, registry);
  const auto port = server.bind();
  if (!port) return startup_failure("cannot listen", port.error().message);

  const std::string url = "http://" + config->server.listen_host + ":" + std::to_string(*port);
  obs::info("listening", {{"url", url},
                          {"instance_id", *instance_id},
                          {"database", db.describe()},
                          {"version", build_version()},
                          {"commit", build_commit()}});
  obs::info("admin API", {{"enabled", !config->admin.token.empty()}});
  // Printed before the "listening" line, so whoever waits for that line has the key too.
  if (options.demo_merchant) {
    auto demo = ensure_demo_merchant(merchants, config->storage.data_dir);
    if (!demo) return startup_failure("demo merchant", demo.error().message);
    print_demo_merchant(*demo, client_base_url(config->server.listen_host, *port));
  }
  std::printf("Till is listening on %s (database: %s)\n", url.c_str(), db.describe().c_str());
  std::fflush(stdout);

  Housekeeper housekeeper(db, ledger, payments,
                          std::chrono::milliseconds(config->ledger.expiry_interval_ms));
  std::optional<events::Dispatcher> dispatcher;
  if (config->webhooks.dispatch == 1) {
    dispatcher.emplace(db, SystemClock::instance(), registry, webhook_options);
    dispatcher->start();
    obs::info("webhook dispatcher started", {{"owner", dispatcher->owner()}});
  }
  // Unknown processor outcomes: asked about until known (several processes share the work
  // through leases on the attempts).
  std::optional<PeriodicTask> processor_sync;
  if (config->processors.sync_interval_ms > 0) {
    processor_sync.emplace(std::chrono::milliseconds(config->processors.sync_interval_ms),
                           [&payments, owner = *instance_id + "/" + random_base62(8)] {
                             sync_processors(payments, owner);
                           });
  }
  server.run();
  if (processor_sync) processor_sync->stop();  // before the ledger: it may wait on a commit
  // The dispatcher finishes (and records) the attempts it has in flight before the database
  // goes; attempts it cannot finish are retried by whoever takes over their leases.
  if (dispatcher) dispatcher->stop();
  housekeeper.stop();  // before the ledger goes: a sweep may be waiting on the committer
  return kExitOk;
}

int run_migrate(const config::ConfigSources& sources) {
  const auto config = load_and_init_logging(sources);
  if (!config) return kExitUsage;
  auto database = store::open_database(store_options(config->storage));
  if (!database) return startup_failure("cannot open the database", database.error().message);
  auto status = store::migrate(**database);
  if (!status) return startup_failure("migration failed", status.error().message);
  std::printf("database %s is at schema version %d\n", (*database)->describe().c_str(),
              status->database_version);
  return kExitOk;
}

}  // namespace till::cli
