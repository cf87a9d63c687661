#include "store/store_fixture.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "support/postgres_server.h"

namespace till::store::testing {

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/till-store-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

StoreError error_of(Database& database, std::string_view sql, Params params) {
  StoreResult<void> result = database.read([&](Connection& c) -> StoreResult<void> {
    StoreResult<std::int64_t> ran = c.execute(sql, params);
    if (!ran) return Unexpected<StoreError>(ran.error());
    return {};
  });
  if (result) return StoreError{ErrorKind::invalid_argument, "expected an error"};
  return result.error();
}

StoreResult<StoreOptions> fresh_database_options(Dialect dialect, const TempDir& dir) {
  StoreOptions options;
  if (dialect == Dialect::sqlite) {
    options.data_dir = dir.path() + "/data";
    return options;
  }
  Result<till::testing::PostgresServer*> server = till::testing::PostgresServer::shared();
  if (!server)
    return store_fail(ErrorKind::other, "PostgreSQL did not start: " + server.error().message);
  static std::atomic<int> database_count{0};
  const std::string name =
      "store_" + std::to_string(getpid()) + "_" + std::to_string(database_count++);
  Result<std::string> url = server.value()->create_database(name);
  if (!url) return store_fail(ErrorKind::other, url.error().message);
  options.database_url = url.value();
  return options;
}

void StoreTest::SetUp() {
  StoreResult<StoreOptions> options = fresh_database_options(dialect(), dir_);
  ASSERT_STORE_OK(options);
  options_ = options.value();
}

std::unique_ptr<Database> StoreTest::open(const StoreOptions& options) {
  StoreResult<std::unique_ptr<Database>> database = open_database(options);
  EXPECT_TRUE(database.has_value()) << database.error().message;
  return database ? std::move(database).value() : nullptr;
}

void StoreTest::script(Database& database, std::string_view sql) {
  const std::string rendered = render_migration_sql(sql, database.dialect());
  EXPECT_STORE_OK(database.transact([&](Connection& c) { return c.execute_script(rendered); }));
}

void StoreTest::create_counter(Database& database) {
  script(database,
         "CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL);"
         "INSERT INTO counter (id, n) VALUES (1, 0);");
}

std::int64_t StoreTest::counter_value(Database& database) {
  std::int64_t value = -1;
  EXPECT_STORE_OK(database.read([&](Connection& c) -> StoreResult<void> {
    StoreResult<std::optional<std::int64_t>> n =
        c.query_one<std::int64_t>("SELECT n FROM counter WHERE id = 1");
    if (!n) return Unexpected<StoreError>(n.error());
    value = n.value().value_or(-1);
    return {};
  }));
  return value;
}

std::string dialect_name(const ::testing::TestParamInfo<Dialect>& info) {
  return std::string(to_string(info.param));
}

}  // namespace till::store::testing
