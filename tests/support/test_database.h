// Test support: a fresh, migrated database of either dialect for one test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

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

}  // namespace till::testing
