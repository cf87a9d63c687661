// `verify_ledger` and `till ledger verify` on both backends. Ledger states are written with raw
// SQL (not the engine), so each test can break exactly one invariant and check that the report
// names it: the code, the entry or account id, and the numbers.
#include "ledger/verify.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "support/postgres_server.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::ledger {
namespace {

using store::Dialect;

// Account seqs of the clean ledger.
constexpr std::int64_t kCash = 1;     // asset, USD, credits must not exceed debits
constexpr std::int64_t kWallet = 2;   // liability, USD, debits must not exceed credits
constexpr std::int64_t kRevenue = 3;  // revenue, USD
constexpr std::int64_t kEurA = 4;     // asset, EUR
constexpr std::int64_t kEurB = 5;     // liability, EUR
constexpr std::int64_t kCleanEntryCount = 10;

std::string describe(const VerifyReport& report) {
  std::string text;
  for (const Violation& violation : report.violations) {
    text += "  " + violation.code + ": " + violation.message + "\n";
  }
  return text.empty() ? "  (no violations)\n" : text;
}

std::set<std::string> codes(const VerifyReport& report) {
  std::set<std::string> found;
  for (const Violation& violation : report.violations) found.insert(violation.code);
  return found;
}

// A violation with `code` whose message contains every one of `parts`.
::testing::AssertionResult has_violation(const VerifyReport& report, const std::string& code,
                                         const std::vector<std::string>& parts) {
  for (const Violation& violation : report.violations) {
    if (violation.code != code) continue;
    bool all = true;
    for (const std::string& part : parts)
      all = all && violation.message.find(part) != std::string::npos;
    if (all) return ::testing::AssertionSuccess();
  }
  std::string wanted;
  for (const std::string& part : parts) wanted += " \"" + part + "\"";
  return ::testing::AssertionFailure()
         << "no " << code << " violation containing" << wanted << "; the report:\n"
         << describe(report);
}

store::Value nullable(std::optional<std::int64_t> value) {
  if (value) return *value;
  return nullptr;
}

class VerifyTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    auto database = testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
  }

  void sql(const std::string& statement, const std::vector<store::Value>& params = {}) {
    auto done = testing::execute_sql(*database_, statement, params);
    ASSERT_TRUE(done) << statement << ": " << done.error().message;
  }

  void account(std::int64_t seq, const std::string& id, const std::string& type,
               const std::string& currency, std::int64_t flags) {
    sql("INSERT INTO ledger_accounts (seq, id, type, currency, flags, owner, name, metadata_json,"
        " created_at_unix_ms) VALUES ($1, $2, $3, $4, $5, 'platform', $2, '{}', 0)",
        {seq, id, type, currency, flags});
  }

  void entry(std::int64_t seq, const std::string& kind,
             std::optional<std::int64_t> pending_entry_seq = std::nullopt,
             std::optional<std::int64_t> reverses_entry_seq = std::nullopt,
             std::optional<std::int64_t> expires_at = std::nullopt) {
    sql("INSERT INTO ledger_entries (seq, id, kind, pending_entry_seq, reverses_entry_seq,"
        " expires_at_unix_ms, content_sha256, description, metadata_json, created_at_unix_ms)"
        " VALUES ($1, $2, $3, $4, $5, $6, 'sha', '', '{}', 0)",
        {seq, entry_id(seq), kind, nullable(pending_entry_seq), nullable(reverses_entry_seq),
         nullable(expires_at)});
  }

  void posting(std::int64_t entry_seq, std::int64_t index, std::int64_t account_seq,
               const std::string& side, const std::string& layer, const std::string& amount,
               const std::string& currency = "USD") {
    sql("INSERT INTO ledger_postings (account_seq, entry_seq, posting_index, side, layer, amount,"
        " currency, created_at_unix_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
        {account_seq, entry_seq, index, side, layer, amount, currency});
  }

  // A two-posting entry: debit one account, credit another.
  void transfer(std::int64_t entry_seq, std::int64_t debit, std::int64_t credit,
                const std::string& layer, const std::string& amount,
                const std::string& currency = "USD") {
    posting(entry_seq, 0, debit, "debit", layer, amount, currency);
    posting(entry_seq, 1, credit, "credit", layer, amount, currency);
  }

  void balance(std::int64_t account_seq, const std::string& debits_posted,
               const std::string& credits_posted, const std::string& debits_pending,
               const std::string& credits_pending, std::int64_t last_entry_seq) {
    sql("DELETE FROM ledger_balances WHERE account_seq = $1", {account_seq});
    sql("INSERT INTO ledger_balances (account_seq, debits_posted, credits_posted, debits_pending,"
        " credits_pending, last_entry_seq) VALUES ($1, $2, $3, $4, $5, $6)",
        {account_seq, debits_posted, credits_posted, debits_pending, credits_pending,
         last_entry_seq});
  }

  void hold(std::int64_t entry_seq, const std::string& status, const std::string& amount,
            const std::string& posted_amount, std::optional<std::int64_t> resolved_by,
            std::optional<std::int64_t> expires_at = std::nullopt) {
    sql("INSERT INTO ledger_holds (entry_seq, status, amount, posted_amount, expires_at_unix_ms,"
        " resolved_by_entry_seq) VALUES ($1, $2, $3, $4, $5, $6)",
        {entry_seq, status, amount, posted_amount, nullable(expires_at), nullable(resolved_by)});
  }

  void next_entry_seq(std::int64_t next) {
    sql("UPDATE ledger_meta SET next_entry_seq = $1", {next});
  }

  static std::string entry_id(std::int64_t seq) { return "je_" + std::to_string(seq); }

  // Every kind of entry, with balances, holds and meta exactly as the engine would leave them.
  void build_clean_ledger() {
    account(kCash, "la_cash", "asset", "USD", kCreditsMustNotExceedDebits);
    account(kWallet, "la_wallet", "liability", "USD", kDebitsMustNotExceedCredits);
    account(kRevenue, "la_revenue", "revenue", "USD", 0);
    account(kEurA, "la_eur_a", "asset", "EUR", 0);
    account(kEurB, "la_eur_b", "liability", "EUR", 0);
    // 1: fund the wallet.
    entry(1, "standard");
    transfer(1, kCash, kWallet, "posted", "1000");
    // 2, 3: hold 300, post 200 of it.
    entry(2, "pending");
    transfer(2, kWallet, kRevenue, "pending", "300");
    entry(3, "post_pending", 2);
    transfer(3, kWallet, kRevenue, "pending", "-300");
    posting(3, 2, kWallet, "debit", "posted", "200");
    posting(3, 3, kRevenue, "credit", "posted", "200");
    hold(2, "posted", "300", "200", 3);
    // 4, 5: hold 100, void it.
    entry(4, "pending");
    transfer(4, kWallet, kRevenue, "pending", "100");
    entry(5, "void_pending", 4);
    transfer(5, kWallet, kRevenue, "pending", "-100");
    hold(4, "voided", "100", "0", 5);
    // 6: an open hold of 50.
    entry(6, "pending");
    transfer(6, kWallet, kRevenue, "pending", "50");
    hold(6, "open", "50", "0", std::nullopt);
    // 7, 8: a EUR transfer and its reversal.
    entry(7, "standard");
    transfer(7, kEurA, kEurB, "posted", "500", "EUR");
    entry(8, "reversal", std::nullopt, 7);
    transfer(8, kEurB, kEurA, "posted", "500", "EUR");
    // 9, 10: a hold of 40 that expired.
    entry(9, "pending", std::nullopt, std::nullopt, 1'700'000'000'000);
    transfer(9, kWallet, kRevenue, "pending", "40");
    entry(10, "expire_pending", 9);
    transfer(10, kWallet, kRevenue, "pending", "-40");
    hold(9, "expired", "40", "0", 10, 1'700'000'000'000);

    balance(kCash, "1000", "0", "0", "0", 1);
    balance(kWallet, "200", "1000", "50", "0", 10);
    balance(kRevenue, "0", "200", "0", "50", 10);
    balance(kEurA, "500", "500", "0", "0", 8);
    balance(kEurB, "500", "500", "0", "0", 8);
    next_entry_seq(kCleanEntryCount + 1);
  }

  VerifyReport verify() {
    auto report = verify_ledger(*database_);
    EXPECT_TRUE(report) << report.error().message;
    if (!report) return VerifyReport{};
    for (const Violation& violation : report->violations) {
      EXPECT_EQ(violation.message.find('\n'), std::string::npos) << "one line each";
    }
    return std::move(report).value();
  }

  testing::TempDir temp_;
  std::unique_ptr<store::Database> database_;
};

