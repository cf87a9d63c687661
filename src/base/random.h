// base/random.h — cryptographically secure randomness (OpenSSL's CSPRNG).
//
// Every ID, secret key and token comes from here; never from std::rand or <random> engines,
// whose output can be predicted from a few samples.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace till {

// Fills `out` with random bytes. Aborts if the CSPRNG fails: continuing with weak randomness
// would mint guessable keys, which is worse than stopping.
void random_bytes(std::span<std::uint8_t> out);

// `length` characters of [0-9A-Za-z], uniformly distributed (rejection sampling, no modulo bias).
std::string random_base62(std::size_t length);

}  // namespace till
