// The account index (ledger_account_postings, filled behind the journal's head by the
// indexer): reads are exact on both sides of its mark, an interrupted batch is redone without
// duplicates, the background thread catches up, and `verify_ledger` notices a damaged index.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"
#include "store/store.h"
#include "support/poll.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::ledger {
namespace {

using store::Dialect;

constexpr std::int64_t kStartMs = 1'790'000'000'000;

class AccountIndexTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    auto database = testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
  }

  std::unique_ptr<Ledger> make_ledger(bool background) {
    LedgerOptions options;
    options.index_accounts_in_background = background;
    return std::make_unique<Ledger>(*database_, clock_, options);
  }

  std::vector<std::string> accounts(Ledger& ledger, int count) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      AccountSpec spec;
      spec.type = AccountType::asset;
      spec.currency = "USD";
      spec.owner = "platform";
      auto account = ledger.create_account(spec);
      EXPECT_TRUE(account) << account.error().message;
      ids.push_back(account->id);
    }
    return ids;
  }

  Entry transfer(Ledger& ledger, const std::string& from, const std::string& to, i128 amount) {
    EntrySpec spec;
    spec.postings = {{from, Side::debit, amount}, {to, Side::credit, amount}};
    auto entry = ledger.post(spec);
    EXPECT_TRUE(entry) << entry.error().message;
    return *entry;
  }

  std::int64_t count(const std::string& query) {
    auto value = testing::query_int(*database_, query);
    EXPECT_TRUE(value) << query << ": " << value.error().message;
    return value ? value->value_or(-1) : -1;
  }

  std::int64_t mark() {
    return count("SELECT indexed_through_entry_seq FROM ledger_account_index_state");
  }

  void sql(const std::string& statement, const std::vector<store::Value>& params = {}) {
    auto done = testing::execute_sql(*database_, statement, params);
    ASSERT_TRUE(done) << statement << ": " << done.error().message;
  }

  // Every page of an account's postings, newest first, `limit` at a time.
  std::vector<Posting> all_postings(Ledger& ledger, const std::string& account, std::size_t limit) {
    std::vector<Posting> out;
    std::string cursor;
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = ledger.list_postings(account, cursor, limit);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      out.insert(out.end(), page->items.begin(), page->items.end());
      if (!page->has_more) break;
      EXPECT_EQ(page->items.size(), limit);
      cursor = page->items.back().entry_id + ":" + std::to_string(page->items.back().index);
    }
    return out;
  }

  VerifyReport verify() {
    auto report = verify_ledger(*database_);
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : VerifyReport{};
  }

  std::string describe(const VerifyReport& report) {
    std::string text;
    for (const auto& v : report.violations) text += v.code + ": " + v.message + "\n";
    return text;
  }

  testing::TempDir temp_;
  ManualClock clock_{kStartMs};
  std::unique_ptr<store::Database> database_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AccountIndexTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backend_name);

TEST_P(AccountIndexTest, ReadsAreExactOnBothSidesOfTheMark) {
  auto ledger = make_ledger(false);
  const auto ids = accounts(*ledger, 3);
  // Entry n (1-based) moves n cents, at kStartMs + 1000 n; accounts rotate.
  std::vector<Entry> entries;
  std::map<std::string, std::vector<std::string>> expected;  // account -> entry ids, oldest first
  for (int n = 1; n <= 12; ++n) {
    clock_.set_unix_ms(kStartMs + 1000 * n);
    const std::string& from = ids[n % 3];
    const std::string& to = ids[(n + 1) % 3];
    entries.push_back(transfer(*ledger, from, to, n));
    expected[from].push_back(entries.back().id);
    expected[to].push_back(entries.back().id);
    if (n == 7) {
      auto indexed = ledger->catch_up_account_index();
      ASSERT_TRUE(indexed) << indexed.error().message;
      EXPECT_EQ(*indexed, 14u);  // 7 entries of 2 postings
    }
  }
  EXPECT_EQ(mark(), entries[6].seq);  // entries 8..12 are the unindexed tail

  for (const std::string& account : ids) {
    for (std::size_t limit : {1u, 2u, 3u, 100u}) {
      const auto postings = all_postings(*ledger, account, limit);
      std::vector<std::string> got;
      for (const Posting& posting : postings) got.push_back(posting.entry_id);
      std::vector<std::string> want(expected[account].rbegin(), expected[account].rend());
      EXPECT_EQ(got, want) << "account " << account << ", pages of " << limit;
    }
  }
  // As of every second: the index part and the tail part add up.
  for (int n = 0; n <= 12; ++n) {
    for (const std::string& account : ids) {
      i128 debits = 0;
      i128 credits = 0;
      for (int k = 1; k <= n; ++k) {
        if (ids[k % 3] == account) debits += k;
        if (ids[(k + 1) % 3] == account) credits += k;
      }
      auto balance = ledger->balance(account, kStartMs + 1000 * n);
      ASSERT_TRUE(balance) << balance.error().message;
      EXPECT_EQ(balance->debits_posted, debits) << "as of entry " << n;
      EXPECT_EQ(balance->credits_posted, credits) << "as of entry " << n;
    }
  }
  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << describe(report);
}

