// Migrations on both backends: applying, refusing newer or changed schemas, running twice and
// concurrently; and the embedded files themselves.
#include <openssl/evp.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "store/store_fixture.h"

namespace till::store::testing {
namespace {

using ::testing::HasSubstr;

class MigrationTest : public StoreTest {
 protected:
  std::int64_t count(Database& db, std::string_view sql) {
    std::int64_t value = -1;
    EXPECT_STORE_OK(db.read([&](Connection& c) -> StoreResult<void> {
      StoreResult<std::optional<std::int64_t>> n = c.query_one<std::int64_t>(sql);
      if (!n) return Unexpected<StoreError>(n.error());
      value = n.value().value_or(-1);
      return {};
    }));
    return value;
  }
  int latest() const { return static_cast<int>(known_migrations().size()); }
};

INSTANTIATE_TEST_SUITE_P(Backends, MigrationTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres), backend_name);

TEST_P(MigrationTest, FreshDatabaseMigratesToReady) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  StoreResult<SchemaStatus> before = schema_status(*db);
  ASSERT_STORE_OK(before);
  EXPECT_EQ(before.value().database_version, 0);
  EXPECT_EQ(before.value().binary_version, latest());
  EXPECT_EQ(before.value().pending.size(), known_migrations().size());
  EXPECT_FALSE(before.value().ready());

  ManualClock clock(1'700'000'000'000);
  StoreResult<SchemaStatus> after = migrate(*db, clock);
  ASSERT_STORE_OK(after);
  EXPECT_TRUE(after.value().ready());
  EXPECT_EQ(after.value().database_version, latest());
  EXPECT_TRUE(after.value().pending.empty());

  EXPECT_EQ(count(*db, "SELECT count(*) FROM schema_migrations"), latest());
  ASSERT_STORE_OK(db->read([&](Connection& c) {
    return c.query(
        "SELECT version, name, checksum_sha256_hex, applied_at_unix_ms "
        "FROM schema_migrations ORDER BY version",
        {}, [&](const Row& row) {
          const Migration& m =
              known_migrations().at(static_cast<std::size_t>(row.get_int64(0) - 1));
          EXPECT_EQ(row.get_text(1), m.name);
          EXPECT_EQ(row.get_text(2), m.checksum_sha256_hex);
          EXPECT_EQ(row.get_int64(3), 1'700'000'000'000);
        });
  }));
  // 0001 created till_instance.
  EXPECT_STORE_OK(db->transact([](Connection& c) -> StoreResult<void> {
    StoreResult<std::int64_t> inserted =
        c.execute("INSERT INTO till_instance (id, created_at_unix_ms) VALUES ($1, $2)",
                  {std::string("inst_1"), std::int64_t{1}});
    if (!inserted) return Unexpected<StoreError>(inserted.error());
    return {};
  }));
}

TEST_P(MigrationTest, MigratingTwiceChangesNothing) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  ManualClock clock(1000);
  ASSERT_STORE_OK(migrate(*db, clock));
  clock.set_unix_ms(2000);
  StoreResult<SchemaStatus> again = migrate(*db, clock);
  ASSERT_STORE_OK(again);
  EXPECT_TRUE(again.value().ready());
  EXPECT_EQ(count(*db, "SELECT count(*) FROM schema_migrations"), latest());
  EXPECT_EQ(count(*db, "SELECT max(applied_at_unix_ms) FROM schema_migrations"), 1000);
}

TEST_P(MigrationTest, NewerDatabaseIsRefused) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  ASSERT_STORE_OK(migrate(*db));
  script(*db,
         "INSERT INTO schema_migrations (version, name, checksum_sha256_hex, applied_at_unix_ms) "
         "VALUES (999, 'from_the_future', 'x', 0)");
  const std::string expected =
      "database schema is at version 999 but this till binary only "
      "knows up to " +
      std::to_string(latest());
  StoreResult<SchemaStatus> status = schema_status(*db);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, ErrorKind::schema);
  EXPECT_THAT(status.error().message, HasSubstr(expected));
  StoreResult<SchemaStatus> migrated = migrate(*db);
  ASSERT_FALSE(migrated);
  EXPECT_EQ(migrated.error().kind, ErrorKind::schema);
  EXPECT_THAT(migrated.error().message, HasSubstr(expected));
}

