// store/detail/pool.h — a fixed-size, thread-safe pool of backend connections.
//
// Connections are opened lazily up to `size_max`; acquire() waits (bounded) for one to be free.
// A connection that reports broken() when it comes back is closed and its slot freed, so the
// next acquire opens a fresh one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace till::store::detail {

class BackendConnection;

class Pool {
 public:
  using Factory = std::function<StoreResult<std::unique_ptr<BackendConnection>>()>;

  // `name` appears in errors ("writer", "reader", "connection").
  Pool(std::string name, int size_max, Factory factory);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Exclusive use of one connection until destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    BackendConnection& connection() const { return *connection_; }
    BackendConnection* operator->() const { return connection_.get(); }
    // Closes this connection and opens a new one in its place (same pool slot).
    StoreResult<void> replace();

   private:
    friend class Pool;
    Lease(Pool* pool, std::unique_ptr<BackendConnection> connection);
    Pool* pool_;
    std::unique_ptr<BackendConnection> connection_;
  };

  StoreResult<Lease> acquire(std::chrono::milliseconds timeout);

  std::uint64_t open_count() const { return open_count_.load(); }
  std::uint64_t discard_count() const { return discard_count_.load(); }

 private:
  void give_back(std::unique_ptr<BackendConnection> connection);
  StoreResult<std::unique_ptr<BackendConnection>> open_connection();
  void release_slot();

  const std::string name_;
  const int size_max_;
  const Factory factory_;
  std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::vector<std::unique_ptr<BackendConnection>> idle_;  // guarded by mutex_
  int size_ = 0;  // guarded by mutex_; open or being opened: idle + leased
  std::atomic<std::uint64_t> open_count_{0};
  std::atomic<std::uint64_t> discard_count_{0};
};

}  // namespace till::store::detail
