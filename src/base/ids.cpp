#include "base/ids.h"

#include <array>
#include <cassert>

#include "base/int128.h"
#include "base/random.h"

namespace till {

namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::uint64_t kTimestampMsMax = (std::uint64_t{1} << 48) - 1;  // year 10889

int base62_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

bool is_valid_prefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > kIdPrefixLengthMax) return false;
  for (char c : prefix) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

// Writes `value` as 22 base62 digits, most significant first. Dividing a 128-bit number 22
// times is slow (each is a library call), so it is first split into 64-bit chunks of 10
// digits (62^10 < 2^63) and each chunk is encoded with cheap 64-bit arithmetic.
std::string encode_body(u128 value) {
  constexpr std::uint64_t kTenDigits = 839'299'365'868'340'224ULL;  // 62^10
  std::string body(kIdBodyLength, '0');
  const auto low = static_cast<std::uint64_t>(value % kTenDigits);
  value /= kTenDigits;
  const auto middle = static_cast<std::uint64_t>(value % kTenDigits);
  value /= kTenDigits;
  assert(value < 62 * 62);  // 62^22 > 2^128, so two digits remain at most
  auto high = static_cast<std::uint64_t>(value);
  auto write_digits = [&body](std::uint64_t chunk, std::size_t end, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      body[end - 1 - i] = kAlphabet[chunk % 62];
      chunk /= 62;
    }
  };
  write_digits(low, kIdBodyLength, 10);
  write_digits(middle, kIdBodyLength - 10, 10);
  write_digits(high, kIdBodyLength - 20, 2);
  return body;
}

// Decodes a body; nullopt if a character is outside the alphabet or the value exceeds 128 bits.
std::optional<u128> decode_body(std::string_view body) {
  if (body.size() != kIdBodyLength) return std::nullopt;
  u128 value = 0;
  const u128 limit = ~u128{0};
  for (char c : body) {
    const int digit = base62_value(c);
    if (digit < 0) return std::nullopt;
    if (value > (limit - static_cast<u128>(digit)) / 62) return std::nullopt;
    value = value * 62 + static_cast<u128>(digit);
  }
  return value;
}

}  // namespace

std::string new_id(std::string_view prefix, const Clock& clock) {
  assert(is_valid_prefix(prefix));
  const std::int64_t now_ms = clock.now_unix_ms();
  assert(now_ms >= 0);
  const auto timestamp_ms = static_cast<std::uint64_t>(now_ms) & kTimestampMsMax;

  std::array<std::uint8_t, 10> random{};  // 80 bits
  random_bytes(random);
  u128 value = timestamp_ms;
  for (std::uint8_t byte : random) value = (value << 8) | byte;

  std::string id;
  id.reserve(prefix.size() + 1 + kIdBodyLength);
  id.append(prefix);
  id.push_back('_');
  id.append(encode_body(value));
  return id;
}

bool is_valid_id(std::string_view id, std::string_view expected_prefix) {
  if (id.size() != expected_prefix.size() + 1 + kIdBodyLength) return false;
  if (id.substr(0, expected_prefix.size()) != expected_prefix) return false;
  if (id[expected_prefix.size()] != '_') return false;
  return decode_body(id.substr(expected_prefix.size() + 1)).has_value();
}

std::optional<std::int64_t> id_unix_ms(std::string_view id) {
  const auto underscore = id.find('_');
  if (underscore == std::string_view::npos || !is_valid_prefix(id.substr(0, underscore))) {
    return std::nullopt;
  }
  const auto value = decode_body(id.substr(underscore + 1));
  if (!value) return std::nullopt;
  return static_cast<std::int64_t>(*value >> 80);
}

}  // namespace till
