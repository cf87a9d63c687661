// ledger/amount_text.h — 128-bit amounts as decimal text, the form the ledger stores them in
// (see migration 0002: TEXT columns, because SQL integers are 64-bit).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/int128.h"

namespace till::ledger {

// "-123" <-> -123. Parsing is strict: optional '-', then digits, no leading zeros (except
// "0"), no "-0", no whitespace, within the i128 range. nullopt otherwise.
std::optional<i128> parse_i128(std::string_view text);
std::string format_i128(i128 value);

}  // namespace till::ledger
