#include "store/detail/pool.h"

#include "store/detail/backend.h"

namespace till::store::detail {

Pool::Pool(std::string name, int size_max, Factory factory)
    : name_(std::move(name)), size_max_(size_max), factory_(std::move(factory)) {
  assert(size_max_ >= 1 && size_max_ <= pool_size_max && "pool size within limits");
}

Pool::~Pool() {
  std::lock_guard lock(mutex_);
  // A lease outliving its pool would return a connection into freed memory.
  assert(static_cast<int>(idle_.size()) == size_ && "every lease returned before the pool closes");
}

Pool::Lease::Lease(Pool* pool, std::unique_ptr<BackendConnection> connection)
    : pool_(pool), connection_(std::move(connection)) {
  assert(pool_ != nullptr && connection_ != nullptr && "lease holds a connection");
}

Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

Pool::Lease::~Lease() {
  if (connection_) pool_->give_back(std::move(connection_));
}

StoreResult<void> Pool::Lease::replace() {
  assert(connection_ != nullptr && "lease holds a connection");
  connection_.reset();
  pool_->discard_count_++;
  StoreResult<std::unique_ptr<BackendConnection>> fresh = pool_->open_connection();
  if (!fresh) {
    // The slot stays counted until the lease ends; give it up now so others may open one.
    pool_->release_slot();
    pool_ = nullptr;
    return Unexpected<StoreError>(std::move(fresh).error());
  }
  connection_ = std::move(fresh).value();
  return {};
}

StoreResult<Pool::Lease> Pool::acquire(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool available =
      slot_freed_.wait_for(lock, timeout, [&] { return !idle_.empty() || size_ < size_max_; });
  if (!available) {
    return store_fail(ErrorKind::busy,
                      "no free " + name_ + " database connection within " +
                          std::to_string(timeout.count()) + " ms (all " +
                          std::to_string(size_max_) +
                          " are in use); look for slow transactions or raise storage.pool_size");
  }
  if (!idle_.empty()) {
    // Most recently used first: its statement cache and server-side state are warm.
    std::unique_ptr<BackendConnection> connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(connection));
  }
  size_++;
  lock.unlock();  // opening a connection is slow; others may use idle ones meanwhile
  StoreResult<std::unique_ptr<BackendConnection>> opened = open_connection();
  if (!opened) {
    release_slot();
    return Unexpected<StoreError>(std::move(opened).error());
  }
  return Lease(this, std::move(opened).value());
}

StoreResult<std::unique_ptr<BackendConnection>> Pool::open_connection() {
  StoreResult<std::unique_ptr<BackendConnection>> opened = factory_();
  if (opened) {
    assert(opened.value() != nullptr && "factory returns a connection");
    open_count_++;
  }
  return opened;
}

void Pool::give_back(std::unique_ptr<BackendConnection> connection) {
  assert(connection != nullptr && "returning a connection");
  if (connection->broken()) {
    connection.reset();  // close outside the lock would be nicer, but closing a dead one is fast
    discard_count_++;
    release_slot();
    return;
  }
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
    assert(static_cast<int>(idle_.size()) <= size_ && "idle connections within pool size");
  }
  slot_freed_.notify_one();
}

void Pool::release_slot() {
  {
    std::lock_guard lock(mutex_);
    assert(size_ > 0 && "releasing an occupied slot");
    size_--;
  }
  slot_freed_.notify_one();
}

}  // namespace till::store::detail
