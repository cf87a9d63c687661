// The ledger engine on both backends: accounts, entries, holds, reversals, idempotency,
// balances, pagination, and the rule that a rejected request changes nothing.
#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <thread>

#include "ledger/amount_text.h"
#include "ledger/verify.h"
#include "obs/metrics.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::ledger {
namespace {

using store::Dialect;

std::string describe(const LedgerError& error) {
  return error.code + " (" + error.field + "): " + error.message;
}

class LedgerTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    auto database = testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    ledger_ = std::make_unique<Ledger>(*database_, clock_);
  }
  void TearDown() override {
    ledger_.reset();
    database_.reset();
  }

  Account account(AccountType type, std::uint32_t flags = 0, const std::string& currency = "USD") {
    AccountSpec spec;
    spec.type = type;
    spec.currency = currency;
    spec.owner = "platform";
    spec.flags = flags;
    auto created = ledger_->create_account(spec);
    EXPECT_TRUE(created) << describe(created.error());
    return created ? *created : Account{};
  }

  static EntrySpec transfer(const Account& from_debit, const Account& to_credit, i128 amount,
                            EntryKind kind = EntryKind::standard) {
    EntrySpec spec;
    spec.kind = kind;
    spec.postings = {{from_debit.id, Side::debit, amount}, {to_credit.id, Side::credit, amount}};
    return spec;
  }

  Balance balance_of(const Account& account, std::optional<std::int64_t> as_of = std::nullopt) {
    auto balance = ledger_->balance(account.id, as_of);
    EXPECT_TRUE(balance) << describe(balance.error());
    return balance ? *balance : Balance{};
  }

  void expect_trial_balance_zero() {
    auto lines = ledger_->trial_balance();
    ASSERT_TRUE(lines) << describe(lines.error());
    for (const auto& line : *lines) {
      EXPECT_EQ(format_i128(line.debits_posted), format_i128(line.credits_posted)) << line.currency;
      EXPECT_EQ(format_i128(line.debits_pending), format_i128(line.credits_pending))
          << line.currency;
    }
  }

  testing::TempDir temp_;
  ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_P(LedgerTest, AccountsAreCreatedRetrievedAndListed) {
  const Account cash = account(AccountType::asset, kCreditsMustNotExceedDebits, "usd");
  EXPECT_EQ(cash.id.substr(0, 3), "la_");
  EXPECT_EQ(cash.currency, "USD");  // normalised
  auto fetched = ledger_->get_account(cash.id);
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->flags, kCreditsMustNotExceedDebits);
  EXPECT_EQ(fetched->type, AccountType::asset);
  for (int i = 0; i < 4; ++i) account(AccountType::liability);
  auto first = ledger_->list_accounts("", 3);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->items.size(), 3u);
  EXPECT_TRUE(first->has_more);
  EXPECT_EQ(first->items[0].id, cash.id);
  auto second = ledger_->list_accounts(first->items.back().id, 3);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->items.size(), 2u);
  EXPECT_FALSE(second->has_more);
}

TEST_P(LedgerTest, InvalidAccountsNameTheField) {
  struct Case {
    AccountSpec spec;
    const char* field;
  };
  AccountSpec no_owner{AccountType::asset, "USD", "", "", 0, {}};
  AccountSpec bad_currency{AccountType::asset, "US D", "platform", "", 0, {}};
  AccountSpec unknown_currency{AccountType::asset, "XYZ", "platform", "", 0, {}};
  AccountSpec both_flags{AccountType::asset, "USD", "platform", "", kAccountFlagsAll, {}};
  AccountSpec unknown_flag{AccountType::asset, "USD", "platform", "", 8, {}};
  for (const Case& test_case :
       {Case{no_owner, "owner"}, Case{bad_currency, "currency"}, Case{unknown_currency, "currency"},
        Case{both_flags, "flags"}, Case{unknown_flag, "flags"}}) {
    auto created = ledger_->create_account(test_case.spec);
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().field, test_case.field);
  }
  auto listed = ledger_->list_accounts("", 10);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->items.empty());
  EXPECT_EQ(ledger_->get_account("la_missing").error().code, "account_not_found");
}

