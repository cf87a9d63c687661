// store/store.h — Till's database layer: one interface over SQLite and PostgreSQL.
//
// What this module is
//   Everything else in Till reaches the database through `Database` and `Connection` below, so
//   one schema and one set of queries run on both backends (docs/adr/0003-storage-backends.md):
//   - SQLite is the embedded default: one file `<data_dir>/till.db` in WAL mode with
//     `synchronous=FULL` (every commit is synced: durability is not traded for speed) and
//     foreign keys on. One writer connection (SQLite serializes writers anyway) and up to
//     `pool_size` reader connections, so reads never wait for a writer.
//   - PostgreSQL 15 is the production store: a fixed-size, thread-safe connection pool.
//
// How to use it
//   - SQL is written once, with PostgreSQL-style `$1, $2, ...` placeholders (the SQLite backend
//     rewrites them to `?1, ?2, ...`). Values are typed: int64 -> BIGINT, text -> TEXT,
//     Blob -> BLOB/BYTEA, bool -> BOOLEAN (SQLite stores 0/1). Cast in SQL (`$1::jsonb`) for
//     anything else. Timestamps are UTC integers (`*_unix_ms`); there is no floating point.
//   - All work happens inside `Database::transact` (read-write) or `Database::read` (read-only
//     snapshot). Both are blocking and thread-safe; call them from a DB thread pool, never from
//     an I/O thread. `work` may run more than once (busy / serialization-failure retries), so
//     it must have no effects outside the database, or only idempotent ones.
//   - If any statement fails inside `work`, the transaction is rolled back even when `work`
//     swallows the error and returns success: PostgreSQL aborts such a transaction anyway,
//     and SQLite is made to behave the same so code tested on one backend holds on the other.
//   - Expected failures are values (`StoreError`); using the API wrongly (reading a column as
//     the wrong type, an index out of range) is a programmer error and aborts.
//   - Schema changes go through migrations (store/migrations.h); `open_database` never migrates.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/result.h"

namespace till::store {

enum class Dialect { sqlite, postgres };

std::string_view to_string(Dialect dialect);

// Limits. Options outside them are rejected by open_database with ErrorKind::invalid_argument.
constexpr int pool_size_max = 256;
constexpr std::int64_t busy_timeout_ms_max = 10 * 60 * 1000;
constexpr int retry_attempts_max_limit = 100;
constexpr std::int64_t pool_acquire_timeout_ms_default = 10'000;
constexpr std::int64_t pool_acquire_timeout_ms_max = 10 * 60 * 1000;
// Prepared statements kept per connection; the least recently used one is dropped beyond this.
constexpr std::size_t statement_cache_size_max = 256;
// Highest `$N` a statement may use (PostgreSQL allows 65535, SQLite as built here 250000).
constexpr int parameter_count_max = 4096;

struct StoreOptions {
  std::string data_dir;      // SQLite: the file is <data_dir>/till.db; the directory is created
  std::string database_url;  // empty = SQLite; postgres:// or postgresql:// = PostgreSQL
  int pool_size = 8;         // PostgreSQL connections; SQLite reader connections
  // How long one statement waits for a lock held by someone else before failing with `busy`
  // (SQLite busy_timeout; PostgreSQL lock_timeout).
  std::int64_t busy_timeout_ms = 5000;
  int retry_attempts_max = 5;  // attempts per transaction on busy / serialization failure
  // How long transact/read wait for a free pooled connection before failing with `busy`.
  std::int64_t pool_acquire_timeout_ms = pool_acquire_timeout_ms_default;
};

enum class ErrorKind {
  busy,              // lock wait timed out / pool exhausted; retried by transact
  serialization,     // serialization failure or deadlock (PostgreSQL); retried by transact
  constraint,        // unique, foreign key, check or not-null constraint violated
  connection,        // cannot open or lost the connection / database file
  schema,            // schema version or migration checksum does not match this binary
  corrupt,           // the database file is not a database or is damaged
  invalid_argument,  // bad SQL, wrong parameter count, bad option or URL
  other,
};

std::string_view to_string(ErrorKind kind);

struct StoreError {
  ErrorKind kind = ErrorKind::other;
  // For operators: includes the database's own message and what to do. Never contains a
  // password or bound parameter values.
  std::string message;
};

template <class T>
using StoreResult = Expected<T, StoreError>;

inline Unexpected<StoreError> store_fail(ErrorKind kind, std::string message) {
  return Unexpected<StoreError>(StoreError{kind, std::move(message)});
}

using Blob = std::vector<std::uint8_t>;

// A value bound to a `$N` placeholder. std::string is text (valid UTF-8); Blob is bytes.
using Value = std::variant<std::nullptr_t, std::int64_t, std::string, Blob, bool>;

// The parameters of one statement, `{value1, value2, ...}` or a span. It only refers to the
// values, so it is for passing straight into a call, never for keeping.
class Params {
 public:
  Params() = default;
  Params(std::initializer_list<Value> values)  // NOLINT: implicit so calls read `{a, b}`
      : values_(values.begin(), values.size()) {}
  Params(std::span<const Value> values) : values_(values) {}     // NOLINT: implicit by design
  Params(const std::vector<Value>& values) : values_(values) {}  // NOLINT: implicit by design

