// A MerchantStore over a fresh, migrated database of the parameter's dialect, with a manual
// clock; shared by the store and authenticator suites.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "merchant/merchant.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::merchant::testing {

inline std::string describe(const MerchantError& error) {
  return error.code + " (" + error.field + "): " + error.message;
}

class MerchantTest : public ::testing::TestWithParam<store::Dialect> {
 protected:
  void SetUp() override {
    auto database = till::testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    store_ = std::make_unique<MerchantStore>(*database_, clock_, store_options());
  }
  void TearDown() override {
    store_.reset();
    database_.reset();
  }

  virtual MerchantStoreOptions store_options() const { return {}; }

  CreatedMerchant create(const std::string& name = "Acme", bool issue_test_key = true) {
    MerchantSpec spec;
    spec.name = name;
    spec.issue_test_key = issue_test_key;
    auto created = store_->create_merchant(spec);
    EXPECT_TRUE(created) << describe(created.error());
    return created ? *created : CreatedMerchant{};
  }

  IssuedKey issue(const std::string& merchant_id, Mode mode) {
    auto issued = store_->issue_key(merchant_id, mode);
    EXPECT_TRUE(issued) << describe(issued.error());
    return issued ? *issued : IssuedKey{};
  }

  // Runs SQL as another node would, behind the store's back.
  void execute(const std::string& sql, store::Params params = {}) {
    auto done = database_->transact([&](store::Connection& connection) -> store::StoreResult<void> {
      auto executed = connection.execute(sql, params);
      if (!executed) return unexpected(executed.error());
      return {};
    });
    ASSERT_TRUE(done) << done.error().message;
  }

  till::testing::TempDir temp_;
  ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<MerchantStore> store_;
};

}  // namespace till::merchant::testing
