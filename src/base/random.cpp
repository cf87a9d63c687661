#include "base/random.h"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace till {

namespace {
constexpr std::string_view kBase62Alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
}

void random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (out.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("fatal: OpenSSL RAND_bytes failed; refusing to continue without secure randomness\n",
               stderr);
    std::abort();
  }
}

std::string random_base62(std::size_t length) {
  std::string result;
  result.reserve(length);
  std::array<std::uint8_t, 64> pool{};
  std::size_t used = pool.size();
  while (result.size() < length) {
    if (used == pool.size()) {
      random_bytes(pool);
      used = 0;
    }
    const std::uint8_t byte = pool[used++];
    // 248 = 4 * 62: bytes at or above it would favour the first symbols, so they are dropped.
    if (byte < 248) result.push_back(kBase62Alphabet[byte % 62]);
  }
  return result;
}

}  // namespace till
