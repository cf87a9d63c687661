#include "config/settings.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <type_traits>
#include <utility>

#include "config/text.h"

namespace till::config::internal {
namespace {

constexpr std::int64_t kib_bytes = 1024;
constexpr std::int64_t mib_bytes = 1024 * kib_bytes;
constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t threads_max = 256;
// A path longer than PATH_MAX cannot be opened; say so now rather than at first write.
constexpr std::size_t data_dir_length_max = 4096;
// An admin token is a shared secret: 32 characters is the least that resists guessing (even
// from a 16-symbol alphabet that is 128 bits); 1024 keeps it well inside a request head.
constexpr std::size_t admin_token_length_min = 32;
constexpr std::size_t admin_token_length_max = 1024;
constexpr std::string_view no_flag;

// `config.*section.*field` is the integer field a row stores to; bounds in the row keep the
// value inside the field's type, and the assert checks that the row's bounds do.
template <auto section, auto field>
void store_integer(Config& config, std::int64_t value) {
  auto& target = config.*section.*field;
  using Field = std::remove_reference_t<decltype(target)>;
  assert(std::in_range<Field>(value));
  target = static_cast<Field>(value);
}

template <auto section, auto field>
std::string show_integer(const Config& config) {
  return std::to_string(config.*section.*field);
}

template <auto section, auto field>
constexpr Setting integer_setting(std::string_view key, std::string_view flag,
                                  std::int64_t value_min, std::int64_t value_max,
                                  std::string_view description) {
  return Setting{key,
                 flag,
                 ValueKind::integer,
                 value_min,
                 value_max,
                 store_integer<section, field>,
                 nullptr,
                 show_integer<section, field>,
                 description};
}

constexpr Setting text_setting(std::string_view key, std::string_view flag,
                               Result<void> (*store)(Config&, std::string_view),
                               std::string (*show)(const Config&), std::string_view description) {
  return Setting{key, flag, ValueKind::text, 0, 0, nullptr, store, show, description};
}

Result<void> store_listen(Config& config, std::string_view text) {
  auto address = parse_listen_address(text);
  if (!address) return unexpected(address.error());
  config.server.listen_host = std::move(address->first);
  config.server.listen_port = address->second;
  return {};
}

std::string show_listen(const Config& config) {
  const std::string& host = config.server.listen_host;
  const bool ipv6 = host.find(':') != std::string::npos;
  const std::string port = std::to_string(config.server.listen_port);
  return ipv6 ? "[" + host + "]:" + port : host + ":" + port;
}

Result<void> store_data_dir(Config& config, std::string_view text) {
  if (text.empty()) return fail("empty", "must not be empty; name a directory such as './var'");
  if (text.size() > data_dir_length_max) return fail("too_long", "longer than 4096 bytes");
  // The OS reads paths as C strings: a NUL would silently cut the path short.
  if (text.find('\0') != std::string_view::npos) return fail("nul", "must not contain NUL");
  config.storage.data_dir = std::string(text);
  return {};
}

std::string show_data_dir(const Config& config) { return config.storage.data_dir; }

Result<void> store_database_url(Config& config, std::string_view text) {
  const bool postgres = text.starts_with("postgres://") || text.starts_with("postgresql://");
  if (!text.empty() && !postgres) {
    // The value is not echoed: a database URL usually carries a password, and problems end
    // up on terminals and in CI logs.
    return fail("invalid_database_url",
                "expected empty (SQLite in storage.data_dir) or a URL starting with "
                "postgres:// or postgresql:// (value not shown: it may hold a password)");
  }
  config.storage.database_url = std::string(text);
  return {};
}

std::string show_database_url(const Config& config) { return config.storage.database_url; }

Result<void> store_log_level(Config& config, std::string_view text) {
  constexpr std::array<std::string_view, 5> levels = {"trace", "debug", "info", "warn", "error"};
  if (std::find(levels.begin(), levels.end(), text) == levels.end()) {
    return fail("invalid_log_level",
                "expected trace, debug, info, warn or error, got '" + printable(text) + "'");
  }
  config.log.level = std::string(text);
  return {};
}

std::string show_log_level(const Config& config) { return config.log.level; }

// The token is checked but never echoed: problems reach terminals and CI logs. Visible ASCII
// only, because it travels in an `Authorization: Bearer` header, where spaces and control
// characters would be cut or rejected on the way.
Result<void> store_admin_token(Config& config, std::string_view text) {
  const bool visible_ascii = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  const bool length_ok =
      text.size() >= admin_token_length_min && text.size() <= admin_token_length_max;
  if (!text.empty() && (!visible_ascii || !length_ok)) {
    return fail("invalid_admin_token",
                "expected empty (admin API off) or 32 to 1024 visible ASCII characters with no "
                "spaces; got " +
                    std::to_string(text.size()) + " characters (value not shown: it is a secret)");
  }
  config.admin.token = std::string(text);
  return {};
}

std::string show_admin_token(const Config& config) {
  return config.admin.token.empty() ? std::string() : std::string("(set, not shown)");
}

// Vault keys are secrets: checked for form here, never echoed (problems reach terminals and
// CI logs). The vault parses them fully when it loads them (vault::parse_key_ring), where a
// problem names the key id but never the key.
constexpr std::size_t vault_keys_length_max = 4096;  // ~80 keys of 32 bytes: rotation, not storage
constexpr std::size_t vault_key_id_length_max = 32;

bool visible_ascii_without_spaces(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

Result<void> check_vault_secret(std::string_view text) {
  if (!visible_ascii_without_spaces(text) || text.size() > vault_keys_length_max) {
    return fail("invalid_vault_key",
                "expected base64 text (visible ASCII, no spaces, at most 4096 characters); got " +
                    std::to_string(text.size()) + " characters (value not shown: it is a secret)");
  }
  return {};
}

Result<void> store_vault_data_keys(Config& config, std::string_view text) {
  if (auto checked = check_vault_secret(text); !checked) return checked;
  config.vault.data_keys = std::string(text);
  return {};
}

std::string show_vault_data_keys(const Config& config) {
  return config.vault.data_keys.empty() ? std::string() : std::string("(set, not shown)");
}

Result<void> store_vault_active_key(Config& config, std::string_view text) {
  const bool id_chars = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
  if (!id_chars || text.size() > vault_key_id_length_max) {
    return fail("invalid_vault_key_id", "expected a key id of 1 to 32 characters [A-Za-z0-9_-], got '" +
                                            printable(text) + "'");
  }
  config.vault.active_key = std::string(text);
  return {};
}

std::string show_vault_active_key(const Config& config) { return config.vault.active_key; }

Result<void> store_vault_fingerprint_key(Config& config, std::string_view text) {
  if (auto checked = check_vault_secret(text); !checked) return checked;
  config.vault.fingerprint_key = std::string(text);
  return {};
}

std::string show_vault_fingerprint_key(const Config& config) {
  return config.vault.fingerprint_key.empty() ? std::string() : std::string("(set, not shown)");
}

constexpr std::array settings_table = {
    text_setting("server.listen", "--listen", store_listen, show_listen,
                 "Address the HTTP APIs listen on: HOST:PORT with an IPv4 address, a hostname "
                 "or a bracketed IPv6 address ([::1]:4242). Port 0 picks a free port."),
    integer_setting<&Config::server, &ServerConfig::threads>(
        "server.threads", no_flag, 0, threads_max,
        "I/O threads serving HTTP; 0 means one per CPU core."),
    integer_setting<&Config::server, &ServerConfig::blocking_threads>(
        "server.blocking_threads", no_flag, 1, 1024,
        "Threads for handlers that wait on the database; each request waiting for its group "
        "commit holds one, so this bounds how many writes share one synced commit."),
    integer_setting<&Config::server, &ServerConfig::header_limit_bytes>(
        "server.header_limit_bytes", no_flag, 1 * kib_bytes, 1 * mib_bytes,
        "Largest request head (request line and headers) accepted; a larger one gets 431."),
    integer_setting<&Config::server, &ServerConfig::body_limit_bytes>(
        "server.body_limit_bytes", no_flag, 1 * kib_bytes, 64 * mib_bytes,
        "Largest request body accepted; a larger one gets 413."),
    integer_setting<&Config::server, &ServerConfig::header_timeout_ms>(
        "server.header_timeout_ms", no_flag, 1, hour_ms,
        "Time for the whole request head to arrive before the connection is closed."),
    integer_setting<&Config::server, &ServerConfig::body_timeout_ms>(
        "server.body_timeout_ms", no_flag, 1, hour_ms,
        "Time for the whole request body to arrive before the connection is closed."),
    integer_setting<&Config::server, &ServerConfig::idle_timeout_ms>(
        "server.idle_timeout_ms", no_flag, 1, hour_ms,
        "How long a keep-alive connection may wait for its next request."),
    integer_setting<&Config::server, &ServerConfig::shutdown_grace_ms>(
        "server.shutdown_grace_ms", no_flag, 1, hour_ms,
        "On SIGTERM, how long in-flight requests get to finish before the process exits."),
    text_setting("storage.data_dir", "--data-dir", store_data_dir, show_data_dir,
                 "Directory for local state; the SQLite database is <data_dir>/till.db."),
    text_setting("storage.database_url", "--database", store_database_url, show_database_url,
                 "Empty for SQLite in storage.data_dir; a postgres:// or postgresql:// URL "
                 "for PostgreSQL."),
    integer_setting<&Config::storage, &StorageConfig::pool_size>(
        "storage.pool_size", no_flag, 1, 256,
        "Database connections: PostgreSQL connections, or SQLite reader connections."),
    integer_setting<&Config::storage, &StorageConfig::busy_timeout_ms>(
        "storage.busy_timeout_ms", no_flag, 0, 600'000,
        "How long a transaction waits for a locked database before it counts as busy."),
    integer_setting<&Config::storage, &StorageConfig::retry_attempts_max>(
        "storage.retry_attempts_max", no_flag, 1, 100,
        "Most times one transaction is retried when the database is busy or reports a "
        "serialization failure."),
    text_setting("log.level", "--log-level", store_log_level, show_log_level,
                 "Least severe log level written: trace, debug, info, warn or error."),
    integer_setting<&Config::ledger, &LedgerConfig::expiry_interval_ms>(
        "ledger.expiry_interval_ms", no_flag, 10, hour_ms,
        "How often `till serve` expires ledger holds whose expires_at_unix_ms has passed."),
    text_setting("admin.token", no_flag, store_admin_token, show_admin_token,
                 "Bearer token for the admin API (/admin/v1); empty turns the admin API off. "
                 "At least 32 characters; never logged or shown."),
    integer_setting<&Config::webhooks, &WebhooksConfig::dispatch>(
        "webhooks.dispatch", no_flag, 0, 1,
        "1: this process delivers webhooks (several nodes share the work through leases); "
        "0: it only writes events and leaves delivery to other nodes."),
    integer_setting<&Config::webhooks, &WebhooksConfig::timeout_ms>(
        "webhooks.timeout_ms", no_flag, 100, 120'000,
        "Time a receiver has to answer a delivery with 2xx; later counts as a failure."),
    integer_setting<&Config::webhooks, &WebhooksConfig::lease_ms>(
        "webhooks.lease_ms", no_flag, 1'200, hour_ms,
        "How long a claimed delivery is reserved for one process; must exceed "
        "webhooks.timeout_ms by more than a second. A crashed process's deliveries are "
        "retried once their leases lapse."),
    integer_setting<&Config::webhooks, &WebhooksConfig::endpoint_concurrency>(
        "webhooks.endpoint_concurrency", no_flag, 1, 1000,
        "Most deliveries one process has in flight to one endpoint, so a slow receiver "
        "cannot take every connection."),
    integer_setting<&Config::webhooks, &WebhooksConfig::retry_initial_ms>(
        "webhooks.retry_initial_ms", no_flag, 10, hour_ms,
        "Delay before the first retry of a failed delivery; each later retry waits twice as "
        "long (with jitter), up to webhooks.retry_interval_max_ms."),
    integer_setting<&Config::webhooks, &WebhooksConfig::retry_interval_max_ms>(
        "webhooks.retry_interval_max_ms", no_flag, 10, 24 * hour_ms,
        "Longest delay between two attempts of one delivery."),
    integer_setting<&Config::webhooks, &WebhooksConfig::retry_window_ms>(
        "webhooks.retry_window_ms", no_flag, 10, 30 * 24 * hour_ms,
        "How long a delivery is retried before it fails for good; an endpoint whose every "
        "attempt failed for this long is disabled (default 3 days)."),
    integer_setting<&Config::webhooks, &WebhooksConfig::poll_interval_ms>(
        "webhooks.poll_interval_ms", no_flag, 1, 10'000,
        "How often a dispatcher that is delivering looks for new events; after events went to "
        "nobody it looks once per webhooks.sweep_interval_ms instead."),
    integer_setting<&Config::webhooks, &WebhooksConfig::sweep_interval_ms>(
        "webhooks.sweep_interval_ms", no_flag, 1, 600'000,
        "How often the dispatcher checks every endpoint for due work it did not create "
        "itself (another node's, or a crashed process's whose leases lapsed)."),
    integer_setting<&Config::webhooks, &WebhooksConfig::connections_max>(
        "webhooks.connections_max", no_flag, 1, 65'536,
        "Most open connections to webhook receivers that one process keeps."),
    text_setting("vault.data_keys", no_flag, store_vault_data_keys, show_vault_data_keys,
                 "Card vault data keys, 'id:<base64 of 32 bytes>' separated by commas; empty "
                 "keeps keys in <data_dir>/vault-keys.toml (one node only). Never shown."),
    text_setting("vault.active_key", no_flag, store_vault_active_key, show_vault_active_key,
                 "Id of the key in vault.data_keys that encrypts new card data; rows under "
                 "other keys are re-encrypted by `till vault rotate-key`."),
    text_setting("vault.fingerprint_key", no_flag, store_vault_fingerprint_key,
                 show_vault_fingerprint_key,
                 "Base64 of 32 bytes keying card fingerprints; required with vault.data_keys and "
                 "never rotated (fingerprints would change). Never shown."),
    integer_setting<&Config::processors, &ProcessorsConfig::sync_interval_ms>(
        "processors.sync_interval_ms", no_flag, 0, 60'000,
        "How often this process asks processors about payment attempts whose outcome is "
        "unknown (timeouts, lost answers, crashes); 0 leaves that to other nodes."),
    integer_setting<&Config::processors, &ProcessorsConfig::setup_cache_ms>(
        "processors.setup_cache_ms", no_flag, 0, 600'000,
        "How long a merchant's routing configuration and connector accounts are cached "
        "before payments read them again."),
    integer_setting<&Config::processors, &ProcessorsConfig::breaker_min_requests>(
        "processors.breaker_min_requests", no_flag, 1, 1'000'000,
        "Calls to a connector account in the breaker's 60 s window before it may open."),
    integer_setting<&Config::processors, &ProcessorsConfig::breaker_error_permille>(
        "processors.breaker_error_permille", no_flag, 1, 1000,
        "Share of failed calls (no usable answer; declines do not count), per mille, that "
        "opens a connector account's circuit breaker."),
    integer_setting<&Config::processors, &ProcessorsConfig::breaker_slow_call_ms>(
        "processors.breaker_slow_call_ms", no_flag, 1, 600'000,
        "A call slower than this counts as slow; 800 per mille slow calls open the breaker."),
    integer_setting<&Config::processors, &ProcessorsConfig::breaker_open_ms>(
        "processors.breaker_open_ms", no_flag, 100, 3'600'000,
        "How long an open breaker keeps payments away from a connector account before "
        "letting probe calls through (half-open)."),
};

// Checked at compile time so a bad row fails the build, not a deployment. The function
// pointers are not checked here (GCC cannot compare them in a constant expression under
// -fsanitize=undefined); integer_setting and text_setting set them consistently.
consteval bool table_is_well_formed() {
  for (std::size_t i = 0; i < settings_table.size(); i++) {
    const Setting& row = settings_table[i];
    if (row.key.find('.') == std::string_view::npos) return false;
    if (row.key.find('.') != row.key.rfind('.')) return false;  // exactly one section level
    if (row.description.empty()) return false;
    if (!row.flag.empty() && !row.flag.starts_with("--")) return false;
    if (row.value_min > row.value_max) return false;
    for (std::size_t j = 0; j < i; j++) {
      if (settings_table[j].key == row.key) return false;
      if (!row.flag.empty() && settings_table[j].flag == row.flag) return false;
    }
  }
  return true;
}
static_assert(table_is_well_formed());

}  // namespace

std::span<const Setting> settings() { return settings_table; }

const Setting* find_setting_by_key(std::string_view key) {
  for (const Setting& setting : settings_table) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

const Setting* find_setting_by_env(std::string_view name) {
  for (const Setting& setting : settings_table) {
    if (env_name(setting.key) == name) return &setting;
  }
  return nullptr;
}

std::string env_name(std::string_view key) {
  std::string name = "TILL_";
  for (const char c : key) {
    name += c == '.' ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return name;
}

std::string_view section_of(std::string_view key) { return key.substr(0, key.find('.')); }

std::string_view leaf_of(std::string_view key) {
  const std::size_t dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

}  // namespace till::config::internal
