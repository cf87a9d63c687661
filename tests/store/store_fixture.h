// tests/store/store_fixture.h — one fresh database per test, on either backend.
//
// StoreTest is parameterized over the dialect: SQLite gets a new temporary data_dir,
// PostgreSQL a new database in the test binary's shared throwaway server.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "store/migrations.h"
#include "store/store.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::store {
// Readable names in gtest failure messages and parameterized test output.
inline void PrintTo(ErrorKind kind, std::ostream* out) { *out << to_string(kind); }
inline void PrintTo(Dialect dialect, std::ostream* out) { *out << to_string(dialect); }
}  // namespace till::store

namespace till::store::testing {

// Passes when `result` holds a value; otherwise fails with the error's kind and message.
template <class T>
::testing::AssertionResult store_ok(const StoreResult<T>& result) {
  if (result) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "store error (" << to_string(result.error().kind) << "): " << result.error().message;
}

#define ASSERT_STORE_OK(expression) ASSERT_TRUE(::till::store::testing::store_ok(expression))
#define EXPECT_STORE_OK(expression) EXPECT_TRUE(::till::store::testing::store_ok(expression))

// A fresh temporary directory, removed with the object.
using TempDir = till::testing::TempDir;  // tests/support: one temp-dir helper for all suites

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The error of running `sql` in a read transaction of its own (an invalid_argument "expected an
// error" when it succeeds).
StoreError error_of(Database& database, std::string_view sql, Params params = {});

// Options for a new, empty database of `dialect` (SQLite inside `dir`).
StoreResult<StoreOptions> fresh_database_options(Dialect dialect, const TempDir& dir);

class StoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override;

  Dialect dialect() const { return GetParam(); }
  const StoreOptions& options() const { return options_; }
  // Opens the test's database; a failure fails the test (and returns nullptr).
  std::unique_ptr<Database> open(const StoreOptions& options);
  std::unique_ptr<Database> open() { return open(options_); }

  // Runs a script in its own transaction (test setup).
  void script(Database& database, std::string_view sql);
  // `counter(id BIGINT PRIMARY KEY, n BIGINT NOT NULL)` with row (1, 0).
  void create_counter(Database& database);
  std::int64_t counter_value(Database& database);

 private:
  TempDir dir_;
  StoreOptions options_;
};

using till::testing::backend_name;

}  // namespace till::store::testing
