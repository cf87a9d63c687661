#include "store/postgres/postgres_backend.h"

#include <libpq-fe.h>

#include <array>
#include <cassert>
#include <charconv>
#include <memory>
#include <vector>

#include "store/detail/sql_text.h"
#include "store/detail/statement_cache.h"

namespace till::store::postgres {

namespace {

using detail::Access;

// libpq's default is to wait forever for an unreachable host.
constexpr std::string_view connect_timeout_s = "5";
constexpr int server_version_min = 150000;  // PostgreSQL 15: what the migrations are tested on

// Type OIDs from PostgreSQL's catalog/pg_type.h (stable since the beginning; the server header
// is not part of libpq-dev).
constexpr Oid bool_oid = 16;
constexpr Oid bytea_oid = 17;
constexpr Oid name_oid = 19;
constexpr Oid int8_oid = 20;
constexpr Oid int2_oid = 21;
constexpr Oid int4_oid = 23;
constexpr Oid text_oid = 25;
constexpr Oid json_oid = 114;
constexpr Oid unknown_oid = 705;
constexpr Oid bpchar_oid = 1042;
constexpr Oid varchar_oid = 1043;
constexpr Oid jsonb_oid = 3802;

constexpr int format_binary = 1;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Replaces every occurrence of `secret` in `text`: libpq does not put passwords in its
// messages today, but a message that reaches a log must never depend on that.
std::string scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

// The password as written in a URL (still percent-encoded), for scrubbing messages about a
// URL that libpq could not parse.
std::string raw_url_password(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  const std::string_view user_info = authority.substr(0, at);
  const std::size_t colon = user_info.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(user_info.substr(colon + 1));
}

ErrorKind kind_for_sqlstate(std::string_view state) {
  if (state == "40001" || state == "40P01") return ErrorKind::serialization;
  if (state == "55P03") return ErrorKind::busy;  // lock_not_available: lock_timeout, NOWAIT
  if (state == "XX001" || state == "XX002") return ErrorKind::corrupt;
  if (state == "25006") return ErrorKind::invalid_argument;  // a write inside Database::read
  if (state == "57P01" || state == "57P02" || state == "57P03" || state == "53300") {
    return ErrorKind::connection;  // server shutting down / terminated us / too many clients
  }
  const std::string_view category = state.substr(0, 2);
  if (category == "23") return ErrorKind::constraint;
  if (category == "08") return ErrorKind::connection;
  if (category == "42" || category == "22" || category == "0A") return ErrorKind::invalid_argument;
  return ErrorKind::other;
}

std::int64_t read_big_endian(const char* bytes, int length) {
  std::uint64_t value = 0;
  for (int i = 0; i < length; i++) value = (value << 8) | static_cast<std::uint8_t>(bytes[i]);
  // Sign-extend values narrower than 64 bits (int2, int4).
  if (length < 8 && length > 0 && (value >> (length * 8 - 1)) != 0) {
    value |= ~std::uint64_t{0} << (length * 8);
  }
  return static_cast<std::int64_t>(value);
}

// Results are requested in binary format: integers arrive as fixed-width big-endian bytes, so
// nothing is parsed from text and a BIGINT reads back exactly.
class PostgresRow final : public Row {
 public:
  PostgresRow(const PGresult* result, int row)
      : result_(result), row_(row), column_count_(PQnfields(result)) {}

  int column_count() const override { return column_count_; }
  bool is_null(int column) const override {
    check(column);
    return PQgetisnull(result_, row_, column) != 0;
  }

  std::int64_t get_int64(int column) const override {
    const Oid type = checked_type(column);
    const int length = PQgetlength(result_, row_, column);
    assert(((type == int8_oid && length == 8) || (type == int4_oid && length == 4) ||
            (type == int2_oid && length == 2)) &&
           "column holds an integer (bigint, integer or smallint)");
    return read_big_endian(PQgetvalue(result_, row_, column), length);
  }

  std::string_view get_text(int column) const override {
    const Oid type = checked_type(column);
    std::string_view text = raw(column);
    if (type == jsonb_oid) {
      assert(!text.empty() && text[0] == 1 && "jsonb binary format version 1");
      return text.substr(1);
    }
    assert((type == text_oid || type == varchar_oid || type == bpchar_oid || type == name_oid ||
            type == unknown_oid || type == json_oid) &&
           "column holds text");
    return text;
  }

  std::span<const std::uint8_t> get_blob(int column) const override {
    const Oid type = checked_type(column);
    assert(type == bytea_oid && "column holds bytea");
    const std::string_view bytes = raw(column);
    return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
  }

