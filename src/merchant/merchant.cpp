// MerchantStore: validation, minting secrets, and the transactions of the key life cycle.
#include "merchant/merchant.h"

#include <cassert>

#include "base/digest.h"
#include "base/ids.h"
#include "base/random.h"
#include "merchant/internal.h"
#include "merchant/key_cache.h"

namespace till::merchant {

namespace {

constexpr std::string_view kMerchantIdPrefix = "acct";
constexpr std::string_view kKeyIdPrefix = "key";
constexpr std::int64_t kMsPerSecond = 1000;

MerchantError error(std::string code, std::string message, std::string field) {
  return MerchantError{std::move(code), std::move(message), std::move(field)};
}

MerchantError database_error(const store::StoreError& failure) {
  return error("database_error", failure.message, "");
}

MerchantError merchant_not_found(const std::string& id) {
  // The id is repeated only when it is one (a client may paste anything into a URL).
  const std::string named = is_valid_id(id, kMerchantIdPrefix) ? ": " + id : "";
  return error("merchant_not_found", "No such merchant" + named, "id");
}

MerchantError key_not_found(const std::string& id) {
  const std::string named = is_valid_id(id, kKeyIdPrefix) ? ": " + id : "";
  return error("key_not_found", "No such API key" + named, "id");
}

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. PostgreSQL refuses
// invalid text, so it must be caught here, by field, on both backends.
bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    }
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
      code_point = byte & 0x1Fu;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      code_point = byte & 0x0Fu;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      code_point = byte & 0x07u;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0u) != 0x80u) return false;
      code_point = (code_point << 6) | (next & 0x3Fu);
    }
    const std::uint32_t minimum = length == 2 ? 0x80u : length == 3 ? 0x800u : 0x10000u;
    if (code_point < minimum || code_point > 0x10FFFFu ||
        (code_point >= 0xD800u && code_point <= 0xDFFFu)) {
      return false;
    }
    i += length;
  }
  return true;
}

bool has_control_character(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return true;
  }
  return false;
}

Expected<void, MerchantError> validate_name(const std::string& name) {
  if (name.empty() || name.size() > kNameBytesMax) {
    return unexpected(error("name_invalid",
                            "name must be 1 to " + std::to_string(kNameBytesMax) + " bytes; got " +
                                std::to_string(name.size()),
                            "name"));
  }
  if (!valid_utf8(name) || has_control_character(name)) {
    return unexpected(
        error("name_invalid", "name must be UTF-8 text without control characters", "name"));
  }
  return {};
}

Expected<void, MerchantError> validate_metadata(const Metadata& metadata) {
  if (metadata.size() > kMetadataKeysMax) {
    return unexpected(error("metadata_invalid",
                            "metadata has more than " + std::to_string(kMetadataKeysMax) + " keys",
                            "metadata"));
  }
  for (const auto& [key, value] : metadata) {
    if (key.empty() || key.size() > kMetadataKeyBytesMax || value.size() > kMetadataValueBytesMax ||
        !valid_utf8(key) || !valid_utf8(value)) {
      // The key is named in `field` only when it is text of a sane length (it is echoed).
      const bool nameable = !key.empty() && key.size() <= kNameBytesMax && valid_utf8(key);
      return unexpected(error("metadata_invalid",
                              "metadata keys are 1-" + std::to_string(kMetadataKeyBytesMax) +
                                  " bytes and values at most " +
                                  std::to_string(kMetadataValueBytesMax) + " bytes of UTF-8",
                              nameable ? "metadata[" + key + "]" : "metadata"));
    }
  }
  return {};
}

Expected<void, MerchantError> validate_limit(std::size_t limit) {
  if (limit < 1 || limit > kListLimitMax) {
    return unexpected(
        error("limit_invalid", "limit must be 1 to " + std::to_string(kListLimitMax), "limit"));
  }
  return {};
}

MerchantError cursor_invalid(std::string_view what) {
  return error("cursor_invalid", "starting_after is not the id of " + std::string(what),
               "starting_after");
}

// A fresh key and its secret. The secret exists only in the returned value; the caller stores
// its digest and hands the secret back once.
struct MintedKey {
  IssuedKey issued;
  std::string secret_sha256_hex;
};

