// Integration tests of `till` commands around configuration and the database: bad config,
// corrupted or newer databases, `till migrate`, and `till serve` on a real PostgreSQL.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/migrations.h"
#include "store/store.h"
#include "support/http_client.h"
#include "support/postgres_server.h"
#include "support/till_process.h"

namespace till::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

TEST(ConfigCheck, ReportsEveryProblemByKeyAndExitsTwo) {
  TempDir temp;
  const std::string path = temp.path() + "/till.toml";
  write_file(path,
             "[server]\n"
             "lisen = \"127.0.0.1:1\"\n"  // unknown key, line 2
             "threads = \"many\"\n"       // wrong type, line 3
             "[storage]\n"
             "pool_size = 0\n");  // out of range, line 5
  const auto result =
      run_till({"config", "check", "--config", path}, {{"TILL_LOG_LEVEL", "chatty"}});
  EXPECT_EQ(result.exit_status, 2) << result.err;
  EXPECT_TRUE(contains(result.err, "server.lisen")) << result.err;
  EXPECT_TRUE(contains(result.err, "server.listen")) << "suggestion missing: " << result.err;
  EXPECT_TRUE(contains(result.err, "server.threads")) << result.err;
  EXPECT_TRUE(contains(result.err, "storage.pool_size")) << result.err;
  EXPECT_TRUE(contains(result.err, "TILL_LOG_LEVEL")) << result.err;
  EXPECT_TRUE(contains(result.err, "4 problems")) << result.err;
}

TEST(ConfigCheck, AcceptsAValidFile) {
  TempDir temp;
  const std::string path = temp.path() + "/till.toml";
  write_file(path, "[server]\nlisten = \"0.0.0.0:8080\"\n[log]\nlevel = \"debug\"\n");
  const auto result = run_till({"config", "check", "--config", path});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_TRUE(contains(result.out, "configuration OK"));
}

TEST(ConfigCheck, TheShippedExampleConfigIsValid) {
  const auto result = run_till({"config", "check", "--config", TILL_SOURCE_DIR "/deploy/till.example.toml"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
}

TEST(ConfigCheck, ServeRefusesInvalidConfigWithTheSameMessages) {
  TempDir temp;
  const auto check = run_till({"config", "check", "--listen", "nonsense"});
  const auto serve = run_till({"serve", "--listen", "nonsense", "--data-dir", temp.path()});
  EXPECT_EQ(serve.exit_status, 2);
  EXPECT_EQ(serve.err, check.err);
  EXPECT_TRUE(contains(serve.err, "server.listen")) << serve.err;
  EXPECT_FALSE(std::filesystem::exists(temp.path() + "/till.db")) << "touched the database";
}

TEST(ConfigCheck, FlagsOverrideEnvironmentWhichOverridesTheFile) {
  TempDir temp;
  const std::string path = temp.path() + "/till.toml";
  write_file(path, "[server]\nlisten = \"127.0.0.1:1\"\n");
  // The file's port 1 would fail to bind as non-root and is overridden anyway: the env's
  // value is overridden by the flag, and the server must come up on the flag's port 0.
  TillServer server({"--config", path}, {{"TILL_SERVER_LISTEN", "127.0.0.1:2"}});
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  EXPECT_EQ(http_request(server.port(), "GET", "/healthz")->status, 200);
}

TEST(ConfigKeys, ListsEverySetting) {
  const auto result = run_till({"config", "keys"});
  EXPECT_EQ(result.exit_status, 0);
  for (const char* key : {"server.listen", "TILL_SERVER_LISTEN", "--listen", "storage.data_dir",
                          "storage.database_url", "log.level"}) {
    EXPECT_TRUE(contains(result.out, key)) << key;
  }
}

TEST(Version, PrintsVersionAndCommit) {
  const auto result = run_till({"version"});
  EXPECT_EQ(result.exit_status, 0);
  EXPECT_TRUE(contains(result.out, "till 0.1.0 (commit ")) << result.out;
}

TEST(Database, CorruptedSqliteFileIsRefusedClearly) {
  TempDir temp;
  write_file(temp.path() + "/till.db", std::string(8192, '\x5a') + "not a database at all");
  const auto result = run_till({"serve", "--listen", "127.0.0.1:0", "--data-dir", temp.path()});
  EXPECT_EQ(result.exit_status, 1) << result.err;
  EXPECT_TRUE(contains(result.err, "cannot open the database")) << result.err;
  EXPECT_TRUE(contains(result.err, "corrupt")) << result.err;
}

TEST(Database, NewerSchemaIsRefusedClearly) {
  TempDir temp;
  {
    TillServer first({}, {}, temp.path());
    ASSERT_TRUE(first.started()) << first.captured_stderr();
  }
  {
    store::StoreOptions options;
    options.data_dir = temp.path();
    auto database = store::open_database(options);
    ASSERT_TRUE(database) << database.error().message;
    auto inserted = (*database)->transact([](store::Connection& connection)
                                              -> store::StoreResult<void> {
      auto result = connection.execute(
          "INSERT INTO schema_migrations (version, name, checksum_sha256_hex, applied_at_unix_ms) "
          "VALUES (999, 'from_the_future', 'x', 0)");
      if (!result) return unexpected(result.error());
      return {};
    });
    ASSERT_TRUE(inserted) << inserted.error().message;
  }
  const auto result = run_till({"serve", "--listen", "127.0.0.1:0", "--data-dir", temp.path()});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_TRUE(contains(result.err, "999")) << result.err;
  EXPECT_TRUE(contains(result.err, "upgrade")) << result.err;
  const auto migrate = run_till({"migrate", "--data-dir", temp.path()});
  EXPECT_EQ(migrate.exit_status, 1);
  EXPECT_TRUE(contains(migrate.err, "999")) << migrate.err;
}

TEST(Database, ServeRecordsTheInstanceOnce) {
  TempDir temp;
  for (int run = 0; run < 2; ++run) {
    TillServer server({}, {}, temp.path());
    ASSERT_TRUE(server.started()) << server.captured_stderr();
  }
  store::StoreOptions options;
  options.data_dir = temp.path();
  auto database = store::open_database(options);
  ASSERT_TRUE(database);
  std::int64_t rows = -1;
  auto read = (*database)->read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto count = connection.query_one<std::int64_t>("SELECT count(*) FROM till_instance");
    if (!count) return unexpected(count.error());
    rows = count->value_or(-1);
    return {};
  });
  ASSERT_TRUE(read);
  EXPECT_EQ(rows, 1);
}