  bool get_bool(int column) const override {
    const Oid type = checked_type(column);
    assert(type == bool_oid && "column holds a boolean");
    const std::string_view bytes = raw(column);
    assert(bytes.size() == 1 && "binary boolean is one byte");
    return bytes[0] != 0;
  }

 private:
  void check(int column) const {
    assert(column >= 0 && column < column_count_ && "column index in range");
  }
  Oid checked_type(int column) const {
    check(column);
    assert(PQgetisnull(result_, row_, column) == 0 && "column is not NULL (read it as optional)");
    return PQftype(result_, column);
  }
  std::string_view raw(int column) const {
    const int length = PQgetlength(result_, row_, column);
    assert(length >= 0 && "libpq returned the value");
    return {PQgetvalue(result_, row_, column), static_cast<std::size_t>(length)};
  }

  const PGresult* result_;
  int row_;
  int column_count_;
};

// How a parameter is sent: its type OID (0 = let the server infer, for NULL) and its bytes.
struct EncodedParams {
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<std::array<char, 8>> scratch;  // int64 and bool bytes
  std::string signature;                     // one letter per type; part of the cache key
};

EncodedParams encode(std::span<const Value> params) {
  static constexpr char empty[] = "";
  EncodedParams encoded;
  const std::size_t count = params.size();
  encoded.types.resize(count);
  encoded.values.resize(count);
  encoded.lengths.resize(count);
  encoded.formats.assign(count, format_binary);
  encoded.scratch.resize(count);
  for (std::size_t i = 0; i < count; i++) {
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          std::array<char, 8>& bytes = encoded.scratch[i];
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            encoded.types[i] = 0;
            encoded.values[i] = nullptr;
            encoded.signature.push_back('n');
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            auto bits = static_cast<std::uint64_t>(value);
            for (int b = 7; b >= 0; b--, bits >>= 8) {
              bytes[static_cast<std::size_t>(b)] = static_cast<char>(bits & 0xff);
            }
            encoded.types[i] = int8_oid;
            encoded.values[i] = bytes.data();
            encoded.lengths[i] = 8;
            encoded.signature.push_back('i');
          } else if constexpr (std::is_same_v<T, bool>) {
            bytes[0] = value ? 1 : 0;
            encoded.types[i] = bool_oid;
            encoded.values[i] = bytes.data();
            encoded.lengths[i] = 1;
            encoded.signature.push_back('b');
          } else {
            // Text and bytea travel as raw bytes in binary format; an empty value needs a
            // non-null pointer (null means SQL NULL).
            encoded.types[i] = std::is_same_v<T, std::string> ? text_oid : bytea_oid;
            encoded.values[i] = value.empty() ? empty : reinterpret_cast<const char*>(value.data());
            encoded.lengths[i] = static_cast<int>(value.size());
            encoded.signature.push_back(std::is_same_v<T, std::string> ? 't' : 'x');
          }
        },
        params[i]);
  }
  return encoded;
}

struct PreparedStatement {
  std::string name;
};

struct ConnectSettings {
  std::string url;
  std::vector<std::string> secrets;  // passwords to keep out of messages
  std::int64_t busy_timeout_ms = 0;
};

class PostgresConnection final : public detail::BackendConnection {
 public:
  static StoreResult<std::unique_ptr<PostgresConnection>> open(const ConnectSettings& settings);

  ~PostgresConnection() override {
    // Closing the session frees its prepared statements; no DEALLOCATE round trips.
    PQfinish(conn_);
    conn_ = nullptr;
    cache_.clear();
  }

  Dialect dialect() const override { return Dialect::postgres; }
  std::size_t statement_cache_size() const override { return cache_.size(); }
  std::uint64_t statement_prepare_count() const override { return prepare_count_; }

  // postgres://user@host:port/database, from what libpq actually connected to.
  std::string where() const;

