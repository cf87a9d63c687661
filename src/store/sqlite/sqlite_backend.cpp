#include "store/sqlite/sqlite_backend.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

#include "obs/log.h"
#include "store/detail/sql_text.h"
#include "store/detail/statement_cache.h"

namespace till::store::sqlite {

namespace {

using detail::Access;

constexpr std::string_view database_file_name = "till.db";

enum class Role { writer, reader };

// Where an error happened decides its kind: failing to open, set up, begin or commit is a
// problem with the file; the same SQLite code on a caller's statement is the caller's.
enum class Origin { connection, statement };

StoreError sqlite_error(int code, std::string_view sqlite_message, const std::string& path,
                        Origin origin) {
  const std::string quoted = "(SQLite: " + std::string(sqlite_message) + ")";
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {ErrorKind::busy, "database " + path + " is locked by another writer " + quoted};
    case SQLITE_CONSTRAINT:
      return {ErrorKind::constraint, "constraint violated " + quoted};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {ErrorKind::corrupt, path + " is not a SQLite database or is corrupted " + quoted +
                                      "; restore it from a backup, or move it aside and start "
                                      "with an empty database"};
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return {ErrorKind::connection,
              "cannot open SQLite database " + path + " " + quoted +
                  "; check that data_dir exists and this user may read and write it"};
    case SQLITE_READONLY:
      if (origin == Origin::connection) {
        return {ErrorKind::connection, "SQLite database " + path + " is read-only " + quoted +
                                           "; this user needs write access to the file and its "
                                           "directory (for the -wal and -shm files)"};
      }
      return {ErrorKind::invalid_argument,
              "write attempted on a read-only connection " + quoted +
                  "; writes belong in Database::transact, not Database::read"};
    case SQLITE_ERROR:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return {ErrorKind::invalid_argument, "SQL error " + quoted};
    default:
      return {ErrorKind::other, "SQLite error on " + path + " " + quoted +
                                    "; check the disk (space, I/O errors) and the file"};
  }
}

// A cached statement is reset and unbound after every use, so it never holds a read lock or
// points at a caller's (freed) parameter values.
struct CachedStatement {
  sqlite3_stmt* statement = nullptr;
};

class SqliteRow final : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* statement)
      : statement_(statement), column_count_(sqlite3_column_count(statement)) {}

  int column_count() const override { return column_count_; }
  bool is_null(int column) const override { return type(column) == SQLITE_NULL; }

  std::int64_t get_int64(int column) const override {
    assert(type(column) == SQLITE_INTEGER && "column holds an integer");
    return sqlite3_column_int64(statement_, column);
  }

  std::string_view get_text(int column) const override {
    assert(type(column) == SQLITE_TEXT && "column holds text");
    // text before bytes: sqlite3_column_bytes reports the size of the converted value.
    const unsigned char* text = sqlite3_column_text(statement_, column);
    const int size = sqlite3_column_bytes(statement_, column);
    assert(text != nullptr && size >= 0 && "SQLite returned the text");
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
  }

  std::span<const std::uint8_t> get_blob(int column) const override {
    assert(type(column) == SQLITE_BLOB && "column holds a blob");
    const void* bytes = sqlite3_column_blob(statement_, column);
    const int size = sqlite3_column_bytes(statement_, column);
    if (size == 0) return {};  // SQLite returns a null pointer for an empty blob
    assert(bytes != nullptr && size > 0 && "SQLite returned the blob");
    return {static_cast<const std::uint8_t*>(bytes), static_cast<std::size_t>(size)};
  }

  bool get_bool(int column) const override {
    assert(type(column) == SQLITE_INTEGER && "column holds a boolean (integer 0 or 1)");
    const std::int64_t value = sqlite3_column_int64(statement_, column);
    assert((value == 0 || value == 1) && "boolean column holds 0 or 1");
    return value == 1;
  }

 private:
  int type(int column) const {
    assert(column >= 0 && column < column_count_ && "column index in range");
    return sqlite3_column_type(statement_, column);
  }

  sqlite3_stmt* statement_;
  int column_count_;
};

class SqliteConnection final : public detail::BackendConnection {
 public:
  static StoreResult<std::unique_ptr<detail::BackendConnection>> open(const std::string& path,
                                                                      Role role,
                                                                      std::int64_t busy_timeout_ms);

  ~SqliteConnection() override {
    cache_.clear();  // statements must be finalized before the connection closes
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }
  std::size_t statement_cache_size() const override { return cache_.size(); }
  std::uint64_t statement_prepare_count() const override { return prepare_count_; }

