// Sealing, opening, fingerprints, Luhn and sealed string maps.
#include "vault/vault.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <set>

#include "vault/base64.h"
#include "vault_support.h"

namespace till::vault {
namespace {

using detail::Alphabet;
using detail::base64_decode;
using detail::base64_encode;
using testing::ring_of;

constexpr std::string_view kAad = "pm_1";

Vault vault_k1() { return Vault(ring_of({{"k1", 1}}, "k1")); }

// The sealed payload (nonce || ciphertext || tag) of `sealed`.
std::vector<std::uint8_t> payload_of(const std::string& sealed) {
  const std::size_t dot = sealed.find('.', 3);
  auto bytes = base64_decode(std::string_view(sealed).substr(dot + 1), Alphabet::url);
  EXPECT_TRUE(bytes.has_value());
  return bytes.value_or(std::vector<std::uint8_t>());
}

std::string with_payload(const std::string& sealed, const std::vector<std::uint8_t>& payload) {
  const std::size_t dot = sealed.find('.', 3);
  return sealed.substr(0, dot + 1) + base64_encode(payload, Alphabet::url);
}

TEST(Vault, RoundTripsTextsOfEverySize) {
  const Vault vault = vault_k1();
  for (const std::size_t size : {0, 1, 15, 16, 17, 255, 4096, int(kPlaintextBytesMax)}) {
    SCOPED_TRACE(size);
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; i++) text[i] = static_cast<char>(i * 13);
    const std::string sealed = vault.seal(text, kAad);
    auto opened = vault.open(sealed, kAad);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(*opened, text);
  }
}

TEST(Vault, SealedTextNamesVersionAndKeyAndIsBase64Url) {
  const Vault vault = vault_k1();
  const std::string sealed = vault.seal("4242424242424242", kAad);
  ASSERT_TRUE(sealed.starts_with("v1.k1.")) << sealed;
  for (const char c : sealed.substr(6)) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
  }
  EXPECT_EQ(payload_of(sealed).size(), kNonceBytes + 16 + kTagBytes);
  EXPECT_EQ(sealed.find("4242"), std::string::npos);
  EXPECT_EQ(Vault::key_id_of(sealed), "k1");
  EXPECT_TRUE(vault.sealed_with_active_key(sealed));
}

// The format as documented (docs/vault.md): AES-256-GCM, the payload is nonce || ciphertext
// || tag, and the authenticated data is the header "v1.<key id>." followed by the caller's.
// Decrypted here with OpenSSL alone, so the format can be read by other tools.
TEST(Vault, FormatIsPlainAes256GcmWithTheHeaderInTheAssociatedData) {
  const Vault vault = vault_k1();
  const std::string sealed = vault.seal("hello, vault", kAad);
  const std::vector<std::uint8_t> payload = payload_of(sealed);
  const std::array<std::uint8_t, kDataKeyBytes> key = testing::key_bytes(1);
  const std::string aad = "v1.k1." + std::string(kAad);
  const std::size_t text_size = payload.size() - kNonceBytes - kTagBytes;
  std::vector<std::uint8_t> tag(payload.end() - kTagBytes, payload.end());

  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  ASSERT_EQ(EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nullptr, key.data(), payload.data()), 1);
  int length = 0;
  ASSERT_EQ(EVP_DecryptUpdate(context, nullptr, &length,
                              reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())),
            1);
  std::string text(text_size, '\0');
  ASSERT_EQ(EVP_DecryptUpdate(context, reinterpret_cast<unsigned char*>(text.data()), &length,
                              payload.data() + kNonceBytes, static_cast<int>(text_size)),
            1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, 16, tag.data()), 1);
  int final_length = 0;
  EXPECT_EQ(EVP_DecryptFinal_ex(context, nullptr, &final_length), 1);
  EVP_CIPHER_CTX_free(context);
  EXPECT_EQ(text, "hello, vault");
}

TEST(Vault, TwoSealsOfTheSameTextDiffer) {
  const Vault vault = vault_k1();
  std::set<std::string> seen;
  std::set<std::vector<std::uint8_t>> nonces;
  for (int i = 0; i < 100; i++) {
    const std::string sealed = vault.seal("4242424242424242", kAad);
    EXPECT_TRUE(seen.insert(sealed).second);
    const std::vector<std::uint8_t> payload = payload_of(sealed);
    EXPECT_TRUE(nonces.insert({payload.begin(), payload.begin() + kNonceBytes}).second);
  }
}