MintedKey mint_key(const std::string& merchant_id, Mode mode, const Clock& clock,
                   std::int64_t now_unix_ms) {
  MintedKey minted;
  const std::string_view prefix = mode == Mode::live ? kLiveSecretPrefix : kTestSecretPrefix;
  minted.issued.secret = std::string(prefix) + random_base62(kSecretRandomChars);
  minted.secret_sha256_hex = sha256_hex(minted.issued.secret);
  ApiKey& key = minted.issued.key;
  key.id = new_id(kKeyIdPrefix, clock);
  key.merchant_id = merchant_id;
  key.mode = mode;
  key.secret_last4 = minted.issued.secret.substr(minted.issued.secret.size() - kSecretLast4Chars);
  key.created_at_unix_ms = now_unix_ms;
  return minted;
}

// The 32 bytes of a lower-case hex digest as stored in api_keys.secret_sha256.
SecretDigest digest_from_hex(std::string_view hex) {
  assert(hex.size() == 2 * kSha256Bytes);
  auto nibble = [](char c) -> std::uint8_t {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    assert(c >= 'a' && c <= 'f');
    return static_cast<std::uint8_t>(c - 'a' + 10);
  };
  SecretDigest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    digest[i] = static_cast<std::uint8_t>((nibble(hex[2 * i]) << 4) | nibble(hex[2 * i + 1]));
  }
  return digest;
}

}  // namespace

std::string_view to_string(Mode mode) { return mode == Mode::live ? "live" : "test"; }

std::optional<Mode> parse_mode(std::string_view text) {
  if (text == "test") return Mode::test;
  if (text == "live") return Mode::live;
  return std::nullopt;
}

std::string_view to_string(KeyStatus status) {
  switch (status) {
    case KeyStatus::active:
      return "active";
    case KeyStatus::expiring:
      return "expiring";
    case KeyStatus::expired:
      return "expired";
    case KeyStatus::revoked:
      return "revoked";
  }
  return "revoked";
}

std::string ApiKey::redacted() const {
  return std::string(mode == Mode::live ? kLiveSecretPrefix : kTestSecretPrefix) + "\u2026" +
         secret_last4;
}

KeyStatus ApiKey::status(std::int64_t now_unix_ms) const {
  if (revoked_at_unix_ms) return KeyStatus::revoked;
  if (!expires_at_unix_ms) return KeyStatus::active;
  return *expires_at_unix_ms > now_unix_ms ? KeyStatus::expiring : KeyStatus::expired;
}

MerchantStore::MerchantStore(store::Database& database, const Clock& clock,
                             MerchantStoreOptions options)
    : database_(database),
      clock_(clock),
      cache_(
          std::make_shared<KeyCache>(options.auth_cache_ttl_ms, options.auth_cache_entries_max)) {}

MerchantStore::~MerchantStore() = default;

MerchantResult<CreatedMerchant> MerchantStore::create_merchant(const MerchantSpec& spec) {
  if (auto valid = validate_name(spec.name); !valid) return unexpected(valid.error());
  if (auto valid = validate_metadata(spec.metadata); !valid) return unexpected(valid.error());
  const std::int64_t now = clock_.now_unix_ms();
  CreatedMerchant created;
  created.merchant = Merchant{new_id(kMerchantIdPrefix, clock_), spec.name, spec.metadata, now};
  std::optional<MintedKey> minted;
  if (spec.issue_test_key) minted = mint_key(created.merchant.id, Mode::test, clock_, now);
  auto done = database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    if (auto inserted = sql::insert_merchant(connection, created.merchant); !inserted) {
      return inserted;
    }
    if (minted) return sql::insert_key(connection, minted->issued.key, minted->secret_sha256_hex);
    return {};
  });
  if (!done) return unexpected(database_error(done.error()));
  if (minted) created.test_key = std::move(minted->issued);
  return created;
}

MerchantResult<Merchant> MerchantStore::get_merchant(const std::string& merchant_id) {
  if (!is_valid_id(merchant_id, kMerchantIdPrefix))
    return unexpected(merchant_not_found(merchant_id));
  std::optional<Merchant> merchant;
  auto done = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = sql::select_merchant(connection, merchant_id);
    if (!found) return unexpected(found.error());
    merchant = std::move(*found);
    return {};
  });
  if (!done) return unexpected(database_error(done.error()));
  if (!merchant) return unexpected(merchant_not_found(merchant_id));
  return std::move(*merchant);
}