  StoreResult<void> begin(Access access, const TxOptions& options) override {
    assert(sqlite3_get_autocommit(db_) != 0 && "no transaction open on this connection");
    assert(!unsynced_ && "the previous transaction restored synchronous=FULL");
    if (access == Access::write && !options.durable) {
      // Per connection and read at COMMIT: set for this one transaction, restored after it.
      // NORMAL, not OFF: in WAL mode NORMAL skips only the commit's sync, and a checkpoint
      // this commit may trigger (the writer's autocheckpoint) still syncs the WAL before
      // copying it into the database. With OFF such a checkpoint could write pages of
      // unsynced transactions into the database file, and a power loss could corrupt it.
      StoreResult<void> relaxed = exec("PRAGMA synchronous=NORMAL");
      if (!relaxed) return relaxed;
      unsynced_ = true;
    }
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads first and
    // then writes can fail with SQLITE_BUSY_SNAPSHOT half-way, after work has run.
    StoreResult<void> begun = exec(access == Access::write ? "BEGIN IMMEDIATE" : "BEGIN");
    if (begun) {
      transaction_started();
    } else {
      restore_synchronous();
    }
    return begun;
  }

  void rollback() override {
    // SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM).
    if (sqlite3_get_autocommit(db_) == 0) (void)exec("ROLLBACK");
    restore_synchronous();
  }

  bool broken() const override { return false; }  // a file handle does not go away by itself

  StoreResult<void> ping() override {
    // Reads page 1 of the file: SELECT 1 would not touch the database at all.
    return run_statement("SELECT count(*) FROM sqlite_schema", {}, nullptr, nullptr);
  }

 protected:
  StoreResult<void> commit_transaction() override {
    StoreResult<void> committed = exec("COMMIT");
    // A failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open.
    if (!committed) rollback();
    restore_synchronous();
    return committed;
  }

  StoreResult<void> run_script(std::string_view sql) override {
    const std::string terminated(sql);
    const int code = sqlite3_exec(db_, terminated.c_str(), nullptr, nullptr, nullptr);
    if (code != SQLITE_OK) return statement_error(code, sql);
    return {};
  }

  StoreResult<std::int64_t> run_execute(std::string_view sql,
                                        std::span<const Value> params) override {
    std::int64_t changes = 0;
    StoreResult<void> result = run_statement(sql, params, nullptr, &changes);
    if (!result) return Unexpected<StoreError>(std::move(result).error());
    return changes;
  }

  StoreResult<void> run_query(std::string_view sql, std::span<const Value> params,
                              const RowCallback& on_row) override {
    return run_statement(sql, params, &on_row, nullptr);
  }

 private:
  SqliteConnection(sqlite3* db, std::string path)
      : db_(db),
        path_(std::move(path)),
        cache_(statement_cache_size_max,
               [](CachedStatement& cached) { sqlite3_finalize(cached.statement); }) {}

  StoreResult<void> configure(Role role, std::int64_t busy_timeout_ms);
  // After a transaction begun with durable = false. Outside a transaction this cannot fail
  // but for memory; if it did, the connection must not be reused unsynced.
  void restore_synchronous() {
    if (!unsynced_) return;
    const int code = sqlite3_exec(db_, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
    if (code != SQLITE_OK) std::abort();
    unsynced_ = false;
  }
  StoreResult<void> exec(const char* sql);
  StoreResult<std::string> query_text(const char* sql);
  StoreResult<sqlite3_stmt*> prepare(std::string_view sql);
  StoreResult<void> bind(sqlite3_stmt* statement, std::span<const Value> params,
                         std::string_view sql);
  StoreResult<void> run_statement(std::string_view sql, std::span<const Value> params,
                                  const RowCallback* on_row, std::int64_t* changes);
  StoreResult<void> step_all(sqlite3_stmt* statement, std::string_view sql,
                             const RowCallback* on_row);

  Unexpected<StoreError> statement_error(int code, std::string_view sql) const {
    StoreError error = sqlite_error(code, sqlite3_errmsg(db_), path_, Origin::statement);
    error.message += " in: " + detail::sql_excerpt(sql);
    return Unexpected<StoreError>(std::move(error));
  }

  bool unsynced_ = false;  // synchronous=NORMAL for the open transaction
  sqlite3* db_;
  std::string path_;
  detail::StatementCache<CachedStatement> cache_;
  std::uint64_t prepare_count_ = 0;
};

StoreResult<std::unique_ptr<detail::BackendConnection>> SqliteConnection::open(
    const std::string& path, Role role, std::int64_t busy_timeout_ms) {
  // NOMUTEX: a connection is used by one thread at a time (the pool hands it out exclusively),
  // so SQLite's per-call locking would be pure overhead. EXRESCODE: extended codes in errors.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (role == Role::writer) flags |= SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  const int code = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (code != SQLITE_OK) {
    StoreError error = sqlite_error(code, db ? sqlite3_errmsg(db) : sqlite3_errstr(code), path,
                                    Origin::connection);
    sqlite3_close_v2(db);
    return Unexpected<StoreError>(std::move(error));
  }
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(db, path));
  StoreResult<void> configured = connection->configure(role, busy_timeout_ms);
  if (!configured) return Unexpected<StoreError>(std::move(configured).error());
  return std::unique_ptr<detail::BackendConnection>(std::move(connection));
}

