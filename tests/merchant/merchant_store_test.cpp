// MerchantStore on both backends: merchants, pagination, the key life cycle (issue, roll with
// and without an overlap, revoke), validation that names the field, and the rule that a
// secret never reaches the database.
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "merchant/merchant.h"
#include "merchant_fixture.h"

namespace till::merchant::testing {
namespace {

using store::Dialect;

INSTANTIATE_TEST_SUITE_P(Backends, MerchantTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         till::testing::backend_name);

TEST_P(MerchantTest, CreatesAMerchantWithAFirstTestKey) {
  MerchantSpec spec;
  spec.name = "Acme Coffee";
  spec.metadata = {{"tier", "gold"}, {"region", "eu"}};
  auto created = store_->create_merchant(spec);
  ASSERT_TRUE(created) << describe(created.error());
  const Merchant& merchant = created->merchant;
  EXPECT_TRUE(std::regex_match(merchant.id, std::regex("acct_[0-9A-Za-z]{22}"))) << merchant.id;
  EXPECT_EQ(merchant.name, "Acme Coffee");
  EXPECT_EQ(merchant.metadata, spec.metadata);
  EXPECT_EQ(merchant.created_at_unix_ms, clock_.now_unix_ms());

  ASSERT_TRUE(created->test_key);
  const IssuedKey& key = *created->test_key;
  EXPECT_TRUE(std::regex_match(key.secret, std::regex("sk_test_[0-9A-Za-z]{48}")));
  EXPECT_TRUE(std::regex_match(key.key.id, std::regex("key_[0-9A-Za-z]{22}"))) << key.key.id;
  EXPECT_EQ(key.key.merchant_id, merchant.id);
  EXPECT_EQ(key.key.mode, Mode::test);
  EXPECT_FALSE(key.key.livemode());
  EXPECT_EQ(key.key.secret_last4, key.secret.substr(key.secret.size() - 4));
  EXPECT_EQ(key.key.redacted(), "sk_test_\u2026" + key.key.secret_last4);
  EXPECT_EQ(key.key.status(clock_.now_unix_ms()), KeyStatus::active);

  auto fetched = store_->get_merchant(merchant.id);
  ASSERT_TRUE(fetched) << describe(fetched.error());
  EXPECT_EQ(fetched->id, merchant.id);
  EXPECT_EQ(fetched->name, merchant.name);
  EXPECT_EQ(fetched->metadata, merchant.metadata);
  EXPECT_EQ(fetched->created_at_unix_ms, merchant.created_at_unix_ms);

  auto keys = store_->list_keys(merchant.id, "", 10);
  ASSERT_TRUE(keys) << describe(keys.error());
  ASSERT_EQ(keys->items.size(), 1u);
  EXPECT_EQ(keys->items[0].id, key.key.id);
  EXPECT_EQ(keys->items[0].secret_last4, key.key.secret_last4);
}

TEST_P(MerchantTest, CreatesAMerchantWithoutAKeyWhenAsked) {
  const CreatedMerchant created = create("No keys", false);
  EXPECT_FALSE(created.test_key);
  auto keys = store_->list_keys(created.merchant.id, "", 10);
  ASSERT_TRUE(keys) << describe(keys.error());
  EXPECT_TRUE(keys->items.empty());
  EXPECT_FALSE(keys->has_more);
}

TEST_P(MerchantTest, ValidationNamesTheField) {
  struct Case {
    std::string name;
    Metadata metadata;
    std::string code;
    std::string field;
  };
  Metadata too_many;
  for (int i = 0; i < 51; ++i) too_many["k" + std::to_string(i)] = "v";
  const std::vector<Case> cases = {
      {"", {}, "name_invalid", "name"},
      {std::string(256, 'n'), {}, "name_invalid", "name"},
      {"bad\xff utf-8", {}, "name_invalid", "name"},
      {"line\nbreak", {}, "name_invalid", "name"},
      {"ok", too_many, "metadata_invalid", "metadata"},
      {"ok", {{"order", std::string(501, 'v')}}, "metadata_invalid", "metadata[order]"},
      {"ok",
       {{std::string(41, 'k'), "v"}},
       "metadata_invalid",
       "metadata[" + std::string(41, 'k') + "]"},
      {"ok", {{"", "v"}}, "metadata_invalid", "metadata"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code + " " + c.field);
    MerchantSpec spec;
    spec.name = c.name;
    spec.metadata = c.metadata;
    auto created = store_->create_merchant(spec);
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, c.code);
    EXPECT_EQ(created.error().field, c.field);
  }
  // Exactly at the limits is fine.
  MerchantSpec edge;
  edge.name = std::string(255, 'n');
  edge.metadata = {{std::string(40, 'k'), std::string(500, 'v')}, {"caf\u00e9", "\u2603"}};
  EXPECT_TRUE(store_->create_merchant(edge));
  auto listed = store_->list_merchants("", 10);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->items.size(), 1u);  // nothing of the refused ones was written
}

