// The routing_configs store on SQLite and on a real PostgreSQL: versions per merchant and mode,
// the active one, pages of history, append-only, and concurrent saves.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "routing/config_store.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::routing {
namespace {

using store::Connection;
using store::Dialect;

constexpr std::int64_t kNowMs = 1'790'000'000'000;
constexpr std::string_view kConfigA = R"({"fallback":["ca_a"]})";
constexpr std::string_view kConfigB = R"({"fallback":["ca_b"],"max_attempts":2})";

class ConfigStoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    auto database = till::testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
  }

  std::int64_t save(std::string_view text, std::string_view merchant = "acct_a",
                    bool livemode = false, std::int64_t at = kNowMs) {
    auto saved = save_config(*database_, merchant, livemode, text, "tester", at);
    EXPECT_TRUE(saved) << saved.error().message;
    return saved ? *saved : -1;
  }

  till::testing::TempDir temp_;
  std::unique_ptr<store::Database> database_;
};

TEST_P(ConfigStoreTest, VersionsCountUpPerMerchantAndMode) {
  auto none = active_config(*database_, "acct_a", false);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->has_value());

  EXPECT_EQ(save(kConfigA), 1);
  EXPECT_EQ(save(kConfigB, "acct_a", false, kNowMs + 5), 2);
  EXPECT_EQ(save(kConfigA, "acct_a", true), 1);  // live mode has its own versions
  EXPECT_EQ(save(kConfigB, "acct_b"), 1);

  auto active = active_config(*database_, "acct_a", false);
  ASSERT_TRUE(active) << active.error().message;
  ASSERT_TRUE(active->has_value());
  EXPECT_EQ((*active)->version, 2);
  EXPECT_EQ((*active)->text, kConfigB);
  EXPECT_EQ((*active)->created_at, kNowMs + 5);
  EXPECT_EQ((*active)->created_by, "tester");

  auto live = active_config(*database_, "acct_a", true);
  ASSERT_TRUE(live && live->has_value());
  EXPECT_EQ((*live)->text, kConfigA);

  // Also inside the caller's own transaction.
  std::optional<StoredConfig> in_transaction;
  auto read = database_->read([&](Connection& connection) -> store::StoreResult<void> {
    auto found = active_config(connection, "acct_b", false);
    if (!found) return unexpected(found.error());
    in_transaction = std::move(*found);
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_TRUE(in_transaction.has_value());
  EXPECT_EQ(in_transaction->version, 1);
}

TEST_P(ConfigStoreTest, ListsVersionsNewestFirstInPages) {
  for (int i = 1; i <= 7; ++i) {
    ASSERT_EQ(save(R"({"fallback":["ca_)" + std::to_string(i) + R"("]})"), i);
  }
  auto all = list_versions(*database_, "acct_a", false);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 7u);
  EXPECT_EQ(all->front().version, 7);
  EXPECT_EQ(all->back().version, 1);
  EXPECT_EQ(all->back().text, R"({"fallback":["ca_1"]})");

  auto page = list_versions(*database_, "acct_a", false, 3);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ(page->back().version, 5);
  auto next = list_versions(*database_, "acct_a", false, 3, page->back().version);
  ASSERT_TRUE(next);
  ASSERT_EQ(next->size(), 3u);
  EXPECT_EQ(next->front().version, 4);
  EXPECT_EQ(next->back().version, 2);
  auto last = list_versions(*database_, "acct_a", false, 3, 2);
  ASSERT_TRUE(last);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ(last->front().version, 1);

  auto other = list_versions(*database_, "acct_other", false);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
}

TEST_P(ConfigStoreTest, VersionsAreAppendOnly) {
  save(kConfigA);
  for (const char* sql :
       {"UPDATE routing_configs SET config = '{}'", "DELETE FROM routing_configs"}) {
    auto changed = database_->transact([&](Connection& connection) -> store::StoreResult<void> {
      auto done = connection.execute(sql);
      if (!done) return unexpected(done.error());
      return {};
    });
    ASSERT_FALSE(changed) << sql;
    EXPECT_NE(changed.error().message.find("append-only"), std::string::npos)
        << changed.error().message;
  }
  auto active = active_config(*database_, "acct_a", false);
  ASSERT_TRUE(active && active->has_value());
  EXPECT_EQ((*active)->text, kConfigA);
}

TEST_P(ConfigStoreTest, ConcurrentSavesGetDistinctVersions) {
  constexpr int kThreads = 4;
  constexpr int kSavesEach = 5;
  std::vector<std::vector<std::int64_t>> versions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSavesEach; ++i) {
        auto saved = save_config(*database_, "acct_race", false, kConfigA, "tester", kNowMs);
        versions[static_cast<std::size_t>(t)].push_back(saved ? *saved : -1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::int64_t> distinct;
  for (const auto& list : versions) distinct.insert(list.begin(), list.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kSavesEach));
  EXPECT_EQ(*distinct.begin(), 1);
  EXPECT_EQ(*distinct.rbegin(), kThreads * kSavesEach);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConfigStoreTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         till::testing::backend_name);

}  // namespace
}  // namespace till::routing