MerchantResult<Page<Merchant>> MerchantStore::list_merchants(const std::string& starting_after,
                                                             std::size_t limit) {
  if (auto valid = validate_limit(limit); !valid) return unexpected(valid.error());
  if (!starting_after.empty() && !is_valid_id(starting_after, kMerchantIdPrefix)) {
    return unexpected(cursor_invalid("a merchant"));
  }
  Page<Merchant> page;
  bool cursor_known = true;
  auto done = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    // An unknown cursor would silently give page one again; a client with a stale or
    // mistyped cursor must hear about it instead.
    if (!starting_after.empty()) {
      auto exists = sql::merchant_exists(connection, starting_after);
      if (!exists) return unexpected(exists.error());
      cursor_known = *exists;
      if (!cursor_known) return {};
    }
    auto selected = sql::select_merchants(connection, starting_after, limit);
    if (!selected) return unexpected(selected.error());
    page = std::move(*selected);
    return {};
  });
  if (!done) return unexpected(database_error(done.error()));
  if (!cursor_known) return unexpected(cursor_invalid("a merchant"));
  return page;
}

MerchantResult<IssuedKey> MerchantStore::issue_key(const std::string& merchant_id, Mode mode) {
  if (!is_valid_id(merchant_id, kMerchantIdPrefix))
    return unexpected(merchant_not_found(merchant_id));
  const std::int64_t now = clock_.now_unix_ms();
  MintedKey minted = mint_key(merchant_id, mode, clock_, now);
  std::optional<MerchantError> refused;
  auto done = database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    refused.reset();
    auto exists = sql::merchant_exists(connection, merchant_id);
    if (!exists) return unexpected(exists.error());
    if (!*exists) {
      refused = merchant_not_found(merchant_id);
      return {};
    }
    // Counted in the transaction: on PostgreSQL two concurrent issues may both pass and end
    // one over the limit, which is harmless; the limit is against runaway scripts.
    auto usable = sql::count_usable_keys(connection, merchant_id, now);
    if (!usable) return unexpected(usable.error());
    if (*usable >= static_cast<std::int64_t>(kUsableKeysPerMerchantMax)) {
      refused = error("key_limit_reached",
                      "the merchant already has " + std::to_string(kUsableKeysPerMerchantMax) +
                          " usable API keys; revoke some before issuing more",
                      "id");
      return {};
    }
    return sql::insert_key(connection, minted.issued.key, minted.secret_sha256_hex);
  });
  if (!done) return unexpected(database_error(done.error()));
  if (refused) return unexpected(std::move(*refused));
  return std::move(minted.issued);
}

MerchantResult<ApiKey> MerchantStore::get_key(const std::string& key_id) {
  if (!is_valid_id(key_id, kKeyIdPrefix)) return unexpected(key_not_found(key_id));
  std::optional<sql::KeyRow> row;
  auto done = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = sql::select_key(connection, key_id, false);
    if (!found) return unexpected(found.error());
    row = std::move(*found);
    return {};
  });
  if (!done) return unexpected(database_error(done.error()));
  if (!row) return unexpected(key_not_found(key_id));
  return std::move(row->key);
}

MerchantResult<Page<ApiKey>> MerchantStore::list_keys(const std::string& merchant_id,
                                                      const std::string& starting_after,
                                                      std::size_t limit) {
  if (auto valid = validate_limit(limit); !valid) return unexpected(valid.error());
  if (!is_valid_id(merchant_id, kMerchantIdPrefix))
    return unexpected(merchant_not_found(merchant_id));
  if (!starting_after.empty() && !is_valid_id(starting_after, kKeyIdPrefix)) {
    return unexpected(cursor_invalid("one of the merchant's API keys"));
  }
  Page<ApiKey> page;
  std::optional<MerchantError> refused;
  auto done = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    refused.reset();
    auto exists = sql::merchant_exists(connection, merchant_id);
    if (!exists) return unexpected(exists.error());
    if (!*exists) {
      refused = merchant_not_found(merchant_id);
      return {};
    }
    if (!starting_after.empty()) {
      auto belongs = sql::key_belongs_to(connection, starting_after, merchant_id);
      if (!belongs) return unexpected(belongs.error());
      if (!*belongs) {
        refused = cursor_invalid("one of the merchant's API keys");
        return {};
      }
    }
    auto selected = sql::select_keys(connection, merchant_id, starting_after, limit);
    if (!selected) return unexpected(selected.error());
    page = std::move(*selected);
    return {};
  });
  if (!done) return unexpected(database_error(done.error()));
  if (refused) return unexpected(std::move(*refused));
  return page;
}