TEST_P(MerchantTest, UnknownIdsAreNotFound) {
  for (const std::string& id : {std::string("acct_0000000000000000000000"), std::string("nope"),
                                std::string("key_0000000000000000000000")}) {
    auto merchant = store_->get_merchant(id);
    ASSERT_FALSE(merchant);
    EXPECT_EQ(merchant.error().code, "merchant_not_found");
    EXPECT_EQ(merchant.error().field, "id");
    auto issued = store_->issue_key(id, Mode::test);
    ASSERT_FALSE(issued);
    EXPECT_EQ(issued.error().code, "merchant_not_found");
    auto keys = store_->list_keys(id, "", 10);
    ASSERT_FALSE(keys);
    EXPECT_EQ(keys.error().code, "merchant_not_found");
  }
  for (const std::string& id : {std::string("key_0000000000000000000000"), std::string("x")}) {
    EXPECT_EQ(store_->get_key(id).error().code, "key_not_found");
    EXPECT_EQ(store_->roll_key(id, 0).error().code, "key_not_found");
    EXPECT_EQ(store_->revoke_key(id).error().code, "key_not_found");
    EXPECT_EQ(store_->revoke_key(id).error().field, "id");
  }
}

TEST_P(MerchantTest, ListsMerchantsNewestFirstAcrossPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(create("m" + std::to_string(i), false).merchant.id);
    clock_.advance_ms(1);  // IDs order by millisecond
  }
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 5; ++page) {
    auto listed = store_->list_merchants(after, 2);
    ASSERT_TRUE(listed) << describe(listed.error());
    for (const Merchant& merchant : listed->items) seen.push_back(merchant.id);
    if (!listed->has_more) break;
    EXPECT_EQ(listed->items.size(), 2u);
    after = listed->items.back().id;
  }
  EXPECT_EQ(seen, std::vector<std::string>(ids.rbegin(), ids.rend()));

  auto unknown = store_->list_merchants("acct_0000000000000000000000", 2);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "cursor_invalid");
  EXPECT_EQ(unknown.error().field, "starting_after");
  EXPECT_EQ(store_->list_merchants("garbage", 2).error().code, "cursor_invalid");
  EXPECT_EQ(store_->list_merchants("", 0).error().code, "limit_invalid");
  EXPECT_EQ(store_->list_merchants("", kListLimitMax + 1).error().field, "limit");
}

