// money/detail/decimal.cpp — strict decimal scanning and exact formatting, no locale involved.
#include "money/detail/decimal.h"

#include <array>
#include <cassert>

namespace till::money::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view text) {
  for (const char c : text) {
    if (!is_digit(c)) return false;
  }
  return true;
}

bool append_digit(u128& value, unsigned digit) {
  assert(digit <= 9);
  return !__builtin_mul_overflow(value, u128{10}, &value) &&
         !__builtin_add_overflow(value, u128{digit}, &value);
}

// u128 max has 39 decimal digits; 18 more for the largest exponent, plus sign and point.
constexpr std::size_t formatted_length_max = 39 + 18 + 3;

}  // namespace

std::optional<DecimalParts> split_decimal(std::string_view text) {
  DecimalParts parts;
  if (!text.empty() && text.front() == '-') {
    parts.negative = true;
    text.remove_prefix(1);
  }
  const std::size_t point = text.find('.');
  parts.integer_digits = text.substr(0, point);
  if (point != std::string_view::npos) {
    parts.fraction_digits = text.substr(point + 1);
    if (parts.fraction_digits.empty() || !all_digits(parts.fraction_digits)) return std::nullopt;
  }
  if (parts.integer_digits.empty() || !all_digits(parts.integer_digits)) return std::nullopt;
  if (parts.integer_digits.size() > 1 && parts.integer_digits.front() == '0') return std::nullopt;
  return parts;
}

bool append_digits(u128& value, std::string_view digits) {
  for (const char c : digits) {
    assert(is_digit(c));
    if (!append_digit(value, static_cast<unsigned>(c - '0'))) return false;
  }
  return true;
}

bool append_zeros(u128& value, int count) {
  assert(count >= 0);
  for (int i = 0; i < count; i++) {
    if (!append_digit(value, 0)) return false;
  }
  return true;
}

std::string format_scaled(bool negative, u128 magnitude, int decimals) {
  assert(decimals >= 0 && decimals <= 18);
  std::array<char, formatted_length_max> buffer{};
  std::size_t start = buffer.size();
  const bool zero = magnitude == 0;  // "-0.00" is not a spelling of zero
  int digits = 0;
  // Emit digits right to left; keep going until the integer part has at least one digit.
  while (magnitude != 0 || digits <= decimals) {
    if (digits == decimals && decimals > 0) buffer[--start] = '.';
    buffer[--start] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
    digits++;
  }
  if (negative && !zero) buffer[--start] = '-';
  return std::string(buffer.data() + start, buffer.size() - start);
}

}  // namespace till::money::detail
