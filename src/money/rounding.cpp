// money/rounding.cpp — exact rounded division on i128.
//
// Division runs on unsigned magnitudes so that i128 min has a magnitude (2^127) and C++'s
// truncation toward zero never mixes with the sign; the sign is applied once at the end.
#include "money/rounding.h"

#include <cassert>
#include <optional>

#include "money/detail/integer.h"
#include "money/detail/rounding_step.h"

namespace till::money {

namespace detail {

bool rounds_away_from_zero(RoundingMode mode, bool negative, bool truncated_odd, u128 remainder,
                           u128 divisor) {
  assert(divisor > 0);
  assert(remainder < divisor);
  if (remainder == 0) return false;  // exact: every mode agrees
  // Compare remainder with divisor / 2 without computing 2 * remainder, which could wrap.
  const u128 rest = divisor - remainder;
  switch (mode) {
    case RoundingMode::half_even:
      return remainder > rest || (remainder == rest && truncated_odd);
    case RoundingMode::half_up:
      return remainder >= rest;
    case RoundingMode::half_down:
      return remainder > rest;
    case RoundingMode::toward_zero:
      return false;
    case RoundingMode::away_from_zero:
      return true;
    case RoundingMode::floor:
      return negative;
    case RoundingMode::ceiling:
      return !negative;
  }
  assert(false && "unknown RoundingMode");
  return false;
}

}  // namespace detail

std::string_view to_string(RoundingMode mode) {
  switch (mode) {
    case RoundingMode::half_even:
      return "half_even";
    case RoundingMode::half_up:
      return "half_up";
    case RoundingMode::half_down:
      return "half_down";
    case RoundingMode::toward_zero:
      return "toward_zero";
    case RoundingMode::away_from_zero:
      return "away_from_zero";
    case RoundingMode::floor:
      return "floor";
    case RoundingMode::ceiling:
      return "ceiling";
  }
  assert(false && "unknown RoundingMode");
  return "unknown";
}

Result<i128> divide_rounded(i128 numerator, i128 denominator, RoundingMode mode) {
  if (denominator == 0) return fail("division_by_zero", "cannot divide an amount by zero");
  const bool negative = (numerator < 0) != (denominator < 0);
  const u128 dividend = detail::magnitude(numerator);
  const u128 divisor = detail::magnitude(denominator);
  u128 quotient = dividend / divisor;
  const u128 remainder = dividend % divisor;
  if (detail::rounds_away_from_zero(mode, negative, (quotient & 1) != 0, remainder, divisor)) {
    quotient += 1;  // divisor >= 2 here, so quotient <= 2^126 and this cannot wrap
  }
  const std::optional<i128> result = detail::from_magnitude(negative, quotient);
  // Only i128 min / -1 = 2^127 does not fit; every other quotient is smaller than its dividend.
  if (!result) return fail("amount_overflow", "quotient does not fit a 128-bit amount");
  return *result;
}

}  // namespace till::money