  std::span<const Value> values() const { return values_; }

 private:
  std::span<const Value> values_;
};

// One result row, valid only during the callback that receives it. Columns are 0-based.
// Reading a column as the wrong type, out of range, or a NULL as a non-optional aborts: it is
// a bug in the caller, not a runtime condition.
class Row {
 public:
  virtual ~Row() = default;
  virtual int column_count() const = 0;
  virtual bool is_null(int column) const = 0;
  virtual std::int64_t get_int64(int column) const = 0;     // BIGINT/INTEGER/SMALLINT
  virtual std::string_view get_text(int column) const = 0;  // valid during the callback
  virtual std::span<const std::uint8_t> get_blob(int column) const = 0;  // same
  virtual bool get_bool(int column) const = 0;

  // T is std::int64_t, bool, std::string, Blob, or std::optional of one of them (NULL ->
  // nullopt). Returns an owning copy.
  template <class T>
  T get(int column) const;
};

using RowCallback = std::function<void(const Row&)>;

// A connection inside one transaction; handed to `work`, valid only while it runs.
// Statements are prepared once per connection and cached by SQL text.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;

  // Several statements, no parameters (DDL, migrations). Not prepared, not cached.
  virtual StoreResult<void> execute_script(std::string_view sql) = 0;

  // One statement; returns the number of rows inserted, updated or deleted (0 for others).
  StoreResult<std::int64_t> execute(std::string_view sql, Params params = {}) {
    return execute_values(sql, params.values());
  }

  // One statement; calls `on_row` for each result row, in order.
  StoreResult<void> query(std::string_view sql, Params params, const RowCallback& on_row) {
    return query_values(sql, params.values(), on_row);
  }

  // The first column of the only row, nullopt when there is no row, invalid_argument when
  // there is more than one. T as for Row::get.
  template <class T>
  StoreResult<std::optional<T>> query_one(std::string_view sql, Params params = {});

  // Observability of the prepared-statement cache (tests, metrics).
  virtual std::size_t statement_cache_size() const = 0;
  virtual std::uint64_t statement_prepare_count() const = 0;  // prepares since connect

 protected:
  virtual StoreResult<std::int64_t> execute_values(std::string_view sql,
                                                   std::span<const Value> params) = 0;
  virtual StoreResult<void> query_values(std::string_view sql, std::span<const Value> params,
                                         const RowCallback& on_row) = 0;
};

// PostgreSQL isolation level for `transact`. SQLite transactions are always serializable.
enum class Isolation { read_committed, repeatable_read, serializable };

