#include "store/detail/pooled_database.h"

#include <array>
#include <cassert>
#include <cstring>
#include <thread>

#include "base/random.h"

namespace till::store::detail {

namespace {

bool is_retryable(ErrorKind kind) {
  return kind == ErrorKind::busy || kind == ErrorKind::serialization;
}

std::uint32_t random_u32() {
  std::array<std::uint8_t, 4> bytes{};
  random_bytes(bytes);
  std::uint32_t value = 0;
  std::memcpy(&value, bytes.data(), bytes.size());
  return value;
}

StoreError gave_up(StoreError error, int attempts) {
  error.message += "; gave up after " + std::to_string(attempts) +
                   (attempts == 1 ? " attempt" : " attempts") +
                   (error.kind == ErrorKind::busy
                        ? " (another transaction or process holds the lock for long: look for "
                          "stuck transactions, or raise storage.busy_timeout_ms / "
                          "storage.retry_attempts_max)"
                        : " (concurrent transactions keep conflicting on the same rows: retry "
                          "later, or raise storage.retry_attempts_max)");
  return error;
}

}  // namespace

std::int64_t retry_backoff_ms(int retry, std::uint32_t random) {
  assert(retry >= 1 && retry < retry_attempts_max_limit && "retry number within limits");
  std::int64_t cap_ms = retry_backoff_ms_base;
  for (int i = 1; i < retry && cap_ms < retry_backoff_ms_max; i++) cap_ms *= 2;
  cap_ms = std::min(cap_ms, retry_backoff_ms_max);
  const std::int64_t half_ms = cap_ms / 2;
  const std::int64_t delay_ms =
      half_ms +
      static_cast<std::int64_t>(random % static_cast<std::uint32_t>(cap_ms - half_ms + 1));
  assert(delay_ms >= half_ms && delay_ms <= cap_ms && "back-off within its window");
  return delay_ms;
}

PooledDatabase::PooledDatabase(std::unique_ptr<Backend> backend, const StoreOptions& options)
    : backend_(std::move(backend)),
      retry_attempts_max_(options.retry_attempts_max),
      pool_acquire_timeout_(options.pool_acquire_timeout_ms) {
  assert(backend_ != nullptr && "database has a backend");
  assert(retry_attempts_max_ >= 1 && retry_attempts_max_ <= retry_attempts_max_limit &&
         "retry attempts within limits");
}

StoreResult<void> PooledDatabase::transact(const Work& work, TxOptions options) {
  return run(Access::write, work, options);
}

StoreResult<void> PooledDatabase::read(const Work& work) {
  return run(Access::read, work, TxOptions{Isolation::repeatable_read, true});
}

// One connection for all attempts: a retry must not wait for the pool again behind others.
StoreResult<void> PooledDatabase::run(Access access, const Work& work, const TxOptions& options) {
  assert(static_cast<bool>(work) && "work is callable");
  StoreResult<Pool::Lease> lease = backend_->pool(access).acquire(pool_acquire_timeout_);
  if (!lease) return Unexpected<StoreError>(std::move(lease).error());
  for (int attempt_number = 1;; attempt_number++) {
    StoreResult<void> result = attempt(lease.value(), access, work, options);
    if (result) {
      commit_count_++;
      return result;
    }
    rollback_count_++;
    if (!is_retryable(result.error().kind)) return result;
    if (attempt_number == retry_attempts_max_) {
      return Unexpected<StoreError>(gave_up(std::move(result).error(), attempt_number));
    }
    retry_count_++;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(retry_backoff_ms(attempt_number, random_u32())));
  }
}

StoreResult<void> PooledDatabase::attempt(Pool::Lease& lease, Access access, const Work& work,
                                          const TxOptions& options) {
  StoreResult<void> begun = begin(lease, access, options);
  if (!begun) return begun;
  BackendConnection& connection = lease.connection();
  StoreResult<void> worked;
  try {
    worked = work(connection);
  } catch (...) {
    // Exceptions are for bugs, but the connection goes back to the pool: never with an open
    // transaction that the next user would run inside.
    connection.rollback();
    throw;
  }
  if (!worked) {
    connection.rollback();
    return worked;
  }
  return connection.commit();
}

// A pooled connection may have died while idle (server restart, idle timeout in a proxy); that
// shows only when it is used. `step` runs before any work, so replacing the connection and
// running it again is safe.
StoreResult<void> PooledDatabase::on_live_connection(
    Pool::Lease& lease, const std::function<StoreResult<void>(BackendConnection&)>& step) {
  StoreResult<void> done = step(lease.connection());
  if (done || !lease->broken()) return done;
  StoreResult<void> replaced = lease.replace();
  if (!replaced) return replaced;
  return step(lease.connection());
}

StoreResult<void> PooledDatabase::begin(Pool::Lease& lease, Access access,
                                        const TxOptions& options) {
  return on_live_connection(
      lease, [&](BackendConnection& connection) { return connection.begin(access, options); });
}

StoreResult<void> PooledDatabase::ping() {
  const auto timeout =
      std::min(pool_acquire_timeout_, std::chrono::milliseconds(ping_acquire_timeout_ms));
  StoreResult<Pool::Lease> lease = backend_->pool(Access::read).acquire(timeout);
  if (!lease) return Unexpected<StoreError>(std::move(lease).error());
  return on_live_connection(lease.value(),
                            [](BackendConnection& connection) { return connection.ping(); });
}

DatabaseStats PooledDatabase::stats() const {
  DatabaseStats stats;
  stats.commit_count = commit_count_.load();
  stats.rollback_count = rollback_count_.load();
  stats.retry_count = retry_count_.load();
  // SQLite has a writer pool and a reader pool; PostgreSQL one pool for both.
  const Pool& writer = backend_->pool(Access::write);
  const Pool& reader = backend_->pool(Access::read);
  stats.connection_open_count = writer.open_count();
  stats.connection_discard_count = writer.discard_count();
  if (&reader != &writer) {
    stats.connection_open_count += reader.open_count();
    stats.connection_discard_count += reader.discard_count();
  }
  return stats;
}

}  // namespace till::store::detail
