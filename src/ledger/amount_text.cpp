#include "ledger/amount_text.h"

#include <limits>

namespace till::ledger {

std::optional<i128> parse_i128(std::string_view text) {
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text.size() > 39) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  if (negative && text == "0") return std::nullopt;
  // Accumulate as a negative number: the negative range is one larger than the positive.
  constexpr i128 kMin = std::numeric_limits<i128>::min();
  i128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const int digit = c - '0';
    if (value < (kMin + digit) / 10) return std::nullopt;
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == kMin) return std::nullopt;
    value = -value;
  }
  return value;
}

std::string format_i128(i128 value) {
  if (value == 0) return "0";
  const bool negative = value < 0;
  char buffer[48];
  std::size_t position = sizeof buffer;
  // Work with negative remainders so the minimum value needs no special case.
  while (value != 0) {
    const int digit = static_cast<int>(value % 10);
    buffer[--position] = static_cast<char>('0' + (negative ? -digit : digit));
    value /= 10;
  }
  if (negative) buffer[--position] = '-';
  return std::string(buffer + position, sizeof buffer - position);
}

}  // namespace till::ledger
