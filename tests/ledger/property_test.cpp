// Property tests: long random sequences of entries, holds, partial posts, voids, expiries,
// reversals and deliberately invalid requests, on both backends.
//
// Single-threaded phase: an independent model predicts every balance and whether each request
// must succeed; after every step the ledger must agree with the model exactly (so an invalid
// request provably changed nothing), and `verify_ledger` runs every few steps.
// Concurrent phase: several threads issue random requests at once; afterwards every invariant
// still holds.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

#include "ledger/amount_text.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::ledger {
namespace {

using store::Dialect;

struct ModelBalance {
  i128 debits_posted = 0, credits_posted = 0, debits_pending = 0, credits_pending = 0;
  bool operator==(const ModelBalance&) const = default;
};

struct ModelHold {
  std::string debit, credit;
  i128 amount = 0;
  std::int64_t expires_at = 0;  // 0 = never
  bool open = true;
};

struct ModelEntry {
  std::vector<PostingSpec> posted;  // posted postings, for reversals
  bool reversed = false;
};

class Model {
 public:
  std::map<std::string, ModelBalance> balances;
  std::map<std::string, std::uint32_t> flags;
  std::map<std::string, ModelHold> holds;
  std::map<std::string, ModelEntry> entries;

  // Applies postings to a copy and reports whether every flag still holds.
  bool would_accept(const std::vector<std::tuple<std::string, Side, Layer, i128>>& postings) const {
    auto copy = balances;
    for (const auto& [account, side, layer, amount] : postings) {
      ModelBalance& b = copy[account];
      (layer == Layer::posted ? (side == Side::debit ? b.debits_posted : b.credits_posted)
                              : (side == Side::debit ? b.debits_pending : b.credits_pending)) +=
          amount;
    }
    for (const auto& [account, side, layer, amount] : postings) {
      const ModelBalance& b = copy.at(account);
      const std::uint32_t f = flags.at(account);
      if ((f & kDebitsMustNotExceedCredits) &&
          b.debits_posted + b.debits_pending > b.credits_posted)
        return false;
      if ((f & kCreditsMustNotExceedDebits) &&
          b.credits_posted + b.credits_pending > b.debits_posted)
        return false;
    }
    return true;
  }
  void apply(const std::vector<std::tuple<std::string, Side, Layer, i128>>& postings) {
    for (const auto& [account, side, layer, amount] : postings) {
      ModelBalance& b = balances[account];
      (layer == Layer::posted ? (side == Side::debit ? b.debits_posted : b.credits_posted)
                              : (side == Side::debit ? b.debits_pending : b.credits_pending)) +=
          amount;
    }
  }
};

using Postings = std::vector<std::tuple<std::string, Side, Layer, i128>>;

class LedgerPropertyTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    auto database = testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    ledger_ = std::make_unique<Ledger>(*database_, clock_);
    make_account(AccountType::asset, 0);  // banks: may go either way
    make_account(AccountType::asset, 0);
    for (int i = 0; i < 5; ++i)
      make_account(AccountType::liability, kDebitsMustNotExceedCredits);  // wallets
    make_account(AccountType::revenue, kDebitsMustNotExceedCredits);
    make_account(AccountType::asset,
                 kCreditsMustNotExceedDebits);  // a reserve that must stay funded
  }

  void make_account(AccountType type, std::uint32_t flags) {
    AccountSpec spec{type, "USD", "platform", "", flags, {}};
    auto account = ledger_->create_account(spec);
    ASSERT_TRUE(account);
    ids_.push_back(account->id);
    model_.flags[account->id] = flags;
    model_.balances[account->id];
  }

  void expect_matches_model(int step) {
    for (const auto& [id, expected] : model_.balances) {
      auto balance = ledger_->balance(id);
      ASSERT_TRUE(balance);
      const ModelBalance actual{balance->debits_posted, balance->credits_posted,
                                balance->debits_pending, balance->credits_pending};
      ASSERT_TRUE(actual == expected)
          << "step " << step << " account " << id << ": posted " << format_i128(balance->posted())
          << " expected " << format_i128(expected.debits_posted - expected.credits_posted);
    }
  }

  void expect_verified(const char* when) {
    auto report = verify_ledger(*database_);
    ASSERT_TRUE(report) << report.error().message;
    for (const auto& violation : report->violations)
      ADD_FAILURE() << when << ": " << violation.code << ": " << violation.message;
  }

  // One random request; checks the ledger's answer against the model's prediction.
  void random_step(std::mt19937_64& random, int step) {
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    const std::size_t first = pick(ids_.size());
    const std::string& a = ids_[first];
    const std::string& b = ids_[(first + 1 + pick(ids_.size() - 1)) % ids_.size()];  // never a
    const i128 amount = static_cast<i128>(1 + random() % 500);
    switch (random() % 9) {
      case 0:
      case 1: {  // a transfer, accepted only if flags allow
        const Postings postings = {{a, Side::debit, Layer::posted, amount},
                                   {b, Side::credit, Layer::posted, amount}};
        EntrySpec spec;
        spec.postings = {{a, Side::debit, amount}, {b, Side::credit, amount}};
        check(spec, postings, step);
        break;
      }
      case 2: {  // three postings
        const std::string& c = ids_[0];
        const i128 part = amount / 3;
        EntrySpec spec;
        spec.postings = {
            {a, Side::debit, amount}, {b, Side::credit, amount - part}, {c, Side::credit, part}};
        if (part == 0) spec.postings.pop_back();
        Postings postings = {{a, Side::debit, Layer::posted, amount},
                             {b, Side::credit, Layer::posted, amount - part}};
        if (part > 0) postings.emplace_back(c, Side::credit, Layer::posted, part);
        check(spec, postings, step);
        break;
      }
      case 3: {  // a hold, sometimes expiring
        EntrySpec spec;
        spec.kind = EntryKind::pending;
        spec.postings = {{a, Side::debit, amount}, {b, Side::credit, amount}};
        if (random() % 2 == 0)
          spec.expires_at_unix_ms =
              clock_.now_unix_ms() + static_cast<std::int64_t>(1 + random() % 5000);
        const Postings postings = {{a, Side::debit, Layer::pending, amount},
                                   {b, Side::credit, Layer::pending, amount}};
        const bool accept = model_.would_accept(postings);
        auto result = ledger_->post(spec);
        ASSERT_EQ(result.has_value(), accept)
            << "step " << step << " hold: " << (result ? "" : result.error().message);
        if (accept) {
          model_.apply(postings);
          model_.holds[result->id] = {a, b, amount, spec.expires_at_unix_ms.value_or(0), true};
        }
        break;
      }
      case 4:
        resolve_random_hold(random, step);
        break;
      case 5: {  // time passes; due holds expire
        clock_.advance_ms(static_cast<std::int64_t>(random() % 3000));
        auto expired = ledger_->expire_due_holds(1000);
        ASSERT_TRUE(expired);
        std::size_t expected = 0;
        for (auto& [id, hold] : model_.holds) {
          if (hold.open && hold.expires_at != 0 && hold.expires_at <= clock_.now_unix_ms()) {
            hold.open = false;
            model_.apply({{hold.debit, Side::debit, Layer::pending, -hold.amount},
                          {hold.credit, Side::credit, Layer::pending, -hold.amount}});
            ++expected;
          }
        }
        ASSERT_EQ(*expired, expected) << "step " << step;
        break;
      }
      case 6:
        reverse_random_entry(random, step);
        break;
      case 7:
        invalid_request(random, a, b, step);
        break;
      case 8: {  // a batch whose last entry is invalid: nothing of it lands
        EntrySpec good;
        good.postings = {{ids_[0], Side::debit, amount}, {b, Side::credit, amount}};
        EntrySpec bad = good;
        bad.postings[1].amount += 1;
        ASSERT_FALSE(ledger_->post_batch({good, good, bad})) << "step " << step;
        break;
      }
    }
  }

  void check(const EntrySpec& spec, const Postings& postings, int step) {
    const bool accept = model_.would_accept(postings);
    auto result = ledger_->post(spec);
    ASSERT_EQ(result.has_value(), accept)
        << "step " << step << ": " << (result ? "accepted" : result.error().message);
    if (!accept) {
      EXPECT_EQ(result.error().code, "insufficient_funds");
      return;
    }
    model_.apply(postings);
    ModelEntry entry;
    for (const auto& [account, side, layer, amount] : postings)
      entry.posted.push_back({account, side, amount});
    model_.entries[result->id] = entry;
  }

  void resolve_random_hold(std::mt19937_64& random, int step) {
    if (model_.holds.empty()) return;
    auto it = model_.holds.begin();
    std::advance(it, static_cast<long>(random() % model_.holds.size()));
    auto& [id, hold] = *it;
    const bool post = random() % 2 == 0;
    EntrySpec spec;
    spec.kind = post ? EntryKind::post_pending : EntryKind::void_pending;
    spec.pending_entry_id = id;
    const i128 posted =
        post ? 1 + static_cast<i128>(random() % static_cast<std::uint64_t>(hold.amount)) : 0;
    if (post) spec.post_amount = posted;
    const bool expired = hold.expires_at != 0 && hold.expires_at <= clock_.now_unix_ms();
    auto result = ledger_->post(spec);
    if (!hold.open || expired) {
      ASSERT_FALSE(result) << "step " << step << ": resolved a closed or expired hold";
      EXPECT_EQ(result.error().code, hold.open ? "hold_expired" : "hold_already_resolved");
      return;
    }
    ASSERT_TRUE(result) << "step " << step << ": " << result.error().message;
    hold.open = false;
    Postings postings = {{hold.debit, Side::debit, Layer::pending, -hold.amount},
                         {hold.credit, Side::credit, Layer::pending, -hold.amount}};
    if (posted > 0) {
      postings.emplace_back(hold.debit, Side::debit, Layer::posted, posted);
      postings.emplace_back(hold.credit, Side::credit, Layer::posted, posted);
      model_.entries[result->id] =
          ModelEntry{{{hold.debit, Side::debit, posted}, {hold.credit, Side::credit, posted}}};
    }
    model_.apply(postings);
  }

  void reverse_random_entry(std::mt19937_64& random, int step) {
    if (model_.entries.empty()) return;
    auto it = model_.entries.begin();
    std::advance(it, static_cast<long>(random() % model_.entries.size()));
    auto& [id, entry] = *it;
    EntrySpec spec;
    spec.kind = EntryKind::reversal;
    spec.reverses_entry_id = id;
    Postings postings;
    for (const auto& posting : entry.posted) {
      postings.emplace_back(posting.account_id,
                            posting.side == Side::debit ? Side::credit : Side::debit, Layer::posted,
                            posting.amount);
    }
    const bool accept = !entry.reversed && model_.would_accept(postings);
    auto result = ledger_->post(spec);
    ASSERT_EQ(result.has_value(), accept)
        << "step " << step << ": " << (result ? "accepted" : result.error().message);
    if (accept) {
      entry.reversed = true;
      model_.apply(postings);
    }
  }

  void invalid_request(std::mt19937_64& random, const std::string& a, const std::string& b,
                       int step) {
    EntrySpec spec;
    spec.postings = {{a, Side::debit, 10}, {b, Side::credit, 10}};
    switch (random() % 4) {
      case 0:
        spec.postings[1].amount = 9;
        break;  // unbalanced
      case 1:
        spec.postings[1].account_id = "la_unknown";
        break;  // unknown account
      case 2:
        spec.postings[0].amount = spec.postings[1].amount = 0;
        break;
      default:
        spec.postings.pop_back();
        break;  // one posting
    }
    ASSERT_FALSE(ledger_->post(spec)) << "step " << step;
  }

  testing::TempDir temp_;
  ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<Ledger> ledger_;
  std::vector<std::string> ids_;
  Model model_;
};