TEST_P(MigrationTest, ChangedMigrationIsRefused) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  ASSERT_STORE_OK(migrate(*db));
  script(*db, "UPDATE schema_migrations SET checksum_sha256_hex = 'tampered' WHERE version = 1");
  StoreResult<SchemaStatus> status = schema_status(*db);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, ErrorKind::schema);
  EXPECT_THAT(status.error().message,
              HasSubstr("migration 1 (foundation) was changed after it was applied"));
  EXPECT_THAT(status.error().message, HasSubstr("tampered"));
  StoreResult<SchemaStatus> migrated = migrate(*db);
  ASSERT_FALSE(migrated);
  EXPECT_EQ(migrated.error().kind, ErrorKind::schema);
}

TEST_P(MigrationTest, FailedMigrationLeavesNoTrace) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  // A table in the way makes 0001's CREATE TABLE fail.
  script(*db, "CREATE TABLE till_instance (something_else BIGINT)");
  StoreResult<SchemaStatus> migrated = migrate(*db);
  ASSERT_FALSE(migrated);
  EXPECT_THAT(migrated.error().message,
              HasSubstr("migration 1 (foundation) failed on " + std::string(to_string(dialect()))));
  StoreResult<SchemaStatus> status = schema_status(*db);
  ASSERT_STORE_OK(status);
  EXPECT_EQ(status.value().database_version, 0);  // its schema_migrations row rolled back too
}

TEST_P(MigrationTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  // Two Database objects behave like two processes: separate pools and connections.
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  std::atomic<int> ready{0};
  StoreResult<SchemaStatus> first_result = store_fail(ErrorKind::other, "not run");
  StoreResult<SchemaStatus> second_result = store_fail(ErrorKind::other, "not run");
  auto run = [&](Database& db, StoreResult<SchemaStatus>& result) {
    ready++;
    wait_until([&] { return ready.load() == 2; });  // start together
    result = migrate(db);
  };
  std::thread a([&] { run(*first, first_result); });
  std::thread b([&] { run(*second, second_result); });
  a.join();
  b.join();
  ASSERT_STORE_OK(first_result);
  ASSERT_STORE_OK(second_result);
  EXPECT_TRUE(first_result.value().ready());
  EXPECT_TRUE(second_result.value().ready());
  EXPECT_EQ(count(*first, "SELECT count(*) FROM schema_migrations"), latest());
  EXPECT_EQ(count(*first, "SELECT count(*) FROM till_instance"), 0);
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; i++) {
    std::snprintf(byte, sizeof(byte), "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

TEST(KnownMigrationsTest, AreTheFilesByteForByteNumberedAndChecksummed) {
  const std::vector<Migration>& migrations = known_migrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations[0].name, "foundation");
  for (std::size_t i = 0; i < migrations.size(); i++) {
    const Migration& m = migrations[i];
    EXPECT_EQ(m.version, static_cast<int>(i) + 1);
    char prefix[8];
    std::snprintf(prefix, sizeof(prefix), "%04d_", m.version);
    const std::string file = read_file(std::string(TILL_SOURCE_DIR) + "/src/store/migrations/" +
                                       prefix + m.name + ".sql");
    EXPECT_EQ(m.sql, file) << "embedded SQL differs from the file for migration " << m.version;
    EXPECT_EQ(m.checksum_sha256_hex, sha256_hex(file));
    // Every migration renders for both dialects (sections closed, only known tokens).
    for (Dialect dialect : {Dialect::sqlite, Dialect::postgres}) {
      EXPECT_EQ(render_migration_sql(m.sql, dialect).find("{{"), std::string::npos);
    }
  }
}

TEST(RenderMigrationSqlTest, KeepsOwnSectionsSubstitutesTokensAndKeepsLineNumbers) {
  const std::string sql =
      "CREATE TABLE t (b {{BLOB}});\n"
      "-- till:sqlite\n"
      "CREATE TRIGGER sqlite_only;\n"
      "-- till:end\n"
      "  -- till:postgres\n"
      "CREATE FUNCTION postgres_only();\n"
      "-- till:end\n"
      "SELECT 1;\n";
  EXPECT_EQ(render_migration_sql(sql, Dialect::sqlite),
            "CREATE TABLE t (b BLOB);\n\nCREATE TRIGGER sqlite_only;\n\n\n\n\nSELECT 1;\n");
  EXPECT_EQ(render_migration_sql(sql, Dialect::postgres),
            "CREATE TABLE t (b BYTEA);\n\n\n\n\nCREATE FUNCTION postgres_only();\n\nSELECT 1;\n");
}

}  // namespace
}  // namespace till::store::testing
