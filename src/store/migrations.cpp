#include "store/migrations.h"

#include <array>
#include <cassert>
#include <cstdlib>
#include <optional>

#include "base/digest.h"
#include "store/detail/embedded_migrations.h"

namespace till::store {

namespace {

// Owned by the runner, not by a numbered migration: it must exist before 0001 can be recorded.
constexpr std::string_view schema_migrations_ddl = R"(CREATE TABLE IF NOT EXISTS schema_migrations (
  version BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  checksum_sha256_hex TEXT NOT NULL,
  applied_at_unix_ms BIGINT NOT NULL
))";

// pg_advisory_xact_lock key serializing migrators across processes: "tillmigr" in ASCII.
constexpr std::int64_t migration_lock_key = 0x74696c6c6d696772;

struct Token {
  std::string_view token;
  std::string_view sqlite;
  std::string_view postgres;
};
constexpr std::array<Token, 2> dialect_tokens = {{
    {"{{BLOB}}", "BLOB", "BYTEA"},
    // A 64-bit key the application assigns: in SQLite the rowid itself (no second index).
    {"{{INT64_PK}}", "INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY"},
}};

constexpr std::string_view section_sqlite = "-- till:sqlite";
constexpr std::string_view section_postgres = "-- till:postgres";
constexpr std::string_view section_end = "-- till:end";

std::vector<Migration> load_migrations() {
  std::vector<Migration> migrations;
  for (const detail::EmbeddedMigration& embedded : detail::embedded_migrations()) {
    // The build checks the numbering too; this guards the generated table itself.
    assert(embedded.version == static_cast<int>(migrations.size()) + 1 &&
           "migrations are numbered 1..N without gaps");
    migrations.push_back(Migration{embedded.version, std::string(embedded.name),
                                   sha256_hex(embedded.sql), std::string(embedded.sql)});
  }
  assert(!migrations.empty() && "at least one migration is embedded");
  return migrations;
}

std::string_view trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

struct AppliedMigration {
  int version = 0;
  std::string checksum_sha256_hex;
};