TEST_P(LedgerTest, AStandardEntryMovesMoneyAndBalances) {
  const Account bank = account(AccountType::asset);
  const Account merchant = account(AccountType::liability);
  EntrySpec spec = transfer(bank, merchant, 1234);
  spec.description = "settlement";
  spec.metadata = {{"order", "42"}};
  auto entry = ledger_->post(spec);
  ASSERT_TRUE(entry) << describe(entry.error());
  EXPECT_EQ(entry->id.substr(0, 3), "je_");
  EXPECT_EQ(entry->kind, EntryKind::standard);
  EXPECT_EQ(balance_of(bank).posted(), 1234);
  EXPECT_EQ(balance_of(merchant).posted(), -1234);
  EXPECT_EQ(balance_of(merchant).available(AccountType::liability), 1234);
  auto fetched = ledger_->get_entry(entry->id);
  ASSERT_TRUE(fetched) << describe(fetched.error());
  ASSERT_EQ(fetched->postings.size(), 2u);
  EXPECT_EQ(fetched->postings[0].account_id, bank.id);
  EXPECT_EQ(fetched->postings[0].side, Side::debit);
  EXPECT_EQ(fetched->postings[1].amount, 1234);
  EXPECT_EQ(fetched->metadata.at("order"), "42");
  EXPECT_EQ(fetched->description, "settlement");
  expect_trial_balance_zero();
}

