#include "store/detail/backend.h"

namespace till::store::detail {

StoreResult<void> BackendConnection::commit() {
  if (failed_statement_) {
    // `work` ignored a failed statement. PostgreSQL has already aborted the transaction and
    // would turn COMMIT into ROLLBACK silently; SQLite would commit the rest. Roll back on both
    // and report the statement's error (its kind decides whether the attempt is retried).
    rollback();
    StoreError error = *failed_statement_;
    error.message +=
        " (this statement failed inside the transaction and the error was not "
        "returned from the work function; the transaction was rolled back)";
    return Unexpected<StoreError>(std::move(error));
  }
  return commit_transaction();
}

StoreResult<void> BackendConnection::execute_script(std::string_view sql) {
  StoreResult<void> result = run_script(sql);
  if (!result) remember(result.error());
  return result;
}

StoreResult<std::int64_t> BackendConnection::execute_values(std::string_view sql,
                                                            std::span<const Value> params) {
  StoreResult<std::int64_t> result = run_execute(sql, params);
  if (!result) remember(result.error());
  return result;
}

StoreResult<void> BackendConnection::query_values(std::string_view sql,
                                                  std::span<const Value> params,
                                                  const RowCallback& on_row) {
  StoreResult<void> result = run_query(sql, params, on_row);
  if (!result) remember(result.error());
  return result;
}

void BackendConnection::remember(const StoreError& error) {
  if (!failed_statement_) failed_statement_ = error;
}

}  // namespace till::store::detail
