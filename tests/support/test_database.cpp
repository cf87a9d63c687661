#include "support/test_database.h"

#include <unistd.h>

#include <atomic>

#include "store/migrations.h"
#include "support/postgres_server.h"

namespace till::testing {

std::string backend_name(const ::testing::TestParamInfo<store::Dialect>& info) {
  return std::string(store::to_string(info.param));
}

Result<store::StoreOptions> fresh_database_options(store::Dialect dialect,
                                                   const std::string& directory) {
  store::StoreOptions options;
  options.data_dir = directory;
  options.pool_size = 4;
  if (dialect == store::Dialect::sqlite) return options;
  auto server = PostgresServer::shared();
  if (!server) return unexpected(server.error());
  static std::atomic<int> counter{0};
  const std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  auto url = (*server)->create_database(name);
  if (!url) return unexpected(url.error());
  options.database_url = *url;
  return options;
}

Result<std::unique_ptr<store::Database>> open_fresh_database(store::Dialect dialect,
                                                             const std::string& directory) {
  auto options = fresh_database_options(dialect, directory);
  if (!options) return unexpected(options.error());
  auto database = store::open_database(*options);
  if (!database) return fail("open_failed", database.error().message);
  auto migrated = store::migrate(**database);
  if (!migrated) return fail("migrate_failed", migrated.error().message);
  return std::move(database).value();
}

store::StoreResult<void> execute_sql(store::Database& database, const std::string& statement,
                                     const std::vector<store::Value>& params) {
  return database.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    auto ran = connection.execute(statement, params);
    if (!ran) return unexpected(ran.error());
    return {};
  });
}

store::StoreResult<std::optional<std::int64_t>> query_int(store::Database& database,
                                                          const std::string& query) {
  std::optional<std::int64_t> value;
  auto done = database.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = connection.query_one<std::int64_t>(query);
    if (!found) return unexpected(found.error());
    value = *found;
    return {};
  });
  if (!done) return unexpected(done.error());
  return value;
}

}  // namespace till::testing
