// vault/internal.h — helpers shared by the vault's source files (internal to the vault).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vault/vault.h"

namespace till::vault::detail {

// 1..kKeyIdLengthMax characters of [A-Za-z0-9_-]: no '.', ':' or ',', which delimit sealed
// text and the vault.data_keys list.
bool valid_key_id(std::string_view id);

// OPENSSL_cleanse, then clear: for temporaries that held plaintext or key material.
void wipe(std::string& text);
void wipe(std::vector<std::uint8_t>& bytes);

// 32 bytes from OpenSSL's private DRBG.
void fresh_key(std::array<std::uint8_t, kDataKeyBytes>& key);

}  // namespace till::vault::detail
