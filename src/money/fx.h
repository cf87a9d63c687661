// money/fx.h — exact exchange rates and currency conversion.
//
// A rate is an exact decimal (mantissa × 10^-scale), parsed from text such as "1.0825";
// binary fractions cannot hold 1.0825 exactly, so rates never pass through them. Conversion
// multiplies and divides exactly in 256 bits and rounds once, in the mode the caller names.
#pragma once

#include <string>
#include <string_view>

#include "base/int128.h"
#include "base/result.h"
#include "money/amount.h"
#include "money/currency.h"
#include "money/rounding.h"

namespace till::money {

// More rate decimals than any venue quotes (they use up to 10); 18 keeps every intermediate
// power of ten in conversion at or below 10^36.
inline constexpr int fx_rate_scale_max = 18;

// mantissa × 10^-scale units of the quote currency per one unit of the base currency, both
// in major units: EUR→USD at 1.0825 is {10825, 4}. Valid: mantissa > 0, scale in
// 0..fx_rate_scale_max. The scale is kept as written ("1.10" stays {110, 2}), so a rate
// formats back to the text it came from.
struct FxRate {
  i128 mantissa = 0;
  int scale = 0;
};

bool is_valid(const FxRate& rate);

// "1.0825", "151.37", "0.000123", "2". Same strict syntax as amounts (no '+', leading zeros,
// exponent or spaces). Errors: invalid_fx_rate (syntax, zero, negative, mantissa beyond
// i128), too_many_decimals (more than fx_rate_scale_max).
Result<FxRate> parse_fx_rate(std::string_view text);

// Exactly `scale` decimals: {10825, 4} -> "1.0825". Requires is_valid(rate).
std::string format_fx_rate(const FxRate& rate);

// 1 / rate at `scale` decimals, rounded by `mode` (a quote for the opposite direction).
// Errors: invalid_fx_rate (invalid input, or the inverse rounds to zero at that scale),
// too_many_decimals (scale above fx_rate_scale_max).
Result<FxRate> invert(const FxRate& rate, int scale, RoundingMode mode);

// from × rate in currency `to`, across exponents:
//   to_minor = from_minor × mantissa × 10^to.exponent / (10^scale × 10^from.exponent)
// rounded once by `mode`. Exact for every amount and valid rate: |from_minor| × mantissa is
// held in 256 bits, scaled by at most 10^18 (checked) and divided by at most 10^36.
// Errors: invalid_fx_rate, amount_overflow (only when the rounded result is outside i128).
Result<Amount> convert(const Amount& from, const Currency& to, const FxRate& rate,
                       RoundingMode mode);

}  // namespace till::money
