// Test keys and rings for the vault suites. Keys are fixed bytes so failures reproduce.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "vault/base64.h"
#include "vault/vault.h"

namespace till::vault::testing {

// 32 bytes derived from `seed`: distinct seeds give distinct keys.
inline std::array<std::uint8_t, kDataKeyBytes> key_bytes(std::uint8_t seed) {
  std::array<std::uint8_t, kDataKeyBytes> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i++) {
    bytes[i] = static_cast<std::uint8_t>(seed * 31 + i * 7 + 1);
  }
  return bytes;
}

inline std::string key_base64(std::uint8_t seed) {
  return detail::base64_encode(key_bytes(seed), detail::Alphabet::standard);
}

// A ring of (id, seed) keys with the fingerprint key from `fingerprint_seed`.
inline KeyRing ring_of(std::initializer_list<std::pair<std::string_view, std::uint8_t>> keys,
                       std::string_view active, std::uint8_t fingerprint_seed = 200) {
  KeyRing ring;
  for (const auto& [id, seed] : keys) {
    DataKey key;
    key.id = std::string(id);
    key.bytes = key_bytes(seed);
    ring.keys.push_back(key);
  }
  ring.active_id = std::string(active);
  ring.fingerprint_key = key_bytes(fingerprint_seed);
  return ring;
}

// The `vault.data_keys` text for the same keys.
inline std::string data_keys_text(
    std::initializer_list<std::pair<std::string_view, std::uint8_t>> keys) {
  std::string text;
  for (const auto& [id, seed] : keys) {
    text += (text.empty() ? "" : ",") + std::string(id) + ":" + key_base64(seed);
  }
  return text;
}

}  // namespace till::vault::testing
