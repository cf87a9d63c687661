// Authenticator: the Authorization header to a merchant and mode, through the key cache.
#include <optional>
#include <string>
#include <string_view>

#include "base/digest.h"
#include "merchant/internal.h"
#include "merchant/key_cache.h"
#include "merchant/merchant.h"
#include "obs/log.h"

namespace till::merchant {

namespace {

constexpr std::string_view kNoKeyMessage =
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
constexpr std::string_view kSchemeMessage =
    "Unsupported authorization scheme. Provide your API key using Bearer auth (e.g. "
    "'Authorization: Bearer YOUR_SECRET_KEY') or HTTP Basic auth with the key as the user name "
    "and an empty password.";
constexpr std::string_view kBasicMessage =
    "The Authorization header's Basic credentials are malformed. Send your secret API key as the "
    "user name with an empty password (e.g. curl -u sk_test_YOUR_KEY:).";
constexpr std::string_view kPublishableMessage =
    "This API call cannot be made with a publishable API key. Please use a secret API key "
    "(sk_test_... or sk_live_...).";
constexpr std::string_view kNotAKeyMessage =
    "Invalid API Key provided. Secret API keys start with sk_test_ or sk_live_.";

constexpr std::string_view kPublishablePrefixes[] = {"pk_test_", "pk_live_"};
// Prefixes of Stripe-style keys: a key with one of these is named back masked.
constexpr std::string_view kKeyPrefixes[] = {"sk_test_", "sk_live_", "rk_test_", "rk_live_"};
// A masked echo shows the last 4 characters; only of keys long enough that 4 characters
// reveal little of them.
constexpr std::size_t kMaskedEchoBodyCharsMin = 12;

api::ApiError unauthorized(std::string message) {
  api::ApiError error;
  error.status = 401;
  error.type = "authentication_error";
  error.message = std::move(message);
  return error;
}

bool is_base62(std::string_view text) {
  for (char c : text) {
    const bool digit = c >= '0' && c <= '9';
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower = c >= 'a' && c <= 'z';
    if (!digit && !upper && !lower) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 (RFC 4648), padded or not; nullopt for anything else.
std::optional<std::string> decode_base64(std::string_view text) {
  std::size_t padding = 0;
  while (!text.empty() && text.back() == '=' && padding < 2) {
    text.remove_suffix(1);
    ++padding;
  }
  if (text.size() % 4 == 1 || (padding > 0 && (text.size() + padding) % 4 != 0)) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base64_value(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFFu));
    }
  }
  return out;
}

// The secret the header carries, or the 401 to answer.
Expected<std::string, api::ApiError> read_credential(std::string_view authorization) {
  authorization = trim(authorization);
  if (authorization.empty()) return unexpected(unauthorized(std::string(kNoKeyMessage)));
  const std::size_t space = authorization.find_first_of(" \t");
  const std::string_view scheme = authorization.substr(0, space);
  const std::string_view rest =
      space == std::string_view::npos ? std::string_view() : trim(authorization.substr(space));
  if (api::iequals(scheme, "Bearer")) {
    if (rest.empty()) return unexpected(unauthorized(std::string(kNoKeyMessage)));
    return std::string(rest);
  }
  if (!api::iequals(scheme, "Basic")) return unexpected(unauthorized(std::string(kSchemeMessage)));
  std::optional<std::string> decoded = decode_base64(rest);
  if (!decoded) return unexpected(unauthorized(std::string(kBasicMessage)));
  const std::size_t colon = decoded->find(':');
  // RFC 7617: "user:password". The key is the user name; a password means the client put the
  // key (or something else) in the wrong place.
  if (colon == std::string::npos || colon + 1 != decoded->size()) {
    return unexpected(unauthorized(std::string(kBasicMessage)));
  }
  decoded->resize(colon);
  if (decoded->empty()) return unexpected(unauthorized(std::string(kNoKeyMessage)));
  return std::move(*decoded);
}

bool is_secret_key(std::string_view credential) {
  for (std::string_view prefix : {kTestSecretPrefix, kLiveSecretPrefix}) {
    if (credential.size() == prefix.size() + kSecretRandomChars && credential.starts_with(prefix) &&
        is_base62(credential.substr(prefix.size()))) {
      return true;
    }
  }
  return false;
}

// "Invalid API Key provided: sk_test_****abcd" for anything shaped like a key; input that is
// not is never repeated (it may be a password or another system's secret pasted by mistake).
api::ApiError invalid_key(std::string_view credential) {
  for (std::string_view prefix : kKeyPrefixes) {
    if (!credential.starts_with(prefix)) continue;
    const std::string_view body = credential.substr(prefix.size());
    if (body.size() < kMaskedEchoBodyCharsMin || !is_base62(body)) break;
    return unauthorized("Invalid API Key provided: " + std::string(prefix) + "****" +
                        std::string(body.substr(body.size() - kSecretLast4Chars)));
  }
  return unauthorized(std::string(kNotAKeyMessage));
}

Expected<AuthContext, api::ApiError> decide(const KeyCache::Entry& entry,
                                            std::string_view credential, std::int64_t now_unix_ms) {
  const bool expired = entry.expires_at_unix_ms && *entry.expires_at_unix_ms <= now_unix_ms;
  if (!entry.found || expired) return unexpected(invalid_key(credential));
  return entry.context;
}

}  // namespace

