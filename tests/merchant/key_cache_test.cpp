// The key cache on its own: time to live, the size limit, and the generation check that keeps
// a lookup which raced a revoke from caching what it read.
#include "merchant/key_cache.h"

#include <gtest/gtest.h>

namespace till::merchant {
namespace {

SecretDigest digest_of(int n) { return sha256("key " + std::to_string(n)); }

KeyCache::Entry found(const std::string& key_id) {
  KeyCache::Entry entry;
  entry.found = true;
  entry.context = AuthContext{"acct_x", false, key_id};
  return entry;
}

TEST(KeyCache, EntriesLiveForTheTimeToLive) {
  KeyCache cache(2000, 10);
  cache.insert(digest_of(1), found("key_1"), 1000, cache.generation());
  ASSERT_TRUE(cache.find(digest_of(1), 1000));
  EXPECT_EQ(cache.find(digest_of(1), 2999)->context.key_id, "key_1");
  EXPECT_FALSE(cache.find(digest_of(1), 3000));
  EXPECT_FALSE(cache.find(digest_of(2), 1000));
  // A clock that stepped back does not make an entry live longer.
  EXPECT_FALSE(cache.find(digest_of(1), 999));
}

TEST(KeyCache, AnInsertThatRacedAnInvalidationIsDropped) {
  KeyCache cache(2000, 10);
  const std::uint64_t before_lookup = cache.generation();
  cache.invalidate(digest_of(1));  // a revoke committed while the lookup ran
  cache.insert(digest_of(1), found("key_1"), 1000, before_lookup);
  EXPECT_FALSE(cache.find(digest_of(1), 1000));
  EXPECT_EQ(cache.size(), 0u);
  cache.insert(digest_of(1), found("key_1"), 1000, cache.generation());
  EXPECT_TRUE(cache.find(digest_of(1), 1000));
  cache.invalidate(digest_of(1));
  EXPECT_FALSE(cache.find(digest_of(1), 1000));
}

TEST(KeyCache, NeverHoldsMoreThanItsLimit) {
  KeyCache cache(2000, 8);
  for (int i = 0; i < 100; ++i) {
    cache.insert(digest_of(i), found("key_" + std::to_string(i)), 1000, cache.generation());
    EXPECT_LE(cache.size(), 8u);
  }
  EXPECT_TRUE(cache.find(digest_of(99), 1000));  // the newest is always kept
  // Stale entries make room first.
  cache.insert(digest_of(1000), found("key_1000"), 5000, cache.generation());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(KeyCache, AZeroTimeToLiveCachesNothing) {
  KeyCache cache(0, 8);
  cache.insert(digest_of(1), found("key_1"), 1000, cache.generation());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.find(digest_of(1), 1000));
}

}  // namespace
}  // namespace till::merchant