INSTANTIATE_TEST_SUITE_P(Backends, VerifyTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backend_name);

TEST_P(VerifyTest, AnEmptyLedgerIsOk) {
  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.entry_count, 0u);
}

TEST_P(VerifyTest, ACleanLedgerWithEveryKindOfEntryIsOk) {
  build_clean_ledger();
  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.account_count, 5u);
  EXPECT_EQ(report.entry_count, 10u);
  EXPECT_EQ(report.posting_count, 22u);
  EXPECT_EQ(report.hold_count, 4u);
}

TEST_P(VerifyTest, AnUnbalancedEntryIsNamedWithItsTotals) {
  build_clean_ledger();
  entry(11, "standard");
  posting(11, 0, kCash, "debit", "posted", "100");
  posting(11, 1, kRevenue, "credit", "posted", "90");
  balance(kCash, "1100", "0", "0", "0", 11);
  balance(kRevenue, "0", "290", "0", "50", 11);
  next_entry_seq(12);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "entry_unbalanced",
                            {"je_11", "seq 11", "USD", "debits 100", "credits 90"}));
  // The stored balances faithfully add up the bad entry, so the books are off by 10 too.
  EXPECT_TRUE(has_violation(report, "trial_balance_nonzero", {"USD", "posted", "10"}));
  EXPECT_EQ(codes(report), (std::set<std::string>{"entry_unbalanced", "trial_balance_nonzero"}))
      << describe(report);
}

