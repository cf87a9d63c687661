#include "store/store_fixture.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "support/test_database.h"

namespace till::store::testing {

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
  Result<StoreOptions> options =
      till::testing::fresh_database_options(dialect, dir.path() + "/data");
  if (!options) return store_fail(ErrorKind::other, "no test database: " + options.error().message);
  return options.value();
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

}  // namespace till::store::testing
