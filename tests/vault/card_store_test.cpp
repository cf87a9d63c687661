// The card_vault table on SQLite and PostgreSQL: storing, loading, binding to the row, and key
// rotation; and that no card number reaches the SQLite files in plain text.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "base/random.h"
#include "store/store.h"
#include "support/test_database.h"
#include "support/till_process.h"
#include "vault/vault.h"
#include "vault_support.h"

namespace till::vault {
namespace {

using store::Connection;
using store::Dialect;
using store::ErrorKind;
using store::StoreResult;
using testing::ring_of;

constexpr std::int64_t kNowMs = 1'790'000'000'000;

// A Luhn-valid 16-digit number that appears nowhere else: 8 random digits make it unique.
std::string fresh_card_number() {
  std::string number = "4";
  std::array<std::uint8_t, 14> random{};
  random_bytes(random);
  for (const std::uint8_t byte : random) number += static_cast<char>('0' + byte % 10);
  for (char check = '0'; check <= '9'; check++) {
    if (luhn_valid(number + check)) return number + check;
  }
  return {};
}

// pm_0000, pm_0001, ...: ids that sort in the order they were made.
std::string pm_id(int i) {
  std::string digits = std::to_string(i);
  return "pm_" + std::string(4 - std::min<std::size_t>(4, digits.size()), '0') + digits;
}

class CardVaultTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    auto database = till::testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
  }

  StoreResult<void> store(const Vault& vault, const std::string& merchant, const std::string& pm,
                          const CardSecret& card) {
    return database_->transact(
        [&](Connection& c) { return store_card(c, vault, merchant, pm, card, kNowMs); });
  }

  StoreResult<std::optional<CardSecret>> load(const Vault& vault, const std::string& merchant,
                                              const std::string& pm) {
    StoreResult<std::optional<CardSecret>> result = std::optional<CardSecret>();
    auto done = database_->read([&](Connection& c) -> StoreResult<void> {
      result = load_card(c, vault, merchant, pm);
      return {};
    });
    EXPECT_TRUE(done);
    return result;
  }

  std::string sealed_of(const std::string& pm) {
    std::string sealed;
    auto done = database_->read([&](Connection& c) -> StoreResult<void> {
      auto text = c.query_one<std::string>(
          "SELECT sealed_card FROM card_vault WHERE payment_method_id = $1", {pm});
      if (!text) return unexpected(text.error());
      sealed = text->value_or("");
      return {};
    });
    EXPECT_TRUE(done);
    return sealed;
  }

  std::int64_t count(const std::string& sql, store::Params params = {}) {
    std::int64_t n = -1;
    auto done = database_->read([&](Connection& c) -> StoreResult<void> {
      auto value = c.query_one<std::int64_t>(sql, params);
      if (!value) return unexpected(value.error());
      n = value->value_or(-1);
      return {};
    });
    EXPECT_TRUE(done);
    return n;
  }

  // `n` cards for merchant acct_a, pm_0000.. in order, sealed by `vault`.
  std::vector<CardSecret> store_many(const Vault& vault, int n, int first = 0) {
    std::vector<CardSecret> cards;
    for (int i = first; i < first + n; i++) {
      CardSecret card{fresh_card_number(), 1 + i % 12, 2030 + i % 5};
      EXPECT_TRUE(store(vault, "acct_a", pm_id(i), card));
      cards.push_back(card);
    }
    return cards;
  }

  till::testing::TempDir temp_;
  std::unique_ptr<store::Database> database_;
};

void expect_same(const CardSecret& got, const CardSecret& want) {
  EXPECT_EQ(got.number, want.number);
  EXPECT_EQ(got.exp_month, want.exp_month);
  EXPECT_EQ(got.exp_year, want.exp_year);
}

TEST_P(CardVaultTest, StoresAndLoadsACard) {
  const Vault vault(ring_of({{"k1", 1}}, "k1"));
  const CardSecret card{"4242424242424242", 12, 2034};
  ASSERT_TRUE(store(vault, "acct_a", "pm_1", card));
  auto loaded = load(vault, "acct_a", "pm_1");
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  expect_same(**loaded, card);
  const std::string sealed = sealed_of("pm_1");
  EXPECT_TRUE(sealed.starts_with("v1.k1.")) << sealed;
  EXPECT_EQ(sealed.find("4242"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM card_vault WHERE key_id = 'k1' AND merchant_id = 'acct_a' "
                  "AND created_at_unix_ms = 1790000000000 AND rotated_at_unix_ms IS NULL"),
            1);
}