TEST_P(VerifyTest, APostingInAnotherCurrencyThanItsAccountIsNamed) {
  build_clean_ledger();
  entry(11, "standard");
  transfer(11, kCash, kRevenue, "posted", "100", "EUR");
  balance(kCash, "1100", "0", "0", "0", 11);
  balance(kRevenue, "0", "300", "0", "50", 11);
  next_entry_seq(12);
  const VerifyReport report = verify();
  EXPECT_TRUE(
      has_violation(report, "posting_currency_mismatch", {"je_11", "EUR", "la_cash", "USD"}));
  EXPECT_TRUE(has_violation(report, "posting_currency_mismatch", {"je_11", "la_revenue"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"posting_currency_mismatch"}) << describe(report);
}

TEST_P(VerifyTest, ABalanceRowThatDisagreesWithThePostingsIsNamed) {
  build_clean_ledger();
  balance(kWallet, "200", "999", "50", "0", 10);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "balance_mismatch",
                            {"la_wallet", "seq 2", "credits_posted stored 999", "sum to 1000"}));
  EXPECT_TRUE(has_violation(report, "trial_balance_nonzero", {"USD", "posted", "is 1,"}));
  EXPECT_EQ(codes(report), (std::set<std::string>{"balance_mismatch", "trial_balance_nonzero"}))
      << describe(report);
}

TEST_P(VerifyTest, AStaleLastEntrySeqIsNamed) {
  build_clean_ledger();
  balance(kEurA, "500", "500", "0", "0", 7);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "balance_last_entry_mismatch", {"la_eur_a", "7", "8"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"balance_last_entry_mismatch"})
      << describe(report);
}

TEST_P(VerifyTest, AnAccountWithPostingsButNoBalanceRowIsNamed) {
  build_clean_ledger();
  sql("DELETE FROM ledger_balances WHERE account_seq = $1", {kEurA});
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "balance_missing",
                            {"la_eur_a", "seq 4", "2 posting", "debits_posted 500"}));
  // EUR's trial balance still sums to zero over the remaining row: only the missing row shows.
  EXPECT_EQ(codes(report), std::set<std::string>{"balance_missing"}) << describe(report);
}

TEST_P(VerifyTest, ABalanceRowWithoutAnAccountIsNamed) {
  build_clean_ledger();
  balance(99, "0", "0", "0", "0", 0);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "balance_unknown_account", {"account seq 99"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"balance_unknown_account"}) << describe(report);
}

TEST_P(VerifyTest, ANonZeroTrialBalanceIsReportedPerCurrency) {
  build_clean_ledger();
  balance(kEurB, "500", "700", "0", "0", 8);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "trial_balance_nonzero", {"EUR", "posted", "-200"}));
  EXPECT_TRUE(has_violation(report, "balance_mismatch", {"la_eur_b", "700"}));
  EXPECT_EQ(codes(report), (std::set<std::string>{"balance_mismatch", "trial_balance_nonzero"}))
      << describe(report);
}

