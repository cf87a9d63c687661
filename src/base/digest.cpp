#include "base/digest.h"

#include <openssl/evp.h>

#include <cassert>

namespace till {

std::array<std::uint8_t, kSha256Bytes> sha256(std::string_view data) {
  std::array<std::uint8_t, kSha256Bytes> digest{};
  unsigned int length = 0;
  const int ok =
      EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  // A failure means OpenSSL itself is broken: stopping beats comparing garbage.
  assert(ok == 1 && length == kSha256Bytes);
  (void)ok;
  return digest;
}

std::string sha256_hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto digest = sha256(data);
  std::string hex;
  hex.reserve(2 * kSha256Bytes);
  for (std::uint8_t byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xF]);
  }
  return hex;
}

}  // namespace till
