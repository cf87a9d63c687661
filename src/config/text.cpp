#include "config/text.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <vector>

namespace till::config::internal {

std::string printable(std::string_view text, std::size_t length_max) {
  const bool cut = text.size() > length_max;
  std::string out;
  out.reserve(std::min(text.size(), length_max) + 3);
  for (const char c : text.substr(0, length_max)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  assert(a.size() <= suggestion_name_length_max);
  assert(b.size() <= suggestion_name_length_max);
  // Two rows of the classic table: row[j] = distance(a[0..i), b[0..j)).
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); j++) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); i++) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); j++) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::int64_t> parse_decimal(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

}  // namespace till::config::internal
