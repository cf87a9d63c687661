// Sealing, opening and fingerprints: OpenSSL's EVP AES-256-GCM and HMAC-SHA256.
#include "vault/vault.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cassert>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "base/int128.h"
#include "base/random.h"
#include "store/string_map_json.h"
#include "vault/base64.h"
#include "vault/internal.h"

namespace till::vault {

namespace {

using detail::Alphabet;

constexpr std::string_view kVersionPrefix = "v1.";
constexpr std::string_view kFingerprintAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

// OpenSSL failing to run AES-GCM on valid inputs is out of memory or a broken library: not a
// condition to handle, and never a reason to store data unencrypted.
void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fatal: vault: OpenSSL %s failed\n", what);
  std::abort();
}

int int_size(std::size_t size) {
  assert(size <= static_cast<std::size_t>(INT_MAX));
  return static_cast<int>(size);
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// What the tag authenticates besides the ciphertext: the header ("v1.<key id>.", which ends
// at its second '.', so the split is unambiguous) and then the caller's associated data.
void add_associated_data(EVP_CIPHER_CTX* context, std::string_view header,
                         std::string_view associated_data, bool encrypt) {
  int length = 0;
  for (const std::string_view part : {header, associated_data}) {
    if (part.empty()) continue;
    const int ok =
        encrypt
            ? EVP_EncryptUpdate(context, nullptr, &length, bytes_of(part), int_size(part.size()))
            : EVP_DecryptUpdate(context, nullptr, &length, bytes_of(part), int_size(part.size()));
    require(ok == 1, "GCM associated data");
  }
}

struct SealedParts {
  std::string_view header;  // "v1.<key id>."
  std::string_view key_id;
  std::string_view payload;  // base64url
};

std::optional<SealedParts> split_sealed(std::string_view sealed) {
  if (!sealed.starts_with(kVersionPrefix)) return std::nullopt;
  const std::size_t dot = sealed.find('.', kVersionPrefix.size());
  if (dot == std::string_view::npos) return std::nullopt;
  SealedParts parts;
  parts.header = sealed.substr(0, dot + 1);
  parts.key_id = sealed.substr(kVersionPrefix.size(), dot - kVersionPrefix.size());
  parts.payload = sealed.substr(dot + 1);
  if (!detail::valid_key_id(parts.key_id)) return std::nullopt;
  return parts;
}

}  // namespace

DataKey::~DataKey() { OPENSSL_cleanse(bytes.data(), bytes.size()); }

KeyRing::~KeyRing() { OPENSSL_cleanse(fingerprint_key.data(), fingerprint_key.size()); }

namespace detail {

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > kKeyIdLengthMax) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

void wipe(std::string& text) {
  OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

void wipe(std::vector<std::uint8_t>& bytes) {
  OPENSSL_cleanse(bytes.data(), bytes.size());
  bytes.clear();
}

void fresh_key(std::array<std::uint8_t, kDataKeyBytes>& key) {
  // The private DRBG: OpenSSL keeps the generator of long-term secrets apart from the one
  // whose output (nonces, ids) is public.
  require(RAND_priv_bytes(key.data(), int_size(key.size())) == 1, "RAND_priv_bytes");
}

}  // namespace detail

std::string generate_key_base64() {
  std::array<std::uint8_t, kDataKeyBytes> key{};
  detail::fresh_key(key);
  std::string text = detail::base64_encode(key, Alphabet::standard);
  OPENSSL_cleanse(key.data(), key.size());
  return text;
}

Vault::Vault(const KeyRing& ring) : ring_(ring) {
  assert(!ring_.keys.empty() && ring_.keys.size() <= kKeyRingSizeMax);
  for (std::size_t i = 0; i < ring_.keys.size(); i++) {
    assert(detail::valid_key_id(ring_.keys[i].id));
    for (std::size_t j = 0; j < i; j++) assert(ring_.keys[j].id != ring_.keys[i].id);
  }
  assert(find_key(ring_.active_id) != nullptr);
}

const DataKey* Vault::find_key(std::string_view key_id) const {
  for (const DataKey& key : ring_.keys) {
    if (key.id == key_id) return &key;
  }
  return nullptr;
}

std::string Vault::seal(std::string_view plaintext, std::string_view associated_data) const {
  assert(plaintext.size() <= kPlaintextBytesMax);
  assert(associated_data.size() <= kPlaintextBytesMax);
  const DataKey* key = find_key(ring_.active_id);
  assert(key != nullptr);
  const std::string header = std::string(kVersionPrefix) + key->id + ".";

  // nonce || ciphertext || tag. GCM is a stream mode: the ciphertext is as long as the text.
  std::vector<std::uint8_t> blob(kNonceBytes + plaintext.size() + kTagBytes);
  std::uint8_t* nonce = blob.data();
  std::uint8_t* ciphertext = nonce + kNonceBytes;
  std::uint8_t* tag = ciphertext + plaintext.size();
  // A random 96-bit nonce per seal: safe for far more than the 2^32 seals per key NIST allows
  // (SP 800-38D 8.3); rotation retires a key long before that.
  random_bytes(std::span<std::uint8_t>(nonce, kNonceBytes));

  CipherContext context(EVP_CIPHER_CTX_new());
  require(context != nullptr, "EVP_CIPHER_CTX_new");
  require(EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1,
          "EVP_EncryptInit_ex");
  require(EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, int_size(kNonceBytes),
                              nullptr) == 1,
          "GCM IV length");
  require(EVP_EncryptInit_ex(context.get(), nullptr, nullptr, key->bytes.data(), nonce) == 1,
          "EVP_EncryptInit_ex (key)");
  add_associated_data(context.get(), header, associated_data, true);
  int length = 0;
  if (!plaintext.empty()) {
    require(EVP_EncryptUpdate(context.get(), ciphertext, &length, bytes_of(plaintext),
                              int_size(plaintext.size())) == 1 &&
                static_cast<std::size_t>(length) == plaintext.size(),
            "EVP_EncryptUpdate");
  }
  int final_length = 0;
  require(EVP_EncryptFinal_ex(context.get(), ciphertext + length, &final_length) == 1 &&
              final_length == 0,
          "EVP_EncryptFinal_ex");
  require(EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, int_size(kTagBytes), tag) == 1,
          "GCM tag");
  return header + detail::base64_encode(blob, Alphabet::url);
}

