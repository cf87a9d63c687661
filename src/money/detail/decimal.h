// money/detail/decimal.h — the strict decimal syntax shared by amounts and FX rates.
//
// Grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?  — no '+', no leading zeros, no exponent, no
// separators, no whitespace, at least one digit on each side of a '.'. One value, one
// spelling (apart from trailing fraction zeros), so amounts compare as text in logs and
// idempotency checks and nothing ambiguous is guessed at.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/int128.h"

namespace till::money::detail {

struct DecimalParts {
  bool negative = false;
  std::string_view integer_digits;   // never empty
  std::string_view fraction_digits;  // empty when there is no '.'
};

// Splits `text` if it matches the grammar above, else nothing.
std::optional<DecimalParts> split_decimal(std::string_view text);

// value = value * 10^digits.size() + digits; false (value unspecified) when it exceeds u128.
bool append_digits(u128& value, std::string_view digits);

// value = value * 10^count; false (value unspecified) when it exceeds u128.
bool append_zeros(u128& value, int count);

// "-12.34" from (true, 1234, 2); zero is never negative; exactly `decimals` fraction digits.
std::string format_scaled(bool negative, u128 magnitude, int decimals);

}  // namespace till::money::detail
