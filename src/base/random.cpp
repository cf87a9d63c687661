#include "base/random.h"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace till {

namespace {
constexpr std::string_view kBase62Alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void fill_from_openssl(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (out.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("fatal: OpenSSL RAND_bytes failed; refusing to continue without secure randomness\n",
               stderr);
    std::abort();
  }
}

// Small requests (IDs: 10 bytes, several per API call) are served from a per-thread buffer
// filled 4 KiB at a time, which turns a locked CSPRNG call per ID into a memcpy. The bytes are
// the CSPRNG's either way. Till never forks after start-up, so no two processes share a
// buffer; large requests go straight to OpenSSL.
constexpr std::size_t kRandomBufferBytes = 4096;
constexpr std::size_t kBufferedRequestBytesMax = 64;

struct RandomBuffer {
  std::array<std::uint8_t, kRandomBufferBytes> bytes{};
  std::size_t used = kRandomBufferBytes;
};
}  // namespace

void random_bytes(std::span<std::uint8_t> out) {
  if (out.size() > kBufferedRequestBytesMax) {
    fill_from_openssl(out);
    return;
  }
  thread_local RandomBuffer buffer;
  if (kRandomBufferBytes - buffer.used < out.size()) {
    fill_from_openssl(buffer.bytes);
    buffer.used = 0;
  }
  std::memcpy(out.data(), buffer.bytes.data() + buffer.used, out.size());
  // Bytes handed out are wiped so a later memory disclosure cannot replay them.
  std::memset(buffer.bytes.data() + buffer.used, 0, out.size());
  buffer.used += out.size();
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