  StoreResult<void> begin(Access access, const TxOptions& options) override;
  void rollback() override {
    if (broken() || PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
    (void)run_simple("ROLLBACK", PGRES_COMMAND_OK);
  }
  bool broken() const override { return lost_ || PQstatus(conn_) != CONNECTION_OK; }
  StoreResult<void> ping() override { return run_simple("SELECT 1", PGRES_TUPLES_OK); }

 protected:
  StoreResult<void> commit_transaction() override;
  StoreResult<void> run_script(std::string_view sql) override;
  StoreResult<std::int64_t> run_execute(std::string_view sql,
                                        std::span<const Value> params) override;
  StoreResult<void> run_query(std::string_view sql, std::span<const Value> params,
                              const RowCallback& on_row) override;

 private:
  explicit PostgresConnection(PGconn* conn)
      : conn_(conn), cache_(statement_cache_size_max, [this](PreparedStatement& statement) {
          deallocate(statement);
        }) {}

  StoreResult<void> run_simple(const char* sql, ExecStatusType expected);
  StoreResult<ResultPtr> run_prepared(std::string_view sql, std::span<const Value> params);
  StoreResult<PreparedStatement> prepare(std::string_view sql, const EncodedParams& encoded,
                                         std::size_t count);
  void deallocate(const PreparedStatement& statement);
  Unexpected<StoreError> error_from(const PGresult* result, std::string_view sql);

  PGconn* conn_;
  detail::StatementCache<PreparedStatement> cache_;
  std::uint64_t prepare_count_ = 0;
  std::uint64_t statement_name_next_ = 0;
  bool lost_ = false;  // a connection-class error was seen; libpq may not have noticed yet
};

void ignore_notice(void* /*arg*/, const char* /*message*/) {
  // NOTICEs (e.g. "relation already exists, skipping") would go to stderr by default, outside
  // Till's structured logs; they carry nothing a caller acts on.
}

std::string describe_connection(const PGconn* conn) {
  const std::string host = PQhost(conn) ? PQhost(conn) : "";
  const bool ipv6 = host.find(':') != std::string::npos;
  return std::string("postgres://") + (PQuser(conn) ? PQuser(conn) : "") + "@" +
         (ipv6 ? "[" + host + "]" : host) + ":" + (PQport(conn) ? PQport(conn) : "") + "/" +
         (PQdb(conn) ? PQdb(conn) : "");
}

StoreResult<std::unique_ptr<PostgresConnection>> PostgresConnection::open(
    const ConnectSettings& settings) {
  // Our defaults first: with expand_dbname, parameters in the URL itself override them.
  const std::array<const char*, 4> keywords = {"connect_timeout", "application_name", "dbname",
                                               nullptr};
  const std::array<const char*, 4> values = {connect_timeout_s.data(), "till", settings.url.c_str(),
                                             nullptr};
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn == nullptr) return store_fail(ErrorKind::other, "libpq could not allocate a connection");
  std::unique_ptr<PostgresConnection> connection(new PostgresConnection(conn));
  if (PQstatus(conn) != CONNECTION_OK) {
    return store_fail(
        ErrorKind::connection,
        scrub("cannot connect to PostgreSQL at " + describe_connection(conn) + ": " +
                  trim(PQerrorMessage(conn)) +
                  "; check that the server is running and that storage.database_url (host, "
                  "port, user, password, database) is right",
              settings.secrets));
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  if (PQserverVersion(conn) < server_version_min) {
    return store_fail(ErrorKind::connection, "PostgreSQL at " + describe_connection(conn) +
                                                 " is version " +
                                                 std::to_string(PQserverVersion(conn)) +
                                                 "; till needs PostgreSQL 15 or newer");
  }
  // busy_timeout_ms means the same on both backends: how long a statement waits for a lock.
  // (0 would mean "forever" to PostgreSQL; to SQLite it means "do not wait".)
  const std::string lock_timeout =
      "SET lock_timeout = " + std::to_string(std::max<std::int64_t>(settings.busy_timeout_ms, 1));
  StoreResult<void> set = connection->run_simple(lock_timeout.c_str(), PGRES_COMMAND_OK);
  if (!set) return Unexpected<StoreError>(std::move(set).error());
  return connection;
}

std::string PostgresConnection::where() const { return describe_connection(conn_); }

StoreResult<void> PostgresConnection::begin(Access access, const TxOptions& options) {
  if (!broken()) {
    assert(PQtransactionStatus(conn_) == PQTRANS_IDLE && "no transaction open on this connection");
  }
  const char* sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";  // one snapshot for reads
  if (access == Access::write) {
    switch (options.isolation) {
      case Isolation::read_committed:
        sql = "BEGIN ISOLATION LEVEL READ COMMITTED";
        break;
      case Isolation::repeatable_read:
        sql = "BEGIN ISOLATION LEVEL REPEATABLE READ";
        break;
      case Isolation::serializable:
        sql = "BEGIN ISOLATION LEVEL SERIALIZABLE";
        break;
    }
  }
  StoreResult<void> begun = run_simple(sql, PGRES_COMMAND_OK);
  if (begun && access == Access::write && !options.durable) {
    // LOCAL: ends with the transaction, so the pooled connection stays synchronous.
    begun = run_simple("SET LOCAL synchronous_commit TO off", PGRES_COMMAND_OK);
    if (!begun) rollback();
  }
  if (begun) transaction_started();
  return begun;
}

StoreResult<void> PostgresConnection::commit_transaction() {
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    rollback();
    return store_fail(ErrorKind::other, "the transaction was aborted by an earlier error");
  }
  ResultPtr result(PQexec(conn_, "COMMIT"));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    Unexpected<StoreError> error = error_from(result.get(), "COMMIT");
    if (broken()) {
      return store_fail(ErrorKind::connection,
                        error.error().message +
                            "; the connection broke during COMMIT, so whether the transaction "
                            "committed is unknown");
    }
    rollback();
    return error;
  }
  // An aborted transaction "commits" as ROLLBACK without an error; never report that as done.
  if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
    return store_fail(ErrorKind::other, std::string("COMMIT ended as ") +
                                            PQcmdStatus(result.get()) +
                                            "; the transaction was not committed");
  }
  return {};
}

