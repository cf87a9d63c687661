// money/fx.cpp — exact FX rates and conversion through 256-bit intermediates.
#include "money/fx.h"

#include <cassert>
#include <optional>

#include "money/detail/decimal.h"
#include "money/detail/integer.h"
#include "money/detail/rounding_step.h"

namespace till::money {
namespace {

Unexpected<Error> invalid_rate(std::string message) {
  return fail("invalid_fx_rate", std::move(message));
}

// The rounded quotient of a 256-bit magnitude, or nothing when it needs more than 128 bits.
std::optional<u128> divide_rounded_wide(const detail::U256& numerator, u128 divisor, bool negative,
                                        RoundingMode mode) {
  const detail::WideDivision division = detail::divide_wide(numerator, divisor);
  detail::U256 quotient = division.quotient;
  const bool odd = (quotient.low & 1) != 0;
  if (detail::rounds_away_from_zero(mode, negative, odd, division.remainder, divisor)) {
    quotient.low += 1;
    if (quotient.low == 0) quotient.high += 1;  // carried out of the low half
  }
  if (quotient.high != 0) return std::nullopt;
  return quotient.low;
}

}  // namespace

bool is_valid(const FxRate& rate) {
  return rate.mantissa > 0 && rate.scale >= 0 && rate.scale <= fx_rate_scale_max;
}

Result<FxRate> parse_fx_rate(std::string_view text) {
  const std::optional<detail::DecimalParts> parts = detail::split_decimal(text);
  if (!parts || parts->negative) {
    return invalid_rate(
        "FX rate must be a positive plain decimal like 1.0825: digits with at most one '.', "
        "no sign, exponent, separators, spaces or leading zeros");
  }
  if (parts->fraction_digits.size() > static_cast<std::size_t>(fx_rate_scale_max)) {
    return fail("too_many_decimals",
                "FX rates have at most " + std::to_string(fx_rate_scale_max) + " decimal places");
  }
  u128 mantissa = 0;
  if (!detail::append_digits(mantissa, parts->integer_digits) ||
      !detail::append_digits(mantissa, parts->fraction_digits) ||
      mantissa > detail::i128_max_magnitude) {
    return invalid_rate("FX rate has more significant digits than a 128-bit mantissa holds");
  }
  if (mantissa == 0) return invalid_rate("FX rate must be above zero");
  const FxRate rate{static_cast<i128>(mantissa), static_cast<int>(parts->fraction_digits.size())};
  assert(is_valid(rate));
  return rate;
}

std::string format_fx_rate(const FxRate& rate) {
  assert(is_valid(rate));
  return detail::format_scaled(false, static_cast<u128>(rate.mantissa), rate.scale);
}

Result<FxRate> invert(const FxRate& rate, int scale, RoundingMode mode) {
  if (!is_valid(rate)) return invalid_rate("FX rate must be above zero with scale 0..18");
  if (scale < 0 || scale > fx_rate_scale_max) {
    return fail("too_many_decimals",
                "FX rates have 0 to " + std::to_string(fx_rate_scale_max) + " decimal places");
  }
  // 1 / (m × 10^-s) at scale t is 10^(t + s) / m, and t + s <= 36 fits u128.
  const detail::U256 numerator{0, detail::power_of_ten(scale + rate.scale)};
  const std::optional<u128> mantissa =
      divide_rounded_wide(numerator, static_cast<u128>(rate.mantissa), false, mode);
  assert(mantissa.has_value() && *mantissa <= detail::i128_max_magnitude);
  if (*mantissa == 0) {
    return invalid_rate("the inverse FX rate rounds to zero at " + std::to_string(scale) +
                        " decimal places");
  }
  return FxRate{static_cast<i128>(*mantissa), scale};
}

Result<Amount> convert(const Amount& from, const Currency& to, const FxRate& rate,
                       RoundingMode mode) {
  if (!is_valid(rate)) return invalid_rate("FX rate must be above zero with scale 0..18");
  assert(to.exponent >= 0 && to.exponent <= exponent_max);
  const bool negative = from.minor_units() < 0;
  // Below 2^127 × 2^127: the product of the magnitudes always fits 256 bits.
  detail::U256 product = detail::multiply_wide(detail::magnitude(from.minor_units()),
                                               static_cast<u128>(rate.mantissa));
  // The powers of ten of the formula reduce to one: 10^shift with shift in -36..18.
  const int shift = to.exponent - rate.scale - from.currency().exponent;
  u128 divisor = 1;
  if (shift > 0) {
    // Overflowing 256 bits here means the result is far outside i128 anyway.
    if (!detail::multiply_checked(product, detail::power_of_ten(shift), product)) {
      return fail("amount_overflow", "the converted amount is outside the 128-bit range");
    }
  } else {
    divisor = detail::power_of_ten(-shift);
  }
  const std::optional<u128> magnitude = divide_rounded_wide(product, divisor, negative, mode);
  const std::optional<i128> minor_units =
      magnitude ? detail::from_magnitude(negative, *magnitude) : std::nullopt;
  if (!minor_units) {
    return fail("amount_overflow", "the " + std::string(to.code) +
                                       " amount is outside the 128-bit range of minor units");
  }
  return Amount(*minor_units, to);
}

}  // namespace till::money
