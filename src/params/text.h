// params/text.h — byte-level helpers of the request codec: UTF-8 checks, the bracket form of
// parameter paths, and the clipped, printable form in which client text may appear in an
// error message (at most kEchoBytesMax bytes, so an error never carries a secret in full).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace till::params {

// Client input an error message may quote, in bytes: enough to recognise a typo, too little
// to carry a card number plus anything else.
inline constexpr std::size_t kEchoBytesMax = 40;

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF).
bool valid_utf8(std::string_view text);

// Code points in `text`, which must be valid UTF-8.
std::size_t utf8_length(std::string_view text);

// `text` as it may appear in a message: at most `max_bytes` bytes of it, cut on a code-point
// boundary and marked "..." when cut; invalid bytes become U+FFFD and control characters '?',
// so the result is always valid, printable UTF-8 whatever the client sent.
std::string clip(std::string_view text, std::size_t max_bytes = kEchoBytesMax);

// "card" + "number" -> "card[number]"; "" + "amount" -> "amount".
std::string join_param(std::string_view prefix, std::string_view key);

}  // namespace till::params
