// routing/lru.h — a map with a size cap that forgets the least recently touched key (internal
// to routing). Success rates and breakers keep one entry per connector (and dimension value);
// the cap keeps a flood of distinct keys from growing memory without bound.
#pragma once

#include <cassert>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace till::routing::detail {

template <class V>
class LruMap {
 public:
  explicit LruMap(std::size_t capacity) : capacity_(capacity) { assert(capacity > 0); }

  // The entry for `key`, created (default V) if absent, and marked most recently used. Creating
  // one beyond the capacity drops the least recently used entry first.
  V& touch(std::string_view key) {
    auto found = index_.find(std::string(key));
    if (found != index_.end()) {
      order_.splice(order_.begin(), order_, found->second);
      return found->second->second;
    }
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
      evictions_++;
    }
    order_.emplace_front(std::string(key), V{});
    index_.emplace(order_.front().first, order_.begin());
    return order_.front().second;
  }

  // nullptr when absent; does not change the order.
  const V* find(std::string_view key) const {
    auto found = index_.find(std::string(key));
    return found == index_.end() ? nullptr : &found->second->second;
  }

  // nullptr when absent; does not change the order.
  V* find_mutable(std::string_view key) {
    auto found = index_.find(std::string(key));
    return found == index_.end() ? nullptr : &found->second->second;
  }

  std::size_t size() const { return index_.size(); }
  std::size_t evictions() const { return evictions_; }

  template <class F>
  void for_each(F visit) const {
    for (const auto& [key, item] : order_) visit(key, item);
  }

 private:
  using Order = std::list<std::pair<std::string, V>>;
  std::size_t capacity_;
  Order order_;  // most recently used first
  std::unordered_map<std::string, typename Order::iterator> index_;
  std::size_t evictions_ = 0;
};

}  // namespace till::routing::detail
