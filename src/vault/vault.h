// vault/vault.h — the card vault: card numbers and other secrets encrypted at rest.
//
// What this module owns
//   - Keys: a key ring of 256-bit data keys (one active, the others kept to read older data)
//     and a fingerprint key, from configuration (`vault.*`) or, for a zero-configuration
//     single node, from <data_dir>/vault-keys.toml created on first use (docs/vault.md).
//   - Sealing: AES-256-GCM under the active key with a fresh random 96-bit nonce; the caller's
//     associated data (the owning row's id) is authenticated with it, so a sealed value copied
//     into another row does not open. Sealed values are text, "v1.<key id>.<base64url>", so
//     they go in TEXT columns and say which key opens them.
//   - Fingerprints: HMAC-SHA256 of the card number under the fingerprint key, so the same
//     card gives the same fingerprint in this installation and nobody without the key can
//     test a guessed number against one.
//   - The `card_vault` table (migration 0006): one sealed card per payment method, and key
//     rotation that re-encrypts rows in bounded batches while `till serve` keeps running.
//
// Rules: a card number exists in plain text only in memory, for the length of a call; it is
// never logged, never in an error message, never in a column. Key material is never printed
// or put in an error (problems name the setting and the key id). Temporaries holding
// plaintext or keys are wiped (OPENSSL_cleanse) before their memory is freed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/luhn.h"
#include "base/result.h"
#include "config/config.h"
#include "store/store.h"

namespace till::vault {

constexpr std::size_t kDataKeyBytes = 32;  // AES-256
constexpr std::size_t kKeyIdLengthMax = 32;
constexpr std::size_t kKeyRingSizeMax = 64;  // keys in one ring: rotation history, not storage
constexpr std::size_t kNonceBytes = 12;      // GCM's 96-bit nonce
constexpr std::size_t kTagBytes = 16;
// Largest plaintext seal() accepts and open() returns: cards and connector credentials are
// far smaller; the bound keeps a corrupt or hostile row from costing memory.
constexpr std::size_t kPlaintextBytesMax = 64 * 1024;
constexpr std::size_t kFingerprintLength = 16;
constexpr std::size_t kRotationBatchMax = 10'000;

// The file that holds a single node's keys when configuration names none.
constexpr std::string_view kLocalKeyFileName = "vault-keys.toml";

// Key material is wiped when these are destroyed; avoid copies you do not need.
struct DataKey {
  std::string id;  // 1..32 of [A-Za-z0-9_-]
  std::array<std::uint8_t, kDataKeyBytes> bytes{};
  ~DataKey();
};

struct KeyRing {
  std::vector<DataKey> keys;
  std::string active_id;  // one of keys[].id
  std::array<std::uint8_t, kDataKeyBytes> fingerprint_key{};
  ~KeyRing();
};

// Parses the three `vault.*` settings: "k1:<base64 of 32 bytes>,k2:<base64>" (standard base64,
// padded or not; spaces around entries allowed), the active id, and the base64 fingerprint
// key. Errors (code `vault_keys_invalid`) name the setting, the key id and the problem — bad
// base64, wrong length, duplicate id, active id not in the list — and never the key.
Result<KeyRing> parse_key_ring(std::string_view data_keys, std::string_view active_id,
                               std::string_view fingerprint_key);

// The zero-configuration default (`till serve` on ./var with nothing configured): reads
// <data_dir>/vault-keys.toml, or creates it (mode 0600, with the directory) holding one fresh
// random data key and a fresh fingerprint key. The file is three TOML lines in the form of the
// `[vault]` settings, so an operator can move them into configuration as they are. Losing the
// file loses every card sealed under it: back it up with the database. Production sets the
// keys in configuration instead (docs/vault.md).
Result<KeyRing> load_or_create_local_key_ring(const std::string& data_dir);
// The same file, read only; an error when it does not exist.
Result<KeyRing> load_local_key_ring(const std::string& data_dir);

enum class LocalKeys : std::uint8_t { load_or_create, load_only };

// The configured keys when vault.data_keys is set (then vault.active_key and
// vault.fingerprint_key are required); otherwise the local key file in storage.data_dir
// (`local` says whether a missing one is created). Setting vault.active_key or
// vault.fingerprint_key without vault.data_keys is an error. With PostgreSQL and no configured
// keys it warns in the log: every node would make its own keys.
Result<KeyRing> key_ring_from_config(const config::Config& config,
                                     LocalKeys local = LocalKeys::load_or_create);

// A fresh random 32-byte key, base64 (what `till vault generate-key` prints).
std::string generate_key_base64();

// Seals and opens under a key ring. Immutable after construction, so one Vault is shared by
// every thread.
class Vault {
 public:
  explicit Vault(const KeyRing& ring);  // asserts the ring is well formed (parse_key_ring's checks)

