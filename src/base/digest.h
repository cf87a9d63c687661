// base/digest.h — SHA-256 and HMAC-SHA256 (OpenSSL), as raw bytes or lower-case hex.
//
// One place for the digest that migrations (checksums), the ledger (idempotency content
// hashes) and the admin API (token comparison) all use.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace till {

constexpr std::size_t kSha256Bytes = 32;

std::array<std::uint8_t, kSha256Bytes> sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

// HMAC-SHA256 of `message` under `key`, as lower-case hex: the signature every webhook
// (Stripe's, the sandbox processor's) and processor call in Till uses.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

}  // namespace till
