// store/detail/pooled_database.h — the Database both backends share: pooling, transactions,
// and the retry policy. Backends only say how to open connections and run statements.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include "store/detail/backend.h"
#include "store/store.h"

namespace till::store::detail {

// Back-off before retry k (1-based) is uniform in [cap/2, cap], cap = min(base * 2^(k-1), max):
// exponential so a hot row is not hammered, jittered so colliding transactions do not collide
// again in lock step.
constexpr std::int64_t retry_backoff_ms_base = 4;
constexpr std::int64_t retry_backoff_ms_max = 500;
// /readyz should answer quickly even when every connection is busy.
constexpr std::int64_t ping_acquire_timeout_ms = 1000;

std::int64_t retry_backoff_ms(int retry, std::uint32_t random);

class PooledDatabase final : public Database {
 public:
  PooledDatabase(std::unique_ptr<Backend> backend, const StoreOptions& options);

  Dialect dialect() const override { return backend_->dialect(); }
  StoreResult<void> transact(const Work& work, TxOptions options) override;
  StoreResult<void> read(const Work& work) override;
  StoreResult<void> ping() override;
  StoreResult<void> flush_log() override { return backend_->flush_log(); }
  std::string describe() const override { return backend_->describe(); }
  DatabaseStats stats() const override;

 private:
  StoreResult<void> run(Access access, const Work& work, const TxOptions& options);
  StoreResult<void> attempt(Pool::Lease& lease, Access access, const Work& work,
                            const TxOptions& options);
  StoreResult<void> begin(Pool::Lease& lease, Access access, const TxOptions& options);
  static StoreResult<void> on_live_connection(
      Pool::Lease& lease, const std::function<StoreResult<void>(BackendConnection&)>& step);

  const std::unique_ptr<Backend> backend_;
  const int retry_attempts_max_;
  const std::chrono::milliseconds pool_acquire_timeout_;
  std::atomic<std::uint64_t> commit_count_{0};
  std::atomic<std::uint64_t> rollback_count_{0};
  std::atomic<std::uint64_t> retry_count_{0};
};

}  // namespace till::store::detail
