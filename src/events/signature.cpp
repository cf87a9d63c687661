#include "events/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cassert>
#include <cstdlib>

#include "base/random.h"

namespace till::events {

namespace {
constexpr std::size_t kSecretBodyLength = 32;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const unsigned char* produced =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
           &length);
  // Only fails on allocation failure inside OpenSSL: there is no sensible way on.
  if (produced == nullptr || length != 32) std::abort();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0x0f];
  }
  return hex;
}

std::string signature_header(std::int64_t timestamp, std::string_view payload,
                             std::span<const std::string> secrets) {
  assert(!secrets.empty());
  const std::string stamp = std::to_string(timestamp);
  std::string message;
  message.reserve(stamp.size() + 1 + payload.size());
  message.append(stamp).append(".").append(payload);
  std::string header = "t=" + stamp;
  for (const std::string& secret : secrets) {
    assert(!secret.empty());
    header += ",v1=" + hmac_sha256_hex(secret, message);
  }
  return header;
}

std::string new_endpoint_secret() { return "whsec_" + random_base62(kSecretBodyLength); }

}  // namespace till::events