StoreResult<void> SqliteConnection::configure(Role role, std::int64_t busy_timeout_ms) {
  assert(busy_timeout_ms >= 0 && busy_timeout_ms <= busy_timeout_ms_max && "busy timeout in range");
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_ms));
  // Opening reads nothing; this read makes a file of random bytes fail here, as `corrupt`,
  // rather than on the first request. (PRAGMA quick_check would find more, but reads the
  // whole file: too slow for every start of a large database.)
  StoreResult<void> readable = exec("SELECT count(*) FROM sqlite_schema");
  if (!readable) return readable;
  if (role == Role::writer) {
    // WAL lets readers run while a writer commits. The mode is stored in the file, so the
    // writer (opened first) sets it for every connection.
    StoreResult<std::string> mode = query_text("PRAGMA journal_mode=WAL");
    if (!mode) return Unexpected<StoreError>(std::move(mode).error());
    if (mode.value() != "wal") {
      return store_fail(ErrorKind::connection, "cannot switch SQLite database " + path_ +
                                                   " to WAL mode (it stays in '" + mode.value() +
                                                   "' mode); put data_dir on a local file system");
    }
  }
  // synchronous=FULL: in WAL mode NORMAL would lose the last commits on power loss, and a
  // committed payment must stay committed. foreign_keys is off by default in SQLite.
  // recursive_triggers=ON: without it `INSERT OR REPLACE` deletes a row without firing the
  // DELETE triggers that keep the ledger append-only.
  StoreResult<void> pragmas =
      exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA recursive_triggers=ON;");
  if (!pragmas) return pragmas;
  if (role == Role::writer) {
    // The writer touches many index pages per group commit (postings by account); a 128 MiB
    // page cache keeps them in memory instead of re-reading them through the OS every group.
    // Checkpoints run on the backend's checkpointer thread (below), not inside commits, so
    // a commit never waits for WAL pages to be copied into the database file. The writer
    // still checkpoints by itself past ~1 GiB of WAL, a safety net should the thread fall
    // behind. Durability is unchanged: the WAL is synced at every commit.
    // temp_store=MEMORY: multi-row statements inside a transaction keep a statement journal
    // (for a partial rollback); in a temp file that was ~6 page writes per transfer.
    return exec(
        "PRAGMA cache_size=-131072; PRAGMA wal_autocheckpoint=262144; PRAGMA temp_store=MEMORY;");
  }
  // Readers are for Database::read: make an accidental write fail instead of racing the writer.
  return exec("PRAGMA query_only=ON");
}

StoreResult<void> SqliteConnection::exec(const char* sql) {
  const int code = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) {
    return Unexpected<StoreError>(
        sqlite_error(code, sqlite3_errmsg(db_), path_, Origin::connection));
  }
  return {};
}

StoreResult<std::string> SqliteConnection::query_text(const char* sql) {
  std::string text;
  const RowCallback on_row = [&](const Row& row) { text = std::string(row.get_text(0)); };
  StoreResult<void> result = run_statement(sql, {}, &on_row, nullptr);
  if (!result) return Unexpected<StoreError>(std::move(result).error());
  return text;
}

