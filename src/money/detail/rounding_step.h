// money/detail/rounding_step.h — the one rounding decision every divider shares.
#pragma once

#include "base/int128.h"
#include "money/rounding.h"

namespace till::money::detail {

// A division was done on magnitudes: |exact quotient| = truncated + remainder / divisor.
// Returns whether the rounded magnitude is truncated + 1 (one unit away from zero).
// `negative` is the sign of the exact quotient, `truncated_odd` the parity of the truncated
// magnitude. Requires remainder < divisor.
bool rounds_away_from_zero(RoundingMode mode, bool negative, bool truncated_odd, u128 remainder,
                           u128 divisor);

}  // namespace till::money::detail