TEST_P(MerchantTest, IssuesKeysInBothModesAndListsThemNewestFirst) {
  const std::string merchant = create("Acme").merchant.id;
  clock_.advance_ms(1);
  const IssuedKey live = issue(merchant, Mode::live);
  EXPECT_TRUE(std::regex_match(live.secret, std::regex("sk_live_[0-9A-Za-z]{48}")));
  EXPECT_TRUE(live.key.livemode());
  EXPECT_EQ(live.key.redacted(), "sk_live_\u2026" + live.secret.substr(live.secret.size() - 4));
  clock_.advance_ms(1);
  const IssuedKey test = issue(merchant, Mode::test);
  auto keys = store_->list_keys(merchant, "", 2);
  ASSERT_TRUE(keys) << describe(keys.error());
  ASSERT_EQ(keys->items.size(), 2u);
  EXPECT_TRUE(keys->has_more);
  EXPECT_EQ(keys->items[0].id, test.key.id);
  EXPECT_EQ(keys->items[1].id, live.key.id);
  EXPECT_EQ(keys->items[1].mode, Mode::live);
  auto rest = store_->list_keys(merchant, keys->items[1].id, 2);
  ASSERT_TRUE(rest) << describe(rest.error());
  EXPECT_EQ(rest->items.size(), 1u);
  EXPECT_FALSE(rest->has_more);
  // A cursor from another merchant's keys is not a cursor here.
  const CreatedMerchant other = create("Other");
  auto foreign = store_->list_keys(merchant, other.test_key->key.id, 2);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, "cursor_invalid");
  // Every secret is new.
  EXPECT_NE(live.secret, test.secret);
  EXPECT_NE(live.secret.substr(8), test.secret.substr(8));
}

TEST_P(MerchantTest, UsableKeysPerMerchantAreLimited) {
  const std::string merchant = create("Busy", false).merchant.id;
  std::string first;
  for (std::size_t i = 0; i < kUsableKeysPerMerchantMax; ++i) {
    const IssuedKey issued = issue(merchant, Mode::test);
    if (first.empty()) first = issued.key.id;
  }
  auto refused = store_->issue_key(merchant, Mode::live);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "key_limit_reached");
  ASSERT_TRUE(store_->revoke_key(first));
  EXPECT_TRUE(store_->issue_key(merchant, Mode::live));  // a revoked key no longer counts
}

TEST_P(MerchantTest, RollWithoutOverlapStopsTheOldKeyAtOnce) {
  const CreatedMerchant created = create();
  const ApiKey old_key = created.test_key->key;
  clock_.advance_ms(5);
  auto rolled = store_->roll_key(old_key.id, 0);
  ASSERT_TRUE(rolled) << describe(rolled.error());
  const std::int64_t now = clock_.now_unix_ms();
  EXPECT_EQ(rolled->previous.id, old_key.id);
  EXPECT_EQ(rolled->previous.expires_at_unix_ms, now);
  EXPECT_EQ(rolled->previous.status(now), KeyStatus::expired);
  EXPECT_EQ(rolled->previous.replaced_by_key_id, rolled->replacement.key.id);
  EXPECT_EQ(rolled->replacement.key.mode, Mode::test);
  EXPECT_EQ(rolled->replacement.key.merchant_id, created.merchant.id);
  EXPECT_TRUE(rolled->replacement.secret.starts_with("sk_test_"));
  EXPECT_NE(rolled->replacement.secret, created.test_key->secret);
  auto stored = store_->get_key(old_key.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->expires_at_unix_ms, now);
  EXPECT_EQ(stored->replaced_by_key_id, rolled->replacement.key.id);
  auto again = store_->roll_key(old_key.id, 0);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "key_expired");
  EXPECT_EQ(store_->get_key(rolled->replacement.key.id)->status(now), KeyStatus::active);
}

TEST_P(MerchantTest, RollWithOverlapKeepsTheOldKeyUntilItExpires) {
  const CreatedMerchant created = create();
  const std::string merchant = created.merchant.id;
  const IssuedKey live = issue(merchant, Mode::live);
  auto rolled = store_->roll_key(live.key.id, 3600);
  ASSERT_TRUE(rolled) << describe(rolled.error());
  const std::int64_t start = clock_.now_unix_ms();
  EXPECT_EQ(rolled->previous.expires_at_unix_ms, start + 3'600'000);
  EXPECT_EQ(rolled->replacement.key.mode, Mode::live);
  EXPECT_TRUE(rolled->replacement.secret.starts_with("sk_live_"));
  EXPECT_EQ(store_->get_key(live.key.id)->status(start), KeyStatus::expiring);
  auto twice = store_->roll_key(live.key.id, 60);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "key_already_rolled");
  clock_.advance_ms(3'600'000);
  EXPECT_EQ(store_->get_key(live.key.id)->status(clock_.now_unix_ms()), KeyStatus::expired);
  EXPECT_EQ(store_->roll_key(live.key.id, 0).error().code, "key_expired");
  // The longest overlap is 7 days; negative ones do not exist.
  for (std::int64_t seconds : {std::int64_t{-1}, kRollOverlapSecondsMax + 1}) {
    auto refused = store_->roll_key(created.test_key->key.id, seconds);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, "expires_in_invalid");
    EXPECT_EQ(refused.error().field, "expires_in_seconds");
  }
  EXPECT_TRUE(store_->roll_key(created.test_key->key.id, kRollOverlapSecondsMax));
}

