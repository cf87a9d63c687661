// vault/base64.h — strict base64 (RFC 4648 §4 and §5), internal to the vault.
//
// Written here because OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock know only the standard
// alphabet, always pad, skip whitespace and report padding as zero bytes; the vault needs
// base64url without padding for sealed text and a decoder that accepts exactly one spelling
// of each byte string, so altered text never decodes to the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace till::vault::detail {

enum class Alphabet : std::uint8_t {
  standard,  // A-Z a-z 0-9 + /, padded with '=' on encode; padding optional on decode
  url,       // A-Z a-z 0-9 - _, never padded
};

std::string base64_encode(std::span<const std::uint8_t> bytes, Alphabet alphabet);

// nullopt for a character outside the alphabet, a bad length, misplaced padding, or
// non-zero bits left over in the last character (a second spelling of the same bytes).
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text, Alphabet alphabet);

}  // namespace till::vault::detail
