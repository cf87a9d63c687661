// Shared by the config tests: the specification of every key, written out by hand so the
// tests check the settings table instead of reading it back, and small loading helpers.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace till::config::testing {

// The contract with operators: key, environment variable, flag and default as written.
struct KeySpec {
  std::string_view key;
  std::string_view env;
  std::string_view flag;
  std::string_view default_value;
};

inline constexpr KeySpec key_specs[] = {
    {"server.listen", "TILL_SERVER_LISTEN", "--listen", "127.0.0.1:4242"},
    {"server.threads", "TILL_SERVER_THREADS", "", "0"},
    {"server.blocking_threads", "TILL_SERVER_BLOCKING_THREADS", "", "128"},
    {"server.header_limit_bytes", "TILL_SERVER_HEADER_LIMIT_BYTES", "", "16384"},
    {"server.body_limit_bytes", "TILL_SERVER_BODY_LIMIT_BYTES", "", "1048576"},
    {"server.header_timeout_ms", "TILL_SERVER_HEADER_TIMEOUT_MS", "", "10000"},
    {"server.body_timeout_ms", "TILL_SERVER_BODY_TIMEOUT_MS", "", "30000"},
    {"server.idle_timeout_ms", "TILL_SERVER_IDLE_TIMEOUT_MS", "", "60000"},
    {"server.shutdown_grace_ms", "TILL_SERVER_SHUTDOWN_GRACE_MS", "", "30000"},
    {"storage.data_dir", "TILL_STORAGE_DATA_DIR", "--data-dir", "./var"},
    {"storage.database_url", "TILL_STORAGE_DATABASE_URL", "--database", ""},
    {"storage.pool_size", "TILL_STORAGE_POOL_SIZE", "", "8"},
    {"storage.busy_timeout_ms", "TILL_STORAGE_BUSY_TIMEOUT_MS", "", "5000"},
    {"storage.retry_attempts_max", "TILL_STORAGE_RETRY_ATTEMPTS_MAX", "", "5"},
    {"log.level", "TILL_LOG_LEVEL", "--log-level", "info"},
    {"ledger.expiry_interval_ms", "TILL_LEDGER_EXPIRY_INTERVAL_MS", "", "1000"},
    {"admin.token", "TILL_ADMIN_TOKEN", "", ""},
    {"webhooks.dispatch", "TILL_WEBHOOKS_DISPATCH", "", "1"},
    {"webhooks.timeout_ms", "TILL_WEBHOOKS_TIMEOUT_MS", "", "10000"},
    {"webhooks.lease_ms", "TILL_WEBHOOKS_LEASE_MS", "", "60000"},
    {"webhooks.endpoint_concurrency", "TILL_WEBHOOKS_ENDPOINT_CONCURRENCY", "", "64"},
    {"webhooks.retry_initial_ms", "TILL_WEBHOOKS_RETRY_INITIAL_MS", "", "60000"},
    {"webhooks.retry_interval_max_ms", "TILL_WEBHOOKS_RETRY_INTERVAL_MAX_MS", "", "21600000"},
    {"webhooks.retry_window_ms", "TILL_WEBHOOKS_RETRY_WINDOW_MS", "", "259200000"},
    {"webhooks.poll_interval_ms", "TILL_WEBHOOKS_POLL_INTERVAL_MS", "", "20"},
    {"webhooks.sweep_interval_ms", "TILL_WEBHOOKS_SWEEP_INTERVAL_MS", "", "1000"},
    {"webhooks.connections_max", "TILL_WEBHOOKS_CONNECTIONS_MAX", "", "512"},
    {"vault.data_keys", "TILL_VAULT_DATA_KEYS", "", ""},
    {"vault.active_key", "TILL_VAULT_ACTIVE_KEY", "", ""},
    {"vault.fingerprint_key", "TILL_VAULT_FINGERPRINT_KEY", "", ""},
    {"processors.sync_interval_ms", "TILL_PROCESSORS_SYNC_INTERVAL_MS", "", "250"},
    {"processors.setup_cache_ms", "TILL_PROCESSORS_SETUP_CACHE_MS", "", "1000"},
    {"processors.breaker_min_requests", "TILL_PROCESSORS_BREAKER_MIN_REQUESTS", "", "20"},
    {"processors.breaker_error_permille", "TILL_PROCESSORS_BREAKER_ERROR_PERMILLE", "", "500"},
    {"processors.breaker_slow_call_ms", "TILL_PROCESSORS_BREAKER_SLOW_CALL_MS", "", "5000"},
    {"processors.breaker_open_ms", "TILL_PROCESSORS_BREAKER_OPEN_MS", "", "30000"},
};