StoreResult<sqlite3_stmt*> SqliteConnection::prepare(std::string_view sql) {
  StoreResult<detail::ScannedSql> scanned = detail::scan_placeholders(sql, Dialect::sqlite);
  if (!scanned) return Unexpected<StoreError>(std::move(scanned).error());
  const std::string& text = scanned.value().text;
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return store_fail(ErrorKind::invalid_argument, "SQL text too long");
  }
  sqlite3_stmt* statement = nullptr;
  const char* tail = nullptr;
  // PERSISTENT: the statement will be cached and reused, so SQLite allocates it accordingly.
  const int code = sqlite3_prepare_v3(db_, text.data(), static_cast<int>(text.size()),
                                      SQLITE_PREPARE_PERSISTENT, &statement, &tail);
  if (code != SQLITE_OK) return statement_error(code, sql);
  if (statement == nullptr) {
    return store_fail(ErrorKind::invalid_argument,
                      "empty SQL statement: '" + detail::sql_excerpt(sql) + "'");
  }
  const auto tail_offset = static_cast<std::size_t>(tail - text.data());
  if (!detail::is_blank_sql(std::string_view(text).substr(tail_offset))) {
    sqlite3_finalize(statement);
    return store_fail(ErrorKind::invalid_argument,
                      "execute/query take one statement, use execute_script for several: " +
                          detail::sql_excerpt(sql));
  }
  prepare_count_++;
  return statement;
}

StoreResult<void> SqliteConnection::bind(sqlite3_stmt* statement, std::span<const Value> params,
                                         std::string_view sql) {
  StoreResult<void> counted =
      detail::check_parameter_count(sqlite3_bind_parameter_count(statement), params.size(), sql);
  if (!counted) return counted;
  for (std::size_t i = 0; i < params.size(); i++) {
    const int index = static_cast<int>(i) + 1;
    // SQLITE_STATIC: no copy; the values outlive the statement's use (bindings are cleared
    // before run_statement returns).
    const int code = std::visit(
        [&](const auto& value) -> int {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            return sqlite3_bind_null(statement, index);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            return sqlite3_bind_int64(statement, index, value);
          } else if constexpr (std::is_same_v<T, bool>) {
            return sqlite3_bind_int64(statement, index, value ? 1 : 0);
          } else if constexpr (std::is_same_v<T, std::string>) {
            return sqlite3_bind_text64(statement, index, value.data(), value.size(), SQLITE_STATIC,
                                       SQLITE_UTF8);
          } else {
            // A null data pointer would bind NULL, not an empty blob.
            if (value.empty()) return sqlite3_bind_zeroblob(statement, index, 0);
            return sqlite3_bind_blob64(statement, index, value.data(), value.size(), SQLITE_STATIC);
          }
        },
        params[i]);
    if (code != SQLITE_OK) return statement_error(code, sql);
  }
  return {};
}

StoreResult<void> SqliteConnection::run_statement(std::string_view sql,
                                                  std::span<const Value> params,
                                                  const RowCallback* on_row,
                                                  std::int64_t* changes) {
  // Re-entrant use of one SQL text (from inside its own on_row) gets a private statement, as
  // the cached one is still being stepped.
  auto* cached = cache_.find(sql);
  const bool transient = cached != nullptr && cached->in_use;
  sqlite3_stmt* statement = nullptr;
  if (cached == nullptr || transient) {
    StoreResult<sqlite3_stmt*> prepared = prepare(sql);
    if (!prepared) return Unexpected<StoreError>(std::move(prepared).error());
    statement = prepared.value();
    if (!transient) cached = &cache_.insert(std::string(sql), CachedStatement{statement});
  } else {
    statement = cached->handle.statement;
  }
  if (!transient) cached->in_use = true;
  StoreResult<void> result = bind(statement, params, sql);
  if (result) result = step_all(statement, sql, on_row);
  if (result && changes != nullptr) {
    *changes = sqlite3_stmt_readonly(statement) != 0 ? 0 : sqlite3_changes64(db_);
  }
  if (transient) {
    sqlite3_finalize(statement);
  } else {
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    cached->in_use = false;
  }
  return result;
}

StoreResult<void> SqliteConnection::step_all(sqlite3_stmt* statement, std::string_view sql,
                                             const RowCallback* on_row) {
  const SqliteRow row(statement);
  while (true) {
    const int code = sqlite3_step(statement);
    if (code == SQLITE_DONE) return {};
    if (code != SQLITE_ROW) return statement_error(code, sql);
    if (on_row != nullptr) (*on_row)(row);
  }
}

class SqliteBackend final : public detail::Backend {
 public:
  SqliteBackend(std::string path, const StoreOptions& options)
      : path_(std::move(path)),
        writer_("writer", 1,
                [this, busy_timeout_ms = options.busy_timeout_ms] {
                  return SqliteConnection::open(path_, Role::writer, busy_timeout_ms);
                }),
        readers_("reader", options.pool_size, [this, busy_timeout_ms = options.busy_timeout_ms] {
          return SqliteConnection::open(path_, Role::reader, busy_timeout_ms);
        }) {}

