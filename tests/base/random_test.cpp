#include "base/random.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>
#include <vector>

namespace till {
namespace {

TEST(Random, Base62HasTheRequestedLengthAndAlphabet) {
  for (std::size_t length : {0u, 1u, 22u, 64u, 300u}) {
    const std::string text = random_base62(length);
    ASSERT_EQ(text.size(), length);
    for (char c : text) {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) << c;
    }
  }
}

TEST(Random, Base62UsesEverySymbolRoughlyEvenly) {
  // 62,000 symbols: each expected 1,000 times; a modulo bias or a stuck buffer would show.
  const std::string text = random_base62(62'000);
  std::array<int, 128> counts{};
  for (char c : text) ++counts[static_cast<unsigned char>(c)];
  int distinct = 0;
  for (int count : counts) {
    if (count == 0) continue;
    ++distinct;
    EXPECT_GT(count, 800);
    EXPECT_LT(count, 1200);
  }
  EXPECT_EQ(distinct, 62);
}

TEST(Random, BufferedAndDirectRequestsNeverRepeat) {
  std::set<std::vector<std::uint8_t>> seen;
  for (std::size_t size : {10u, 10u, 64u, 65u, 4096u, 10u}) {
    std::vector<std::uint8_t> bytes(size);
    random_bytes(bytes);
    EXPECT_TRUE(seen.insert(bytes).second);
    EXPECT_NE(bytes, std::vector<std::uint8_t>(size, 0));
  }
  // Crossing the 4 KiB refill boundary many times keeps producing fresh bytes.
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::uint8_t> bytes(10);
    random_bytes(bytes);
    ASSERT_TRUE(seen.insert(bytes).second) << "repeat at " << i;
  }
}

}  // namespace
}  // namespace till