StoreResult<bool> schema_migrations_exists(Connection& connection) {
  if (connection.dialect() == Dialect::postgres) {
    StoreResult<std::optional<bool>> exists =
        connection.query_one<bool>("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists) return Unexpected<StoreError>(std::move(exists).error());
    return exists.value().value_or(false);
  }
  StoreResult<std::optional<std::int64_t>> count = connection.query_one<std::int64_t>(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
  if (!count) return Unexpected<StoreError>(std::move(count).error());
  return count.value().value_or(0) == 1;
}

StoreResult<std::vector<AppliedMigration>> read_applied(Connection& connection) {
  std::vector<AppliedMigration> applied;
  StoreResult<bool> exists = schema_migrations_exists(connection);
  if (!exists) return Unexpected<StoreError>(std::move(exists).error());
  if (!exists.value()) return applied;
  StoreResult<void> read = connection.query(
      "SELECT version, checksum_sha256_hex FROM schema_migrations ORDER BY version", {},
      [&](const Row& row) {
        // A version beyond int is "newer than this binary" all the same.
        const std::int64_t version = std::min<std::int64_t>(row.get_int64(0), 1'000'000'000);
        applied.push_back({static_cast<int>(version), std::string(row.get_text(1))});
      });
  if (!read) return Unexpected<StoreError>(std::move(read).error());
  return applied;
}

// Compares what the database has applied with what this binary knows.
StoreResult<SchemaStatus> evaluate(const std::vector<AppliedMigration>& applied) {
  const std::vector<Migration>& known = known_migrations();
  SchemaStatus status;
  status.binary_version = static_cast<int>(known.size());
  status.database_version = applied.empty() ? 0 : applied.back().version;
  if (status.database_version > status.binary_version) {
    return store_fail(ErrorKind::schema, "database schema is at version " +
                                             std::to_string(status.database_version) +
                                             " but this till binary only knows up to " +
                                             std::to_string(status.binary_version) +
                                             "; upgrade till or point it at another database");
  }
  for (std::size_t i = 0; i < applied.size(); i++) {
    const int expected = static_cast<int>(i) + 1;
    if (applied[i].version != expected) {
      return store_fail(ErrorKind::schema,
                        "migration " + std::to_string(expected) +
                            " is missing from schema_migrations although later ones are "
                            "applied; the table was edited outside till: restore the database "
                            "from a backup");
    }
    const Migration& migration = known[i];
    if (applied[i].checksum_sha256_hex != migration.checksum_sha256_hex) {
      return store_fail(
          ErrorKind::schema,
          "migration " + std::to_string(migration.version) + " (" + migration.name +
              ") was changed after it was applied: the database recorded SHA-256 " +
              applied[i].checksum_sha256_hex + ", this binary has " +
              migration.checksum_sha256_hex +
              "; migrations are append-only, so restore the original file and put the change "
              "in a new migration");
    }
  }
  for (int version = status.database_version + 1; version <= status.binary_version; version++) {
    status.pending.push_back(version);
  }
  return status;
}

// One step of migrate(), inside its transaction: lock, re-read, apply the next pending
// migration if there is one. `applied_version` tells the caller whether to go on.
StoreResult<void> apply_next(Connection& connection, const Clock& clock,
                             std::optional<int>& applied_version) {
  if (connection.dialect() == Dialect::postgres) {
    // Held to the end of the transaction; another migrator waits here, then sees our work.
    StoreResult<std::int64_t> locked =
        connection.execute("SELECT pg_advisory_xact_lock($1)", {migration_lock_key});
    if (!locked) return Unexpected<StoreError>(std::move(locked).error());
  }
  StoreResult<void> created = connection.execute_script(schema_migrations_ddl);
  if (!created) return created;
  StoreResult<std::vector<AppliedMigration>> applied = read_applied(connection);
  if (!applied) return Unexpected<StoreError>(std::move(applied).error());
  StoreResult<SchemaStatus> status = evaluate(applied.value());
  if (!status) return Unexpected<StoreError>(std::move(status).error());
  if (status.value().pending.empty()) return {};

  const Migration& migration =
      known_migrations()[static_cast<std::size_t>(status.value().pending.front() - 1)];
  StoreResult<void> ran =
      connection.execute_script(render_migration_sql(migration.sql, connection.dialect()));
  if (!ran) {
    StoreError error = std::move(ran).error();
    error.message = "migration " + std::to_string(migration.version) + " (" + migration.name +
                    ") failed on " + std::string(to_string(connection.dialect())) + ": " +
                    error.message + "; nothing of it was applied (it runs in one transaction)";
    return Unexpected<StoreError>(std::move(error));
  }
  StoreResult<std::int64_t> recorded = connection.execute(
      "INSERT INTO schema_migrations (version, name, checksum_sha256_hex, applied_at_unix_ms) "
      "VALUES ($1, $2, $3, $4)",
      {std::int64_t{migration.version}, migration.name, migration.checksum_sha256_hex,
       clock.now_unix_ms()});
  if (!recorded) return Unexpected<StoreError>(std::move(recorded).error());
  applied_version = migration.version;
  return {};
}

}  // namespace

const std::vector<Migration>& known_migrations() {
  static const std::vector<Migration> migrations = load_migrations();
  return migrations;
}

std::string render_migration_sql(std::string_view sql, Dialect dialect) {
  enum class Section { both, sqlite, postgres };
  const Section own = dialect == Dialect::sqlite ? Section::sqlite : Section::postgres;
  std::string rendered;
  rendered.reserve(sql.size());
  Section section = Section::both;
  std::size_t begin = 0;
  while (begin < sql.size()) {
    const std::size_t newline = sql.find('\n', begin);
    const std::size_t end = newline == std::string_view::npos ? sql.size() : newline + 1;
    const std::string_view line = sql.substr(begin, end - begin);
    const std::string_view marker = trim(line.substr(0, line.find('\n')));
    begin = end;
    if (marker == section_sqlite || marker == section_postgres) {
      assert(section == Section::both && "migration sections do not nest");
      section = marker == section_sqlite ? Section::sqlite : Section::postgres;
    } else if (marker == section_end) {
      assert(section != Section::both && "-- till:end closes a section");
      section = Section::both;
    } else if (section == Section::both || section == own) {
      rendered.append(line);
      continue;
    }
    // Dropped lines stay as empty lines, so line numbers in database errors match the file.
    if (line.ends_with('\n')) rendered.push_back('\n');
  }
  assert(section == Section::both && "every migration section is closed with -- till:end");
  for (const Token& token : dialect_tokens) {
    const std::string_view replacement = dialect == Dialect::sqlite ? token.sqlite : token.postgres;
    for (std::size_t at = rendered.find(token.token); at != std::string::npos;
         at = rendered.find(token.token, at + replacement.size())) {
      rendered.replace(at, token.token.size(), replacement);
    }
  }
  assert(rendered.find("{{") == std::string::npos && "migration uses only known {{TOKENS}}");
  return rendered;
}

StoreResult<SchemaStatus> schema_status(Database& database) {
  std::vector<AppliedMigration> applied;
  StoreResult<void> read = database.read([&](Connection& connection) -> StoreResult<void> {
    StoreResult<std::vector<AppliedMigration>> rows = read_applied(connection);
    if (!rows) return Unexpected<StoreError>(std::move(rows).error());
    applied = std::move(rows).value();
    return {};
  });
  if (!read) return Unexpected<StoreError>(std::move(read).error());
  return evaluate(applied);
}

StoreResult<SchemaStatus> migrate(Database& database, const Clock& clock) {
  const std::size_t steps_max = known_migrations().size() + 1;  // the last step finds none
  for (std::size_t step = 0; step < steps_max; step++) {
    std::optional<int> applied_version;
    StoreResult<void> result = database.transact([&](Connection& connection) {
      applied_version.reset();  // the work may be retried
      return apply_next(connection, clock, applied_version);
    });
    if (!result) return Unexpected<StoreError>(std::move(result).error());
    if (!applied_version.has_value()) return schema_status(database);
  }
  assert(false && "migrate applies each known migration at most once");
  std::abort();
}

}  // namespace till::store
