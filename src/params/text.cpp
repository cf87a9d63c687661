#include "params/text.h"

#include <cassert>
#include <cstdint>

namespace till::params {

namespace {

// Length of the well-formed UTF-8 sequence starting at text[at], or 0 if there is none.
std::size_t sequence_length(std::string_view text, std::size_t at) {
  assert(at < text.size());
  const auto lead = static_cast<std::uint8_t>(text[at]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code_point = 0;
  std::uint32_t smallest = 0;  // below this the sequence is an overlong form
  if ((lead & 0xE0u) == 0xC0u) {
    length = 2;
    code_point = lead & 0x1Fu;
    smallest = 0x80;
  } else if ((lead & 0xF0u) == 0xE0u) {
    length = 3;
    code_point = lead & 0x0Fu;
    smallest = 0x800;
  } else if ((lead & 0xF8u) == 0xF0u) {
    length = 4;
    code_point = lead & 0x07u;
    smallest = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - at < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<std::uint8_t>(text[at + i]);
    if ((next & 0xC0u) != 0x80u) return 0;
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (code_point < smallest || code_point > 0x10FFFF || surrogate) return 0;
  return length;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t length = sequence_length(text, at);
    if (length == 0) return false;
    at += length;
  }
  return true;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t length = sequence_length(text, at);
    assert(length != 0);
    at += length;
    ++count;
  }
  return count;
}

std::string clip(std::string_view text, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string shown;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t length = sequence_length(text, at);
    std::string_view piece = length == 0 ? kReplacement : text.substr(at, length);
    const auto byte = static_cast<std::uint8_t>(text[at]);
    if (length == 1 && (byte < 0x20 || byte == 0x7F)) piece = "?";
    if (shown.size() + piece.size() > max_bytes) {
      shown += "...";
      return shown;
    }
    shown += piece;
    at += length == 0 ? 1 : length;
  }
  return shown;
}

std::string join_param(std::string_view prefix, std::string_view key) {
  std::string joined;
  if (prefix.empty()) {
    joined = key;
    return joined;
  }
  joined.reserve(prefix.size() + key.size() + 2);
  joined += prefix;
  joined += '[';
  joined += key;
  joined += ']';
  return joined;
}

}  // namespace till::params
