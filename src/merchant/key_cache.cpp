#include "merchant/key_cache.h"

#include <algorithm>
#include <cassert>

namespace till::merchant {

KeyCache::KeyCache(std::int64_t ttl_ms, std::size_t entries_max)
    : ttl_ms_(ttl_ms), entries_max_(entries_max) {
  assert(ttl_ms >= 0);
  entries_.reserve(std::min<std::size_t>(entries_max, 1024));
}

bool KeyCache::fresh(const Stored& stored, std::int64_t now_unix_ms) const {
  // A clock that stepped backwards makes the entry stale rather than longer-lived.
  return now_unix_ms >= stored.stored_at_unix_ms &&
         now_unix_ms - stored.stored_at_unix_ms < ttl_ms_;
}

std::optional<KeyCache::Entry> KeyCache::find(const SecretDigest& digest,
                                              std::int64_t now_unix_ms) const {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(digest);
  if (it == entries_.end() || !fresh(it->second, now_unix_ms)) return std::nullopt;
  return it->second.entry;
}

std::uint64_t KeyCache::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

void KeyCache::insert(const SecretDigest& digest, Entry entry, std::int64_t now_unix_ms,
                      std::uint64_t generation) {
  if (ttl_ms_ == 0 || entries_max_ == 0) return;
  std::lock_guard lock(mutex_);
  if (generation != generation_) return;
  const auto it = entries_.find(digest);
  if (it != entries_.end()) {
    it->second = Stored{std::move(entry), now_unix_ms};
    return;
  }
  make_room(now_unix_ms);
  entries_.emplace(digest, Stored{std::move(entry), now_unix_ms});
  assert(entries_.size() <= entries_max_);
}

void KeyCache::make_room(std::int64_t now_unix_ms) {
  if (entries_.size() < entries_max_) return;
  // Dropping stale entries walks the whole map, so at most once per time to live; in between,
  // a full cache (say, under a flood of made-up keys) gives up an arbitrary entry, which
  // costs at worst one extra query later.
  if (now_unix_ms - last_sweep_unix_ms_ >= ttl_ms_ || now_unix_ms < last_sweep_unix_ms_) {
    last_sweep_unix_ms_ = now_unix_ms;
    std::erase_if(entries_, [&](const auto& item) { return !fresh(item.second, now_unix_ms); });
  }
  if (entries_.size() >= entries_max_) entries_.erase(entries_.begin());
}

void KeyCache::invalidate(const SecretDigest& digest) {
  std::lock_guard lock(mutex_);
  ++generation_;
  entries_.erase(digest);
}

std::size_t KeyCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace till::merchant
