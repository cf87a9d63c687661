// Test support: a fresh, migrated database of either dialect for one test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace till::testing {

// Test-name suffix for suites parameterized over both backends: ".../sqlite", ".../postgres".
std::string backend_name(const ::testing::TestParamInfo<store::Dialect>& info);

// Options for a new empty database: SQLite in `directory`, or a new database in the shared
// throwaway PostgreSQL server. Not migrated.
Result<store::StoreOptions> fresh_database_options(store::Dialect dialect,
                                                   const std::string& directory);

// Opens a fresh database and applies every migration.
Result<std::unique_ptr<store::Database>> open_fresh_database(store::Dialect dialect,
                                                             const std::string& directory);

// Runs one statement in a transaction of its own (tests that arrange or damage rows directly).
store::StoreResult<void> execute_sql(store::Database& database, const std::string& statement,
                                     const std::vector<store::Value>& params = {});

// The first column of the first row a read query returns (nullopt: no row).
store::StoreResult<std::optional<std::int64_t>> query_int(store::Database& database,
                                                          const std::string& query);

}  // namespace till::testing
