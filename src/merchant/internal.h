// merchant/internal.h — the merchant module's statements (merchant/sql.cpp), shared by the
// store and the authenticator. Internal to merchant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "merchant/merchant.h"
#include "store/store.h"

namespace till::merchant::sql {

using store::Connection;
using store::StoreResult;

// A stored key with the digest of its secret (the cache is keyed by it).
struct KeyRow {
  ApiKey key;
  std::string secret_sha256_hex;
};

// What authentication needs to know about the key a digest names.
struct KeyLookup {
  std::string key_id;
  std::string merchant_id;
  Mode mode = Mode::test;
  std::optional<std::int64_t> expires_at_unix_ms;
  bool revoked = false;
};

StoreResult<void> insert_merchant(Connection& connection, const Merchant& merchant);
StoreResult<std::optional<Merchant>> select_merchant(Connection& connection, const std::string& id);
StoreResult<bool> merchant_exists(Connection& connection, const std::string& id);
// Newest first, ids below `starting_after` (all when empty).
StoreResult<Page<Merchant>> select_merchants(Connection& connection,
                                             const std::string& starting_after, std::size_t limit);

StoreResult<void> insert_key(Connection& connection, const ApiKey& key,
                             const std::string& secret_sha256_hex);
// `for_update`: on PostgreSQL, lock the row until the transaction ends (SQLite's write
// transaction already excludes other writers).
StoreResult<std::optional<KeyRow>> select_key(Connection& connection, const std::string& id,
                                              bool for_update);
StoreResult<std::optional<KeyLookup>> select_key_by_secret(Connection& connection,
                                                           const std::string& secret_sha256_hex);
StoreResult<Page<ApiKey>> select_keys(Connection& connection, const std::string& merchant_id,
                                      const std::string& starting_after, std::size_t limit);
StoreResult<bool> key_belongs_to(Connection& connection, const std::string& key_id,
                                 const std::string& merchant_id);
// Keys of the merchant that still work at `now_unix_ms`.
StoreResult<std::int64_t> count_usable_keys(Connection& connection, const std::string& merchant_id,
                                            std::int64_t now_unix_ms);
StoreResult<void> set_key_rolled(Connection& connection, const std::string& id,
                                 std::int64_t expires_at_unix_ms,
                                 const std::string& replaced_by_key_id);
StoreResult<void> set_key_revoked(Connection& connection, const std::string& id,
                                  std::int64_t revoked_at_unix_ms);

}  // namespace till::merchant::sql
