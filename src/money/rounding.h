// money/rounding.h — integer division that names how it rounds.
//
// Every place money is divided (fees, FX, interest, pro-rating) says which rounding mode it
// uses; there is no default, so a reviewer can see the choice at the call site.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/int128.h"
#include "base/result.h"

namespace till::money {

// How an inexact quotient becomes an integer. "up" and "down" in the half modes mean away
// from and toward zero, as in Java's RoundingMode and IEEE 754's roundTiesToAway:
//   half_even       halves to the even neighbour (banker's rounding): 2.5 -> 2, 3.5 -> 4
//   half_up         halves away from zero: 2.5 -> 3, -2.5 -> -3
//   half_down       halves toward zero: 2.5 -> 2, -2.5 -> -2
//   toward_zero     truncate: 2.9 -> 2, -2.9 -> -2
//   away_from_zero  any fraction moves away from zero: 2.1 -> 3, -2.1 -> -3
//   floor           toward negative infinity: 2.9 -> 2, -2.1 -> -3
//   ceiling         toward positive infinity: 2.1 -> 3, -2.9 -> -2
enum class RoundingMode : std::uint8_t {
  half_even,
  half_up,
  half_down,
  toward_zero,
  away_from_zero,
  floor,
  ceiling,
};

std::string_view to_string(RoundingMode mode);

// numerator / denominator rounded by `mode`, exact for every i128 input.
// Errors: division_by_zero; amount_overflow for the one quotient that does not fit
// (i128 min / -1).
Result<i128> divide_rounded(i128 numerator, i128 denominator, RoundingMode mode);

}  // namespace till::money