TEST_P(LedgerTest, MultiPostingEntriesBalancePerCurrency) {
  const Account customer = account(AccountType::asset);
  const Account merchant = account(AccountType::liability);
  const Account fees = account(AccountType::revenue);
  EntrySpec spec;
  spec.postings = {{customer.id, Side::debit, 10'000},
                   {merchant.id, Side::credit, 9'710},
                   {fees.id, Side::credit, 290}};
  ASSERT_TRUE(ledger_->post(spec));
  EXPECT_EQ(balance_of(fees).posted(), -290);
  // Two currencies, each balanced on its own, is fine; mixing them is not.
  const Account eur_a = account(AccountType::asset, 0, "EUR");
  const Account eur_b = account(AccountType::liability, 0, "EUR");
  EntrySpec mixed;
  mixed.postings = {{customer.id, Side::debit, 5}, {eur_b.id, Side::credit, 5}};
  auto rejected = ledger_->post(mixed);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, "entry_unbalanced");
  EntrySpec two_currencies;
  two_currencies.postings = {{customer.id, Side::debit, 5},
                             {merchant.id, Side::credit, 5},
                             {eur_a.id, Side::debit, 7},
                             {eur_b.id, Side::credit, 7}};
  EXPECT_TRUE(ledger_->post(two_currencies));
  expect_trial_balance_zero();
}

TEST_P(LedgerTest, InvalidEntriesAreRejectedNamingTheFieldAndChangeNothing) {
  const Account a = account(AccountType::asset);
  const Account b = account(AccountType::liability);
  ASSERT_TRUE(ledger_->post(transfer(a, b, 100)));
  struct Case {
    EntrySpec spec;
    const char* code;
    const char* field;
  };
  EntrySpec unbalanced = transfer(a, b, 100);
  unbalanced.postings[1].amount = 99;
  EntrySpec zero = transfer(a, b, 0);
  EntrySpec negative = transfer(a, b, -5);
  EntrySpec one_posting = transfer(a, b, 5);
  one_posting.postings.pop_back();
  EntrySpec unknown = transfer(a, b, 5);
  unknown.postings[1].account_id = "la_nope";
  EntrySpec expire_by_hand;
  expire_by_hand.kind = EntryKind::expire_pending;
  EntrySpec long_description = transfer(a, b, 5);
  long_description.description = std::string(1001, 'x');
  EntrySpec bad_metadata = transfer(a, b, 5);
  bad_metadata.metadata[std::string(41, 'k')] = "v";
  const std::vector<Case> cases = {
      {unbalanced, "entry_unbalanced", "postings"},
      {zero, "amount_invalid", "postings[0].amount"},
      {negative, "amount_invalid", "postings[0].amount"},
      {one_posting, "postings_count_invalid", "postings"},
      {unknown, "account_not_found", "postings[1].account_id"},
      {expire_by_hand, "kind_invalid", "kind"},
      {long_description, "description_too_long", "description"},
      {bad_metadata, "metadata_invalid", ""},
  };
  for (const Case& test_case : cases) {
    auto result = ledger_->post(test_case.spec);
    ASSERT_FALSE(result) << test_case.code;
    EXPECT_EQ(result.error().code, test_case.code);
    if (std::string(test_case.field).empty()) {
      EXPECT_EQ(result.error().field.rfind("metadata[", 0), 0u) << result.error().field;
    } else {
      EXPECT_EQ(result.error().field, test_case.field) << test_case.code;
    }
  }
  EXPECT_EQ(balance_of(a).posted(), 100);
  EXPECT_EQ(balance_of(b).posted(), -100);
  auto postings = ledger_->list_postings(a.id, "", 100);
  ASSERT_TRUE(postings);
  EXPECT_EQ(postings->items.size(), 1u);
}

TEST_P(LedgerTest, FlagsStopABalanceCrossingZero) {
  const Account wallet = account(AccountType::liability, kDebitsMustNotExceedCredits);
  const Account bank = account(AccountType::asset);
  ASSERT_TRUE(ledger_->post(transfer(bank, wallet, 500)));  // credit the wallet 500
  auto overdraw = ledger_->post(transfer(wallet, bank, 501));
  ASSERT_FALSE(overdraw);
  EXPECT_EQ(overdraw.error().code, "insufficient_funds");
  EXPECT_EQ(overdraw.error().field, "postings[0]");
  EXPECT_EQ(balance_of(wallet).posted(), -500);
  EXPECT_TRUE(ledger_->post(transfer(wallet, bank, 500)));
  EXPECT_EQ(balance_of(wallet).posted(), 0);
}

// The committer keeps balances in memory between its groups. A second writer on the same
// database (another process on the SQLite file, another node on PostgreSQL) must not be
// overlooked: after it commits, the first committer's cached balances are not trusted.
TEST_P(LedgerTest, ACommitterDoesNotTrustItsCachedBalancesAfterAnotherWriter) {
  const Account wallet = account(AccountType::liability, kDebitsMustNotExceedCredits);
  const Account bank = account(AccountType::asset);
  ASSERT_TRUE(ledger_->post(transfer(bank, wallet, 500)));  // cached by ledger_: wallet 500
  {
    Ledger other(*database_, clock_);
    ASSERT_TRUE(other.post(transfer(wallet, bank, 400)));  // the wallet now holds 100
  }
  auto overdraw = ledger_->post(transfer(wallet, bank, 101));
  ASSERT_FALSE(overdraw) << "a stale cached balance of 500 let 101 through";
  EXPECT_EQ(overdraw.error().code, "insufficient_funds");
  ASSERT_TRUE(ledger_->post(transfer(wallet, bank, 100)));
  EXPECT_EQ(balance_of(wallet).posted(), 0);
  auto report = verify_ledger(*database_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok());
}

// Many writers racing with the same idempotency keys: with group commit (and the SQLite
// pipeline, where one group is applied while the previous one is still being written) a key
// first used in a group not yet committed must replay in the next, never collide.
TEST_P(LedgerTest, RacingWritersWithTheSameIdempotencyKeysGetOneEntryPerKey) {
  const Account from = account(AccountType::asset);
  const Account to = account(AccountType::liability);
  constexpr int kThreads = 8;
  constexpr int kKeys = 200;
  std::vector<std::vector<std::string>> ids(kThreads, std::vector<std::string>(kKeys));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kKeys; ++k) {
        EntrySpec spec = transfer(from, to, 1 + k);
        spec.idempotency_key = "race-" + std::to_string(k);
        auto posted = ledger_->post(spec);
        if (!posted) {
          ++failures;
          continue;
        }
        ids[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)] = posted->id;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (int k = 0; k < kKeys; ++k) {
    for (int t = 1; t < kThreads; ++t) {
      EXPECT_EQ(ids[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)],
                ids[0][static_cast<std::size_t>(k)])
          << "key " << k;
    }
  }
  i128 total = 0;
  for (int k = 0; k < kKeys; ++k) total += 1 + k;
  EXPECT_EQ(balance_of(from).debits_posted, total);  // each key moved money once
  auto report = verify_ledger(*database_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok());
}

