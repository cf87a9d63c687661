// merchant/merchant.h — merchants, their secret API keys, and who a merchant API request is.
//
// What this module owns
//   - The `merchants` and `api_keys` tables (migration 0003) and every statement on them
//     (merchant/sql.cpp). Nothing else reads or writes those tables.
//   - Minting secret keys: `sk_test_` / `sk_live_` + 48 base62 characters from the CSPRNG
//     (about 285 bits). The secret is returned once, by the call that issues it (IssuedKey),
//     and never stored: the database keeps its SHA-256 (hex) and its last four characters.
//     No function here logs a secret, and no error message repeats one.
//   - Key life cycle: issue, roll (a new key in the same mode; the old one stops at once or
//     after an overlap of up to 7 days, as Stripe's roll allows) and revoke.
//   - Authentication (Authenticator): turning a request's `Authorization` header into an
//     AuthContext (merchant, mode, key) or a Stripe-shaped 401.
//
// Threads and caching
//   MerchantStore and Authenticator are thread-safe; their methods block on the database, so
//   call them from the blocking pool. Authenticator runs on every merchant API request, so it
//   keeps recently seen keys in memory for a short time (default 2 s) and most requests never
//   reach the database. The cache is shared with the MerchantStore it was built from: a revoke
//   or roll through that store takes effect in this process at once. Another node's revoke
//   takes effect here within the cache's time to live.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/errors.h"
#include "api/http.h"
#include "base/clock.h"
#include "base/result.h"
#include "store/store.h"

namespace till::merchant {

// Limits.
constexpr std::size_t kNameBytesMax = 255;
constexpr std::size_t kMetadataKeysMax = 50;  // Stripe's metadata limits
constexpr std::size_t kMetadataKeyBytesMax = 40;
constexpr std::size_t kMetadataValueBytesMax = 500;
constexpr std::size_t kListLimitMax = 1000;
// Keys that still work (neither revoked nor expired) per merchant; issuing more is refused.
constexpr std::size_t kUsableKeysPerMerchantMax = 100;
constexpr std::int64_t kRollOverlapSecondsMax = 7 * 24 * 60 * 60;
constexpr std::size_t kSecretRandomChars = 48;
constexpr std::size_t kSecretLast4Chars = 4;

constexpr std::string_view kTestSecretPrefix = "sk_test_";
constexpr std::string_view kLiveSecretPrefix = "sk_live_";

enum class Mode { test, live };

std::string_view to_string(Mode mode);  // "test", "live"
std::optional<Mode> parse_mode(std::string_view text);

using Metadata = std::map<std::string, std::string>;

struct Merchant {
  std::string id;  // acct_...
  std::string name;
  Metadata metadata;
  std::int64_t created_at_unix_ms = 0;
};

struct MerchantSpec {
  std::string name;  // 1-255 bytes of UTF-8, no control characters
  Metadata metadata;
  bool issue_test_key = true;  // issue a first test key in the same transaction
};

enum class KeyStatus { active, expiring, expired, revoked };

std::string_view to_string(KeyStatus status);  // "active", "expiring", "expired", "revoked"

// A key as stored: never the secret.
struct ApiKey {
  std::string id;  // key_...
  std::string merchant_id;
  Mode mode = Mode::test;
  std::string secret_last4;
  std::int64_t created_at_unix_ms = 0;
  std::optional<std::int64_t> expires_at_unix_ms;  // set by a roll; works until then
  std::optional<std::int64_t> revoked_at_unix_ms;
  std::string replaced_by_key_id;  // set by a roll

  bool livemode() const { return mode == Mode::live; }
  // "sk_test_…abcd": enough to tell keys apart, useless to call the API with.
  std::string redacted() const;
  // Revoked wins over expired; `expiring` = rolled, still in its overlap.
  KeyStatus status(std::int64_t now_unix_ms) const;
};

// A key together with its secret: only ever returned by the call that minted it.
struct IssuedKey {
  ApiKey key;
  std::string secret;
};

struct CreatedMerchant {
  Merchant merchant;
  std::optional<IssuedKey> test_key;  // when spec.issue_test_key
};

struct RolledKey {
  ApiKey previous;  // with its expires_at and replaced_by_key_id set
  IssuedKey replacement;
};

// `code` is stable (callers branch on it); `field` names the offending input ("name",
// "metadata[order]", "expires_in_seconds", "starting_after") or "id" for the object the
// call is about. Codes:
//   name_invalid, metadata_invalid, limit_invalid, cursor_invalid, expires_in_invalid
//                                       the input is wrong
//   merchant_not_found, key_not_found   no such object (field "id")
//   key_revoked, key_expired, key_already_rolled, key_limit_reached
//                                       the request conflicts with the key's state
//   database_error                      the database failed; `message` has its details
//                                       (for logs, not for API clients)
struct MerchantError {
  std::string code;
  std::string message;
  std::string field;
};
template <class T>
using MerchantResult = Expected<T, MerchantError>;

template <class T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
};