TEST_P(CardVaultTest, AnotherMerchantOrAnUnknownPaymentMethodFindsNothing) {
  const Vault vault(ring_of({{"k1", 1}}, "k1"));
  ASSERT_TRUE(store(vault, "acct_a", "pm_1", {"4242424242424242", 1, 2030}));
  auto other_merchant = load(vault, "acct_b", "pm_1");
  ASSERT_TRUE(other_merchant);
  EXPECT_FALSE(other_merchant->has_value());
  auto unknown = load(vault, "acct_a", "pm_2");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(CardVaultTest, RefusesInvalidCardsWithoutEchoingTheNumberAndDuplicates) {
  const Vault vault(ring_of({{"k1", 1}}, "k1"));
  const std::vector<CardSecret> invalid = {
      {"42424242424", 1, 2030},         {"42424242424242424242", 1, 2030},
      {"4242 4242 4242 4242", 1, 2030}, {"4242424242424242", 0, 2030},
      {"4242424242424242", 13, 2030},   {"4242424242424242", 1, 30},
      {"4242424242424242", 1, 10'000}};
  for (const CardSecret& card : invalid) {
    auto stored = store(vault, "acct_a", "pm_bad", card);
    ASSERT_FALSE(stored) << card.number << " " << card.exp_month << "/" << card.exp_year;
    EXPECT_EQ(stored.error().kind, ErrorKind::invalid_argument);
    EXPECT_EQ(stored.error().message.find("4242"), std::string::npos) << stored.error().message;
  }
  ASSERT_TRUE(store(vault, "acct_a", "pm_1", {"4242424242424242", 1, 2030}));
  auto again = store(vault, "acct_a", "pm_1", {"5555555555554444", 1, 2030});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::constraint);
}

TEST_P(CardVaultTest, ADecryptFailureIsAnErrorNotAMissingCard) {
  const Vault vault(ring_of({{"k1", 1}}, "k1"));
  ASSERT_TRUE(store(vault, "acct_a", "pm_1", {"4242424242424242", 1, 2030}));
  const Vault without_k1(ring_of({{"k2", 2}}, "k2"));
  auto loaded = load(without_k1, "acct_a", "pm_1");
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("'k1'"), std::string::npos) << loaded.error().message;
}

TEST_P(CardVaultTest, ASealedCardMovedToAnotherRowDoesNotOpen) {
  const Vault vault(ring_of({{"k1", 1}}, "k1"));
  ASSERT_TRUE(store(vault, "acct_a", "pm_1", {"4242424242424242", 1, 2030}));
  ASSERT_TRUE(store(vault, "acct_b", "pm_2", {"5555555555554444", 2, 2031}));
  auto moved = database_->transact([&](Connection& c) -> StoreResult<void> {
    auto updated = c.execute("UPDATE card_vault SET sealed_card = $1 WHERE payment_method_id = $2",
                             {sealed_of("pm_1"), std::string("pm_2")});
    if (!updated) return unexpected(updated.error());
    return {};
  });
  ASSERT_TRUE(moved) << moved.error().message;
  auto loaded = load(vault, "acct_b", "pm_2");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message.find("4242"), std::string::npos);
}

TEST_P(CardVaultTest, EraseRemovesOnlyTheMerchantsCard) {
  const Vault vault(ring_of({{"k1", 1}}, "k1"));
  ASSERT_TRUE(store(vault, "acct_a", "pm_1", {"4242424242424242", 1, 2030}));
  auto erase = [&](const std::string& merchant, const std::string& pm) {
    bool erased = false;
    EXPECT_TRUE(database_->transact([&](Connection& c) -> StoreResult<void> {
      auto done = erase_card(c, merchant, pm);
      if (!done) return unexpected(done.error());
      erased = *done;
      return {};
    }));
    return erased;
  };
  EXPECT_FALSE(erase("acct_b", "pm_1"));
  EXPECT_TRUE(erase("acct_a", "pm_1"));
  EXPECT_FALSE(erase("acct_a", "pm_1"));
  EXPECT_FALSE(load(vault, "acct_a", "pm_1")->has_value());
}

TEST_P(CardVaultTest, RotationRewrapsEveryRowUnderTheActiveKeyAndIsIdempotent) {
  const Vault old_vault(ring_of({{"k1", 1}}, "k1"));
  const std::vector<CardSecret> cards = store_many(old_vault, 23);
  const Vault vault(ring_of({{"k1", 1}, {"k2", 2}}, "k2"));
  // A card stored after the restart with k2 active is current already.
  const CardSecret late{"4000056655665556", 3, 2033};
  ASSERT_TRUE(store(vault, "acct_a", "pm_9999", late));

  auto report = rotate_keys(*database_, vault, 5);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->rewrapped, 23);
  EXPECT_EQ(report->already_current, 1);
  EXPECT_EQ(report->failed, 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM card_vault WHERE key_id = 'k2'"), 24);
  EXPECT_EQ(count("SELECT COUNT(*) FROM card_vault WHERE sealed_card LIKE 'v1.k2.%'"), 24);
  EXPECT_EQ(count("SELECT COUNT(*) FROM card_vault WHERE rotated_at_unix_ms IS NOT NULL"), 23);

  // Readable with k2 alone: k1 can now be removed from the ring.
  const Vault k2_only(ring_of({{"k2", 2}}, "k2"));
  for (std::size_t i = 0; i < cards.size(); i++) {
    const std::string pm = pm_id(static_cast<int>(i));
    auto loaded = load(k2_only, "acct_a", pm);
    ASSERT_TRUE(loaded) << pm << ": " << loaded.error().message;
    ASSERT_TRUE(loaded->has_value()) << pm;
    expect_same(**loaded, cards[i]);
  }

  auto again = rotate_keys(*database_, vault, 5);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->rewrapped, 0);
  EXPECT_EQ(again->already_current, 24);
  EXPECT_EQ(again->failed, 0);
}