  ~SqliteBackend() override {
    {
      std::lock_guard lock(checkpoint_mutex_);
      stopping_ = true;
    }
    checkpoint_wake_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  // Starts the checkpointer once the writer has created the file and switched it to WAL.
  void start_checkpointer() {
    assert(!checkpointer_.joinable());
    checkpointer_ = std::thread([this] { run_checkpointer(); });
  }

  Dialect dialect() const override { return Dialect::sqlite; }
  std::string describe() const override { return "sqlite:" + path_; }
  // One writer: SQLite allows one write transaction at a time anyway, and waiting on this
  // pool's queue is fairer and cheaper than spinning in SQLite's busy handler.
  detail::Pool& pool(Access access) override {
    return access == Access::write ? writer_ : readers_;
  }

  // fsync is per file, not per descriptor: syncing our own descriptor of the WAL flushes the
  // frames any connection wrote. A WAL not there yet has nothing to flush.
  StoreResult<void> flush_log() override {
    const std::string wal = path_ + "-wal";
    const int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return {};
      return store_fail(ErrorKind::connection, "cannot open " + wal + " to sync it: " +
                                                   std::generic_category().message(errno));
    }
    const int synced = ::fdatasync(fd);
    const int sync_errno = errno;
    ::close(fd);
    if (synced != 0) {
      return store_fail(ErrorKind::connection,
                        "cannot sync " + wal + ": " + std::generic_category().message(sync_errno));
    }
    return {};
  }

 private:
  // Copies committed WAL pages into the database file in the background (PASSIVE: never
  // blocks the writer or readers), on its own connection. Often and small: each checkpoint
  // dirties the pages it copies and the kernel writes them back in a burst, which delays the
  // writer's own WAL syncs. Payments benchmark p99 by interval: 1 s 324 ms, 200 ms ~80 ms,
  // 50 ms 17-46 ms, 20 ms 12-14 ms, with the same throughput (docs/benchmarks.md).
  void run_checkpointer() {
    constexpr auto kCheckpointInterval = std::chrono::milliseconds(20);
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      sqlite3_close_v2(db);
      return;  // the writer's own autocheckpoint remains as the fallback
    }
    // A new connection does not know the file is in WAL mode until it has read it, and until
    // then every checkpoint is a silent no-op (log and checkpointed frames -1): the WAL grew
    // to the writer's 1 GiB autocheckpoint, which then stalled commits for most of a second.
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
      obs::warn("sqlite checkpointer could not read the database; the writer will checkpoint",
                {{"error", std::string(sqlite3_errmsg(db))}});
      sqlite3_close_v2(db);
      return;
    }
    std::unique_lock lock(checkpoint_mutex_);
    while (!checkpoint_wake_.wait_for(lock, kCheckpointInterval, [this] { return stopping_; })) {
      lock.unlock();
      sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
    sqlite3_close_v2(db);
  }

  const std::string path_;
  detail::Pool writer_;
  detail::Pool readers_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_;
  bool stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace

StoreResult<std::unique_ptr<detail::Backend>> open_backend(const StoreOptions& options) {
  assert(options.database_url.empty() && "SQLite is chosen by an empty database_url");
  if (options.data_dir.empty()) {
    return store_fail(ErrorKind::invalid_argument,
                      "storage.data_dir is empty; set it to the directory for till.db");
  }
  std::error_code error;
  std::filesystem::create_directories(options.data_dir, error);
  if (error) {
    return store_fail(ErrorKind::connection, "cannot create data directory " + options.data_dir +
                                                 ": " + error.message() +
                                                 "; set storage.data_dir to a writable directory");
  }
  const std::filesystem::path absolute = std::filesystem::absolute(options.data_dir, error);
  if (error) {
    return store_fail(ErrorKind::connection,
                      "cannot resolve data directory " + options.data_dir + ": " + error.message());
  }
  const std::string path = (absolute / database_file_name).lexically_normal().string();
  auto backend = std::make_unique<SqliteBackend>(path, options);
  // Open the writer first: it creates the file and switches it to WAL for the readers.
  const std::chrono::milliseconds timeout(options.pool_acquire_timeout_ms);
  for (Access access : {Access::write, Access::read}) {
    StoreResult<detail::Pool::Lease> lease = backend->pool(access).acquire(timeout);
    if (!lease) return Unexpected<StoreError>(std::move(lease).error());
  }
  backend->start_checkpointer();
  return std::unique_ptr<detail::Backend>(std::move(backend));
}

}  // namespace till::store::sqlite