TEST_P(LedgerPropertyTest, RandomSequencesAgreeWithTheModelAndKeepEveryInvariant) {
  std::mt19937_64 random(GetParam() == Dialect::sqlite ? 7 : 11);
  // Fund the wallets so that most transfers are possible and some are not.
  for (std::size_t i = 2; i < 7; ++i) {
    EntrySpec spec;
    spec.postings = {{ids_[0], Side::debit, 2000}, {ids_[i], Side::credit, 2000}};
    ASSERT_TRUE(ledger_->post(spec));
    model_.apply({{ids_[0], Side::debit, Layer::posted, 2000},
                  {ids_[i], Side::credit, Layer::posted, 2000}});
  }
  constexpr int kSteps = 600;
  for (int step = 0; step < kSteps; ++step) {
    random_step(random, step);
    if (HasFatalFailure()) return;
    expect_matches_model(step);
    if (HasFatalFailure()) return;
    if (step % 100 == 99) expect_verified("during the sequence");
  }
  expect_verified("after the sequence");
}

TEST_P(LedgerPropertyTest, ConcurrentRandomWritersKeepEveryInvariant) {
  for (std::size_t i = 2; i < 7; ++i) {
    EntrySpec spec;
    spec.postings = {{ids_[0], Side::debit, 5000}, {ids_[i], Side::credit, 5000}};
    ASSERT_TRUE(ledger_->post(spec));
  }
  constexpr int kThreads = 4;
  constexpr int kOpsPerThread = 150;
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 random(static_cast<std::uint64_t>(100 + t));
      std::vector<std::string> my_holds;
      for (int op = 0; op < kOpsPerThread; ++op) {
        const std::string& a = ids_[random() % ids_.size()];
        const std::string& b = ids_[random() % ids_.size()];
        if (a == b) continue;
        const i128 amount = static_cast<i128>(1 + random() % 400);
        EntrySpec spec;
        spec.postings = {{a, Side::debit, amount}, {b, Side::credit, amount}};
        const auto choice = random() % 5;
        if (choice == 1) spec.kind = EntryKind::pending;
        if (choice == 2 && !my_holds.empty()) {
          spec = EntrySpec{};
          spec.kind = random() % 2 ? EntryKind::post_pending : EntryKind::void_pending;
          spec.pending_entry_id = my_holds.back();
          my_holds.pop_back();
        }
        if (choice == 3) spec.postings[1].amount += 1;  // invalid
        auto result = ledger_->post(spec);
        if (result) {
          ++accepted;
          if (spec.kind == EntryKind::pending) my_holds.push_back(result->id);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_GT(accepted.load(), kThreads * kOpsPerThread / 4);
  expect_verified("after concurrent writers");
  auto lines = ledger_->trial_balance();
  ASSERT_TRUE(lines);
  for (const auto& line : *lines) {
    EXPECT_EQ(format_i128(line.debits_posted), format_i128(line.credits_posted));
    EXPECT_EQ(format_i128(line.debits_pending), format_i128(line.credits_pending));
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerPropertyTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backend_name);

}  // namespace
}  // namespace till::ledger
