#include "base/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cassert>
#include <cstdlib>
#include <span>

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

namespace {

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes.size());
  for (std::uint8_t byte : bytes) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xF]);
  }
  return hex;
}

}  // namespace

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const unsigned char* produced = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                                       reinterpret_cast<const unsigned char*>(message.data()),
                                       message.size(), digest.data(), &length);
  // Fails only when OpenSSL cannot allocate: there is no sensible way on.
  if (produced == nullptr || length != kSha256Bytes) std::abort();
  return to_hex(std::span<const std::uint8_t>(digest.data(), length));
}

}  // namespace till