struct TxOptions {
  Isolation isolation = Isolation::read_committed;
  // false: the commit does not wait for its sync (SQLite: synchronous=NORMAL for this
  // transaction, WAL mode; PostgreSQL: synchronous_commit=off). Only for derived data that can be
  // rebuilt from the record: a crash may lose the transaction, but never half of it, and a
  // later synced commit makes it durable too (both logs are written in order).
  bool durable = true;
};

using Work = std::function<StoreResult<void>(Connection&)>;

// Counters since open, for /metrics and tests.
struct DatabaseStats {
  std::uint64_t commit_count = 0;
  std::uint64_t rollback_count = 0;  // work failed, commit failed, or an attempt to be retried
  std::uint64_t retry_count = 0;     // attempts re-run after busy / serialization failure
  std::uint64_t connection_open_count = 0;
  std::uint64_t connection_discard_count = 0;  // broken connections dropped and replaced
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;

  // Runs `work` in one read-write transaction on a pooled connection and commits it. If
  // `work` returns an error (or any statement in it failed), rolls back and returns that error.
  // On busy or serialization failure the whole `work` runs again, at most
  // `retry_attempts_max` attempts with jittered exponential back-off. A connection found
  // broken is replaced. A connection lost during COMMIT leaves the outcome unknown: that is
  // reported as ErrorKind::connection, not retried.
  virtual StoreResult<void> transact(const Work& work, TxOptions options = {}) = 0;

  // Like transact, read-only, on one consistent snapshot; never takes SQLite's write lock.
  virtual StoreResult<void> read(const Work& work) = 0;

  // A cheap round trip to the database (for /readyz).
  virtual StoreResult<void> ping() = 0;

  // Makes what earlier non-durable transactions (TxOptions::durable = false) wrote durable,
  // without taking any lock, so the next synced commit has little left to flush. SQLite: an
  // fdatasync of the WAL file; PostgreSQL: nothing (its WAL writer flushes them itself).
  virtual StoreResult<void> flush_log() = 0;

  // "sqlite:/abs/path/till.db" or "postgres://user@host:port/db"; never a password.
  virtual std::string describe() const = 0;

  virtual DatabaseStats stats() const = 0;
};

// Opens (SQLite: creates) the database and checks that it is usable: connects, reads the
// schema, sets the pragmas. Does not migrate.
StoreResult<std::unique_ptr<Database>> open_database(const StoreOptions& options);

// ---------------------------------------------------------------------------------------------
// Template definitions.

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
inline constexpr bool dependent_false = false;
}  // namespace detail

template <class T>
T Row::get(int column) const {
  if constexpr (detail::is_optional<T>::value) {
    if (is_null(column)) return std::nullopt;
    return get<typename T::value_type>(column);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return get_int64(column);
  } else if constexpr (std::is_same_v<T, bool>) {
    return get_bool(column);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return std::string(get_text(column));
  } else if constexpr (std::is_same_v<T, Blob>) {
    const std::span<const std::uint8_t> bytes = get_blob(column);
    return Blob(bytes.begin(), bytes.end());
  } else {
    static_assert(detail::dependent_false<T>,
                  "Row::get<T>: T is std::int64_t, bool, std::string, Blob or std::optional");
  }
}

template <class T>
StoreResult<std::optional<T>> Connection::query_one(std::string_view sql, Params params) {
  std::optional<T> value;
  int row_count = 0;
  StoreResult<void> result = query(sql, params, [&](const Row& row) {
    row_count++;
    if (row_count == 1) value.emplace(row.get<T>(0));  // emplace: T may be an optional
  });
  if (!result) return Unexpected<StoreError>(std::move(result).error());
  if (row_count > 1) {
    return store_fail(ErrorKind::invalid_argument, "query_one expected at most one row but got " +
                                                       std::to_string(row_count) +
                                                       " for: " + std::string(sql.substr(0, 200)));
  }
  return value;
}

}  // namespace till::store