TEST_P(VerifyTest, AnOverPostedHoldIsNamed) {
  build_clean_ledger();
  sql("UPDATE ledger_holds SET posted_amount = '400' WHERE entry_seq = 2");
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "hold_over_posted", {"je_2", "400", "300"}));
  EXPECT_TRUE(has_violation(report, "hold_posted_amount_mismatch", {"je_2", "400", "je_3", "200"}));
  EXPECT_EQ(codes(report),
            (std::set<std::string>{"hold_over_posted", "hold_posted_amount_mismatch"}))
      << describe(report);
}

TEST_P(VerifyTest, AHoldMarkedPostedWithoutAResolvingEntryIsNamed) {
  build_clean_ledger();
  entry(11, "pending");
  transfer(11, kWallet, kRevenue, "pending", "10");
  hold(11, "posted", "10", "10", std::nullopt);
  balance(kWallet, "200", "1000", "60", "0", 11);
  balance(kRevenue, "0", "200", "0", "60", 11);
  next_entry_seq(12);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "hold_status_inconsistent", {"je_11", "posted", "no entry"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"hold_status_inconsistent"}) << describe(report);
}

TEST_P(VerifyTest, AnOpenHoldThatWasResolvedIsNamed) {
  build_clean_ledger();
  sql("UPDATE ledger_holds SET status = 'open', resolved_by_entry_seq = NULL, posted_amount = '0'"
      " WHERE entry_seq = 4");
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "hold_status_inconsistent", {"je_4", "open", "seq 5"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"hold_status_inconsistent"}) << describe(report);
}

TEST_P(VerifyTest, PendingEntriesAndHoldRowsComeInPairs) {
  build_clean_ledger();
  sql("DELETE FROM ledger_holds WHERE entry_seq = 6");
  hold(7, "open", "500", "0", std::nullopt);  // entry 7 is standard
  hold(42, "open", "5", "0", std::nullopt);   // no entry 42
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "hold_missing", {"je_6", "seq 6"}));
  EXPECT_TRUE(has_violation(report, "hold_unknown_entry", {"je_7", "standard"}));
  EXPECT_TRUE(has_violation(report, "hold_unknown_entry", {"entry seq 42", "no such entry"}));
  EXPECT_EQ(codes(report), (std::set<std::string>{"hold_missing", "hold_unknown_entry"}))
      << describe(report);
}

TEST_P(VerifyTest, AResolutionThatReleasesTheWrongAmountIsNamed) {
  build_clean_ledger();
  entry(11, "pending");
  transfer(11, kWallet, kRevenue, "pending", "30");
  entry(12, "post_pending", 11);
  transfer(12, kWallet, kRevenue, "pending", "-20");
  posting(12, 2, kWallet, "debit", "posted", "30");
  posting(12, 3, kRevenue, "credit", "posted", "30");
  hold(11, "posted", "30", "30", 12);
  balance(kWallet, "230", "1000", "60", "0", 12);
  balance(kRevenue, "0", "230", "0", "60", 12);
  next_entry_seq(13);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "resolution_mismatch", {"je_12", "je_11", "-30", "-20"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"resolution_mismatch"}) << describe(report);
}

TEST_P(VerifyTest, AnAmountThatIsNotCanonicalTextIsNamed) {
  build_clean_ledger();
  entry(11, "standard");
  posting(11, 0, kCash, "debit", "posted", "10x");
  posting(11, 1, kRevenue, "credit", "posted", "10");
  balance(kCash, "1010", "0", "0", "0", 11);
  balance(kRevenue, "0", "210", "0", "50", 11);
  balance(kEurA, "500", "0500", "0", "0", 8);
  next_entry_seq(12);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "amount_invalid", {"je_11", "posting 0", "'10x'"}));
  EXPECT_TRUE(has_violation(report, "amount_invalid", {"la_eur_a", "credits_posted", "'0500'"}));
  // Nothing else: the unreadable amounts make the entry's totals and la_cash's sums unknown,
  // so they are not compared (that would only repeat the same problem).
  EXPECT_EQ(codes(report), std::set<std::string>{"amount_invalid"}) << describe(report);
}

TEST_P(VerifyTest, PostedAmountsMustBePositive) {
  build_clean_ledger();
  entry(11, "standard");
  transfer(11, kCash, kRevenue, "posted", "-5");
  balance(kCash, "995", "0", "0", "0", 11);
  balance(kRevenue, "0", "195", "0", "50", 11);
  next_entry_seq(12);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "posted_amount_not_positive", {"je_11", "-5"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"posted_amount_not_positive"}) << describe(report);
}

