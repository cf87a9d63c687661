// `till vault rotate-key` and `till vault generate-key` (docs/vault.md).
//
// rotate-key re-encrypts every vaulted card not under vault.active_key, in batches of one
// transaction each, while `till serve` keeps running. Like `till ledger verify` it never
// creates or migrates a database, and it never creates vault keys: rotating under keys made up
// on the spot would only count every row as failed.
#include <openssl/crypto.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "obs/log.h"
#include "store/migrations.h"
#include "store/store.h"
#include "vault/vault.h"

namespace till::cli {

namespace {

// One batch, one transaction, one connection.
constexpr int kRotatePoolSize = 1;

int rotate_failure(int status, std::string_view message) {
  std::fprintf(stderr, "till: vault rotate-key: %.*s\n", static_cast<int>(message.size()),
               message.data());
  return status;
}

store::StoreOptions rotate_store_options(const config::StorageConfig& storage) {
  store::StoreOptions options;
  options.data_dir = storage.data_dir;
  options.database_url = storage.database_url;
  options.pool_size = kRotatePoolSize;
  options.busy_timeout_ms = storage.busy_timeout_ms;
  options.retry_attempts_max = storage.retry_attempts_max;
  return options;
}

}  // namespace

int run_vault_rotate_key(const config::ConfigSources& sources, std::size_t batch_size) {
  const auto config = load_config_or_report(sources);
  if (!config) return kExitUsage;
  obs::init_logging(*obs::parse_log_level(config->log.level));

  auto ring = vault::key_ring_from_config(*config, vault::LocalKeys::load_only);
  if (!ring && ring.error().code == "vault_keys_missing") {
    return rotate_failure(kExitUsage,
                          "no vault keys to rotate with: vault.data_keys is not set and " +
                              ring.error().message +
                              " (set vault.data_keys, vault.active_key and "
                              "vault.fingerprint_key; docs/vault.md)");
  }
  if (!ring) return rotate_failure(kExitUsage, ring.error().message);
  const vault::Vault vault(std::move(ring).value());

  const config::StorageConfig& storage = config->storage;
  std::error_code ignored;
  if (storage.database_url.empty() &&
      !std::filesystem::exists(std::filesystem::path(storage.data_dir) / "till.db", ignored)) {
    return rotate_failure(kExitFailure, "no database at " + storage.data_dir +
                                            "/till.db (check --data-dir or --database)");
  }
  auto database = store::open_database(rotate_store_options(storage));
  if (!database) {
    return rotate_failure(kExitFailure, "cannot open the database: " + database.error().message);
  }
  auto status = store::schema_status(**database);
  if (!status) return rotate_failure(kExitFailure, status.error().message);
  if (!status->ready()) {
    return rotate_failure(kExitFailure, "the database schema is at version " +
                                            std::to_string(status->database_version) +
                                            " but this binary needs version " +
                                            std::to_string(status->binary_version) +
                                            "; run `till migrate` first");
  }

  auto report = vault::rotate_keys(**database, vault, batch_size);
  if (!report) return rotate_failure(kExitFailure, report.error().message);
  std::printf(
      "vault rotate-key: active key %s: %lld re-encrypted, %lld already current, %lld "
      "failed\n",
      vault.active_key_id().c_str(), static_cast<long long>(report->rewrapped),
      static_cast<long long>(report->already_current), static_cast<long long>(report->failed));
  std::fflush(stdout);
  if (report->failed > 0) {
    return rotate_failure(kExitFailure,
                          "some cards could not be opened (their key is not in vault.data_keys, "
                          "or the row was altered); the log names each; do not remove old keys "
                          "until this reports 0 failed");
  }
  return kExitOk;
}

int run_vault_generate_key() {
  std::string key = vault::generate_key_base64();
  std::printf("%s\n", key.c_str());
  std::fflush(stdout);
  OPENSSL_cleanse(key.data(), key.size());
  return kExitOk;
}

}  // namespace till::cli
