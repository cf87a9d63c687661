// base/ids.h — prefixed, time-ordered, random object IDs.
//
// Format: `<prefix>_<22 base62 chars>`, e.g. `pi_0Q3vKk7a2bF9xYwZ1mN4pR`. The 22 characters
// encode 128 bits: a 48-bit Unix time in milliseconds followed by 80 random bits from the
// CSPRNG. The alphabet is in ASCII order and the width is fixed, so comparing two IDs of one
// prefix as strings orders them by creation time (to the millisecond), which keeps B-tree
// inserts append-mostly and gives list pagination a stable order. 80 random bits make
// collisions within one millisecond negligible and IDs unguessable; nothing leaks a count.
// See docs/adr/0004-id-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace till {

constexpr std::size_t kIdBodyLength = 22;
constexpr std::size_t kIdPrefixLengthMax = 8;

// Mints a new ID. `prefix` is 1..8 lowercase ASCII letters (asserted: prefixes are constants).
std::string new_id(std::string_view prefix, const Clock& clock);

// True when `id` is `<expected_prefix>_` followed by a well-formed body. Use it to validate IDs
// that arrive from outside before they reach a query.
bool is_valid_id(std::string_view id, std::string_view expected_prefix);

// The creation time embedded in a well-formed ID, or nullopt.
std::optional<std::int64_t> id_unix_ms(std::string_view id);

}  // namespace till
