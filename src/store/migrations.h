// store/migrations.h — the schema, as numbered migrations embedded in the binary.
//
// Files: src/store/migrations/NNNN_name.sql (NNNN = 0001, 0002, ... without gaps; name in
// [a-z0-9_]). CMake embeds them at build time, so a binary carries exactly the schema it was
// built for and never reads SQL files at run time. Migrations are append-only: once released,
// a file never changes (its SHA-256 is recorded when applied and checked on every start);
// a correction is a new migration.
//
// One file serves both dialects; differences are kept small and marked in place:
//   {{BLOB}}            -> BLOB on SQLite, BYTEA on PostgreSQL
//   -- till:sqlite      the lines up to `-- till:end` are only for SQLite
//   -- till:postgres    the lines up to `-- till:end` are only for PostgreSQL (e.g. triggers,
//                       whose syntax differs)
// Each migration runs in one transaction together with its row in `schema_migrations`, so it
// is applied completely or not at all; it must not contain BEGIN/COMMIT or statements that
// cannot run in a transaction (CREATE INDEX CONCURRENTLY).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "store/store.h"

namespace till::store {

struct Migration {
  int version = 0;                  // 1, 2, 3, ...
  std::string name;                 // "foundation"
  std::string checksum_sha256_hex;  // of `sql` exactly as in the file
  std::string sql;                  // both dialects, as in the file; see render_migration_sql
};

// In version order, versions 1..N without gaps.
const std::vector<Migration>& known_migrations();

// `sql` for one dialect: sections for the other dialect dropped, tokens substituted.
std::string render_migration_sql(std::string_view sql, Dialect dialect);

struct SchemaStatus {
  int database_version = 0;  // highest applied; 0 for an empty database
  int binary_version = 0;    // highest known to this binary
  std::vector<int> pending;  // known, not yet applied, in order
  bool ready() const { return pending.empty() && database_version == binary_version; }
};

// Reads the applied migrations. ErrorKind::schema when the database is newer than this binary,
// when an applied migration's checksum differs from the embedded one, or when applied
// versions have a gap; the message says which and what to do.
StoreResult<SchemaStatus> schema_status(Database& database);

// Applies pending migrations in order, each in its own transaction with its schema_migrations
// row. Refuses (ErrorKind::schema, as schema_status) on a newer or changed schema. Safe to run
// from several processes at once: PostgreSQL serializes them with an advisory lock, SQLite
// with its write lock; a migration applied meanwhile by another process is skipped.
StoreResult<SchemaStatus> migrate(Database& database, const Clock& clock = SystemClock::instance());

}  // namespace till::store
