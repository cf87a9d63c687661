// A fresh, migrated database of the parameter's dialect for the events suites, and a way to
// run statements against it in one transaction.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "store/store.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::events::testing {

class EventsDatabaseTest : public ::testing::TestWithParam<store::Dialect> {
 protected:
  void SetUp() override {
    auto database = till::testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
  }

  // Runs `work` in one transaction and fails the test if it fails.
  template <class Work>
  void transact(Work work) {
    auto done = database_->transact([&](store::Connection& connection) -> store::StoreResult<void> {
      work(connection);
      return {};
    });
    ASSERT_TRUE(done) << done.error().message;
  }

  till::testing::TempDir temp_;
  std::unique_ptr<store::Database> database_;
};

}  // namespace till::events::testing
