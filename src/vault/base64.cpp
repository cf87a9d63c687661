#include "vault/base64.h"

namespace till::vault::detail {

namespace {

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c, Alphabet alphabet) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (alphabet == Alphabet::standard) {
    if (c == '+') return 62;
    if (c == '/') return 63;
  } else {
    if (c == '-') return 62;
    if (c == '_') return 63;
  }
  return -1;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes, Alphabet alphabet) {
  const std::string_view table = alphabet == Alphabet::standard ? kStandard : kUrl;
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (std::uint32_t{bytes[i]} << 16) |
                                (std::uint32_t{bytes[i + 1]} << 8) | std::uint32_t{bytes[i + 2]};
    text += table[(group >> 18) & 63];
    text += table[(group >> 12) & 63];
    text += table[(group >> 6) & 63];
    text += table[group & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t group = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) group |= std::uint32_t{bytes[i + 1]} << 8;
    text += table[(group >> 18) & 63];
    text += table[(group >> 12) & 63];
    if (rest == 2) text += table[(group >> 6) & 63];
    if (alphabet == Alphabet::standard) text.append(rest == 1 ? 2 : 1, '=');
  }
  return text;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text, Alphabet alphabet) {
  std::size_t padding = 0;
  if (alphabet == Alphabet::standard) {
    while (!text.empty() && text.back() == '=' && padding < 2) {
      text.remove_suffix(1);
      padding++;
    }
    // Padding, when present, completes the last group of four exactly.
    if (padding > 0 && (text.size() + padding) % 4 != 0) return std::nullopt;
  }
  if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte string
  std::vector<std::uint8_t> bytes;
  bytes.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = sextet(c, alphabet);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero: otherwise a second text would decode to the same bytes.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return bytes;
}

}  // namespace till::vault::detail
