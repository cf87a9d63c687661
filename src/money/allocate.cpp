// money/allocate.cpp — largest-remainder allocation on exact 256-bit shares.
#include "money/allocate.h"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <optional>
#include <string>

#include "money/detail/integer.h"

namespace till::money {
namespace {

// Floors of the exact shares of one magnitude, with what each floor dropped.
struct Shares {
  std::vector<u128> parts;
  std::vector<u128> remainders;  // exact share = part + remainder / ratio_sum
};

Result<u128> sum_ratios(std::span<const std::uint64_t> ratios) {
  if (ratios.empty()) return fail("allocation_ratios_empty", "allocation needs at least one ratio");
  if (ratios.size() > allocation_ratio_count_max) {
    return fail("allocation_ratios_too_many", "allocation takes at most " +
                                                  std::to_string(allocation_ratio_count_max) +
                                                  " ratios; got " + std::to_string(ratios.size()));
  }
  // At most 10^4 ratios below 2^64 each: the sum stays below 2^78 and cannot wrap.
  const u128 sum = std::accumulate(ratios.begin(), ratios.end(), u128{0},
                                   [](u128 total, std::uint64_t ratio) { return total + ratio; });
  if (sum == 0) return fail("allocation_ratios_zero", "allocation needs a ratio above zero");
  return sum;
}

Shares floor_shares(u128 total, std::span<const std::uint64_t> ratios, u128 ratio_sum) {
  Shares shares;
  shares.parts.reserve(ratios.size());
  shares.remainders.reserve(ratios.size());
  for (const std::uint64_t ratio : ratios) {
    // total * ratio needs up to 192 bits; the quotient is at most total, so it fits 128.
    const detail::WideDivision division =
        detail::divide_wide(detail::multiply_wide(total, ratio), ratio_sum);
    assert(division.quotient.high == 0 && division.quotient.low <= total);
    shares.parts.push_back(division.quotient.low);
    shares.remainders.push_back(division.remainder);
  }
  return shares;
}

// Hands out the units the floors dropped: one each, largest remainder first, ties to the
// earlier index (stable sort), so the same input always gives the same parts.
void distribute_leftover(Shares& shares, u128 total) {
  const u128 allocated = std::accumulate(shares.parts.begin(), shares.parts.end(), u128{0});
  assert(allocated <= total);
  const u128 leftover = total - allocated;
  // Each floor drops less than one unit, so fewer units than parts are left over.
  assert(leftover < shares.parts.size());
  std::vector<std::size_t> order(shares.parts.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return shares.remainders[a] > shares.remainders[b];
  });
  for (std::size_t k = 0; k < static_cast<std::size_t>(leftover); k++) {
    // The leftover equals the sum of remainders / ratio_sum, and each remainder is below
    // ratio_sum, so at least `leftover` parts have one: a zero ratio never gets a unit.
    assert(shares.remainders[order[k]] > 0);
    shares.parts[order[k]] += 1;
  }
}

}  // namespace

Result<std::vector<Amount>> allocate(const Amount& total, std::span<const std::uint64_t> ratios) {
  const Result<u128> ratio_sum = sum_ratios(ratios);
  if (!ratio_sum) return Unexpected<Error>(ratio_sum.error());
  // Allocate the magnitude and give every part the total's sign: negative totals mirror
  // positive ones, and i128 min (magnitude 2^127) works like any other total.
  const bool negative = total.minor_units() < 0;
  const u128 total_magnitude = detail::magnitude(total.minor_units());
  Shares shares = floor_shares(total_magnitude, ratios, *ratio_sum);
  distribute_leftover(shares, total_magnitude);

  std::vector<Amount> parts;
  parts.reserve(ratios.size());
  for (const u128 part : shares.parts) {
    const std::optional<i128> minor_units = detail::from_magnitude(negative, part);
    assert(minor_units.has_value());  // |part| <= |total|
    parts.emplace_back(*minor_units, total.currency());
  }
  return parts;
}

}  // namespace till::money