TEST_P(CardVaultTest, ARowWhoseKeyIsMissingIsCountedFailedAndLeftUntouched) {
  const Vault lost(ring_of({{"k0", 9}}, "k0"));
  ASSERT_TRUE(store(lost, "acct_a", "pm_0005", {"4242424242424242", 1, 2030}));
  const std::string lost_sealed = sealed_of("pm_0005");
  const Vault k1(ring_of({{"k1", 1}}, "k1"));
  store_many(k1, 5, 0);
  store_many(k1, 5, 6);
  const Vault vault(ring_of({{"k1", 1}, {"k2", 2}}, "k2"));

  for (const std::size_t batch : {std::size_t{1}, std::size_t{4}}) {
    auto report = rotate_keys(*database_, vault, batch);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->failed, 1);
    EXPECT_EQ(report->rewrapped, batch == 1 ? 10 : 0);
    EXPECT_EQ(report->already_current, batch == 1 ? 0 : 10);
    EXPECT_EQ(sealed_of("pm_0005"), lost_sealed);
    EXPECT_EQ(count("SELECT COUNT(*) FROM card_vault WHERE key_id = 'k0'"), 1);
  }
  EXPECT_TRUE(load(lost, "acct_a", "pm_0005")->has_value());
}

TEST_P(CardVaultTest, ConcurrentRotationsRewrapEachRowOnce) {
  const Vault k1(ring_of({{"k1", 1}}, "k1"));
  const std::vector<CardSecret> cards = store_many(k1, 40);
  const Vault vault(ring_of({{"k1", 1}, {"k2", 2}}, "k2"));
  RotationReport a;
  RotationReport b;
  std::thread first([&] { a = rotate_keys(*database_, vault, 3).value(); });
  std::thread second([&] { b = rotate_keys(*database_, vault, 7).value(); });
  first.join();
  second.join();
  EXPECT_EQ(a.rewrapped + b.rewrapped, 40);
  EXPECT_EQ(a.failed + b.failed, 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM card_vault WHERE key_id = 'k2'"), 40);
  const Vault k2_only(ring_of({{"k2", 2}}, "k2"));
  auto loaded = load(k2_only, "acct_a", "pm_0039");
  ASSERT_TRUE(loaded && loaded->has_value());
  expect_same(**loaded, cards[39]);
}

TEST_P(CardVaultTest, RotationRefusesAnUnboundedBatch) {
  const Vault vault(ring_of({{"k1", 1}}, "k1"));
  for (const std::size_t batch : {std::size_t{0}, kRotationBatchMax + 1}) {
    auto report = rotate_keys(*database_, vault, batch);
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().kind, ErrorKind::invalid_argument);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CardVaultTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         till::testing::backend_name);

// Invariant 6 (DESIGN.md): no card number is stored in plain text. Every byte of every file
// SQLite wrote (database, WAL, shared memory) is searched for every number stored.
TEST(CardVaultFiles, NoCardNumberIsInTheSqliteFilesInPlainText) {
  till::testing::TempDir temp;
  std::vector<std::string> numbers;
  {
    auto database = till::testing::open_fresh_database(Dialect::sqlite, temp.path());
    ASSERT_TRUE(database) << database.error().message;
    const Vault vault(ring_of({{"k1", 1}}, "k1"));
    for (int i = 0; i < 20; i++) {
      numbers.push_back(fresh_card_number());
      auto stored = (*database)->transact([&](Connection& c) {
        return store_card(c, vault, "acct_a", "pm_" + std::to_string(i), {numbers.back(), 4, 2031},
                          kNowMs);
      });
      ASSERT_TRUE(stored) << stored.error().message;
    }
    // Read them back too: the plaintext must not leak through the read path either.
    auto read = (*database)->read([&](Connection& c) -> StoreResult<void> {
      for (int i = 0; i < 20; i++) {
        auto card = load_card(c, vault, "acct_a", "pm_" + std::to_string(i));
        if (!card) return unexpected(card.error());
        EXPECT_EQ((*card)->number, numbers[static_cast<std::size_t>(i)]);
      }
      return {};
    });
    ASSERT_TRUE(read) << read.error().message;
    // Check the files while the database is open (WAL not yet folded in) and after closing.
    for (const auto& entry : std::filesystem::directory_iterator(temp.path())) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      for (const std::string& number : numbers) {
        EXPECT_EQ(bytes.find(number), std::string::npos) << entry.path();
        EXPECT_EQ(bytes.find(number.substr(0, 12)), std::string::npos) << entry.path();
      }
    }
  }
  std::size_t files = 0;
  std::size_t total_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(temp.path())) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    files++;
    total_bytes += bytes.size();
    for (const std::string& number : numbers) {
      EXPECT_EQ(bytes.find(number), std::string::npos) << entry.path();
    }
  }
  EXPECT_GE(files, 1u);
  EXPECT_GT(total_bytes, 20u * 60u);  // the rows are there, sealed
}

}  // namespace
}  // namespace till::vault