TEST_P(VerifyTest, AStandardEntryMayNotReserve) {
  build_clean_ledger();
  entry(11, "standard");
  transfer(11, kWallet, kRevenue, "pending", "5");
  balance(kWallet, "200", "1000", "55", "0", 11);
  balance(kRevenue, "0", "200", "0", "55", 11);
  next_entry_seq(12);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "posting_layer_invalid", {"je_11", "standard", "pending"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"posting_layer_invalid"}) << describe(report);
}

TEST_P(VerifyTest, AnAccountFlagViolationIsNamedWithTheNumbers) {
  build_clean_ledger();
  account(6, "la_wallet2", "liability", "USD", kDebitsMustNotExceedCredits);
  entry(11, "standard");
  transfer(11, 6, kRevenue, "posted", "100");
  balance(6, "100", "0", "0", "0", 11);
  balance(kRevenue, "0", "300", "0", "50", 11);
  next_entry_seq(12);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(
      report, "account_flags_violated",
      {"la_wallet2", "debits_must_not_exceed_credits", "debits_posted 100", "credits_posted 0"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"account_flags_violated"}) << describe(report);
}

TEST_P(VerifyTest, AReversalThatDoesNotMirrorItsEntryIsNamed) {
  build_clean_ledger();
  entry(11, "standard");
  transfer(11, kEurA, kEurB, "posted", "70", "EUR");
  entry(12, "reversal", std::nullopt, 11);
  transfer(12, kEurB, kEurA, "posted", "60", "EUR");
  balance(kEurA, "570", "560", "0", "0", 12);
  balance(kEurB, "560", "570", "0", "0", 12);
  next_entry_seq(13);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "reversal_mismatch",
                            {"je_12", "je_11", "credit 70 EUR on la_eur_a", "credit 60 EUR"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"reversal_mismatch"}) << describe(report);
}

TEST_P(VerifyTest, AReversalOfAMissingEntryIsNamed) {
  build_clean_ledger();
  entry(11, "reversal", std::nullopt, 99);
  transfer(11, kEurA, kEurB, "posted", "5", "EUR");
  balance(kEurA, "505", "500", "0", "0", 11);
  balance(kEurB, "500", "505", "0", "0", 11);
  next_entry_seq(12);
  const VerifyReport report = verify();
  EXPECT_TRUE(
      has_violation(report, "entry_reference_invalid", {"je_11", "seq 99", "does not exist"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"entry_reference_invalid"}) << describe(report);
}

TEST_P(VerifyTest, EntriesNeedPostingsAndPostingsNeedEntriesAndAccounts) {
  build_clean_ledger();
  entry(11, "standard");                             // no postings at all
  transfer(12, kEurA, kEurB, "posted", "5", "EUR");  // no entry 12
  entry(13, "standard");
  transfer(13, 77, 78, "posted", "5");  // no accounts 77, 78
  balance(kEurA, "505", "500", "0", "0", 12);
  balance(kEurB, "500", "505", "0", "0", 12);
  next_entry_seq(14);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "entry_too_few_postings", {"je_11", "0 posting"}));
  EXPECT_TRUE(has_violation(report, "posting_unknown_entry", {"2 posting", "entry seq 12"}));
  EXPECT_TRUE(has_violation(report, "posting_unknown_account", {"je_13", "account seq 77"}));
  EXPECT_EQ(codes(report), (std::set<std::string>{"entry_too_few_postings", "posting_unknown_entry",
                                                  "posting_unknown_account"}))
      << describe(report);
}

TEST_P(VerifyTest, NextEntrySeqMustExceedEveryEntry) {
  build_clean_ledger();
  next_entry_seq(kCleanEntryCount);
  const VerifyReport report = verify();
  EXPECT_TRUE(has_violation(report, "meta_next_entry_seq",
                            {"next_entry_seq is 10", "newest entry seq 10"}));
  EXPECT_EQ(codes(report), std::set<std::string>{"meta_next_entry_seq"}) << describe(report);
}

