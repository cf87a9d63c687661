// Key rings: parsing the `vault.*` settings, and the local key file of a zero-configuration
// node. Problems name the setting (or file) and the key id, never key material.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "base/clock.h"
#include "base/random.h"
#include "obs/log.h"
#include "vault/base64.h"
#include "vault/internal.h"
#include "vault/vault.h"

namespace till::vault {

namespace {

using detail::Alphabet;

constexpr std::string_view kInvalid = "vault_keys_invalid";
constexpr std::string_view kDataKeysSetting = "vault.data_keys";
constexpr std::string_view kActiveKeySetting = "vault.active_key";
constexpr std::string_view kFingerprintSetting = "vault.fingerprint_key";
// The key file is three short lines; anything larger is not one.
constexpr std::size_t kKeyFileBytesMax = 64 * 1024;
constexpr std::size_t kLocalKeyIdRandomChars = 8;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

// Decodes one 32-byte key into `out`; a problem (without the key) otherwise.
std::optional<std::string> decode_key(std::string_view base64, std::string_view what,
                                      std::array<std::uint8_t, kDataKeyBytes>& out) {
  auto bytes = detail::base64_decode(base64, Alphabet::standard);
  if (!bytes) return std::string(what) + " is not valid base64";
  if (bytes->size() != kDataKeyBytes) {
    const std::size_t size = bytes->size();
    detail::wipe(*bytes);
    return std::string(what) + " is " + std::to_string(size) +
           " bytes; expected 32 (generate one with `till vault generate-key`)";
  }
  std::copy(bytes->begin(), bytes->end(), out.begin());
  detail::wipe(*bytes);
  return std::nullopt;
}

// Decodes the list into `ring.keys`; `ids` gets every well-formed id, decoded or not, so the
// active key is checked against what the operator wrote.
void parse_data_keys(std::string_view text, KeyRing& ring, std::vector<std::string>& ids,
                     std::vector<std::string>& problems) {
  const std::string setting(kDataKeysSetting);
  if (trim(text).empty()) {
    problems.push_back(setting + ": is empty; list the keys as id:<base64>,id:<base64>");
    return;
  }
  std::size_t entry_number = 0;
  while (true) {
    entry_number++;
    const std::size_t comma = text.find(',');
    const std::string_view entry = trim(text.substr(0, comma));
    const std::string where = setting + ": entry " + std::to_string(entry_number);
    const std::size_t colon = entry.find(':');
    if (entry.empty()) {
      problems.push_back(where + " is empty");
    } else if (colon == std::string_view::npos) {
      // Not echoed: an entry without an id is most likely a bare key.
      problems.push_back(where + " is not id:<base64 key>");
    } else if (!detail::valid_key_id(entry.substr(0, colon))) {
      problems.push_back(where + ": the key id must be 1 to 32 characters [A-Za-z0-9_-]");
    } else {
      DataKey key;
      key.id = std::string(entry.substr(0, colon));
      ids.push_back(key.id);
      const std::string what = setting + ": key " + in_quotes(key.id);
      if (auto problem = decode_key(trim(entry.substr(colon + 1)), what, key.bytes)) {
        problems.push_back(*problem);
      } else {
        bool usable = true;
        for (const DataKey& other : ring.keys) {
          if (other.id == key.id) {
            problems.push_back(setting + ": key id " + in_quotes(key.id) + " appears twice");
            usable = false;
          } else if (CRYPTO_memcmp(other.bytes.data(), key.bytes.data(), kDataKeyBytes) == 0) {
            problems.push_back(setting + ": keys " + in_quotes(other.id) + " and " +
                               in_quotes(key.id) +
                               " are the same key; a new key must be freshly generated");
            usable = false;
          }
        }
        if (usable) ring.keys.push_back(key);
      }
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (ring.keys.size() > kKeyRingSizeMax) {
    problems.push_back(setting + ": more than 64 keys; remove keys no data is sealed under");
  }
}

// Reads the local key file's three `name = "value"` lines (a TOML subset).
Result<std::array<std::string, 3>> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return fail(errno == ENOENT ? "vault_keys_missing" : "vault_keys_unreadable",
                "cannot open " + path + ": " + std::generic_category().message(errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    obs::warn("vault key file is readable by other users; chmod 600 it", {{"file", path}});
  }
  std::string text;
  char chunk[4096];
  bool ok = true;
  while (ok) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    ok = n >= 0 && text.size() + static_cast<std::size_t>(n) <= kKeyFileBytesMax;
    if (n <= 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(chunk, sizeof chunk);
  ::close(fd);
  if (!ok) {
    detail::wipe(text);
    return fail("vault_keys_unreadable", "cannot read " + path + " (or it is over 64 KiB)");
  }

  constexpr std::array<std::string_view, 3> names = {"data_keys", "active_key", "fingerprint_key"};
  std::array<std::string, 3> values;
  std::array<bool, 3> seen{};
  std::string problem;
  std::size_t line_number = 0;
  std::string_view rest = text;
  while (!rest.empty() && problem.empty()) {
    line_number++;
    const std::size_t newline = rest.find('\n');
    std::string_view line = trim(rest.substr(0, newline));
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line = trim(line.substr(0, line.size() - 1));
    if (line.empty() || line.front() == '#') continue;
    const std::string where = path + ":" + std::to_string(line_number);
    const std::size_t equals = line.find('=');
    const std::string_view name = trim(line.substr(0, equals));
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : trim(line.substr(equals + 1));
    std::size_t index = names.size();
    for (std::size_t i = 0; i < names.size(); i++) {
      if (names[i] == name) index = i;
    }
    if (index == names.size() || value.size() < 2 || value.front() != '"' || value.back() != '"') {
      problem = where + ": expected data_keys, active_key or fingerprint_key = \"...\"";
    } else if (seen[index]) {
      problem = where + ": " + std::string(name) + " appears twice";
    } else {
      seen[index] = true;
      values[index] = std::string(value.substr(1, value.size() - 2));
    }
  }
  detail::wipe(text);
  for (std::size_t i = 0; i < names.size() && problem.empty(); i++) {
    if (!seen[i]) problem = path + ": " + std::string(names[i]) + " is missing";
  }
  if (!problem.empty()) {
    for (std::string& value : values) detail::wipe(value);
    return fail(std::string(kInvalid), problem);
  }
  return values;
}

Result<KeyRing> ring_from_file(const std::string& path) {
  auto values = read_key_file(path);
  if (!values) return unexpected(values.error());
  auto ring = parse_key_ring((*values)[0], (*values)[1], (*values)[2]);
  for (std::string& value : *values) detail::wipe(value);
  if (!ring) return fail(ring.error().code, path + ": " + ring.error().message);
  return ring;
}

void fsync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Writes the new key file under a temporary name and links it into place: link() fails when
// the file exists, so two processes starting at once on one data directory agree on the keys
// of whichever linked first. True when this call's file is the one in place.
Result<bool> create_key_file(const std::string& directory, const std::string& path) {
  const std::string key_id = "local-" + random_base62(kLocalKeyIdRandomChars);
  std::string data_key = generate_key_base64();
  std::string fingerprint_key = generate_key_base64();
  std::string contents =
      "# Till card vault keys for this data directory, created " +
      format_rfc3339_ms(SystemClock::instance().now()) +
      ".\n"
      "# Keep this file secret (mode 0600) and back it up with the database: cards sealed under\n"
      "# these keys cannot be read without it. Production sets the same three values in\n"
      "# configuration ([vault] in till.toml or TILL_VAULT_*) instead; see docs/vault.md.\n"
      "data_keys = \"" +
      key_id + ":" + data_key + "\"\nactive_key = \"" + key_id + "\"\nfingerprint_key = \"" +
      fingerprint_key + "\"\n";
  detail::wipe(data_key);
  detail::wipe(fingerprint_key);

  const std::string temporary = path + ".tmp-" + random_base62(kLocalKeyIdRandomChars);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        S_IRUSR | S_IWUSR);
  if (fd < 0) {
    detail::wipe(contents);
    return fail("vault_keys_unwritable",
                "cannot create " + temporary + ": " + std::generic_category().message(errno));
  }
  bool ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0;
  std::size_t written = 0;
  while (ok && written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int saved_errno = errno;
  ::close(fd);
  detail::wipe(contents);
  bool linked = false;
  if (ok) {
    linked = ::link(temporary.c_str(), path.c_str()) == 0;
    saved_errno = errno;
    // Someone else created it first: theirs is the key file.
    ok = linked || saved_errno == EEXIST;
  }
  ::unlink(temporary.c_str());
  if (!ok) {
    return fail("vault_keys_unwritable",
                "cannot write " + path + ": " + std::generic_category().message(saved_errno));
  }
  if (linked) fsync_directory(directory);
  return linked;
}

std::string local_key_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / kLocalKeyFileName).string();
}

}  // namespace

Result<KeyRing> parse_key_ring(std::string_view data_keys, std::string_view active_id,
                               std::string_view fingerprint_key) {
  KeyRing ring;
  std::vector<std::string> ids;
  std::vector<std::string> problems;
  parse_data_keys(data_keys, ring, ids, problems);

  const std::string active(trim(active_id));
  if (active.empty()) {
    problems.push_back(std::string(kActiveKeySetting) +
                       ": is empty; name the key in vault.data_keys that encrypts new data");
  } else if (!detail::valid_key_id(active)) {
    problems.push_back(std::string(kActiveKeySetting) +
                       ": must be 1 to 32 characters [A-Za-z0-9_-]");
  } else {
    if (std::find(ids.begin(), ids.end(), active) == ids.end()) {
      std::string listed;
      for (const std::string& id : ids) listed += (listed.empty() ? "" : ", ") + id;
      problems.push_back(std::string(kActiveKeySetting) + ": " + in_quotes(active) +
                         " is not a key in vault.data_keys (" + listed + ")");
    }
  }
  ring.active_id = active;

  if (trim(fingerprint_key).empty()) {
    problems.push_back(std::string(kFingerprintSetting) +
                       ": is empty; it is required with vault.data_keys (generate one with "
                       "`till vault generate-key`, and never change it)");
  } else if (auto problem =
                 decode_key(trim(fingerprint_key), kFingerprintSetting, ring.fingerprint_key)) {
    problems.push_back(*problem);
  } else {
    for (const DataKey& key : ring.keys) {
      if (CRYPTO_memcmp(key.bytes.data(), ring.fingerprint_key.data(), kDataKeyBytes) == 0) {
        problems.push_back(std::string(kFingerprintSetting) + ": is the same as data key " +
                           in_quotes(key.id) + "; use a separate key");
      }
    }
  }

  if (!problems.empty()) {
    std::string message;
    for (const std::string& problem : problems) message += (message.empty() ? "" : "; ") + problem;
    return fail(std::string(kInvalid), message);
  }
  return ring;
}

Result<KeyRing> load_local_key_ring(const std::string& data_dir) {
  return ring_from_file(local_key_path(data_dir));
}

Result<KeyRing> load_or_create_local_key_ring(const std::string& data_dir) {
  const std::string path = local_key_path(data_dir);
  auto ring = ring_from_file(path);
  if (ring || ring.error().code != "vault_keys_missing") return ring;
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return fail("vault_keys_unwritable", "cannot create " + data_dir + ": " + error.message());
  }
  auto created = create_key_file(data_dir, path);
  if (!created) return unexpected(created.error());
  if (*created) {
    obs::info("vault keys created for this data directory; back the file up with the database",
              {{"file", path}});
  }
  return ring_from_file(path);
}

Result<KeyRing> key_ring_from_config(const config::Config& config, LocalKeys local) {
  const config::VaultConfig& keys = config.vault;
  if (!keys.data_keys.empty()) {
    return parse_key_ring(keys.data_keys, keys.active_key, keys.fingerprint_key);
  }
  if (!keys.active_key.empty() || !keys.fingerprint_key.empty()) {
    return fail(std::string(kInvalid),
                "vault.data_keys: is empty but vault.active_key or vault.fingerprint_key is "
                "set; set all three, or none to keep keys in <data_dir>/vault-keys.toml");
  }
  if (!config.storage.database_url.empty()) {
    // Each node would create its own keys and could not read the cards the others vaulted.
    obs::warn(
        "vault keys are not configured: using this node's <data_dir>/vault-keys.toml; set "
        "vault.data_keys, vault.active_key and vault.fingerprint_key before running a second "
        "node (docs/vault.md)",
        {{"data_dir", config.storage.data_dir}});
  }
  if (local == LocalKeys::load_only) return load_local_key_ring(config.storage.data_dir);
  return load_or_create_local_key_ring(config.storage.data_dir);
}

}  // namespace till::vault
