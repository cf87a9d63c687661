// money/allocate.h — split an amount by ratios without losing or inventing a minor unit.
//
// Used for split payments, pro-rated fees and refunds across line items: the parts always
// add up to the total exactly, which rounding each share on its own cannot promise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "money/amount.h"

namespace till::money {

// Bounds the work and memory of one call; real splits have a handful of parts.
inline constexpr std::size_t allocation_ratio_count_max = 10'000;

// Largest-remainder (Hamilton) method: each part is its exact share total * ratio / sum
// rounded toward zero; the minor units left over go one each to the parts with the largest
// remainders, earlier index first on ties. Hence:
//   - the parts sum exactly to total, for negative totals too (they mirror positive ones:
//     allocate(-100, {1, 1, 1}) is {-34, -33, -33});
//   - each part is within one minor unit of its exact share, and a zero ratio gets zero;
//   - the result is deterministic.
// Errors: allocation_ratios_empty, allocation_ratios_zero (all ratios 0),
// allocation_ratios_too_many (more than allocation_ratio_count_max).
Result<std::vector<Amount>> allocate(const Amount& total, std::span<const std::uint64_t> ratios);

}  // namespace till::money