// Thousands of entries span several read windows, with holds resolved and entries reversed
// in later windows than they were made in, and a far gap in the seqs: still OK, with exact
// counts; then one bad entry near the end is found.
TEST_P(VerifyTest, ALedgerSpanningManyWindowsVerifiesAcrossThem) {
  account(kCash, "la_cash", "asset", "USD", 0);
  account(kWallet, "la_wallet", "liability", "USD", 0);
  constexpr std::int64_t kPairs = 2500;
  constexpr std::int64_t kFarSeq = 1'000'000'000'000;
  auto done = database_->transact([&](store::Connection& c) -> store::StoreResult<void> {
    const std::string insert_entry =
        "INSERT INTO ledger_entries (seq, id, kind, pending_entry_seq, reverses_entry_seq,"
        " content_sha256, description, metadata_json, created_at_unix_ms)"
        " VALUES ($1, $2, $3, $4, $5, 'sha', '', '{}', 0)";
    const std::string insert_posting =
        "INSERT INTO ledger_postings (account_seq, entry_seq, posting_index, side, layer, amount,"
        " currency, created_at_unix_ms) VALUES ($1, $2, $3, $4, $5, $6, 'USD', 0)";
    const auto add =
        [&](std::int64_t seq, const char* kind, store::Value pending, store::Value reverses,
            const std::vector<std::vector<store::Value>>& legs) -> store::StoreResult<void> {
      auto e = c.execute(insert_entry, {seq, entry_id(seq), std::string(kind), pending, reverses});
      if (!e) return unexpected(e.error());
      for (const auto& leg : legs) {
        auto p = c.execute(insert_posting, leg);
        if (!p) return unexpected(p.error());
      }
      return {};
    };
    for (std::int64_t i = 0; i < kPairs; i++) {
      // Entry i+1 and its partner i+1+kPairs (holds posted, transfers reversed, much later).
      const std::int64_t first = i + 1;
      const std::int64_t second = first + kPairs;
      const bool hold = i % 2 == 0;
      const std::string amount = std::to_string(i + 1);
      const std::string released = "-" + amount;
      const store::Value none = nullptr;
      auto made = add(first, hold ? "pending" : "standard", none, none,
                      {{kCash, first, std::int64_t{0}, std::string("debit"),
                        std::string(hold ? "pending" : "posted"), amount},
                       {kWallet, first, std::int64_t{1}, std::string("credit"),
                        std::string(hold ? "pending" : "posted"), amount}});
      if (!made) return made;
      if (hold) {
        made = add(second, "void_pending", first, none,
                   {{kCash, second, std::int64_t{0}, std::string("debit"), std::string("pending"),
                     released},
                    {kWallet, second, std::int64_t{1}, std::string("credit"),
                     std::string("pending"), released}});
        if (!made) return made;
        auto h = c.execute(
            "INSERT INTO ledger_holds (entry_seq, status, amount, posted_amount,"
            " resolved_by_entry_seq) VALUES ($1, 'voided', $2, '0', $3)",
            {first, amount, second});
        if (!h) return unexpected(h.error());
      } else {
        made = add(
            second, "reversal", none, first,
            {{kCash, second, std::int64_t{0}, std::string("credit"), std::string("posted"), amount},
             {kWallet, second, std::int64_t{1}, std::string("debit"), std::string("posted"),
              amount}});
        if (!made) return made;
      }
    }
    return add(kFarSeq, "standard", nullptr, nullptr,
               {{kCash, kFarSeq, std::int64_t{0}, std::string("debit"), std::string("posted"),
                 std::string("7")},
                {kWallet, kFarSeq, std::int64_t{1}, std::string("credit"), std::string("posted"),
                 std::string("7")}});
  });
  ASSERT_TRUE(done) << done.error().message;
  // Reversed transfers net to zero; voided holds too; the far entry moved 7.
  std::int64_t reversed = 0;
  for (std::int64_t i = 1; i < kPairs; i += 2) reversed += i + 1;
  const std::string moved = std::to_string(reversed + 7);
  balance(kCash, moved, std::to_string(reversed), "0", "0", kFarSeq);
  balance(kWallet, std::to_string(reversed), moved, "0", "0", kFarSeq);
  next_entry_seq(kFarSeq + 1);

  VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.entry_count, static_cast<std::uint64_t>(2 * kPairs + 1));
  EXPECT_EQ(report.posting_count, static_cast<std::uint64_t>(4 * kPairs + 2));
  EXPECT_EQ(report.hold_count, static_cast<std::uint64_t>(kPairs / 2));

  // Entry 4 (a reversed transfer) gets a third, unbalanced posting: its reversal no longer
  // mirrors it, and both are named even though they are thousands of seqs apart.
  posting(4, 2, kCash, "debit", "posted", "1");
  balance(kCash, std::to_string(reversed + 8), std::to_string(reversed), "0", "0", kFarSeq);
  report = verify();
  EXPECT_TRUE(has_violation(report, "entry_unbalanced", {"je_4", "debits 5", "credits 4"}));
  EXPECT_TRUE(has_violation(report, "reversal_mismatch", {"je_2504", "je_4"}));
  EXPECT_TRUE(has_violation(report, "trial_balance_nonzero", {"USD", "is 1,"}));
}