TEST_P(AccountIndexTest, AnInterruptedBatchIsRedoneWithoutDuplicates) {
  auto ledger = make_ledger(false);
  const auto ids = accounts(*ledger, 2);
  std::vector<Entry> entries;
  for (int n = 1; n <= 6; ++n) entries.push_back(transfer(*ledger, ids[0], ids[1], n));
  // A batch that wrote some slices and died before advancing the mark.
  sql("INSERT INTO ledger_account_postings (account_seq, entry_seq, posting_index)"
      " SELECT account_seq, entry_seq, posting_index FROM ledger_postings WHERE entry_seq <= $1",
      {entries[3].seq});
  EXPECT_EQ(mark(), 0);
  EXPECT_EQ(all_postings(*ledger, ids[0], 4).size(), 6u);  // nothing read twice
  EXPECT_TRUE(verify().ok());                              // leftovers above the mark are fine
  auto indexed = ledger->catch_up_account_index();
  ASSERT_TRUE(indexed) << indexed.error().message;
  EXPECT_EQ(mark(), entries.back().seq);
  EXPECT_EQ(all_postings(*ledger, ids[1], 4).size(), 6u);
  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << describe(report);
}

TEST_P(AccountIndexTest, TheBackgroundIndexerCatchesUpByItself) {
  auto ledger = make_ledger(true);
  const auto ids = accounts(*ledger, 10);
  std::vector<EntrySpec> batch;
  for (int n = 0; n < 2000; ++n) {
    EntrySpec spec;
    spec.postings = {{ids[n % 10], Side::debit, 1 + n}, {ids[(n + 3) % 10], Side::credit, 1 + n}};
    batch.push_back(spec);
  }
  auto posted = ledger->post_batch(batch);
  ASSERT_TRUE(posted) << posted.error().message;
  const std::int64_t last = posted->back().seq;
  testing::poll_until([&] { return mark() >= last; }, std::chrono::seconds(20));
  EXPECT_EQ(mark(), last);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ledger_account_postings"), 4000);
  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << describe(report);
}

TEST_P(AccountIndexTest, VerifyReportsAMissingAMisplacedAndAnInventedIndexRow) {
  auto ledger = make_ledger(false);
  const auto ids = accounts(*ledger, 3);
  std::vector<Entry> entries;
  for (int n = 1; n <= 4; ++n) entries.push_back(transfer(*ledger, ids[0], ids[1], n));
  ASSERT_TRUE(ledger->catch_up_account_index());
  ASSERT_TRUE(verify().ok());

  // Missing: one of account 1's rows.
  sql("DELETE FROM ledger_account_postings WHERE account_seq = 1 AND entry_seq = $1",
      {entries[0].seq});
  VerifyReport report = verify();
  ASSERT_EQ(report.violation_count(), 1u) << describe(report);
  EXPECT_EQ(report.violations[0].code, "account_index_mismatch");
  EXPECT_NE(report.violations[0].message.find(ids[0]), std::string::npos) << describe(report);
  EXPECT_NE(report.violations[0].message.find("holds 3 posting(s)"), std::string::npos);

  // Misplaced: the row put back under account 3, which never took part.
  sql("INSERT INTO ledger_account_postings (account_seq, entry_seq, posting_index)"
      " VALUES (3, $1, 0)",
      {entries[0].seq});
  report = verify();
  EXPECT_EQ(report.violation_count(), 2u) << describe(report);

  // Invented: an account seq that does not exist.
  sql("DELETE FROM ledger_account_postings WHERE account_seq = 3");
  sql("INSERT INTO ledger_account_postings (account_seq, entry_seq, posting_index)"
      " VALUES (1, $1, 0), (99, $1, 1)",
      {entries[0].seq});
  report = verify();
  ASSERT_EQ(report.violation_count(), 1u) << describe(report);
  EXPECT_NE(report.violations[0].message.find("account seq 99"), std::string::npos)
      << describe(report);

  // A mark beyond the journal.
  sql("DELETE FROM ledger_account_postings WHERE account_seq = 99");
  sql("UPDATE ledger_account_index_state SET indexed_through_entry_seq = $1",
      {entries.back().seq + 5});
  report = verify();
  ASSERT_EQ(report.violation_count(), 1u) << describe(report);
  EXPECT_EQ(report.violations[0].code, "account_index_state");
}

}  // namespace
}  // namespace till::ledger