inline const KeySpec& spec_for(std::string_view key) {
  for (const KeySpec& spec : key_specs) {
    if (spec.key == key) return spec;
  }
  ADD_FAILURE() << "no KeySpec for " << key;
  return key_specs[0];
}

// The Config field a key sets, rendered as text; listen as "host=H port=P" so IPv6 hosts
// are unambiguous.
inline std::string field(const Config& config, std::string_view key) {
  const ServerConfig& server = config.server;
  const StorageConfig& storage = config.storage;
  if (key == "server.listen") {
    return "host=" + server.listen_host + " port=" + std::to_string(server.listen_port);
  }
  if (key == "server.threads") return std::to_string(server.threads);
  if (key == "server.blocking_threads") return std::to_string(server.blocking_threads);
  if (key == "server.header_limit_bytes") return std::to_string(server.header_limit_bytes);
  if (key == "server.body_limit_bytes") return std::to_string(server.body_limit_bytes);
  if (key == "server.header_timeout_ms") return std::to_string(server.header_timeout_ms);
  if (key == "server.body_timeout_ms") return std::to_string(server.body_timeout_ms);
  if (key == "server.idle_timeout_ms") return std::to_string(server.idle_timeout_ms);
  if (key == "server.shutdown_grace_ms") return std::to_string(server.shutdown_grace_ms);
  if (key == "storage.data_dir") return storage.data_dir;
  if (key == "storage.database_url") return storage.database_url;
  if (key == "storage.pool_size") return std::to_string(storage.pool_size);
  if (key == "storage.busy_timeout_ms") return std::to_string(storage.busy_timeout_ms);
  if (key == "storage.retry_attempts_max") return std::to_string(storage.retry_attempts_max);
  if (key == "log.level") return config.log.level;
  if (key == "ledger.expiry_interval_ms") return std::to_string(config.ledger.expiry_interval_ms);
  if (key == "admin.token") return config.admin.token;
  if (key == "webhooks.dispatch") return std::to_string(config.webhooks.dispatch);
  if (key == "webhooks.timeout_ms") return std::to_string(config.webhooks.timeout_ms);
  if (key == "webhooks.lease_ms") return std::to_string(config.webhooks.lease_ms);
  if (key == "webhooks.endpoint_concurrency") return std::to_string(config.webhooks.endpoint_concurrency);
  if (key == "webhooks.retry_initial_ms") return std::to_string(config.webhooks.retry_initial_ms);
  if (key == "webhooks.retry_interval_max_ms") return std::to_string(config.webhooks.retry_interval_max_ms);
  if (key == "webhooks.retry_window_ms") return std::to_string(config.webhooks.retry_window_ms);
  if (key == "webhooks.poll_interval_ms") return std::to_string(config.webhooks.poll_interval_ms);
  if (key == "webhooks.sweep_interval_ms") return std::to_string(config.webhooks.sweep_interval_ms);
  if (key == "webhooks.connections_max") return std::to_string(config.webhooks.connections_max);
  if (key == "vault.data_keys") return config.vault.data_keys;
  if (key == "vault.active_key") return config.vault.active_key;
  if (key == "vault.fingerprint_key") return config.vault.fingerprint_key;
  if (key == "processors.sync_interval_ms") {
    return std::to_string(config.processors.sync_interval_ms);
  }
  if (key == "processors.setup_cache_ms") return std::to_string(config.processors.setup_cache_ms);
  if (key == "processors.breaker_min_requests") {
    return std::to_string(config.processors.breaker_min_requests);
  }
  if (key == "processors.breaker_error_permille") {
    return std::to_string(config.processors.breaker_error_permille);
  }
  if (key == "processors.breaker_slow_call_ms") {
    return std::to_string(config.processors.breaker_slow_call_ms);
  }
  if (key == "processors.breaker_open_ms") return std::to_string(config.processors.breaker_open_ms);
  ADD_FAILURE() << "no Config field for " << key;
  return {};
}

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Loaded = Expected<Config, std::vector<ConfigProblem>>;

// Loads `toml` as if it were the file "test.toml", plus environment and flags.
inline Loaded load_text(std::string_view toml, Pairs env = {}, Pairs flags = {}) {
  ConfigSources sources;
  sources.env = std::move(env);
  sources.flags = std::move(flags);
  return load_config(toml, "test.toml", sources);
}

inline std::string all_problems(const Loaded& loaded) {
  if (loaded) return "(no problems)";
  std::string text;
  for (const ConfigProblem& problem : loaded.error()) text += "\n  " + to_string(problem);
  return text;
}

}  // namespace till::config::testing
