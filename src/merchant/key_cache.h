// merchant/key_cache.h — what Authenticator recently read about keys, by the SHA-256 of the
// secret (internal to merchant; exposed for tests).
//
// Entries live `ttl_ms` and the cache holds at most `entries_max` of them. Unknown and revoked
// keys are cached too (a client retrying with a dead key must not cost a query each time).
// MerchantStore invalidates a key after revoking or rolling it. A lookup that started before
// such an invalidation must not put what it read back into the cache — it may have read the
// key before the revoke committed — so every invalidation bumps a generation number and an
// insert carries the generation seen before its lookup; a stale insert is dropped.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "base/digest.h"
#include "merchant/merchant.h"

namespace till::merchant {

using SecretDigest = std::array<std::uint8_t, kSha256Bytes>;

class KeyCache {
 public:
  struct Entry {
    bool found = false;  // false: no usable key has this digest (unknown or revoked)
    AuthContext context;
    std::optional<std::int64_t> expires_at_unix_ms;  // a rolled key's end
  };

  KeyCache(std::int64_t ttl_ms, std::size_t entries_max);

  // The entry, if one was stored less than ttl_ms before `now_unix_ms`.
  std::optional<Entry> find(const SecretDigest& digest, std::int64_t now_unix_ms) const;
  std::uint64_t generation() const;
  // Stores `entry` unless something was invalidated since `generation` was read.
  void insert(const SecretDigest& digest, Entry entry, std::int64_t now_unix_ms,
              std::uint64_t generation);
  void invalidate(const SecretDigest& digest);
  std::size_t size() const;

 private:
  struct Stored {
    Entry entry;
    std::int64_t stored_at_unix_ms = 0;
  };
  // The digest is uniformly random: any 8 of its bytes are a good hash.
  struct DigestHash {
    std::size_t operator()(const SecretDigest& digest) const {
      std::size_t hash = 0;
      std::memcpy(&hash, digest.data(), sizeof hash);
      return hash;
    }
  };

  bool fresh(const Stored& stored, std::int64_t now_unix_ms) const;
  void make_room(std::int64_t now_unix_ms);  // mutex_ held

  const std::int64_t ttl_ms_;
  const std::size_t entries_max_;
  mutable std::mutex mutex_;
  std::unordered_map<SecretDigest, Stored, DigestHash> entries_;
  std::uint64_t generation_ = 0;
  std::int64_t last_sweep_unix_ms_ = 0;
};

}  // namespace till::merchant