// A ledger broken everywhere still verifies in bounded memory: the report keeps the first
// kVerifyViolationsMax violations and counts the rest.
TEST_P(VerifyTest, AReportKeepsTheFirstViolationsAndCountsTheRest) {
  constexpr auto kEmptyEntries = static_cast<std::int64_t>(kVerifyViolationsMax + 5);
  sql("INSERT INTO ledger_entries (seq, id, kind, content_sha256, description, metadata_json,"
      " created_at_unix_ms) "
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
      "SELECT i, 'je_' || i, 'standard', 'sha', '', '{}', 0 FROM n",
      {kEmptyEntries});
  next_entry_seq(kEmptyEntries + 1);
  const VerifyReport report = verify();
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.entry_count, static_cast<std::uint64_t>(kEmptyEntries));
  EXPECT_EQ(report.violations.size(), kVerifyViolationsMax);
  EXPECT_EQ(report.violations_omitted, 5u);
  EXPECT_EQ(report.violation_count(), static_cast<std::uint64_t>(kEmptyEntries));
  EXPECT_TRUE(has_violation(report, "entry_too_few_postings", {"je_1 ", "0 posting"}));
}

// The engine and the verifier agree: whatever the engine commits verifies clean. Random
// transfers, holds (posted in part, voided, expired, left open) and reversals, in batches.
TEST_P(VerifyTest, EveryLedgerTheEngineWritesVerifiesClean) {
  ManualClock clock{1'800'000'000'000};
  Ledger ledger(*database_, clock);
  std::vector<Account> accounts;
  for (int i = 0; i < 6; i++) {
    AccountSpec spec;
    spec.type = i % 2 == 0 ? AccountType::asset : AccountType::liability;
    spec.currency = i < 4 ? "USD" : "EUR";
    spec.owner = "platform";
    auto created = ledger.create_account(spec);
    ASSERT_TRUE(created) << created.error().message;
    accounts.push_back(*created);
  }
  const auto transfer = [&](EntryKind kind, int from, int to, i128 amount) {
    EntrySpec spec;
    spec.kind = kind;
    spec.postings = {{accounts[static_cast<std::size_t>(from)].id, Side::debit, amount},
                     {accounts[static_cast<std::size_t>(to)].id, Side::credit, amount}};
    return spec;
  };
  std::vector<std::string> holds;
  std::vector<std::string> transfers;
  for (int round = 0; round < 40; round++) {
    const int base = round % 2 == 0 ? 0 : 2;  // alternate USD pairs; EUR every fifth round
    const int from = round % 5 == 0 ? 4 : base;
    const int to = from + 1;
    auto posted = ledger.post(transfer(EntryKind::standard, from, to, 100 + round));
    ASSERT_TRUE(posted) << posted.error().message;
    transfers.push_back(posted->id);
    EntrySpec hold = transfer(EntryKind::pending, to, from, 50 + round);
    if (round % 4 == 3) hold.expires_at_unix_ms = clock.now_unix_ms() + 1000;
    auto held = ledger.post(hold);
    ASSERT_TRUE(held) << held.error().message;
    holds.push_back(held->id);
    if (round % 4 == 0) {
      EntrySpec post;
      post.kind = EntryKind::post_pending;
      post.pending_entry_id = held->id;
      post.post_amount = 10 + round;
      ASSERT_TRUE(ledger.post(post));
    } else if (round % 4 == 1) {
      EntrySpec void_it;
      void_it.kind = EntryKind::void_pending;
      void_it.pending_entry_id = held->id;
      ASSERT_TRUE(ledger.post(void_it));
    }
    if (round % 3 == 0) {
      EntrySpec reverse;
      reverse.kind = EntryKind::reversal;
      reverse.reverses_entry_id = posted->id;
      ASSERT_TRUE(ledger.post(reverse));
    }
  }
  clock.advance_ms(2000);
  auto expired = ledger.expire_due_holds(100);
  ASSERT_TRUE(expired);
  EXPECT_EQ(*expired, 10u);

  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.account_count, 6u);
  EXPECT_EQ(report.hold_count, 40u);
}

