// The journal is append-only in the database itself (migration 0002's triggers), on both
// backends: UPDATE, DELETE (and on PostgreSQL TRUNCATE) of ledger_entries and ledger_postings
// fail with a store error that says "append-only" and change nothing; INSERT still works.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/store.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::ledger {
namespace {

using store::Dialect;

class AppendOnlyTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    auto database = testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    ASSERT_TRUE(
        run("INSERT INTO ledger_accounts (seq, id, type, currency, flags, owner, name,"
            " metadata_json, created_at_unix_ms) VALUES (1, 'la_a', 'asset', 'USD', 0, 'p',"
            " 'a', '{}', 0), (2, 'la_b', 'liability', 'USD', 0, 'p', 'b', '{}', 0)"));
    insert_entry(1);
  }

  // Runs one statement in its own transaction.
  store::StoreResult<void> run(const std::string& statement) {
    return database_->transact([&](store::Connection& c) -> store::StoreResult<void> {
      auto ran = c.execute(statement);
      if (!ran) return unexpected(ran.error());
      return {};
    });
  }

  void insert_entry(int seq) {
    const std::string s = std::to_string(seq);
    auto done =
        run("INSERT INTO ledger_entries (seq, id, kind, content_sha256, description,"
            " metadata_json, created_at_unix_ms) VALUES (" +
            s + ", 'je_" + s + "', 'standard', 'sha', 'original', '{}', 0)");
    ASSERT_TRUE(done) << done.error().message;
    done =
        run("INSERT INTO ledger_postings (account_seq, entry_seq, posting_index, side, layer,"
            " amount, currency, created_at_unix_ms) VALUES (1, " +
            s +
            ", 0, 'debit', 'posted',"
            " '100', 'USD', 0), (2, " +
            s + ", 1, 'credit', 'posted', '100', 'USD', 0)");
    ASSERT_TRUE(done) << done.error().message;
  }

  // Every row of both journal tables as text, to show that a refused statement changed nothing.
  std::vector<std::string> journal() {
    std::vector<std::string> rows;
    auto done = database_->read([&](store::Connection& c) -> store::StoreResult<void> {
      auto entries =
          c.query("SELECT seq, id, kind, description FROM ledger_entries ORDER BY seq", {},
                  [&](const store::Row& row) {
                    rows.push_back("entry " + std::to_string(row.get_int64(0)) + " " +
                                   row.get<std::string>(1) + " " + row.get<std::string>(2) + " " +
                                   row.get<std::string>(3));
                  });
      if (!entries) return entries;
      return c.query(
          "SELECT entry_seq, posting_index, account_seq, side, layer, amount FROM ledger_postings"
          " ORDER BY entry_seq, posting_index",
          {}, [&](const store::Row& row) {
            rows.push_back("posting " + std::to_string(row.get_int64(0)) + "/" +
                           std::to_string(row.get_int64(1)) + " " +
                           std::to_string(row.get_int64(2)) + " " + row.get<std::string>(3) + " " +
                           row.get<std::string>(4) + " " + row.get<std::string>(5));
          });
    });
    EXPECT_TRUE(done) << done.error().message;
    return rows;
  }

  // `statement` fails with a store error that names the table and says "append-only"; the
  // journal is as it was.
  void expect_refused(const std::string& statement, const std::string& table) {
    const std::vector<std::string> before = journal();
    const auto result = run(statement);
    ASSERT_FALSE(result) << statement << " was allowed";
    EXPECT_NE(result.error().message.find("append-only"), std::string::npos)
        << statement << ": " << result.error().message;
    EXPECT_NE(result.error().message.find(table), std::string::npos)
        << statement << ": " << result.error().message;
    EXPECT_EQ(journal(), before) << statement;
  }

  testing::TempDir temp_;
  std::unique_ptr<store::Database> database_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AppendOnlyTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backend_name);

TEST_P(AppendOnlyTest, EntriesCannotBeUpdatedOrDeleted) {
  expect_refused("UPDATE ledger_entries SET description = 'rewritten' WHERE seq = 1",
                 "ledger_entries");
  expect_refused("UPDATE ledger_entries SET seq = 7", "ledger_entries");
  expect_refused("DELETE FROM ledger_entries WHERE seq = 1", "ledger_entries");
  expect_refused("DELETE FROM ledger_entries", "ledger_entries");  // no truncate shortcut
}

TEST_P(AppendOnlyTest, PostingsCannotBeUpdatedOrDeleted) {
  expect_refused(
      "UPDATE ledger_postings SET amount = '1' WHERE entry_seq = 1 AND posting_index = 0",
      "ledger_postings");
  expect_refused("UPDATE ledger_postings SET side = 'credit'", "ledger_postings");
  expect_refused("DELETE FROM ledger_postings WHERE entry_seq = 1", "ledger_postings");
  expect_refused("DELETE FROM ledger_postings", "ledger_postings");
}

TEST_P(AppendOnlyTest, AnUpsertCannotRewriteARow) {
  expect_refused(
      "INSERT INTO ledger_postings (account_seq, entry_seq, posting_index, side, layer,"
      " amount, currency, created_at_unix_ms) VALUES (1, 1, 0, 'debit', 'posted',"
      " '999', 'USD', 0) ON CONFLICT (entry_seq, posting_index)"
      " DO UPDATE SET amount = excluded.amount",
      "ledger_postings");
}

// `INSERT OR REPLACE` resolves a key conflict by deleting the old row; SQLite fires DELETE
// triggers for that only with `PRAGMA recursive_triggers = ON`, which the store sets on every
// connection. Without it a posting or entry could be silently rewritten.
TEST_P(AppendOnlyTest, SqliteInsertOrReplaceCannotRewriteARow) {
  if (GetParam() != Dialect::sqlite) GTEST_SKIP() << "SQLite syntax";
  expect_refused(
      "INSERT OR REPLACE INTO ledger_postings (account_seq, entry_seq, posting_index,"
      " side, layer, amount, currency, created_at_unix_ms) VALUES (1, 1, 0, 'debit',"
      " 'posted', '999', 'USD', 0)",
      "ledger_postings");
  expect_refused(
      "REPLACE INTO ledger_entries (seq, id, kind, description, metadata_json, created_at_unix_ms)"
      " VALUES (1, 'je_1', 'standard', 'rewritten', '{}', 0)",
      "ledger_entries");
}

TEST_P(AppendOnlyTest, PostgresRefusesTruncate) {
  if (GetParam() != Dialect::postgres) GTEST_SKIP() << "SQLite has no TRUNCATE";
  expect_refused("TRUNCATE ledger_entries", "ledger_entries");
  expect_refused("TRUNCATE ledger_postings", "ledger_postings");
  expect_refused("TRUNCATE ledger_postings, ledger_entries", "ledger_");
}

TEST_P(AppendOnlyTest, InsertsStillWork) {
  insert_entry(2);
  const std::vector<std::string> rows = journal();
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[1], "entry 2 je_2 standard original");
  EXPECT_EQ(rows[5], "posting 2/1 2 credit posted 100");
}

}  // namespace
}  // namespace till::ledger