  // AES-256-GCM under the active key, fresh 96-bit random nonce, `associated_data` bound as
  // additional authenticated data. Returns "v1.<key id>.<base64url(nonce||ciphertext||tag)>".
  // Asserts plaintext.size() <= kPlaintextBytesMax.
  std::string seal(std::string_view plaintext, std::string_view associated_data) const;

  // Fails (code `vault_unknown_key`, `vault_malformed` or `vault_open_failed`; never throws)
  // on an unknown key id, tampering, the wrong associated data or malformed text. Messages
  // name the key id, never the plaintext.
  Result<std::string> open(std::string_view sealed, std::string_view associated_data) const;

  bool sealed_with_active_key(std::string_view sealed) const;
  // The key id of a sealed value, "" when it is not sealed text.
  static std::string_view key_id_of(std::string_view sealed);

  // Keyed HMAC-SHA256 of the card number's digits (other characters are ignored) under the
  // fingerprint key, as 16 characters of [0-9A-Za-z]: same number, same fingerprint in this
  // installation; not reversible or testable without the key.
  std::string fingerprint(std::string_view card_number) const;

  const std::string& active_key_id() const { return ring_.active_id; }
  bool has_key(std::string_view key_id) const { return find_key(key_id) != nullptr; }

 private:
  const DataKey* find_key(std::string_view key_id) const;

  KeyRing ring_;
  const DataKey* active_ = nullptr;
};

// ---- other secrets (connector credentials): a JSON object of strings, sealed ----

using SecretMap = std::map<std::string, std::string>;
std::string seal_string_map(const Vault& vault, const SecretMap& values,
                            std::string_view associated_data);
// Fails as Vault::open does, and with `vault_malformed` when the plaintext is not a JSON
// object of strings.
Result<SecretMap> open_string_map(const Vault& vault, std::string_view sealed,
                                  std::string_view associated_data);

// ---- the card_vault table ----

// A card's secret fields. The CVC is never a field: it may not be stored after authorization.
struct CardSecret {
  std::string number;  // 12..19 digits
  int exp_month = 0;   // 1..12
  int exp_year = 0;    // four digits
};

// Seals the card under the active key, bound to (merchant_id, payment_method_id), and inserts
// its row. invalid_argument for a card that is not 12–19 digits with a valid month and a
// four-digit year (the message never contains the number); constraint when the payment method
// already has a card.
store::StoreResult<void> store_card(store::Connection& connection, const Vault& vault,
                                    std::string_view merchant_id,
                                    std::string_view payment_method_id, const CardSecret& card,
                                    std::int64_t now_unix_ms);

// nullopt when the merchant has no card under that payment method. A row that does not open
// (its key is not in the ring, it was altered or moved) is an error (ErrorKind::other), never
// nullopt.
store::StoreResult<std::optional<CardSecret>> load_card(store::Connection& connection,
                                                        const Vault& vault,
                                                        std::string_view merchant_id,
                                                        std::string_view payment_method_id);

// Deletes a vaulted card (the payment method is gone for good); false when there was none.
store::StoreResult<bool> erase_card(store::Connection& connection, std::string_view merchant_id,
                                    std::string_view payment_method_id);

struct RotationReport {
  std::int64_t rewrapped = 0;        // re-encrypted under the active key by this run
  std::int64_t already_current = 0;  // under the active key already (or rewrapped meanwhile)
  std::int64_t failed = 0;           // could not be opened: left untouched, logged by id
};

// Re-encrypts every card_vault row not sealed under the active key, `batch_size` rows
// (1..kRotationBatchMax) per transaction. Idempotent; safe to re-run after a crash and to run
// while `till serve` is running (a row changes only if it still holds what was read). A row
// that does not open is counted failed, logged (id and key id only) and left as it was.
store::StoreResult<RotationReport> rotate_keys(store::Database& database, const Vault& vault,
                                               std::size_t batch_size,
                                               const Clock& clock = SystemClock::instance());

}  // namespace till::vault