TEST_P(LedgerTest, ABatchIsAllOrNothing) {
  const Account wallet = account(AccountType::liability, kDebitsMustNotExceedCredits);
  const Account bank = account(AccountType::asset);
  std::vector<EntrySpec> batch = {transfer(bank, wallet, 100), transfer(wallet, bank, 60),
                                  transfer(wallet, bank, 60)};  // the third overdraws
  auto result = ledger_->post_batch(batch);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "insufficient_funds");
  EXPECT_EQ(result.error().field, "entries[2].postings[0]");
  EXPECT_EQ(balance_of(wallet).posted(), 0);
  EXPECT_EQ(balance_of(bank).posted(), 0);
  batch.pop_back();
  auto accepted = ledger_->post_batch(batch);
  ASSERT_TRUE(accepted) << describe(accepted.error());
  EXPECT_EQ(accepted->size(), 2u);
  EXPECT_LT(accepted->at(0).seq, accepted->at(1).seq);
  EXPECT_EQ(balance_of(wallet).posted(), -40);
  EXPECT_EQ(ledger_->post_batch({}).error().code, "batch_size_invalid");
}

TEST_P(LedgerTest, IdempotencyKeysReplayOrConflict) {
  const Account a = account(AccountType::asset);
  const Account b = account(AccountType::liability);
  EntrySpec spec = transfer(a, b, 700);
  spec.idempotency_key = "payout-42";
  auto first = ledger_->post(spec);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->replayed);
  auto again = ledger_->post(spec);
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(balance_of(a).posted(), 700);  // once
  spec.postings[0].amount = spec.postings[1].amount = 701;
  auto conflict = ledger_->post(spec);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, "idempotency_key_reused");
  EXPECT_EQ(conflict.error().field, "idempotency_key");
  EXPECT_EQ(balance_of(a).posted(), 700);
}

TEST_P(LedgerTest, HoldsReserveThenPostPartially) {
  const Account customer = account(AccountType::liability, kDebitsMustNotExceedCredits);
  const Account bank = account(AccountType::asset);
  const Account merchant = account(AccountType::liability);
  ASSERT_TRUE(ledger_->post(transfer(bank, customer, 1000)));
  auto hold = ledger_->post(transfer(customer, merchant, 800, EntryKind::pending));
  ASSERT_TRUE(hold) << describe(hold.error());
  Balance reserved = balance_of(customer);
  EXPECT_EQ(reserved.debits_pending, 800);
  EXPECT_EQ(reserved.available(AccountType::liability), 200);
  // The reservation counts against the flag: another 300 cannot be held.
  auto too_much = ledger_->post(transfer(customer, merchant, 300, EntryKind::pending));
  ASSERT_FALSE(too_much);
  EXPECT_EQ(too_much.error().code, "insufficient_funds");

  EntrySpec post;
  post.kind = EntryKind::post_pending;
  post.pending_entry_id = hold->id;
  post.post_amount = 600;
  auto posted = ledger_->post(post);
  ASSERT_TRUE(posted) << describe(posted.error());
  EXPECT_EQ(posted->pending_entry_id, hold->id);
  const Balance after = balance_of(customer);
  EXPECT_EQ(after.debits_pending, 0);
  EXPECT_EQ(after.posted(), -400);
  EXPECT_EQ(balance_of(merchant).posted(), -600);
  auto twice = ledger_->post(post);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "hold_already_resolved");
  expect_trial_balance_zero();
}

TEST_P(LedgerTest, HoldsCanBeVoidedButNotOverPosted) {
  const Account a = account(AccountType::asset);
  const Account b = account(AccountType::liability);
  auto hold = ledger_->post(transfer(a, b, 500, EntryKind::pending));
  ASSERT_TRUE(hold);
  EntrySpec over;
  over.kind = EntryKind::post_pending;
  over.pending_entry_id = hold->id;
  over.post_amount = 501;
  auto rejected = ledger_->post(over);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, "post_amount_invalid");
  EXPECT_EQ(rejected.error().field, "post_amount");
  EntrySpec void_it;
  void_it.kind = EntryKind::void_pending;
  void_it.pending_entry_id = hold->id;
  ASSERT_TRUE(ledger_->post(void_it));
  EXPECT_EQ(balance_of(a).debits_pending, 0);
  EXPECT_EQ(balance_of(a).posted(), 0);
  over.post_amount = 100;
  EXPECT_EQ(ledger_->post(over).error().code, "hold_already_resolved");
  EntrySpec missing;
  missing.kind = EntryKind::void_pending;
  missing.pending_entry_id = "je_missing";
  EXPECT_EQ(ledger_->post(missing).error().field, "pending_entry_id");
}

