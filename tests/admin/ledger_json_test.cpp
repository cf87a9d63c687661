// Ledger objects as the admin API shows them: amounts as strings (the full 128-bit range),
// nulls for absent values, an "object" field on everything.
#include "admin/ledger_json.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <limits>

namespace till::admin {
namespace {

constexpr i128 kI128Max = std::numeric_limits<i128>::max();

ledger::Posting posting(int index, ledger::Side side, ledger::Layer layer, i128 amount) {
  return ledger::Posting{"je_1", 1700000000123, index, "la_" + std::to_string(index),
                         "USD",  side,          layer, amount};
}

TEST(LedgerJson, AccountHasEveryField) {
  const ledger::Account account{"la_1",
                                ledger::AccountType::liability,
                                "USD",
                                "m_1",
                                "",
                                ledger::kDebitsMustNotExceedCredits,
                                {{"tier", "gold"}},
                                1700000000123};
  EXPECT_EQ(boost::json::serialize(account_json(account)),
            R"({"id":"la_1","object":"ledger_account","type":"liability","currency":"USD",)"
            R"("owner":"m_1","name":null,"flags":["debits_must_not_exceed_credits"],)"
            R"("metadata":{"tier":"gold"},"created_at_unix_ms":1700000000123})");
}

TEST(LedgerJson, PostingAmountsAreStringsAcrossThe128BitRange) {
  const auto big = posting(0, ledger::Side::debit, ledger::Layer::posted, kI128Max);
  const auto json = posting_json(big);
  EXPECT_EQ(json.at("amount").as_string(), "170141183460469231731687303715884105727");
  EXPECT_EQ(json.at("cursor").as_string(), "je_1:0");
  EXPECT_EQ(json.at("object").as_string(), "ledger_posting");
  EXPECT_EQ(json.at("layer").as_string(), "posted");
  const auto release = posting(3, ledger::Side::credit, ledger::Layer::pending, -500);
  EXPECT_EQ(posting_json(release).at("amount").as_string(), "-500");
  EXPECT_EQ(posting_json(release).at("cursor").as_string(), "je_1:3");
}

TEST(LedgerJson, EntryShowsAbsentReferencesAsNull) {
  ledger::Entry entry;
  entry.id = "je_1";
  entry.kind = ledger::EntryKind::post_pending;
  entry.pending_entry_id = "je_0";
  entry.created_at_unix_ms = 1700000000123;
  entry.postings = {posting(0, ledger::Side::debit, ledger::Layer::pending, -5)};
  const auto json = entry_json(entry);
  EXPECT_EQ(json.at("object").as_string(), "ledger_entry");
  EXPECT_EQ(json.at("kind").as_string(), "post_pending");
  EXPECT_EQ(json.at("pending_entry_id").as_string(), "je_0");
  EXPECT_TRUE(json.at("reverses_entry_id").is_null());
  EXPECT_TRUE(json.at("expires_at_unix_ms").is_null());
  EXPECT_TRUE(json.at("idempotency_key").is_null());
  EXPECT_TRUE(json.at("description").is_null());
  EXPECT_EQ(json.at("postings").as_array().size(), 1u);
}

TEST(LedgerJson, BalanceUsesTheAccountTypeForAvailable) {
  ledger::Balance balance;
  balance.account_id = "la_1";
  balance.currency = "USD";
  balance.credits_posted = 1000;
  balance.debits_pending = 300;
  const auto json = balance_json(balance, ledger::AccountType::liability, 1700000000000);
  EXPECT_EQ(json.at("object").as_string(), "ledger_balance");
  EXPECT_EQ(json.at("posted").as_string(), "-1000");
  EXPECT_EQ(json.at("pending").as_string(), "300");
  EXPECT_EQ(json.at("available").as_string(), "700");
  EXPECT_EQ(json.at("credits_posted").as_string(), "1000");
  EXPECT_EQ(json.at("as_of_unix_ms").as_int64(), 1700000000000);
  EXPECT_TRUE(balance_json(balance, ledger::AccountType::liability, std::nullopt)
                  .at("as_of_unix_ms")
                  .is_null());
}

TEST(LedgerJson, TrialBalanceFlagsAnUnbalancedCurrency) {
  std::vector<ledger::TrialBalanceLine> lines(2);
  lines[0].currency = "EUR";
  lines[0].debits_posted = lines[0].credits_posted = 10;
  lines[0].account_count = 2;
  lines[1].currency = "USD";
  lines[1].debits_posted = 10;
  lines[1].credits_posted = 9;
  const auto json = trial_balance_json(lines);
  EXPECT_EQ(json.at("object").as_string(), "ledger_trial_balance");
  EXPECT_FALSE(json.at("balanced").as_bool());
  const auto& currencies = json.at("currencies").as_array();
  ASSERT_EQ(currencies.size(), 2u);
  EXPECT_TRUE(currencies[0].at("balanced").as_bool());
  EXPECT_EQ(currencies[0].at("account_count").as_uint64(), 2u);
  EXPECT_FALSE(currencies[1].at("balanced").as_bool());
  EXPECT_TRUE(trial_balance_json({}).at("balanced").as_bool());
}

TEST(LedgerJson, ListShape) {
  EXPECT_EQ(boost::json::serialize(list_json({}, true, "/admin/v1/ledger/accounts")),
            R"({"object":"list","data":[],"has_more":true,"url":"/admin/v1/ledger/accounts"})");
}

}  // namespace
}  // namespace till::admin
