// Key rings: parsing the vault.* settings, the local key file, and choosing between them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/till_process.h"
#include "vault/vault.h"
#include "vault_support.h"

namespace till::vault {
namespace {

using testing::data_keys_text;
using testing::key_base64;
using testing::key_bytes;
using till::testing::TempDir;

// Every error message of these cases must leave out every key given.
void expect_no_key_material(const std::string& message) {
  for (std::uint8_t seed = 0; seed < 10; seed++) {
    const std::string key = key_base64(seed);
    EXPECT_EQ(message.find(key.substr(0, 12)), std::string::npos) << message;
  }
  EXPECT_EQ(message.find(key_base64(200).substr(0, 12)), std::string::npos) << message;
}

TEST(ParseKeyRing, ReadsKeysActiveIdAndFingerprintKey) {
  const std::string keys = " k1:" + key_base64(1) + " , 2026-q3_b:" + key_base64(2) + " ";
  auto ring = parse_key_ring(keys, "2026-q3_b", key_base64(200));
  ASSERT_TRUE(ring) << ring.error().message;
  ASSERT_EQ(ring->keys.size(), 2u);
  EXPECT_EQ(ring->keys[0].id, "k1");
  EXPECT_EQ(ring->keys[0].bytes, key_bytes(1));
  EXPECT_EQ(ring->keys[1].id, "2026-q3_b");
  EXPECT_EQ(ring->keys[1].bytes, key_bytes(2));
  EXPECT_EQ(ring->active_id, "2026-q3_b");
  EXPECT_EQ(ring->fingerprint_key, key_bytes(200));
  // Unpadded base64 is the same key.
  std::string unpadded = key_base64(1);
  unpadded.pop_back();
  auto same = parse_key_ring("k1:" + unpadded, "k1", key_base64(200));
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->keys[0].bytes, key_bytes(1));
}

struct BadRing {
  std::string data_keys;
  std::string active;
  std::string fingerprint;
  std::vector<std::string> want;  // substrings of the message
};

TEST(ParseKeyRing, ProblemsNameTheSettingAndTheKeyIdButNeverTheKey) {
  const std::string k1 = "k1:" + key_base64(1);
  const std::string fp = key_base64(200);
  const std::string short_key =
      detail::base64_encode(std::vector<std::uint8_t>(16, 7), detail::Alphabet::standard);
  const std::vector<BadRing> cases = {
      {"k1:" + key_base64(1).substr(0, 20) + "!!" + key_base64(1).substr(22),
       "k1",
       fp,
       {"vault.data_keys", "'k1'", "not valid base64"}},
      {"k1:" + short_key, "k1", fp, {"vault.data_keys", "'k1'", "is 16 bytes; expected 32"}},
      {k1 + ",k1:" + key_base64(2), "k1", fp, {"vault.data_keys", "'k1' appears twice"}},
      {k1 + ",k2:" + key_base64(1), "k1", fp, {"'k1' and 'k2' are the same key"}},
      {k1, "k3", fp, {"vault.active_key", "'k3' is not a key in vault.data_keys (k1)"}},
      {k1, "", fp, {"vault.active_key", "is empty"}},
      {k1, "k.1", fp, {"vault.active_key", "1 to 32 characters"}},
      {k1, "k1", "", {"vault.fingerprint_key", "is empty"}},
      {k1, "k1", "*" + fp.substr(1), {"vault.fingerprint_key", "not valid base64"}},
      {k1, "k1", key_base64(1), {"vault.fingerprint_key", "same as data key 'k1'"}},
      {"", "k1", fp, {"vault.data_keys", "is empty"}},
      {key_base64(1), "k1", fp, {"vault.data_keys", "entry 1 is not id:<base64 key>"}},
      {k1 + ",", "k1", fp, {"vault.data_keys", "entry 2 is empty"}},
      {"k.1:" + key_base64(1), "k1", fp, {"entry 1: the key id must be 1 to 32 characters"}},
      {k1 + ",k2:" + short_key,
       "k3",
       key_base64(4).substr(4),
       {"is 16 bytes", "vault.active_key", "vault.fingerprint_key"}},  // every problem at once
  };
  for (const BadRing& bad : cases) {
    SCOPED_TRACE(bad.data_keys + " / " + bad.active);
    auto ring = parse_key_ring(bad.data_keys, bad.active, bad.fingerprint);
    ASSERT_FALSE(ring);
    EXPECT_EQ(ring.error().code, "vault_keys_invalid");
    for (const std::string& want : bad.want) {
      EXPECT_NE(ring.error().message.find(want), std::string::npos) << ring.error().message;
    }
    expect_no_key_material(ring.error().message);
  }
}

TEST(ParseKeyRing, AcceptsUpTo64Keys) {
  std::string keys;
  for (int i = 0; i < 65; i++) {
    keys += (keys.empty() ? "" : ",") + ("k" + std::to_string(i)) + ":" + generate_key_base64();
  }
  auto too_many = parse_key_ring(keys, "k0", key_base64(200));
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("more than 64 keys"), std::string::npos);
  keys.resize(keys.rfind(','));
  EXPECT_TRUE(parse_key_ring(keys, "k0", key_base64(200)));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(LocalKeyRing, IsCreatedOnceWithMode0600AndReadBackTheSame) {
  TempDir temp;
  const std::string data_dir = temp.path() + "/var/nested";
  const std::string path = data_dir + "/vault-keys.toml";
  auto first = load_or_create_local_key_ring(data_dir);
  ASSERT_TRUE(first) << first.error().message;
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_TRUE(first->active_id.starts_with("local-")) << first->active_id;
  ASSERT_EQ(first->keys.size(), 1u);

  const std::string sealed = Vault(*first).seal("4242424242424242", "pm_1");
  const std::string fingerprint = Vault(*first).fingerprint("4242424242424242");
  const std::string contents = read_file(path);
  auto second = load_or_create_local_key_ring(data_dir);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(read_file(path), contents);  // not rewritten
  const Vault again(*second);
  EXPECT_EQ(again.open(sealed, "pm_1").value(), "4242424242424242");
  EXPECT_EQ(again.fingerprint("4242424242424242"), fingerprint);
  auto loaded = load_local_key_ring(data_dir);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->active_id, first->active_id);

