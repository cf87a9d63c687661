// store/detail/backend.h — what a database backend (sqlite/, postgres/) provides to the
// shared transaction driver (PooledDatabase): connections that can begin/commit/rollback,
// and connection pools.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "store/detail/pool.h"
#include "store/store.h"

namespace till::store::detail {

enum class Access { write, read };

// A live connection. Each statement method of Connection is wrapped here once, so that the
// first failing statement of a transaction is remembered for commit() (see store.h: a
// swallowed error still rolls the transaction back).
class BackendConnection : public Connection {
 public:
  virtual StoreResult<void> begin(Access access, const TxOptions& options) = 0;
  // Commits, or rolls back and fails if a statement failed since begin().
  StoreResult<void> commit();
  // Best effort; a connection that cannot roll back is broken.
  virtual void rollback() = 0;
  // True once the connection is unusable (PostgreSQL: lost); the pool then replaces it.
  virtual bool broken() const = 0;
  // A cheap round trip outside any transaction.
  virtual StoreResult<void> ping() = 0;

  StoreResult<void> execute_script(std::string_view sql) final;

 protected:
  // Called by begin() implementations when the transaction has started.
  void transaction_started() { failed_statement_.reset(); }
  virtual StoreResult<void> commit_transaction() = 0;
  virtual StoreResult<void> run_script(std::string_view sql) = 0;
  virtual StoreResult<std::int64_t> run_execute(std::string_view sql,
                                                std::span<const Value> params) = 0;
  virtual StoreResult<void> run_query(std::string_view sql, std::span<const Value> params,
                                      const RowCallback& on_row) = 0;

 private:
  StoreResult<std::int64_t> execute_values(std::string_view sql,
                                           std::span<const Value> params) final;
  StoreResult<void> query_values(std::string_view sql, std::span<const Value> params,
                                 const RowCallback& on_row) final;
  void remember(const StoreError& error);

  std::optional<StoreError> failed_statement_;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Dialect dialect() const = 0;
  virtual std::string describe() const = 0;
  virtual Pool& pool(Access access) = 0;
  virtual StoreResult<void> flush_log() { return {}; }
};

}  // namespace till::store::detail
