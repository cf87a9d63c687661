// store/detail/statement_cache.h — prepared statements per connection, least recently used out.
//
// Parsing and planning a statement costs more than running most of Till's short queries, so
// each connection keeps the statements it prepared, keyed by SQL text. The cache is bounded
// (statement_cache_size_max) because SQL built at runtime (e.g. IN lists of varying length)
// would otherwise grow it, and every entry holds memory in the database too.
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace till::store::detail {

template <class Handle>
class StatementCache {
 public:
  struct Entry {
    std::string key;
    Handle handle;
    bool in_use = false;  // being stepped; must not be evicted or reused re-entrantly
  };
  using Release = std::function<void(Handle&)>;

  StatementCache(std::size_t capacity, Release release)
      : capacity_(capacity), release_(std::move(release)) {
    assert(capacity_ > 0 && "statement cache capacity is positive");
  }
  ~StatementCache() { clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The entry for `key`, now the most recently used; nullptr when absent.
  Entry* find(std::string_view key) {
    const auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, found->second);
    return &*found->second;
  }

  // Adds a new entry (key must be absent), evicting least recently used idle entries first.
  Entry& insert(std::string key, Handle handle) {
    assert(index_.find(key) == index_.end() && "statement cache key is new");
    evict_to(capacity_ - 1);
    entries_.push_front(Entry{std::move(key), std::move(handle), false});
    index_.emplace(std::string_view(entries_.front().key), entries_.begin());
    return entries_.front();
  }

  std::size_t size() const { return entries_.size(); }

  void clear() {
    for (Entry& entry : entries_) release_(entry.handle);
    index_.clear();
    entries_.clear();
  }

 private:
  void evict_to(std::size_t size_target) {
    auto it = entries_.end();
    while (entries_.size() > size_target && it != entries_.begin()) {
      --it;
      if (it->in_use) continue;
      release_(it->handle);
      index_.erase(std::string_view(it->key));
      it = entries_.erase(it);
    }
  }

  std::size_t capacity_;
  Release release_;
  std::list<Entry> entries_;  // front = most recently used
  // Keys view the strings owned by `entries_`; list nodes never move, so the views stay valid.
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator> index_;
};

}  // namespace till::store::detail
