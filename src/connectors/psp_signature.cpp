#include "connectors/psp_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdlib>
#include <optional>

namespace till::connectors {

namespace {

constexpr std::size_t kSha256HexChars = 64;
constexpr std::size_t kTimestampDigitsMax = 12;  // unix seconds until year 33658

std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.size() > kTimestampDigitsMax) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string psp_signature(std::string_view secret, std::int64_t timestamp, std::string_view body) {
  const std::string stamp = std::to_string(timestamp);
  std::string message;
  message.reserve(stamp.size() + 1 + body.size());
  message.append(stamp).append(".").append(body);
  return "t=" + stamp + ",v1=" + hmac_sha256_hex(secret, message);
}

bool verify_psp_signature(std::string_view header, std::string_view body, std::string_view secret,
                          std::int64_t now, std::int64_t tolerance_seconds, std::string& reason) {
  if (header.empty()) {
    reason = "missing signature";
    return false;
  }
  if (header.size() > kPspSignatureHeaderBytesMax || secret.empty()) {
    reason = "malformed signature header";
    return false;
  }
  std::optional<std::int64_t> timestamp;
  std::string_view timestamp_text;  // signed as sent, leading zeros and all
  std::string_view candidates[8];
  std::size_t candidate_count = 0;
  std::size_t position = 0;
  while (position <= header.size()) {
    std::size_t comma = header.find(',', position);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = header.substr(position, comma - position);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    position = comma + 1;
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
      reason = "malformed signature header";
      return false;
    }
    const std::string_view key = item.substr(0, equals);
    const std::string_view value = item.substr(equals + 1);
    if (key == "t") {
      if (timestamp) {
        reason = "malformed signature header";  // two timestamps: which one was signed?
        return false;
      }
      timestamp = parse_timestamp(value);
      timestamp_text = value;
      if (!timestamp) {
        reason = "malformed signature header";
        return false;
      }
    } else if (key == "v1") {
      if (candidate_count == std::size(candidates)) {
        reason = "malformed signature header";
        return false;
      }
      candidates[candidate_count++] = value;
    }
    // Other schemes (v0, future ones) are ignored, as Stripe's verifiers do.
  }
  if (!timestamp || candidate_count == 0) {
    reason = "malformed signature header";
    return false;
  }
  if (*timestamp < now - tolerance_seconds || *timestamp > now + tolerance_seconds) {
    reason = "timestamp outside tolerance";
    return false;
  }
  std::string message;
  message.reserve(timestamp_text.size() + 1 + body.size());
  message.append(timestamp_text).append(".").append(body);
  const std::string expected = hmac_sha256_hex(secret, message);
  bool matched = false;
  for (std::size_t i = 0; i < candidate_count; ++i) {
    const std::string_view candidate = candidates[i];
    // Lengths are public (always 64 for a real signature); contents are compared in constant
    // time so a forger learns nothing from how long a rejection took.
    if (candidate.size() == kSha256HexChars &&
        CRYPTO_memcmp(candidate.data(), expected.data(), kSha256HexChars) == 0) {
      matched = true;
    }
  }
  if (!matched) {
    reason = "bad signature";
    return false;
  }
  return true;
}

}  // namespace till::connectors
