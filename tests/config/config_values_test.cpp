// Every key, every source, valid and invalid values including both bounds. One row per case:
//   {source, key, input, ok(field value)} or {source, key, input, bad(message substring)}.
// File inputs are TOML value syntax; environment and flag inputs are the raw text.
#include <gtest/gtest.h>

#include <string>

#include "config/config_test_util.h"

namespace till::config::testing {
namespace {

enum class From { file, env, flag };

struct Want {
  bool valid;
  std::string_view text;  // the field value when valid, a message substring when not
};
constexpr Want ok(std::string_view value) { return {true, value}; }
constexpr Want bad(std::string_view message) { return {false, message}; }

struct ValueRow {
  From from;
  std::string_view key;
  std::string_view input;
  Want want;
};

void PrintTo(const ValueRow& row, std::ostream* out) {
  constexpr std::string_view names[] = {"file", "env", "flag"};
  *out << names[static_cast<int>(row.from)] << " " << row.key << " = '" << row.input << "' -> "
       << (row.want.valid ? "ok " : "problem ") << row.want.text;
}

constexpr ValueRow value_rows[] = {
    // server.listen: HOST:PORT with IPv4, hostname or [IPv6]; port 0..65535.
    {From::file, "server.listen", R"("0.0.0.0:80")", ok("host=0.0.0.0 port=80")},
    {From::file, "server.listen", R"("[::1]:4242")", ok("host=::1 port=4242")},
    {From::env, "server.listen", "[::]:0", ok("host=:: port=0")},
    {From::env, "server.listen", "localhost:65535", ok("host=localhost port=65535")},
    {From::flag, "server.listen", "till-api.internal:8080", ok("host=till-api.internal port=8080")},
    {From::env, "server.listen", "localhost:65536", bad("port must be a number from 0 to 65535")},
    {From::env, "server.listen", "127.0.0.1", bad("missing ':PORT'")},
    {From::env, "server.listen", "::1:4242", bad("needs brackets")},
    {From::flag, "server.listen", "", bad("expected HOST:PORT")},
    {From::file, "server.listen", "4242", bad("expected a string, got an integer")},
    // server.blocking_threads: 1..1024.
    {From::file, "server.blocking_threads", "1", ok("1")},
    {From::file, "server.blocking_threads", "1024", ok("1024")},
    {From::file, "server.blocking_threads", "0", bad("must be between 1 and 1024, got 0")},
    {From::env, "server.blocking_threads", "1025", bad("must be between 1 and 1024, got 1025")},
    // server.threads: 0..256.
    {From::file, "server.threads", "0", ok("0")},
    {From::file, "server.threads", "256", ok("256")},
    {From::file, "server.threads", "257", bad("must be between 0 and 256, got 257")},
    {From::file, "server.threads", "-1", bad("must be between 0 and 256, got -1")},
    {From::file, "server.threads", R"("4")",
     bad("expected an integer, got a string (write 4 without quotes)")},
    {From::file, "server.threads", R"("four")", bad("expected an integer, got a string")},
    {From::file, "server.threads", "4.0", bad("expected an integer, got a float")},
    {From::file, "server.threads", "true", bad("expected an integer, got a boolean")},
    {From::file, "server.threads", "[4]", bad("expected an integer, got an array")},
    {From::file, "server.threads", "{ n = 4 }", bad("expected an integer, got a table")},
    {From::env, "server.threads", "16", ok("16")},
    {From::env, "server.threads", "sixteen",
     bad("expected an integer between 0 and 256, got 'sixteen'")},
    {From::env, "server.threads", " 16", bad("expected an integer")},
    {From::env, "server.threads", "+16", bad("expected an integer")},
    {From::env, "server.threads", "0x10", bad("expected an integer")},
    {From::env, "server.threads", "", bad("expected an integer")},
    {From::env, "server.threads", "99999999999999999999", bad("expected an integer")},
    {From::flag, "server.threads", "257", bad("must be between 0 and 256")},
    // server.header_limit_bytes: 1 KiB..1 MiB.
    {From::file, "server.header_limit_bytes", "1024", ok("1024")},
    {From::file, "server.header_limit_bytes", "1_048_576", ok("1048576")},
    {From::file, "server.header_limit_bytes", "1023", bad("must be between 1024 and 1048576")},
    {From::env, "server.header_limit_bytes", "1048577", bad("must be between 1024 and 1048576")},
    // server.body_limit_bytes: 1 KiB..64 MiB.
    {From::file, "server.body_limit_bytes", "1024", ok("1024")},
    {From::env, "server.body_limit_bytes", "67108864", ok("67108864")},
    {From::file, "server.body_limit_bytes", "1023", bad("must be between 1024 and 67108864")},
    {From::env, "server.body_limit_bytes", "67108865", bad("must be between 1024 and 67108864")},
    // The four server timeouts: 1 ms..1 hour.
    {From::file, "server.header_timeout_ms", "1", ok("1")},
    {From::env, "server.header_timeout_ms", "3600000", ok("3600000")},
    {From::file, "server.header_timeout_ms", "0", bad("must be between 1 and 3600000, got 0")},
    {From::env, "server.header_timeout_ms", "3600001", bad("must be between 1 and 3600000")},
    {From::file, "server.body_timeout_ms", "1", ok("1")},
    {From::env, "server.body_timeout_ms", "3600000", ok("3600000")},
    {From::file, "server.body_timeout_ms", "0", bad("must be between 1 and 3600000")},
    {From::env, "server.body_timeout_ms", "3600001", bad("must be between 1 and 3600000")},
    {From::file, "server.idle_timeout_ms", "1", ok("1")},
    {From::env, "server.idle_timeout_ms", "3600000", ok("3600000")},
    {From::file, "server.idle_timeout_ms", "0", bad("must be between 1 and 3600000")},
    {From::env, "server.idle_timeout_ms", "3600001", bad("must be between 1 and 3600000")},
    {From::file, "server.shutdown_grace_ms", "1", ok("1")},
    {From::env, "server.shutdown_grace_ms", "3600000", ok("3600000")},
    {From::file, "server.shutdown_grace_ms", "0", bad("must be between 1 and 3600000")},
    {From::env, "server.shutdown_grace_ms", "3600001", bad("must be between 1 and 3600000")},
    // storage.data_dir: any non-empty path.
    {From::file, "storage.data_dir", R"("/var/lib/till")", ok("/var/lib/till")},
    {From::flag, "storage.data_dir", "data", ok("data")},
    {From::env, "storage.data_dir", "", bad("must not be empty")},
    {From::file, "storage.data_dir", R"("")", bad("must not be empty")},
    {From::file, "storage.data_dir", R"("a\u0000b")", bad("must not contain NUL")},
    {From::file, "storage.data_dir", "7", bad("expected a string, got an integer")},
    // storage.database_url: empty, or postgres:// / postgresql://.
    {From::file, "storage.database_url", R"("")", ok("")},
    {From::env, "storage.database_url", "postgres://till@db/till", ok("postgres://till@db/till")},
    {From::flag, "storage.database_url", "postgresql://till:pw@db:5432/till",
     ok("postgresql://till:pw@db:5432/till")},
    {From::env, "storage.database_url", "mysql://till@db/till",
     bad("starting with postgres:// or postgresql://")},
    {From::flag, "storage.database_url", "till.db", bad("value not shown")},
    // storage.pool_size: 1..256.
    {From::file, "storage.pool_size", "1", ok("1")},
    {From::env, "storage.pool_size", "256", ok("256")},
    {From::file, "storage.pool_size", "0", bad("must be between 1 and 256, got 0")},
    {From::env, "storage.pool_size", "257", bad("must be between 1 and 256, got 257")},
    // storage.busy_timeout_ms: 0..600000.
    {From::file, "storage.busy_timeout_ms", "0", ok("0")},
    {From::env, "storage.busy_timeout_ms", "600000", ok("600000")},
    {From::file, "storage.busy_timeout_ms", "-1", bad("must be between 0 and 600000")},
    {From::env, "storage.busy_timeout_ms", "600001", bad("must be between 0 and 600000")},
    // storage.retry_attempts_max: 1..100.
    {From::file, "storage.retry_attempts_max", "1", ok("1")},
    {From::env, "storage.retry_attempts_max", "100", ok("100")},
    {From::file, "storage.retry_attempts_max", "0", bad("must be between 1 and 100, got 0")},
    {From::env, "storage.retry_attempts_max", "101", bad("must be between 1 and 100, got 101")},
    // log.level: trace|debug|info|warn|error, lower case.
    {From::file, "log.level", R"("trace")", ok("trace")},
    {From::env, "log.level", "debug", ok("debug")},
    {From::flag, "log.level", "info", ok("info")},
    {From::file, "log.level", R"("warn")", ok("warn")},
    {From::env, "log.level", "error", ok("error")},
    {From::env, "log.level", "warning",
     bad("expected trace, debug, info, warn or error, got 'warning'")},
    {From::flag, "log.level", "INFO", bad("got 'INFO'")},
    {From::file, "log.level", "3", bad("expected a string, got an integer")},
    // ledger.expiry_interval_ms: 10 ms..1 hour.
    {From::file, "ledger.expiry_interval_ms", "10", ok("10")},
    {From::env, "ledger.expiry_interval_ms", "3600000", ok("3600000")},
    {From::file, "ledger.expiry_interval_ms", "9", bad("must be between 10 and 3600000, got 9")},
    {From::env, "ledger.expiry_interval_ms", "3600001", bad("must be between 10 and 3600000")},
    // webhooks.*: integers within their bounds.
    {From::file, "webhooks.dispatch", "0", ok("0")},
    {From::env, "webhooks.dispatch", "1", ok("1")},
    {From::env, "webhooks.dispatch", "2", bad("must be between 0 and 1")},
    {From::file, "webhooks.timeout_ms", "100", ok("100")},
    {From::env, "webhooks.timeout_ms", "120000", ok("120000")},
    {From::env, "webhooks.timeout_ms", "120001", bad("must be between 100 and 120000")},
    {From::file, "webhooks.lease_ms", "1200", ok("1200")},
    {From::env, "webhooks.lease_ms", "3600000", ok("3600000")},
    {From::env, "webhooks.lease_ms", "3600001", bad("must be between 1200 and 3600000")},
    {From::file, "webhooks.endpoint_concurrency", "1", ok("1")},
    {From::env, "webhooks.endpoint_concurrency", "1000", ok("1000")},
    {From::env, "webhooks.endpoint_concurrency", "1001", bad("must be between 1 and 1000")},
    {From::file, "webhooks.retry_initial_ms", "10", ok("10")},
    {From::env, "webhooks.retry_initial_ms", "3600000", ok("3600000")},
    {From::env, "webhooks.retry_initial_ms", "3600001", bad("must be between 10 and 3600000")},
    {From::file, "webhooks.retry_interval_max_ms", "10", ok("10")},
    {From::env, "webhooks.retry_interval_max_ms", "86400000", ok("86400000")},
    {From::env, "webhooks.retry_interval_max_ms", "86400001", bad("must be between 10 and 86400000")},
    {From::file, "webhooks.retry_window_ms", "10", ok("10")},
    {From::env, "webhooks.retry_window_ms", "2592000000", ok("2592000000")},
    {From::env, "webhooks.retry_window_ms", "2592000001", bad("must be between 10 and 2592000000")},
    {From::file, "webhooks.poll_interval_ms", "1", ok("1")},
    {From::env, "webhooks.poll_interval_ms", "10000", ok("10000")},
    {From::env, "webhooks.poll_interval_ms", "10001", bad("must be between 1 and 10000")},
    {From::file, "webhooks.sweep_interval_ms", "1", ok("1")},
    {From::env, "webhooks.sweep_interval_ms", "600000", ok("600000")},
    {From::env, "webhooks.sweep_interval_ms", "600001", bad("must be between 1 and 600000")},
    {From::file, "webhooks.connections_max", "1", ok("1")},
    {From::env, "webhooks.connections_max", "65536", ok("65536")},
    {From::env, "webhooks.connections_max", "65537", bad("must be between 1 and 65536")},
    // admin.token: empty (off) or 32..1024 visible ASCII characters; never echoed.
    {From::file, "admin.token", R"("")", ok("")},
    {From::env, "admin.token", "test-admin-token-0123456789abcdef",
     ok("test-admin-token-0123456789abcdef")},
    {From::env, "admin.token", "short-token-0123456789", bad("got 22 characters (value not shown")},
    {From::file, "admin.token", R"("test-admin-token 0123456789abcdef")",
     bad("32 to 1024 visible ASCII characters")},
    {From::flag, "admin.token", "test-admin-token-0123456789abcdef\n", bad("value not shown")},
    {From::file, "admin.token", "42", bad("expected a string, got an integer")},
    // vault.*: keys are checked for form only here (vault::parse_key_ring checks the rest) and
    // never echoed; the active key id is [A-Za-z0-9_-]{0,32}.
    {From::file, "vault.data_keys", R"("")", ok("")},
    {From::env, "vault.data_keys", "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
     ok("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")},
    {From::env, "vault.data_keys", "k1:AAEC AwQF", bad("got 12 characters (value not shown")},
    {From::file, "vault.data_keys", "1", bad("expected a string, got an integer")},
    {From::env, "vault.active_key", "k2", ok("k2")},
    {From::file, "vault.active_key", R"("2026-01_b")", ok("2026-01_b")},
    {From::env, "vault.active_key", "k.2", bad("expected a key id of 1 to 32 characters")},
    {From::env, "vault.active_key", "k123456789012345678901234567890123",
     bad("expected a key id")},
    {From::env, "vault.fingerprint_key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
     ok("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")},
    {From::flag, "vault.fingerprint_key", "AAECAwQF\n", bad("value not shown")},
    {From::env, "processors.sync_interval_ms", "0", ok("0")},
    {From::file, "processors.sync_interval_ms", "60001", bad("must be between 0 and 60000")},
    {From::env, "processors.setup_cache_ms", "0", ok("0")},
    {From::env, "processors.setup_cache_ms", "600001", bad("must be between 0 and 600000")},
    {From::file, "processors.breaker_min_requests", "5", ok("5")},
    {From::env, "processors.breaker_min_requests", "0", bad("must be between 1 and 1000000")},
    {From::file, "processors.breaker_error_permille", "1000", ok("1000")},
    {From::env, "processors.breaker_error_permille", "1001", bad("must be between 1 and 1000")},
    {From::env, "processors.breaker_slow_call_ms", "250", ok("250")},
    {From::env, "processors.breaker_slow_call_ms", "0", bad("must be between 1 and 600000")},
    {From::flag, "processors.breaker_open_ms", "100", ok("100")},
    {From::env, "processors.breaker_open_ms", "99", bad("must be between 100 and 3600000")},
};

// How the source of a problem is named for a row: the file line, env var or flag.
std::string expected_source(const ValueRow& row) {
  const KeySpec& spec = spec_for(row.key);
  switch (row.from) {
    case From::file:
      return "test.toml:2";
    case From::env:
      return "env " + std::string(spec.env);
    case From::flag:
      return "flag " + (spec.flag.empty() ? "--" + std::string(spec.key) : std::string(spec.flag));
  }
  return {};
}

Loaded load_row(const ValueRow& row) {
  const std::string key(row.key);
  const std::string input(row.input);
  switch (row.from) {
    case From::file: {
      const std::size_t dot = key.find('.');
      const std::string toml =
          "[" + key.substr(0, dot) + "]\n" + key.substr(dot + 1) + " = " + input + "\n";
      return load_text(toml);
    }
    case From::env:
      return load_text("", {{std::string(spec_for(row.key).env), input}});
    case From::flag:
      return load_text("", {}, {{key, input}});
  }
  return load_text("");
}

class ConfigValue : public ::testing::TestWithParam<ValueRow> {};

TEST_P(ConfigValue, LoadsOrReportsTheKeyAndSource) {
  const ValueRow& row = GetParam();
  const Loaded loaded = load_row(row);
  if (row.want.valid) {
    ASSERT_TRUE(loaded) << all_problems(loaded);
    EXPECT_EQ(field(*loaded, row.key), row.want.text);
    return;
  }
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 1u) << all_problems(loaded);
  const ConfigProblem& problem = loaded.error()[0];
  EXPECT_EQ(problem.key, row.key);
  EXPECT_EQ(problem.source, expected_source(row));
  EXPECT_NE(problem.message.find(row.want.text), std::string::npos) << problem.message;
}

std::string row_name(const ::testing::TestParamInfo<ValueRow>& info) {
  std::string name = std::to_string(info.index) + "_";
  for (const char c : info.param.key) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name + (info.param.want.valid ? "_ok" : "_bad");
}

INSTANTIATE_TEST_SUITE_P(EveryKey, ConfigValue, ::testing::ValuesIn(value_rows), row_name);

// Every key appears in the rows above with at least one valid and one invalid value.
TEST(ConfigValueRows, CoverEveryKeyBothWays) {
  for (const KeySpec& spec : key_specs) {
    bool valid = false;
    bool invalid = false;
    for (const ValueRow& row : value_rows) {
      if (row.key != spec.key) continue;
      (row.want.valid ? valid : invalid) = true;
    }
    EXPECT_TRUE(valid && invalid) << spec.key;
  }
}

// The default of every key, written back through the environment, is accepted and gives the
// same field: defaults are inside their own bounds.
TEST(ConfigValueRows, EveryDefaultIsAValidValue) {
  const Config defaults;
  for (const KeySpec& spec : key_specs) {
    const Loaded loaded = load_text("", {{std::string(spec.env), std::string(spec.default_value)}});
    ASSERT_TRUE(loaded) << spec.key << all_problems(loaded);
    EXPECT_EQ(field(*loaded, spec.key), field(defaults, spec.key));
  }
}

// The admin token is a secret: a rejected one is described by its length, never echoed.
TEST(ConfigSecrets, AdminTokenIsNeverEchoed) {
  const std::string token = "leaky-admin-token-but-31-chars!";
  ASSERT_EQ(token.size(), 31u);
  const Loaded loaded =
      load_text("[admin]\ntoken = \"" + token + "\"\n", {{"TILL_ADMIN_TOKEN", token + " x"}});
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 2u) << all_problems(loaded);
  for (const ConfigProblem& problem : loaded.error()) {
    EXPECT_EQ(to_string(problem).find("leaky"), std::string::npos) << to_string(problem);
  }
}

// Vault keys are secrets too: rejected ones are described by their length, never echoed, and
// accepted ones are not shown by `till config keys` (setting_docs shows defaults only, but
// the show function is what any later "print the effective config" would use).
TEST(ConfigSecrets, VaultKeysAreNeverEchoed) {
  const Loaded loaded = load_text("[vault]\ndata_keys = \"k1:leakyleaky leaky\"\n",
                                  {{"TILL_VAULT_FINGERPRINT_KEY", "leakyleaky\x01"}});
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 2u) << all_problems(loaded);
  for (const ConfigProblem& problem : loaded.error()) {
    EXPECT_EQ(to_string(problem).find("leaky"), std::string::npos) << to_string(problem);
  }
}

}  // namespace
}  // namespace till::config::testing