TEST(Vault, ChangingAnyByteOfNonceCiphertextOrTagFailsToOpen) {
  const Vault vault = vault_k1();
  const std::string sealed = vault.seal("4242424242424242:12:2030", kAad);
  const std::vector<std::uint8_t> payload = payload_of(sealed);
  for (std::size_t i = 0; i < payload.size(); i++) {
    for (const std::uint8_t flip : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
      std::vector<std::uint8_t> altered = payload;
      altered[i] ^= flip;
      auto opened = vault.open(with_payload(sealed, altered), kAad);
      ASSERT_FALSE(opened) << "byte " << i << " flip " << int(flip);
      EXPECT_EQ(opened.error().code, "vault_open_failed");
      EXPECT_EQ(opened.error().message.find("4242"), std::string::npos);
    }
  }
  // Shorter and longer payloads fail too.
  std::vector<std::uint8_t> shorter(payload.begin(), payload.end() - 1);
  EXPECT_FALSE(vault.open(with_payload(sealed, shorter), kAad));
  std::vector<std::uint8_t> longer = payload;
  longer.push_back(0);
  EXPECT_FALSE(vault.open(with_payload(sealed, longer), kAad));
  // And the untouched text still opens.
  EXPECT_TRUE(vault.open(with_payload(sealed, payload), kAad));
}

TEST(Vault, WrongAssociatedDataFails) {
  const Vault vault = vault_k1();
  const std::string sealed = vault.seal("secret", "pm_1");
  for (const std::string_view other : {"pm_2", "", "pm_1 ", "pm_", "PM_1"}) {
    auto opened = vault.open(sealed, other);
    ASSERT_FALSE(opened) << other;
    EXPECT_EQ(opened.error().code, "vault_open_failed");
  }
  const std::string unbound = vault.seal("secret", "");
  EXPECT_TRUE(vault.open(unbound, ""));
  EXPECT_FALSE(vault.open(unbound, "pm_1"));
}

TEST(Vault, UnknownKeyIdFailsAndSaysWhichKey) {
  const std::string sealed = vault_k1().seal("secret", kAad);
  const Vault other(ring_of({{"k2", 2}}, "k2"));
  auto opened = other.open(sealed, kAad);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, "vault_unknown_key");
  EXPECT_NE(opened.error().message.find("'k1'"), std::string::npos) << opened.error().message;
}

TEST(Vault, AKeyWithTheRightIdButOtherBytesFails) {
  const std::string sealed = vault_k1().seal("secret", kAad);
  const Vault impostor(ring_of({{"k1", 9}}, "k1"));
  auto opened = impostor.open(sealed, kAad);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, "vault_open_failed");
}

TEST(Vault, RelabellingTheKeyIdFails) {
  // Both keys are in the ring: the header is authenticated, so "v1.k1." cannot become "v1.k2."
  // even though k2 is known.
  const Vault vault(ring_of({{"k1", 1}, {"k2", 2}}, "k1"));
  const std::string sealed = vault.seal("secret", kAad);
  std::string relabelled = sealed;
  relabelled[4] = '2';
  EXPECT_FALSE(vault.open(relabelled, kAad));
}

TEST(Vault, OlderKeysStillOpenAfterTheActiveKeyChanges) {
  const std::string old_sealed = vault_k1().seal("secret", kAad);
  const Vault vault(ring_of({{"k1", 1}, {"k2", 2}}, "k2"));
  EXPECT_FALSE(vault.sealed_with_active_key(old_sealed));
  auto opened = vault.open(old_sealed, kAad);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "secret");
  const std::string new_sealed = vault.seal("secret", kAad);
  EXPECT_TRUE(new_sealed.starts_with("v1.k2."));
  EXPECT_TRUE(vault.sealed_with_active_key(new_sealed));
  EXPECT_EQ(vault.active_key_id(), "k2");
}

