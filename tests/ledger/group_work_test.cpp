// Ledger::run on both backends: work that changes its own tables and posts entries commits as
// one atomic, group-committed unit; a refused post leaves the ledger as it was; a database
// failure in any work fails its whole group; concurrent work on one row is serialised.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ledger/amount_text.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::ledger {
namespace {

using store::Dialect;

store::StoreResult<void> as_void(store::StoreResult<std::int64_t> rows) {
  if (!rows) return unexpected(rows.error());
  return {};
}

class GroupWorkTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    auto database = testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    ASSERT_TRUE(exec("CREATE TABLE work_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)"));
    ledger_ = std::make_unique<Ledger>(*database_, clock_);
    bank_ = make_account(AccountType::asset);
    wallet_ = make_account(AccountType::liability, kDebitsMustNotExceedCredits);
  }
  void TearDown() override {
    ledger_.reset();
    database_.reset();
  }

  store::StoreResult<void> exec(const std::string& sql) {
    return database_->transact(
        [&](store::Connection& connection) { return as_void(connection.execute(sql)); });
  }

  Account make_account(AccountType type, std::uint32_t flags = 0) {
    AccountSpec spec;
    spec.type = type;
    spec.currency = "USD";
    spec.owner = "platform";
    spec.flags = flags;
    auto created = ledger_->create_account(spec);
    EXPECT_TRUE(created);
    return created ? *created : Account{};
  }

  EntrySpec transfer(const Account& debit, const Account& credit, i128 amount) {
    EntrySpec spec;
    spec.postings = {{debit.id, Side::debit, amount}, {credit.id, Side::credit, amount}};
    return spec;
  }

  std::optional<std::int64_t> counter(const std::string& name) {
    std::optional<std::int64_t> value;
    auto read = database_->read([&](store::Connection& connection) -> store::StoreResult<void> {
      auto row = connection.query_one<std::int64_t>(
          "SELECT value FROM work_counters WHERE name = $1", {name});
      if (!row) return unexpected(row.error());
      value = *row;
      return {};
    });
    EXPECT_TRUE(read);
    return value;
  }

  i128 posted(const Account& account) {
    auto balance = ledger_->balance(account.id);
    EXPECT_TRUE(balance);
    return balance ? balance->posted() : 0;
  }

  void expect_verified() {
    auto report = verify_ledger(*database_);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->violations.empty());
  }

  testing::TempDir temp_;
  ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<Ledger> ledger_;
  Account bank_, wallet_;
};

TEST_P(GroupWorkTest, OwnRowsAndEntriesCommitTogether) {
  std::string entry_id;
  auto done = ledger_->run([&](GroupTransaction& transaction) -> store::StoreResult<void> {
    entry_id.clear();
    EXPECT_EQ(transaction.now_unix_ms(), clock_.now_unix_ms());
    auto entries = transaction.post({transfer(bank_, wallet_, 250)});
    EXPECT_TRUE(entries);
    if (entries) entry_id = entries->front().id;
    return as_void(transaction.connection().execute(
        "INSERT INTO work_counters (name, value) VALUES ('payments', 1)"));
  });
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(entry_id.substr(0, 3), "je_");
  EXPECT_EQ(counter("payments"), 1);
  EXPECT_EQ(posted(bank_), 250);
  EXPECT_TRUE(ledger_->get_entry(entry_id));
  expect_verified();
}

TEST_P(GroupWorkTest, ARefusedPostChangesNothingAndTheWorkCarriesOn) {
  std::optional<LedgerError> refusal;
  auto done = ledger_->run([&](GroupTransaction& transaction) -> store::StoreResult<void> {
    refusal.reset();
    // The wallet may not go below zero: refused, and the ledger is as before.
    auto entries = transaction.post({transfer(wallet_, bank_, 10)});
    if (!entries) refusal = entries.error();
    return as_void(transaction.connection().execute(
        "INSERT INTO work_counters (name, value) VALUES ('refusals', 1)"));
  });
  ASSERT_TRUE(done);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_FALSE(refusal->code.empty());
  EXPECT_EQ(counter("refusals"), 1);
  EXPECT_EQ(posted(bank_), 0);
  EXPECT_EQ(posted(wallet_), 0);
  expect_verified();
}

TEST_P(GroupWorkTest, EntriesPostedEarlierInTheSameWorkAreVisibleToLaterPosts) {
  auto done = ledger_->run([&](GroupTransaction& transaction) -> store::StoreResult<void> {
    EntrySpec hold = transfer(bank_, wallet_, 100);
    hold.kind = EntryKind::pending;
    auto held = transaction.post({hold});
    EXPECT_TRUE(held);
    if (!held) return {};
    EntrySpec capture;
    capture.kind = EntryKind::post_pending;
    capture.pending_entry_id = held->front().id;
    capture.post_amount = 60;
    EXPECT_TRUE(transaction.post({capture}));
    // Over-posting the same hold is refused within the same transaction.
    capture.post_amount = 60;
    EXPECT_FALSE(transaction.post({capture}));
    return {};
  });
  ASSERT_TRUE(done);
  EXPECT_EQ(posted(bank_), 60);
  expect_verified();
}

TEST_P(GroupWorkTest, ADatabaseFailureFailsTheWholeGroupAndCommitsNothing) {
  auto done = ledger_->run([&](GroupTransaction& transaction) -> store::StoreResult<void> {
    EXPECT_TRUE(transaction.post({transfer(bank_, wallet_, 5)}));
    return as_void(transaction.connection().execute("INSERT INTO no_such_table VALUES (1)"));
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "ledger_unavailable");
  EXPECT_EQ(posted(bank_), 0);
  // The committer carries on with the next group.
  ASSERT_TRUE(ledger_->post(transfer(bank_, wallet_, 7)));
  EXPECT_EQ(posted(bank_), 7);
  expect_verified();
}

TEST_P(GroupWorkTest, ConcurrentWorkOnOneRowIsSerialised) {
  ASSERT_TRUE(exec("INSERT INTO work_counters (name, value) VALUES ('n', 0)"));
  constexpr int kThreads = 8;
  constexpr int kRunsPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRunsPerThread; ++i) {
        auto done = ledger_->run([&](GroupTransaction& transaction) -> store::StoreResult<void> {
          auto value = transaction.connection().query_one<std::int64_t>(
              "SELECT value FROM work_counters WHERE name = 'n'");
          if (!value) return unexpected(value.error());
          if (!transaction.post({transfer(bank_, wallet_, 1)})) ADD_FAILURE();
          return as_void(transaction.connection().execute(
              "UPDATE work_counters SET value = $1 WHERE name = 'n'", {**value + 1}));
        });
        if (!done) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(counter("n"), kThreads * kRunsPerThread);
  EXPECT_EQ(posted(bank_), kThreads * kRunsPerThread);
  expect_verified();
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupWorkTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backend_name);

}  // namespace
}  // namespace till::ledger