TEST_P(LedgerTest, HoldsExpire) {
  const Account a = account(AccountType::asset);
  const Account b = account(AccountType::liability);
  EntrySpec pending = transfer(a, b, 300, EntryKind::pending);
  pending.expires_at_unix_ms = clock_.now_unix_ms() + 60'000;
  auto hold = ledger_->post(pending);
  ASSERT_TRUE(hold);
  EntrySpec past = pending;
  past.expires_at_unix_ms = clock_.now_unix_ms() - 1;
  EXPECT_EQ(ledger_->post(past).error().code, "expires_at_in_past");
  EXPECT_EQ(*ledger_->expire_due_holds(100), 0u);  // not yet
  clock_.advance_ms(60'000);
  EntrySpec post;
  post.kind = EntryKind::post_pending;
  post.pending_entry_id = hold->id;
  EXPECT_EQ(ledger_->post(post).error().code, "hold_expired");
  EXPECT_EQ(balance_of(a).debits_pending, 300);
  auto expired = ledger_->expire_due_holds(100);
  ASSERT_TRUE(expired) << describe(expired.error());
  EXPECT_EQ(*expired, 1u);
  EXPECT_EQ(balance_of(a).debits_pending, 0);
  EXPECT_EQ(*ledger_->expire_due_holds(100), 0u);
  EXPECT_EQ(ledger_->post(post).error().code, "hold_already_resolved");
  expect_trial_balance_zero();
}

TEST_P(LedgerTest, ReversalsMirrorAnEntryOnce) {
  const Account a = account(AccountType::asset);
  const Account b = account(AccountType::liability);
  auto original = ledger_->post(transfer(a, b, 250));
  ASSERT_TRUE(original);
  EntrySpec reverse;
  reverse.kind = EntryKind::reversal;
  reverse.reverses_entry_id = original->id;
  auto reversal = ledger_->post(reverse);
  ASSERT_TRUE(reversal) << describe(reversal.error());
  EXPECT_EQ(reversal->reverses_entry_id, original->id);
  ASSERT_EQ(reversal->postings.size(), 2u);
  EXPECT_EQ(reversal->postings[0].side, Side::credit);
  EXPECT_EQ(balance_of(a).posted(), 0);
  EXPECT_EQ(balance_of(a).debits_posted, 250);  // history kept: both directions recorded
  EXPECT_EQ(ledger_->post(reverse).error().code, "entry_already_reversed");
  auto hold = ledger_->post(transfer(a, b, 5, EntryKind::pending));
  reverse.reverses_entry_id = hold->id;
  EXPECT_EQ(ledger_->post(reverse).error().code, "entry_not_reversible");
  reverse.reverses_entry_id = "je_missing";
  EXPECT_EQ(ledger_->post(reverse).error().field, "reverses_entry_id");
}

TEST_P(LedgerTest, BalanceAsOfAPastTime) {
  const Account a = account(AccountType::asset);
  const Account b = account(AccountType::liability);
  ASSERT_TRUE(ledger_->post(transfer(a, b, 100)));
  const std::int64_t after_first = clock_.now_unix_ms();
  clock_.advance_ms(1000);
  ASSERT_TRUE(ledger_->post(transfer(a, b, 50)));
  EXPECT_EQ(balance_of(a, after_first).posted(), 100);
  EXPECT_EQ(balance_of(a, after_first - 1).posted(), 0);
  EXPECT_EQ(balance_of(a, clock_.now_unix_ms()).posted(), 150);
  EXPECT_EQ(balance_of(a).posted(), 150);
}

TEST_P(LedgerTest, PostingsPageNewestFirstWithACursor) {
  const Account a = account(AccountType::asset);
  const Account b = account(AccountType::liability);
  for (int i = 1; i <= 7; ++i) ASSERT_TRUE(ledger_->post(transfer(a, b, i)));
  std::vector<i128> seen;
  std::string cursor;
  for (int page_number = 0; page_number < 10; ++page_number) {
    auto page = ledger_->list_postings(a.id, cursor, 3);
    ASSERT_TRUE(page) << describe(page.error());
    for (const Posting& posting : page->items) seen.push_back(posting.amount);
    if (!page->has_more) break;
    cursor = page->items.back().entry_id + ":" + std::to_string(page->items.back().index);
  }
  EXPECT_EQ(seen, (std::vector<i128>{7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(ledger_->list_postings(a.id, "garbage", 3).error().code, "cursor_invalid");
  EXPECT_EQ(ledger_->list_postings("la_missing", "", 3).error().code, "account_not_found");
  EXPECT_EQ(ledger_->list_postings(a.id, "", 0).error().code, "limit_invalid");
}

TEST_P(LedgerTest, EighteenDecimalAmountsBeyond64Bits) {
  const Account a = account(AccountType::asset, 0, "DAI");
  const Account b = account(AccountType::liability, 0, "DAI");
  const i128 big = *parse_i128("123456789012345678901234567890");  // > 2^64
  ASSERT_TRUE(ledger_->post(transfer(a, b, big)));
  EXPECT_EQ(format_i128(balance_of(a).posted()), "123456789012345678901234567890");
  const i128 max = *parse_i128("170141183460469231731687303715884105727");
  auto overflow = ledger_->post(transfer(a, b, max));
  ASSERT_FALSE(overflow);
  EXPECT_EQ(overflow.error().code, "amount_overflow");
  EXPECT_EQ(format_i128(balance_of(a).posted()), "123456789012345678901234567890");
}

TEST_P(LedgerTest, ConcurrentWritersAreGroupCommittedCorrectly) {
  const Account bank = account(AccountType::asset);
  std::vector<Account> wallets;
  for (int i = 0; i < 8; ++i) wallets.push_back(account(AccountType::liability));
  constexpr int kThreads = 8;
  constexpr int kEntriesPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEntriesPerThread; ++i) {
        if (!ledger_->post(transfer(bank, wallets[static_cast<std::size_t>((t + i) % 8)], 10)))
          ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(balance_of(bank).posted(), kThreads * kEntriesPerThread * 10);
  i128 wallets_total = 0;
  for (const Account& wallet : wallets) wallets_total += balance_of(wallet).posted();
  EXPECT_EQ(wallets_total, -kThreads * kEntriesPerThread * 10);
  expect_trial_balance_zero();
}

TEST_P(LedgerTest, ReportsCommitterMetrics) {
  obs::MetricsRegistry registry;
  ledger_.reset();
  LedgerOptions options;
  options.metrics = &registry;
  ledger_ = std::make_unique<Ledger>(*database_, clock_, options);
  const Account wallet = account(AccountType::liability, kDebitsMustNotExceedCredits);
  const Account bank = account(AccountType::asset);
  ASSERT_TRUE(ledger_->post_batch({transfer(bank, wallet, 10), transfer(bank, wallet, 5)}));
  ASSERT_FALSE(ledger_->post(transfer(wallet, bank, 100)));  // insufficient funds
  const std::string text = registry.render();
  auto has = [&](const std::string& line) { return text.find(line) != std::string::npos; };
  EXPECT_TRUE(has("till_ledger_entries_committed_total 2\n")) << text;
  EXPECT_TRUE(has("till_ledger_batches_total{outcome=\"accepted\"} 1\n")) << text;
  EXPECT_TRUE(has("till_ledger_batches_total{outcome=\"rejected\"} 1\n")) << text;
  EXPECT_TRUE(has("till_ledger_groups_committed_total 2\n")) << text;
  EXPECT_TRUE(has("till_ledger_group_commit_duration_seconds_count 2\n")) << text;
  EXPECT_TRUE(has("till_ledger_queue_batches 0\n")) << text;
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backend_name);

}  // namespace
}  // namespace till::ledger