TEST(Vault, MalformedTextFailsWithoutThrowing) {
  const Vault vault = vault_k1();
  const std::string good = vault.seal("x", kAad);
  const std::vector<std::string> bad = {"",
                                        "v1",
                                        "v1.",
                                        "v1.k1",
                                        "v1.k1.",
                                        "v2" + good.substr(2),
                                        "v1..AAAA",
                                        "v1.k!.AAAA",
                                        "v1.k1.!!!!",
                                        "v1.k1.AAAA",
                                        good + "=",
                                        good + " ",
                                        " " + good,
                                        good.substr(0, 20),
                                        std::string("v1.k1.") + std::string(200'000, 'A')};
  for (const std::string& text : bad) {
    auto opened = vault.open(text, kAad);
    ASSERT_FALSE(opened) << text.substr(0, 40);
    EXPECT_TRUE(opened.error().code == "vault_malformed" ||
                opened.error().code == "vault_open_failed")
        << opened.error().code;
  }
}

TEST(Vault, FingerprintIsStableShortAndKeyed) {
  const Vault a(ring_of({{"k1", 1}}, "k1", 100));
  const Vault a_again(ring_of({{"k2", 2}, {"k3", 3}}, "k3", 100));  // data keys do not matter
  const Vault other(ring_of({{"k1", 1}}, "k1", 101));
  const std::string fingerprint = a.fingerprint("4242424242424242");
  EXPECT_EQ(fingerprint.size(), kFingerprintLength);
  for (const char c : fingerprint) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
  EXPECT_EQ(a.fingerprint("4242424242424242"), fingerprint);
  EXPECT_EQ(a_again.fingerprint("4242424242424242"), fingerprint);
  EXPECT_EQ(a.fingerprint("4242 4242 4242 4242"), fingerprint);
  EXPECT_NE(other.fingerprint("4242424242424242"), fingerprint);
  EXPECT_NE(a.fingerprint("4000056655665556"), fingerprint);

  std::set<std::string> distinct;
  for (int i = 0; i < 1000; i++)
    distinct.insert(a.fingerprint("400000000000" + std::to_string(1000 + i)));
  EXPECT_EQ(distinct.size(), 1000u);
}

TEST(Luhn, KnownNumbers) {
  for (const std::string_view valid :
       {"4242424242424242", "4000056655665556", "5555555555554444", "2223003122003222",
        "378282246310005", "6011111111111117", "3056930009020004", "79927398713", "00"}) {
    EXPECT_TRUE(luhn_valid(valid)) << valid;
  }
  for (const std::string_view invalid :
       {"4242424242424241", "4242424242424243", "5555555555554440", "79927398710", "", "0", "1",
        "4242 4242 4242 4242", "4242-4242-4242-4242", "424242424242424a", "abc"}) {
    EXPECT_FALSE(luhn_valid(invalid)) << invalid;
  }
}

TEST(SealedStringMap, RoundTripsAndIsBoundToItsOwner) {
  const Vault vault = vault_k1();
  const SecretMap credentials = {
      {"api_key", "sk_psp_123"}, {"webhook_secret", "whsec_x\"\\y"}, {"empty", ""}};
  const std::string sealed = seal_string_map(vault, credentials, "ca_1");
  EXPECT_EQ(sealed.find("sk_psp"), std::string::npos);
  auto opened = open_string_map(vault, sealed, "ca_1");
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened, credentials);
  EXPECT_FALSE(open_string_map(vault, sealed, "ca_2"));
}

TEST(SealedStringMap, RefusesSealedTextThatIsNotAnObjectOfStrings) {
  const Vault vault = vault_k1();
  for (const std::string_view text : {"not json", "[1,2]", R"({"a":1})", R"({"a":"b","c":null})"}) {
    auto opened = open_string_map(vault, vault.seal(text, "ca_1"), "ca_1");
    ASSERT_FALSE(opened) << text;
    EXPECT_EQ(opened.error().code, "vault_malformed");
  }
}

TEST(GenerateKey, IsBase64Of32FreshBytes) {
  const std::string a = generate_key_base64();
  const std::string b = generate_key_base64();
  EXPECT_EQ(a.size(), 44u);
  EXPECT_NE(a, b);
  auto bytes = base64_decode(a, Alphabet::standard);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), kDataKeyBytes);
}

TEST(Base64, RoundTripsAndAcceptsOneSpellingOnly) {
  for (std::size_t size = 0; size < 40; size++) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; i++) bytes[i] = static_cast<std::uint8_t>(255 - i * 11);
    for (const Alphabet alphabet : {Alphabet::standard, Alphabet::url}) {
      const std::string text = base64_encode(bytes, alphabet);
      EXPECT_EQ(base64_decode(text, alphabet), bytes) << text;
    }
  }
  EXPECT_EQ(base64_encode(std::vector<std::uint8_t>{'f', 'o', 'o', 'b'}, Alphabet::standard),
            "Zm9vYg==");
  EXPECT_EQ(base64_encode(std::vector<std::uint8_t>{'f', 'o', 'o', 'b'}, Alphabet::url), "Zm9vYg");
  EXPECT_TRUE(base64_decode("Zm9vYg", Alphabet::standard));     // padding optional
  EXPECT_FALSE(base64_decode("Zm9vYh==", Alphabet::standard));  // stray low bits
  EXPECT_FALSE(base64_decode("Zm9vYg=", Alphabet::standard));
  EXPECT_FALSE(base64_decode("Zm9vY", Alphabet::standard));
  EXPECT_FALSE(base64_decode("Zm9v Yg==", Alphabet::standard));
  EXPECT_FALSE(base64_decode("+/", Alphabet::url));
  EXPECT_FALSE(base64_decode("-_", Alphabet::standard));
  EXPECT_FALSE(base64_decode("Zm9vYg==", Alphabet::url));
}

}  // namespace
}  // namespace till::vault