Result<std::string> Vault::open(std::string_view sealed, std::string_view associated_data) const {
  const std::optional<SealedParts> parts = split_sealed(sealed);
  if (!parts) return fail("vault_malformed", "not sealed vault text (v1.<key id>.<data>)");
  const DataKey* key = find_key(parts->key_id);
  if (key == nullptr) {
    return fail("vault_unknown_key", "sealed under key '" + std::string(parts->key_id) +
                                         "', which is not in the key ring (vault.data_keys)");
  }
  if (associated_data.size() > kPlaintextBytesMax) {
    return fail("vault_open_failed", "associated data is too long");
  }
  const auto blob = detail::base64_decode(parts->payload, Alphabet::url);
  if (!blob || blob->size() < kNonceBytes + kTagBytes ||
      blob->size() - kNonceBytes - kTagBytes > kPlaintextBytesMax) {
    return fail("vault_malformed", "sealed data under key '" + key->id + "' is malformed");
  }
  const std::uint8_t* nonce = blob->data();
  const std::uint8_t* ciphertext = nonce + kNonceBytes;
  const std::size_t ciphertext_size = blob->size() - kNonceBytes - kTagBytes;
  // OpenSSL takes the expected tag through a non-const pointer; it only reads it.
  std::array<std::uint8_t, kTagBytes> tag{};
  std::copy_n(ciphertext + ciphertext_size, kTagBytes, tag.begin());

  CipherContext context(EVP_CIPHER_CTX_new());
  require(context != nullptr, "EVP_CIPHER_CTX_new");
  require(EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1,
          "EVP_DecryptInit_ex");
  require(EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, int_size(kNonceBytes),
                              nullptr) == 1,
          "GCM IV length");
  require(EVP_DecryptInit_ex(context.get(), nullptr, nullptr, key->bytes.data(), nonce) == 1,
          "EVP_DecryptInit_ex (key)");
  add_associated_data(context.get(), parts->header, associated_data, false);
  std::string plaintext(ciphertext_size, '\0');
  int length = 0;
  if (ciphertext_size > 0) {
    require(EVP_DecryptUpdate(context.get(), reinterpret_cast<unsigned char*>(plaintext.data()),
                              &length, ciphertext, int_size(ciphertext_size)) == 1,
            "EVP_DecryptUpdate");
  }
  require(EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, int_size(kTagBytes),
                              tag.data()) == 1,
          "GCM set tag");
  int final_length = 0;
  const bool authentic =
      EVP_DecryptFinal_ex(context.get(),
                          reinterpret_cast<unsigned char*>(plaintext.data()) + length,
                          &final_length) == 1;
  if (!authentic) {
    // Released plaintext of an inauthentic message would defeat the tag: wipe it.
    detail::wipe(plaintext);
    return fail("vault_open_failed",
                "sealed data under key '" + key->id +
                    "' does not authenticate: altered, moved from another row, or sealed under a "
                    "different key with the same id");
  }
  return plaintext;
}