struct MerchantStoreOptions {
  // How long Authenticator trusts what it read about a key. Bounds how late another node's
  // revoke takes effect here.
  std::int64_t auth_cache_ttl_ms = 2000;
  std::size_t auth_cache_entries_max = 100'000;
};

class KeyCache;  // merchant/key_cache.h

class MerchantStore {
 public:
  // The database must be migrated. `database` and `clock` must outlive the store and every
  // Authenticator built from it.
  MerchantStore(store::Database& database, const Clock& clock, MerchantStoreOptions options = {});
  ~MerchantStore();
  MerchantStore(const MerchantStore&) = delete;
  MerchantStore& operator=(const MerchantStore&) = delete;

  MerchantResult<CreatedMerchant> create_merchant(const MerchantSpec& spec);
  MerchantResult<Merchant> get_merchant(const std::string& merchant_id);
  // Newest first, after `starting_after` (a merchant id) when given; limit 1..kListLimitMax.
  MerchantResult<Page<Merchant>> list_merchants(const std::string& starting_after,
                                                std::size_t limit);

  MerchantResult<IssuedKey> issue_key(const std::string& merchant_id, Mode mode);
  MerchantResult<ApiKey> get_key(const std::string& key_id);
  // The merchant's keys, newest first, revoked and expired ones included.
  MerchantResult<Page<ApiKey>> list_keys(const std::string& merchant_id,
                                         const std::string& starting_after, std::size_t limit);
  // A new key in the same mode. The old key stops working now (expires_in_seconds = 0) or
  // after 1..kRollOverlapSecondsMax seconds. Revoked, expired and already rolled keys cannot
  // be rolled.
  MerchantResult<RolledKey> roll_key(const std::string& key_id, std::int64_t expires_in_seconds);
  // Stops the key at once. Revoking a revoked key returns it unchanged.
  MerchantResult<ApiKey> revoke_key(const std::string& key_id);

  // The clock keys' statuses are judged by.
  const Clock& clock() const { return clock_; }

 private:
  friend class Authenticator;

  store::Database& database_;
  const Clock& clock_;
  std::shared_ptr<KeyCache> cache_;
};

// Who is calling: the result of a successful authentication.
struct AuthContext {
  std::string merchant_id;
  bool livemode = false;
  std::string key_id;
};

struct AuthStats {
  std::uint64_t cache_hits = 0;
  std::uint64_t database_lookups = 0;
};

class Authenticator {
 public:
  // Shares `store`'s key cache, database and clock; those must outlive the Authenticator.
  explicit Authenticator(MerchantStore& store);

  // Reads `Authorization: Bearer sk_...` or HTTP Basic with the key as the user name and an
  // empty password (`curl -u sk_test_...:`); schemes are case-insensitive. Failures are 401
  // `authentication_error` with Stripe's messages; an unknown, revoked or expired key is named
  // only masked ("sk_test_****abcd"), and input that is not shaped like a key is not repeated
  // at all. A database failure is a 503 `api_error` (and is logged).
  Expected<AuthContext, api::ApiError> authenticate(const api::Request& request) const;
  // The same, given the header's value.
  Expected<AuthContext, api::ApiError> authenticate_authorization(
      std::string_view authorization) const;

  AuthStats stats() const;

 private:
  store::Database& database_;
  const Clock& clock_;
  std::shared_ptr<KeyCache> cache_;
  mutable std::atomic<std::uint64_t> cache_hits_{0};
  mutable std::atomic<std::uint64_t> database_lookups_{0};
};

}  // namespace till::merchant
