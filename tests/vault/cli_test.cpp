// `till vault rotate-key` and `till vault generate-key` through the real binary, with the keys
// given the way production gives them: TILL_VAULT_* environment variables.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/store.h"
#include "support/till_process.h"
#include "vault/base64.h"
#include "vault/vault.h"
#include "vault_support.h"

namespace till::vault {
namespace {

using store::Connection;
using store::StoreResult;
using testing::data_keys_text;
using testing::key_base64;
using testing::ring_of;
using till::testing::CommandResult;
using till::testing::run_till;
using till::testing::TempDir;
using Env = std::vector<std::pair<std::string, std::string>>;

constexpr std::int64_t kNowMs = 1'790'000'000'000;

class VaultCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const CommandResult migrated = run_till({"migrate", "--data-dir", temp_.path()});
    ASSERT_EQ(migrated.exit_status, 0) << migrated.err;
  }

  std::unique_ptr<store::Database> open() {
    store::StoreOptions options;
    options.data_dir = temp_.path();
    auto database = store::open_database(options);
    EXPECT_TRUE(database) << database.error().message;
    return database ? std::move(database).value() : nullptr;
  }

  void store_cards(const Vault& vault, int n, const std::string& prefix) {
    auto database = open();
    ASSERT_TRUE(database);
    for (int i = 0; i < n; i++) {
      auto stored = database->transact([&](Connection& c) {
        return store_card(c, vault, "acct_a", prefix + std::to_string(i),
                          {"4242424242424242", 1 + i % 12, 2030}, kNowMs);
      });
      ASSERT_TRUE(stored) << stored.error().message;
    }
  }

  int loadable(const Vault& vault, int n, const std::string& prefix) {
    auto database = open();
    int count = 0;
    EXPECT_TRUE(database->read([&](Connection& c) -> StoreResult<void> {
      for (int i = 0; i < n; i++) {
        auto card = load_card(c, vault, "acct_a", prefix + std::to_string(i));
        if (card && card->has_value() && (*card)->number == "4242424242424242") count++;
      }
      return {};
    }));
    return count;
  }

  CommandResult rotate(const Env& env, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"vault", "rotate-key", "--data-dir", temp_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_till(args, env);
  }

  static Env keys_env(const std::string& data_keys, const std::string& active) {
    return {{"TILL_VAULT_DATA_KEYS", data_keys},
            {"TILL_VAULT_ACTIVE_KEY", active},
            {"TILL_VAULT_FINGERPRINT_KEY", key_base64(200)}};
  }

  TempDir temp_;
};

TEST_F(VaultCliTest, RotateKeyReencryptsUnderTheActiveKeyAndReRunsAsANoOp) {
  store_cards(Vault(ring_of({{"k1", 1}}, "k1")), 12, "pm_");
  const Env env = keys_env(data_keys_text({{"k1", 1}, {"k2", 2}}), "k2");

  const CommandResult first = rotate(env, {"--batch-size", "5"});
  EXPECT_EQ(first.exit_status, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("active key k2: 12 re-encrypted, 0 already current, 0 failed"),
            std::string::npos)
      << first.out;
  EXPECT_EQ(loadable(Vault(ring_of({{"k2", 2}}, "k2")), 12, "pm_"), 12);

  const CommandResult second = rotate(env);
  EXPECT_EQ(second.exit_status, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("0 re-encrypted, 12 already current, 0 failed"), std::string::npos)
      << second.out;

  // The configuration's own keys never reach the output.
  for (const std::string& text : {first.out, first.err, second.out, second.err}) {
    EXPECT_EQ(text.find(key_base64(1).substr(0, 12)), std::string::npos);
    EXPECT_EQ(text.find(key_base64(2).substr(0, 12)), std::string::npos);
  }
}

TEST_F(VaultCliTest, RotateKeyExitsOneWhenACardsKeyIsMissing) {
  store_cards(Vault(ring_of({{"k0", 9}}, "k0")), 1, "pm_lost_");
  store_cards(Vault(ring_of({{"k1", 1}}, "k1")), 3, "pm_");
  const CommandResult result = rotate(keys_env(data_keys_text({{"k1", 1}, {"k2", 2}}), "k2"));
  EXPECT_EQ(result.exit_status, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("3 re-encrypted, 0 already current, 1 failed"), std::string::npos)
      << result.out;
  EXPECT_NE(result.err.find("pm_lost_0"), std::string::npos) << result.err;  // the log names it
  EXPECT_NE(result.err.find("do not remove old keys"), std::string::npos) << result.err;
  EXPECT_EQ(loadable(Vault(ring_of({{"k0", 9}}, "k0")), 1, "pm_lost_"), 1);
}

TEST_F(VaultCliTest, RotateKeyRefusesBadKeysWithoutEchoingThem) {
  const std::string bad = "k1:" + key_base64(1).substr(0, 30);
  const CommandResult result = rotate(keys_env(bad, "k1"));
  EXPECT_EQ(result.exit_status, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("vault.data_keys"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find(key_base64(1).substr(0, 12)), std::string::npos) << result.err;

  const CommandResult missing_active = rotate(keys_env(data_keys_text({{"k1", 1}}), "k9"));
  EXPECT_EQ(missing_active.exit_status, 2);
  EXPECT_NE(missing_active.err.find("'k9' is not a key"), std::string::npos) << missing_active.err;
}

TEST_F(VaultCliTest, RotateKeyNeverCreatesLocalKeys) {
  const CommandResult result = rotate({});
  EXPECT_EQ(result.exit_status, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("vault-keys.toml"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(temp_.path() + "/vault-keys.toml"));
}

TEST_F(VaultCliTest, RotateKeyUsesTheLocalKeyFileWhenNothingIsConfigured) {
  auto ring = load_or_create_local_key_ring(temp_.path());
  ASSERT_TRUE(ring) << ring.error().message;
  store_cards(Vault(*ring), 4, "pm_");
  const CommandResult result = rotate({});
  EXPECT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("0 re-encrypted, 4 already current, 0 failed"), std::string::npos)
      << result.out;
}

TEST(VaultCli, RotateKeyNeedsAnExistingDatabase) {
  TempDir empty;
  const CommandResult result = run_till({"vault", "rotate-key", "--data-dir", empty.path()},
                                        {{"TILL_VAULT_DATA_KEYS", data_keys_text({{"k1", 1}})},
                                         {"TILL_VAULT_ACTIVE_KEY", "k1"},
                                         {"TILL_VAULT_FINGERPRINT_KEY", key_base64(200)}});
  EXPECT_EQ(result.exit_status, 1) << result.err;
  EXPECT_NE(result.err.find("no database"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(empty.path() + "/till.db"));
}

TEST(VaultCli, GenerateKeyPrintsAFreshBase64Key) {
  const CommandResult first = run_till({"vault", "generate-key"});
  const CommandResult second = run_till({"vault", "generate-key"});
  ASSERT_EQ(first.exit_status, 0) << first.err;
  ASSERT_EQ(first.out.size(), 45u) << first.out;
  EXPECT_EQ(first.out.back(), '\n');
  const std::string key = first.out.substr(0, 44);
  auto bytes = detail::base64_decode(key, detail::Alphabet::standard);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), kDataKeyBytes);
  EXPECT_NE(first.out, second.out);
  // It is accepted as a vault key as printed.
  EXPECT_TRUE(parse_key_ring("k1:" + key, "k1", second.out.substr(0, 44)));
}

}  // namespace
}  // namespace till::vault
