#include "store/store.h"

#include "store/detail/pooled_database.h"
#include "store/postgres/postgres_backend.h"
#include "store/sqlite/sqlite_backend.h"

namespace till::store {

namespace {

// Options come from operators (config file, env, flags): out-of-range values are errors
// naming the setting, not assertions.
StoreResult<void> validate(const StoreOptions& options) {
  auto out_of_range = [](std::string_view key, std::int64_t value, std::int64_t min,
                         std::int64_t max) {
    return store_fail(ErrorKind::invalid_argument,
                      "storage." + std::string(key) + " is " + std::to_string(value) +
                          "; it must be between " + std::to_string(min) + " and " +
                          std::to_string(max));
  };
  if (options.pool_size < 1 || options.pool_size > pool_size_max) {
    return out_of_range("pool_size", options.pool_size, 1, pool_size_max);
  }
  if (options.busy_timeout_ms < 0 || options.busy_timeout_ms > busy_timeout_ms_max) {
    return out_of_range("busy_timeout_ms", options.busy_timeout_ms, 0, busy_timeout_ms_max);
  }
  if (options.retry_attempts_max < 1 || options.retry_attempts_max > retry_attempts_max_limit) {
    return out_of_range("retry_attempts_max", options.retry_attempts_max, 1,
                        retry_attempts_max_limit);
  }
  if (options.pool_acquire_timeout_ms < 0 ||
      options.pool_acquire_timeout_ms > pool_acquire_timeout_ms_max) {
    return out_of_range("pool_acquire_timeout_ms", options.pool_acquire_timeout_ms, 0,
                        pool_acquire_timeout_ms_max);
  }
  return {};
}

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

}  // namespace

std::string_view to_string(Dialect dialect) {
  switch (dialect) {
    case Dialect::sqlite:
      return "sqlite";
    case Dialect::postgres:
      return "postgres";
  }
  return "unknown";
}

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::busy:
      return "busy";
    case ErrorKind::serialization:
      return "serialization";
    case ErrorKind::constraint:
      return "constraint";
    case ErrorKind::connection:
      return "connection";
    case ErrorKind::schema:
      return "schema";
    case ErrorKind::corrupt:
      return "corrupt";
    case ErrorKind::invalid_argument:
      return "invalid_argument";
    case ErrorKind::other:
      return "other";
  }
  return "unknown";
}

StoreResult<std::unique_ptr<Database>> open_database(const StoreOptions& options) {
  StoreResult<void> valid = validate(options);
  if (!valid) return Unexpected<StoreError>(std::move(valid).error());
  StoreResult<std::unique_ptr<detail::Backend>> backend =
      options.database_url.empty() ? sqlite::open_backend(options)
      : is_postgres_url(options.database_url)
          ? postgres::open_backend(options)
          : store_fail(ErrorKind::invalid_argument,
                       "storage.database_url must be empty (SQLite in storage.data_dir) or start "
                       "with postgres:// or postgresql://");
  if (!backend) return Unexpected<StoreError>(std::move(backend).error());
  return std::unique_ptr<Database>(
      std::make_unique<detail::PooledDatabase>(std::move(backend).value(), options));
}

}  // namespace till::store