StoreResult<void> PostgresConnection::run_simple(const char* sql, ExecStatusType expected) {
  ResultPtr result(PQexec(conn_, sql));
  if (PQresultStatus(result.get()) != expected) return error_from(result.get(), sql);
  return {};
}

StoreResult<void> PostgresConnection::run_script(std::string_view sql) {
  const std::string terminated(sql);
  ResultPtr result(PQexec(conn_, terminated.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    return error_from(result.get(), sql);
  }
  return {};
}

StoreResult<std::int64_t> PostgresConnection::run_execute(std::string_view sql,
                                                          std::span<const Value> params) {
  StoreResult<ResultPtr> result = run_prepared(sql, params);
  if (!result) return Unexpected<StoreError>(std::move(result).error());
  PGresult* done = result.value().get();
  // PQcmdTuples counts rows for SELECT too; execute reports only rows written.
  if (std::string_view(PQcmdStatus(done)).starts_with("SELECT")) return 0;
  const std::string_view tuples = PQcmdTuples(done);
  std::int64_t changes = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), changes);
  return changes;
}

StoreResult<void> PostgresConnection::run_query(std::string_view sql, std::span<const Value> params,
                                                const RowCallback& on_row) {
  StoreResult<ResultPtr> result = run_prepared(sql, params);
  if (!result) return Unexpected<StoreError>(std::move(result).error());
  const PGresult* rows = result.value().get();
  const int row_count = PQntuples(rows);
  for (int row = 0; row < row_count; row++) on_row(PostgresRow(rows, row));
  return {};
}

StoreResult<ResultPtr> PostgresConnection::run_prepared(std::string_view sql,
                                                        std::span<const Value> params) {
  const EncodedParams encoded = encode(params);
  // The parameter types are fixed when a statement is prepared, so they are part of its key:
  // the same SQL with NULL (type inferred) and with an integer are two statements.
  std::string key(sql);
  key.push_back('\0');
  key.append(encoded.signature);
  const PreparedStatement* statement = nullptr;
  if (auto* cached = cache_.find(key)) {
    statement = &cached->handle;
  } else {
    StoreResult<PreparedStatement> prepared = prepare(sql, encoded, params.size());
    if (!prepared) return Unexpected<StoreError>(std::move(prepared).error());
    statement = &cache_.insert(std::move(key), std::move(prepared).value()).handle;
  }
  ResultPtr result(PQexecPrepared(conn_, statement->name.c_str(), static_cast<int>(params.size()),
                                  encoded.values.data(), encoded.lengths.data(),
                                  encoded.formats.data(), format_binary));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return error_from(result.get(), sql);
  }
  return result;
}