Authenticator::Authenticator(MerchantStore& store)
    : database_(store.database_), clock_(store.clock_), cache_(store.cache_) {}

Expected<AuthContext, api::ApiError> Authenticator::authenticate(
    const api::Request& request) const {
  return authenticate_authorization(request.header("Authorization"));
}

Expected<AuthContext, api::ApiError> Authenticator::authenticate_authorization(
    std::string_view authorization) const {
  auto credential = read_credential(authorization);
  if (!credential) return unexpected(std::move(credential).error());
  const std::string& secret = *credential;
  for (std::string_view prefix : kPublishablePrefixes) {
    if (secret.starts_with(prefix))
      return unexpected(unauthorized(std::string(kPublishableMessage)));
  }
  // Only a well-formed secret can be in the table: anything else is refused without a query.
  if (!is_secret_key(secret)) return unexpected(invalid_key(secret));

  const SecretDigest digest = sha256(secret);
  const std::int64_t now = clock_.now_unix_ms();
  if (std::optional<KeyCache::Entry> cached = cache_->find(digest, now)) {
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
    return decide(*cached, secret, now);
  }

  // Read before the lookup: if a revoke or roll invalidates anything meanwhile, what this
  // lookup read may predate it and is not cached.
  const std::uint64_t generation = cache_->generation();
  database_lookups_.fetch_add(1, std::memory_order_relaxed);
  std::optional<sql::KeyLookup> lookup;
  const std::string digest_hex = sha256_hex(secret);
  auto done = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = sql::select_key_by_secret(connection, digest_hex);
    if (!found) return unexpected(found.error());
    lookup = std::move(*found);
    return {};
  });
  if (!done) {
    obs::warn("API key lookup failed", {{"error", done.error().message}});
    api::ApiError error =
        api::service_unavailable("API keys cannot be checked right now; retry the request");
    return unexpected(std::move(error));
  }
  KeyCache::Entry entry;
  if (lookup && !lookup->revoked) {
    entry.found = true;
    entry.context = AuthContext{lookup->merchant_id, lookup->mode == Mode::live, lookup->key_id};
    entry.expires_at_unix_ms = lookup->expires_at_unix_ms;
  }
  cache_->insert(digest, entry, now, generation);
  return decide(entry, secret, now);
}

AuthStats Authenticator::stats() const {
  return AuthStats{cache_hits_.load(std::memory_order_relaxed),
                   database_lookups_.load(std::memory_order_relaxed)};
}

}  // namespace till::merchant