std::string_view Vault::key_id_of(std::string_view sealed) {
  const std::optional<SealedParts> parts = split_sealed(sealed);
  return parts ? parts->key_id : std::string_view();
}

bool Vault::sealed_with_active_key(std::string_view sealed) const {
  const std::string_view id = key_id_of(sealed);
  return !id.empty() && id == ring_.active_id;
}

std::string Vault::fingerprint(std::string_view card_number) const {
  std::string digits;
  digits.reserve(card_number.size());
  for (const char c : card_number) {
    if (c >= '0' && c <= '9') digits += c;
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_length = 0;
  const unsigned char* done =
      HMAC(EVP_sha256(), ring_.fingerprint_key.data(), int_size(ring_.fingerprint_key.size()),
           bytes_of(digits), digits.size(), mac.data(), &mac_length);
  detail::wipe(digits);
  require(done != nullptr && mac_length == 32, "HMAC-SHA256");
  // The first 128 bits of the MAC, written in 16 base-62 digits (about 95 bits survive, far
  // more than distinct cards will ever collide on).
  u128 value = 0;
  for (std::size_t i = 0; i < 16; i++) value = (value << 8) | mac[i];
  std::string text(kFingerprintLength, '0');
  for (char& c : text) {
    c = kFingerprintAlphabet[static_cast<std::size_t>(value % 62)];
    value /= 62;
  }
  OPENSSL_cleanse(mac.data(), mac.size());
  return text;
}

std::string seal_string_map(const Vault& vault, const SecretMap& values,
                            std::string_view associated_data) {
  std::string json = store::string_map_to_json(values);
  std::string sealed = vault.seal(json, associated_data);
  detail::wipe(json);
  return sealed;
}

Result<SecretMap> open_string_map(const Vault& vault, std::string_view sealed,
                                  std::string_view associated_data) {
  auto opened = vault.open(sealed, associated_data);
  if (!opened) return unexpected(opened.error());
  std::string json = std::move(opened).value();
  boost::system::error_code error;
  const boost::json::value value = boost::json::parse(json, error);
  detail::wipe(json);
  SecretMap map;
  const bool is_object = !error && value.is_object();
  if (is_object) {
    for (const auto& [name, item] : value.as_object()) {
      if (!item.is_string()) return fail("vault_malformed", "sealed secrets are not all strings");
      map.emplace(std::string(name), std::string(item.as_string()));
    }
  }
  if (!is_object) return fail("vault_malformed", "sealed secrets are not a JSON object");
  return map;
}

}  // namespace till::vault