  // The file is the three [vault] settings, so it can be moved into configuration as it is.
  EXPECT_NE(contents.find("data_keys = \"" + first->active_id + ":"), std::string::npos);
  EXPECT_NE(contents.find("active_key = \"" + first->active_id + "\""), std::string::npos);
  EXPECT_NE(contents.find("fingerprint_key = \""), std::string::npos);
}

TEST(LocalKeyRing, ProcessesStartingTogetherAgreeOnOneFile) {
  TempDir temp;
  constexpr int kThreads = 8;
  std::vector<std::string> active(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back([&, i] {
      auto ring = load_or_create_local_key_ring(temp.path());
      if (ring) active[i] = ring->active_id;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& id : active) EXPECT_EQ(id, active[0]);
  EXPECT_FALSE(active[0].empty());
  // No temporary files are left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(temp.path())) {
    files++;
    EXPECT_EQ(entry.path().filename(), "vault-keys.toml");
  }
  EXPECT_EQ(files, 1);
}

TEST(LocalKeyRing, LoadOnlyDoesNotCreateAndABadFileIsNamed) {
  TempDir temp;
  auto missing = load_local_key_ring(temp.path());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "vault_keys_missing");
  EXPECT_FALSE(std::filesystem::exists(temp.path() + "/vault-keys.toml"));

  const std::string path = temp.path() + "/vault-keys.toml";
  for (const std::string& contents :
       {std::string("data_keys = \"k1:") + key_base64(1) + "\"\nactive_key = \"k1\"\n",
        std::string("data_keys = \"k1:") + key_base64(1) +
            "\"\nactive_key = \"k2\"\nfingerprint_key = \"" + key_base64(200) + "\"\n",
        std::string("garbage\n")}) {
    std::ofstream(path, std::ios::trunc) << contents;
    auto ring = load_or_create_local_key_ring(temp.path());
    ASSERT_FALSE(ring) << contents;
    EXPECT_NE(ring.error().message.find(path), std::string::npos) << ring.error().message;
    expect_no_key_material(ring.error().message);
    EXPECT_EQ(read_file(path), contents);  // never replaced
  }
}

TEST(KeyRingFromConfig, ConfiguredKeysWinOverTheLocalFile) {
  TempDir temp;
  config::Config config;
  config.storage.data_dir = temp.path();
  config.vault.data_keys = data_keys_text({{"k1", 1}, {"k2", 2}});
  config.vault.active_key = "k2";
  config.vault.fingerprint_key = key_base64(200);
  auto ring = key_ring_from_config(config);
  ASSERT_TRUE(ring) << ring.error().message;
  EXPECT_EQ(ring->active_id, "k2");
  EXPECT_FALSE(std::filesystem::exists(temp.path() + "/vault-keys.toml"));

  config.vault.active_key = "k3";
  EXPECT_FALSE(key_ring_from_config(config));
}

TEST(KeyRingFromConfig, NothingConfiguredUsesTheLocalFile) {
  TempDir temp;
  config::Config config;
  config.storage.data_dir = temp.path();
  auto missing = key_ring_from_config(config, LocalKeys::load_only);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "vault_keys_missing");
  auto created = key_ring_from_config(config);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(std::filesystem::exists(temp.path() + "/vault-keys.toml"));
  auto loaded = key_ring_from_config(config, LocalKeys::load_only);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->active_id, created->active_id);
}

TEST(KeyRingFromConfig, PartialConfigurationIsAnError) {
  TempDir temp;
  config::Config config;
  config.storage.data_dir = temp.path();
  config.vault.active_key = "k1";
  auto ring = key_ring_from_config(config);
  ASSERT_FALSE(ring);
  EXPECT_NE(ring.error().message.find("vault.data_keys"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(temp.path() + "/vault-keys.toml"));
}

}  // namespace
}  // namespace till::vault
