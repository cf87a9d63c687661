// config/text.h — small text helpers for configuration messages (internal to the module).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace till::config::internal {

// Values echoed in messages are cut to this length: a message must fit on one terminal line
// even when the value is a megabyte of garbage.
inline constexpr std::size_t value_shown_length_max = 64;
// Paths are shown whole (up to PATH_MAX): a cut path does not tell the operator which file.
inline constexpr std::size_t path_shown_length_max = 4096;

// Edit distance is quadratic; suggestions are only computed for names up to this long, which
// every real setting name is, so a huge unknown key cannot stall `till config check`.
inline constexpr std::size_t suggestion_name_length_max = 64;

// Renders untrusted text for a message: control bytes escaped as \xNN (so a value cannot move
// the terminal cursor or forge a log line) and cut to length_max bytes, marked with "...".
std::string printable(std::string_view text, std::size_t length_max = value_shown_length_max);

// Levenshtein distance. Both inputs at most suggestion_name_length_max bytes.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Strict decimal integer: optional '-', digits, nothing else (no spaces, '+', or "0x").
// Environment variables and flags are text; this is the only way they become integers.
std::optional<std::int64_t> parse_decimal(std::string_view text);

}  // namespace till::config::internal