StoreResult<PreparedStatement> PostgresConnection::prepare(std::string_view sql,
                                                           const EncodedParams& encoded,
                                                           std::size_t count) {
  StoreResult<detail::ScannedSql> scanned = detail::scan_placeholders(sql, Dialect::postgres);
  if (!scanned) return Unexpected<StoreError>(std::move(scanned).error());
  // Checked here, not left to the server: its complaint about a count mismatch is a protocol
  // error (08P01) that would read like a lost connection.
  StoreResult<void> counted =
      detail::check_parameter_count(scanned.value().parameter_count, count, sql);
  if (!counted) return Unexpected<StoreError>(std::move(counted).error());
  PreparedStatement prepared{"till_" + std::to_string(statement_name_next_++)};
  ResultPtr result(PQprepare(conn_, prepared.name.c_str(), scanned.value().text.c_str(),
                             static_cast<int>(count), encoded.types.data()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return error_from(result.get(), sql);
  prepare_count_++;
  return prepared;
}

void PostgresConnection::deallocate(const PreparedStatement& statement) {
  // Evicted from the cache: free it on the server too. Not possible inside a failed
  // transaction or on a lost connection; then it lives until the session ends, which is fine.
  if (conn_ == nullptr || broken() || PQtransactionStatus(conn_) == PQTRANS_INERROR) return;
  const std::string sql = "DEALLOCATE " + statement.name;
  ResultPtr result(PQexec(conn_, sql.c_str()));
}

Unexpected<StoreError> PostgresConnection::error_from(const PGresult* result,
                                                      std::string_view sql) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (PQstatus(conn_) != CONNECTION_OK ||
      (state != nullptr && kind_for_sqlstate(state) == ErrorKind::connection)) {
    lost_ = true;
    return store_fail(ErrorKind::connection, "lost the connection to PostgreSQL at " + where() +
                                                 " (" + trim(PQerrorMessage(conn_)) + ")");
  }
  if (state == nullptr) {  // failed in libpq itself, before reaching the server
    return store_fail(ErrorKind::other, "libpq error: " + trim(PQerrorMessage(conn_)) +
                                            " in: " + detail::sql_excerpt(sql));
  }
  // PRIMARY and HINT only: DETAIL often quotes row values (e.g. the duplicate key), and
  // messages end up in logs.
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT);
  std::string message =
      std::string("PostgreSQL error ") + state + ": " + (primary ? primary : "(no message)");
  if (hint != nullptr) message += " (hint: " + std::string(hint) + ")";
  message += " in: " + detail::sql_excerpt(sql);
  return store_fail(kind_for_sqlstate(state), std::move(message));
}

class PostgresBackend final : public detail::Backend {
 public:
  PostgresBackend(ConnectSettings settings, int pool_size)
      : settings_(std::move(settings)),
        pool_("PostgreSQL", pool_size,
              [this]() -> StoreResult<std::unique_ptr<detail::BackendConnection>> {
                StoreResult<std::unique_ptr<PostgresConnection>> opened =
                    PostgresConnection::open(settings_);
                if (!opened) return Unexpected<StoreError>(std::move(opened).error());
                return std::unique_ptr<detail::BackendConnection>(std::move(opened).value());
              }) {}

  Dialect dialect() const override { return Dialect::postgres; }
  std::string describe() const override { return description_; }
  detail::Pool& pool(Access /*access*/) override { return pool_; }
  void set_description(std::string description) { description_ = std::move(description); }

 private:
  const ConnectSettings settings_;
  detail::Pool pool_;
  std::string description_;
};

// Checks the URL's syntax with libpq's own parser and collects its password for scrubbing.
StoreResult<ConnectSettings> parse_settings(const StoreOptions& options) {
  ConnectSettings settings;
  settings.url = options.database_url;
  settings.busy_timeout_ms = options.busy_timeout_ms;
  settings.secrets.push_back(raw_url_password(options.database_url));
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.database_url.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string reason = parse_error ? trim(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return store_fail(
        ErrorKind::invalid_argument,
        scrub("storage.database_url is not a valid PostgreSQL URL: " + reason, settings.secrets));
  }
  for (const PQconninfoOption* option = parsed; option->keyword != nullptr; option++) {
    if (std::string_view(option->keyword) == "password" && option->val != nullptr) {
      settings.secrets.emplace_back(option->val);
    }
  }
  PQconninfoFree(parsed);
  return settings;
}

}  // namespace

StoreResult<std::unique_ptr<detail::Backend>> open_backend(const StoreOptions& options) {
  StoreResult<ConnectSettings> settings = parse_settings(options);
  if (!settings) return Unexpected<StoreError>(std::move(settings).error());
  auto backend = std::make_unique<PostgresBackend>(std::move(settings).value(), options.pool_size);
  StoreResult<detail::Pool::Lease> lease =
      backend->pool(Access::write)
          .acquire(std::chrono::milliseconds(options.pool_acquire_timeout_ms));
  if (!lease) return Unexpected<StoreError>(std::move(lease).error());
  backend->set_description(static_cast<PostgresConnection&>(lease.value().connection()).where());
  return std::unique_ptr<detail::Backend>(std::move(backend));
}

}  // namespace till::store::postgres
