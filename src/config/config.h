// config/config.h — Till's configuration: what can be set, from where, and validation.
//
// Sources, lowest precedence first: built-in defaults < TOML file (--config FILE or
// TILL_CONFIG) < TILL_* environment variables < command-line flags. Every setting has one
// dotted key (`server.listen`), one environment variable (`TILL_SERVER_LISTEN`) and possibly
// a flag (`--listen`). Loading never stops at the first problem: it returns every invalid or
// unknown key, each named, so an operator fixes a file in one pass.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace till::config {

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 4242;  // 0 = pick a free port (tests)
  int threads = 0;                   // I/O threads; 0 = one per core
  // Threads for handlers that block (database, group commit). A request waiting for its group
  // commit holds one, so this bounds how many writes share one synced commit.
  int blocking_threads = 128;
  std::size_t header_limit_bytes = 16 * 1024;  // larger request head -> 431
  std::size_t body_limit_bytes = 1024 * 1024;  // larger body -> 413
  std::int64_t header_timeout_ms = 10'000;     // whole request head must arrive within this
  std::int64_t body_timeout_ms = 30'000;       // whole body must arrive within this
  std::int64_t idle_timeout_ms = 60'000;       // keep-alive connection with no request
  std::int64_t shutdown_grace_ms = 30'000;     // in-flight requests get this long on SIGTERM
};

struct StorageConfig {
  std::string data_dir = "./var";  // SQLite file is <data_dir>/till.db
  std::string database_url;        // empty = SQLite in data_dir; postgres://... = PostgreSQL
  int pool_size = 8;               // PostgreSQL connections (SQLite: reader connections)
  std::int64_t busy_timeout_ms = 5'000;
  int retry_attempts_max = 5;  // busy / serialization-failure retries per transaction
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error
};

struct LedgerConfig {
  std::int64_t expiry_interval_ms = 1'000;  // how often `till serve` expires due holds
};

struct AdminConfig {
  // Bearer token for /admin/v1; empty = the admin API is off. A secret: never shown in
  // problems, logs or `till config keys`.
  std::string token;
};

// Webhook delivery (src/events/dispatcher.h); defaults as documented in docs/webhooks.md.
struct WebhooksConfig {
  int dispatch = 1;  // 1: this process delivers webhooks; 0: it leaves that to other nodes
  std::int64_t timeout_ms = 10'000;
  std::int64_t lease_ms = 60'000;
  int endpoint_concurrency = 64;
  std::int64_t retry_initial_ms = 60'000;
  std::int64_t retry_interval_max_ms = 6LL * 3600 * 1000;
  std::int64_t retry_window_ms = 3LL * 24 * 3600 * 1000;
  std::int64_t poll_interval_ms = 20;
  std::int64_t sweep_interval_ms = 1'000;
  int connections_max = 512;
};

// Routing payments to processors (src/payments/orchestration.h, docs/orchestration.md).
struct ProcessorsConfig {
  // How often this process asks processors about attempts whose outcome is unknown; 0 = never
  // (another node does it).
  std::int64_t sync_interval_ms = 250;
  std::int64_t setup_cache_ms = 1000;  // how stale a merchant's cached routing may be
  // Circuit breaker per connector account (routing/breakers.h).
  std::int64_t breaker_min_requests = 20;
  std::int64_t breaker_error_permille = 500;
  std::int64_t breaker_slow_call_ms = 5000;
  std::int64_t breaker_open_ms = 30'000;
};

// The card vault's keys (src/vault/vault.h, docs/vault.md). All empty = keys kept in
// <data_dir>/vault-keys.toml, created on first use (a single node's default). Secrets: never
// shown in problems, logs or `till config keys`.
struct VaultConfig {
  std::string data_keys;        // "k1:<base64 32 bytes>,k2:<base64 32 bytes>"
  std::string active_key;       // the id in data_keys that seals new data
  std::string fingerprint_key;  // base64 32 bytes; keys card fingerprints (never rotated)
};

struct Config {
  ServerConfig server;
  StorageConfig storage;
  LogConfig log;
  LedgerConfig ledger;
  AdminConfig admin;
  WebhooksConfig webhooks;
  VaultConfig vault;
  ProcessorsConfig processors;
};

// One problem with the configuration, naming the key and where the bad value came from.
struct ConfigProblem {
  std::string key;      // dotted key, e.g. "server.listen"; the raw name for unknown keys
  std::string source;   // e.g. "till.toml:3", "env TILL_SERVER_LISTEN", "flag --listen"
  std::string message;  // e.g. "expected HOST:PORT, got 'abc'"
};

// Renders a problem as one line: "<source>: <key>: <message>". Problems with the file as a
// whole (unreadable, TOML syntax error) have an empty key and render as "<source>: <message>".
std::string to_string(const ConfigProblem& problem);

// Where configuration comes from. The CLI fills this; tests build it by hand.
struct ConfigSources {
  std::optional<std::string> file_path;  // TOML file; nullopt = none (or TILL_CONFIG if set in env)
  std::vector<std::pair<std::string, std::string>> env;    // NAME=VALUE pairs (pass environ)
  std::vector<std::pair<std::string, std::string>> flags;  // dotted key -> value, from flags
};

// Loads, merges and validates. Either a complete valid Config or every problem found.
Expected<Config, std::vector<ConfigProblem>> load_config(const ConfigSources& sources);

// As above, but the TOML document is `toml_text` instead of a file; problems in it name
// `source_name` (e.g. "till.toml:3"). sources.file_path must be empty and TILL_CONFIG in
// sources.env is ignored: the text is the file. For tests and fuzzing; never throws.
Expected<Config, std::vector<ConfigProblem>> load_config(std::string_view toml_text,
                                                         std::string_view source_name,
                                                         const ConfigSources& sources);

// Reads the process environment into NAME=VALUE pairs (only TILL_* variables).
std::vector<std::pair<std::string, std::string>> till_environment();

// Documentation of every setting (key, env var, flag, default, description) — printed by
// `till config keys` and used to keep docs/configuration.md honest.
struct SettingDoc {
  std::string key;
  std::string env;
  std::string flag;  // empty when the setting has no flag
  std::string default_value;
  std::string description;
};
std::vector<SettingDoc> setting_docs();

// Parses "HOST:PORT" / "[v6]:PORT" used by server.listen; exposed for tests and fuzzing.
Result<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text);

}  // namespace till::config