TEST_P(MerchantTest, RevokeStopsTheKeyAndIsIdempotent) {
  const CreatedMerchant created = create();
  const std::string key_id = created.test_key->key.id;
  clock_.advance_ms(10);
  const std::int64_t revoked_at = clock_.now_unix_ms();
  auto revoked = store_->revoke_key(key_id);
  ASSERT_TRUE(revoked) << describe(revoked.error());
  EXPECT_EQ(revoked->revoked_at_unix_ms, revoked_at);
  EXPECT_EQ(revoked->status(revoked_at), KeyStatus::revoked);
  clock_.advance_ms(10);
  auto again = store_->revoke_key(key_id);
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(again->revoked_at_unix_ms, revoked_at);  // unchanged
  auto roll = store_->roll_key(key_id, 0);
  ASSERT_FALSE(roll);
  EXPECT_EQ(roll.error().code, "key_revoked");
}

// Reads every column of every api_keys and merchants row as text.
std::vector<std::string> table_text(store::Database& database) {
  std::vector<std::string> rows;
  auto done = database.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto keys = connection.query(
        "SELECT id, merchant_id, mode, secret_sha256, secret_last4,"
        " CAST(created_at_unix_ms AS TEXT), CAST(expires_at_unix_ms AS TEXT),"
        " CAST(revoked_at_unix_ms AS TEXT), replaced_by_key_id FROM api_keys",
        {}, [&](const store::Row& row) {
          std::string text;
          for (int column = 0; column < row.column_count(); ++column) {
            if (!row.is_null(column)) text += std::string(row.get_text(column)) + "|";
          }
          rows.push_back(text);
        });
    if (!keys) return keys;
    return connection.query(
        "SELECT id, name, metadata_json FROM merchants", {}, [&](const store::Row& row) {
          rows.push_back(std::string(row.get_text(0)) + "|" + std::string(row.get_text(1)) + "|" +
                         std::string(row.get_text(2)));
        });
  });
  EXPECT_TRUE(done) << done.error().message;
  return rows;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_P(MerchantTest, SecretsAreNeverStored) {
  std::vector<std::string> secrets;
  const CreatedMerchant created = create();
  secrets.push_back(created.test_key->secret);
  secrets.push_back(issue(created.merchant.id, Mode::live).secret);
  auto rolled = store_->roll_key(created.test_key->key.id, 60);
  ASSERT_TRUE(rolled);
  secrets.push_back(rolled->replacement.secret);
  const std::vector<std::string> rows = table_text(*database_);
  ASSERT_EQ(rows.size(), 4u);  // three keys, one merchant
  for (const std::string& secret : secrets) {
    const std::string body = secret.substr(8);  // without sk_test_ / sk_live_
    for (const std::string& row : rows) {
      EXPECT_EQ(row.find(body.substr(0, 16)), std::string::npos) << row;
      EXPECT_EQ(row.find(body.substr(body.size() - 16)), std::string::npos) << row;
    }
  }
  if (GetParam() == Dialect::sqlite) {
    // Not in any page of the database file or its write-ahead log either.
    const std::string bytes =
        file_bytes(temp_.path() + "/till.db") + file_bytes(temp_.path() + "/till.db-wal");
    ASSERT_FALSE(bytes.empty());
    for (const std::string& secret : secrets) {
      EXPECT_EQ(bytes.find(secret.substr(8, 20)), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace till::merchant::testing