// ---- the command ----------------------------------------------------------------------------

class VerifyCommandTest : public ::testing::TestWithParam<Dialect> {
 protected:
  // `--data-dir DIR` or `--database URL` for a fresh, unmigrated database.
  std::vector<std::string> database_flags() {
    auto options = testing::fresh_database_options(GetParam(), temp_.path() + "/data");
    EXPECT_TRUE(options) << options.error().message;
    if (!options) return {};
    options_ = *options;
    if (GetParam() == Dialect::sqlite) return {"--data-dir", options_.data_dir};
    return {"--database", options_.database_url};
  }

  testing::TempDir temp_;
  store::StoreOptions options_;
};

INSTANTIATE_TEST_SUITE_P(Backends, VerifyCommandTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backend_name);

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST_P(VerifyCommandTest, PassesOnAFreshLedgerAndFailsNamingAnUnbalancedEntry) {
  const std::vector<std::string> flags = database_flags();
  ASSERT_FALSE(flags.empty());
  const auto migrated = testing::run_till(with({"migrate"}, flags));
  ASSERT_EQ(migrated.exit_status, 0) << migrated.err;

  const auto clean = testing::run_till(with({"ledger", "verify"}, flags));
  EXPECT_EQ(clean.exit_status, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("ledger verify: 0 accounts, 0 entries, 0 postings, 0 holds: OK"),
            std::string::npos)
      << clean.out;

  {
    auto database = store::open_database(options_);
    ASSERT_TRUE(database) << database.error().message;
    auto written = (*database)->transact([](store::Connection& c) -> store::StoreResult<void> {
      for (const char* statement :
           {"INSERT INTO ledger_accounts (seq, id, type, currency, flags, owner, name,"
            " metadata_json, created_at_unix_ms) VALUES (1, 'la_a', 'asset', 'USD', 0, 'p',"
            " 'a', '{}', 0), (2, 'la_b', 'liability', 'USD', 0, 'p', 'b', '{}', 0)",
            "INSERT INTO ledger_entries (seq, id, kind, content_sha256, description,"
            " metadata_json, created_at_unix_ms) VALUES (1, 'je_bad', 'standard', 'sha', '',"
            " '{}', 0)",
            "INSERT INTO ledger_postings (account_seq, entry_seq, posting_index, side, layer,"
            " amount, currency, created_at_unix_ms) VALUES (1, 1, 0, 'debit', 'posted', '100',"
            " 'USD', 0), (2, 1, 1, 'credit', 'posted', '99', 'USD', 0)",
            "INSERT INTO ledger_balances (account_seq, debits_posted, credits_posted,"
            " debits_pending, credits_pending, last_entry_seq) VALUES (1, '100', '0', '0',"
            " '0', 1), (2, '0', '99', '0', '0', 1)",
            "UPDATE ledger_meta SET next_entry_seq = 2"}) {
        auto ran = c.execute(statement);
        if (!ran) return unexpected(ran.error());
      }
      return {};
    });
    ASSERT_TRUE(written) << written.error().message;
  }

  const auto broken = testing::run_till(with({"ledger", "verify"}, flags));
  EXPECT_EQ(broken.exit_status, 1) << broken.out << broken.err;
  EXPECT_NE(broken.out.find("violation: entry_unbalanced: entry je_bad (seq 1) is unbalanced in "
                            "USD (posted layer): debits 100 != credits 99"),
            std::string::npos)
      << broken.out;
  EXPECT_NE(broken.out.find("ledger verify: 2 accounts, 1 entries, 2 postings, 0 holds: 2 "
                            "violations"),
            std::string::npos)
      << broken.out;
}

TEST_P(VerifyCommandTest, RefusesADatabaseThatIsNotMigrated) {
  const std::vector<std::string> flags = database_flags();
  ASSERT_FALSE(flags.empty());
  const auto result = testing::run_till(with({"ledger", "verify"}, flags));
  EXPECT_EQ(result.exit_status, 1) << result.out << result.err;
  EXPECT_NE(result.err.find("till: ledger verify:"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("OK"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace till::ledger
