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