MerchantResult<RolledKey> MerchantStore::roll_key(const std::string& key_id,
                                                  std::int64_t expires_in_seconds) {
  if (expires_in_seconds < 0 || expires_in_seconds > kRollOverlapSecondsMax) {
    return unexpected(error("expires_in_invalid",
                            "expires_in_seconds must be 0 (the old key stops now) to " +
                                std::to_string(kRollOverlapSecondsMax) + " (7 days)",
                            "expires_in_seconds"));
  }
  if (!is_valid_id(key_id, kKeyIdPrefix)) return unexpected(key_not_found(key_id));
  const std::int64_t now = clock_.now_unix_ms();
  const std::int64_t expires_at = now + expires_in_seconds * kMsPerSecond;
  RolledKey rolled;
  std::optional<MintedKey> minted;
  std::string previous_digest_hex;
  std::optional<MerchantError> refused;
  auto done = database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    refused.reset();
    auto found = sql::select_key(connection, key_id, true);
    if (!found) return unexpected(found.error());
    if (!*found) {
      refused = key_not_found(key_id);
      return {};
    }
    const ApiKey& old_key = (*found)->key;
    switch (old_key.status(now)) {
      case KeyStatus::revoked:
        refused = error("key_revoked", "the API key " + key_id + " is revoked", "id");
        return {};
      case KeyStatus::expired:
        refused = error("key_expired", "the API key " + key_id + " has expired", "id");
        return {};
      case KeyStatus::expiring:
        refused = error("key_already_rolled",
                        "the API key " + key_id + " was already rolled; its replacement is " +
                            old_key.replaced_by_key_id,
                        "id");
        return {};
      case KeyStatus::active:
        break;
    }
    // Minted once: a retried attempt reuses the same key (nothing of it was committed).
    if (!minted) minted = mint_key(old_key.merchant_id, old_key.mode, clock_, now);
    if (auto inserted = sql::insert_key(connection, minted->issued.key, minted->secret_sha256_hex);
        !inserted) {
      return inserted;
    }
    if (auto updated = sql::set_key_rolled(connection, key_id, expires_at, minted->issued.key.id);
        !updated) {
      return updated;
    }
    rolled.previous = old_key;
    rolled.previous.expires_at_unix_ms = expires_at;
    rolled.previous.replaced_by_key_id = minted->issued.key.id;
    previous_digest_hex = (*found)->secret_sha256_hex;
    return {};
  });
  if (!done) return unexpected(database_error(done.error()));
  if (refused) return unexpected(std::move(*refused));
  // After the commit: the cached entry says the old key never expires.
  assert(minted.has_value());
  cache_->invalidate(digest_from_hex(previous_digest_hex));
  rolled.replacement = std::move(minted->issued);
  return rolled;
}

MerchantResult<ApiKey> MerchantStore::revoke_key(const std::string& key_id) {
  if (!is_valid_id(key_id, kKeyIdPrefix)) return unexpected(key_not_found(key_id));
  const std::int64_t now = clock_.now_unix_ms();
  std::optional<sql::KeyRow> row;
  auto done = database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    row.reset();
    auto found = sql::select_key(connection, key_id, true);
    if (!found) return unexpected(found.error());
    row = std::move(*found);
    if (!row || row->key.revoked_at_unix_ms) return {};
    if (auto updated = sql::set_key_revoked(connection, key_id, now); !updated) return updated;
    row->key.revoked_at_unix_ms = now;
    return {};
  });
  if (!done) return unexpected(database_error(done.error()));
  if (!row) return unexpected(key_not_found(key_id));
  // After the commit, so no lookup can read the key as usable and cache it again.
  cache_->invalidate(digest_from_hex(row->secret_sha256_hex));
  return std::move(row->key);
}

}  // namespace till::merchant