TEST(Migrate, AppliesOnceAndIsIdempotent) {
  TempDir temp;
  const auto first = run_till({"migrate", "--data-dir", temp.path()});
  EXPECT_EQ(first.exit_status, 0) << first.err;
  const std::string expected =
      "schema version " + std::to_string(store::known_migrations().back().version);
  EXPECT_TRUE(contains(first.out, expected)) << first.out;
  const auto second = run_till({"migrate", "--data-dir", temp.path()});
  EXPECT_EQ(second.exit_status, 0) << second.err;
  EXPECT_TRUE(contains(second.out, expected));
}

class PostgresServe : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = PostgresServer::shared();
    ASSERT_TRUE(server) << server.error().message;
    static int database_count = 0;
    auto url = (*server)->create_database("cli_" + std::to_string(++database_count));
    ASSERT_TRUE(url) << url.error().message;
    url_ = *url;
  }
  std::string url_;
};

TEST_F(PostgresServe, RefusesPendingMigrationsThenServesAfterTillMigrate) {
  const auto refused = run_till({"serve", "--listen", "127.0.0.1:0", "--database", url_});
  EXPECT_EQ(refused.exit_status, 1);
  EXPECT_TRUE(contains(refused.err, "till migrate")) << refused.err;

  const auto migrated = run_till({"migrate", "--database", url_});
  ASSERT_EQ(migrated.exit_status, 0) << migrated.err;

  TillServer server({"--database", url_});
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  const auto ready = http_request(server.port(), "GET", "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_TRUE(contains(server.captured_stdout(), "database: postgres://"));
}

TEST(PostgresReadiness, ReadyzTurns503WhenTheDatabaseGoesAway) {
  auto owned = PostgresServer::start();  // our own server: this test stops it
  ASSERT_TRUE(owned) << owned.error().message;
  auto url = (*owned)->create_database("readiness");
  ASSERT_TRUE(url);
  ASSERT_EQ(run_till({"migrate", "--database", *url}).exit_status, 0);
  TillServer server({"--database", *url});
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  EXPECT_EQ(http_request(server.port(), "GET", "/readyz")->status, 200);
  owned->reset();  // stops PostgreSQL and removes its directory
  const auto unready = http_request(server.port(), "GET", "/readyz");
  ASSERT_TRUE(unready);
  EXPECT_EQ(unready->status, 503);
  EXPECT_TRUE(contains(unready->body, "\"status\":\"unavailable\"")) << unready->body;
  // Liveness is independent of the database.
  EXPECT_EQ(http_request(server.port(), "GET", "/healthz")->status, 200);
}

TEST(PostgresStartup, AnUnreachableDatabaseIsAClearErrorWithoutThePassword) {
  const auto result = run_till({"serve", "--listen", "127.0.0.1:0", "--database",
                                "postgres://till:hunter2secret@127.0.0.1:1/till"});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_TRUE(contains(result.err, "cannot open the database")) << result.err;
  EXPECT_FALSE(contains(result.err, "hunter2secret")) << result.err;
}

}  // namespace
}  // namespace till::testing
