// Authenticator on both backends: the Authorization forms it accepts, the 401s it answers
// (Stripe's messages, keys named only masked), and the key cache: revokes and rolls through
// the store take effect at once, other changes within the time to live.
#include <atomic>
#include <thread>

#include "merchant/merchant.h"
#include "merchant_fixture.h"

namespace till::merchant::testing {
namespace {

using store::Dialect;

constexpr std::string_view kNoKeyMessage =
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";

std::string base64(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(text[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(text[i + 1])) << 8) |
                   static_cast<unsigned>(static_cast<unsigned char>(text[i + 2]));
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63u];
  }
  const std::size_t rest = text.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(text[i])) << 16;
    if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(text[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63u];
    out += kAlphabet[(n >> 12) & 63u];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63u] : '=';
    out += '=';
  }
  return out;
}

class AuthenticatorTest : public MerchantTest {
 protected:
  void SetUp() override {
    MerchantTest::SetUp();
    if (HasFatalFailure()) return;
    authenticator_ = std::make_unique<Authenticator>(*store_);
    created_ = create("Acme");
    secret_ = created_.test_key->secret;
  }
  void TearDown() override {
    authenticator_.reset();
    MerchantTest::TearDown();
  }

  Expected<AuthContext, api::ApiError> auth(std::string_view authorization) {
    return authenticator_->authenticate_authorization(authorization);
  }
  Expected<AuthContext, api::ApiError> bearer(const std::string& secret) {
    return auth("Bearer " + secret);
  }

  // A 401 authentication_error whose message is `message` and never carries `secret`.
  void expect_401(const Expected<AuthContext, api::ApiError>& result, std::string_view message,
                  const std::string& secret = "") {
    ASSERT_FALSE(result) << "authenticated as " << result->merchant_id;
    EXPECT_EQ(result.error().status, 401u);
    EXPECT_EQ(result.error().type, "authentication_error");
    EXPECT_EQ(result.error().message, message);
    if (!secret.empty()) {
      EXPECT_EQ(result.error().message.find(secret), std::string::npos);
      EXPECT_EQ(api::error_body(result.error()).find(secret), std::string::npos);
    }
  }

  static std::string masked(const std::string& secret) {
    return "Invalid API Key provided: " + secret.substr(0, 8) + "****" +
           secret.substr(secret.size() - 4);
  }

  CreatedMerchant created_;
  std::string secret_;
  std::unique_ptr<Authenticator> authenticator_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AuthenticatorTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         till::testing::backend_name);

TEST_P(AuthenticatorTest, AcceptsBearerAndBasicInAnyCase) {
  for (const std::string& header :
       {"Bearer " + secret_, "bearer " + secret_, "BEARER   " + secret_ + "  ",
        "Basic " + base64(secret_ + ":"), "basic " + base64(secret_ + ":"),
        "BASIC " + base64(secret_ + ":")}) {
    SCOPED_TRACE(header);
    auto context = auth(header);
    ASSERT_TRUE(context) << context.error().message;
    EXPECT_EQ(context->merchant_id, created_.merchant.id);
    EXPECT_EQ(context->key_id, created_.test_key->key.id);
    EXPECT_FALSE(context->livemode);
  }
  // Through a request, as the server hands it over.
  api::Request request;
  const std::string header = "Bearer " + secret_;
  request.headers.emplace_back("authorization", header);
  auto context = authenticator_->authenticate(request);
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->merchant_id, created_.merchant.id);
}

TEST_P(AuthenticatorTest, LiveKeysAuthenticateInLiveMode) {
  const IssuedKey live = issue(created_.merchant.id, Mode::live);
  auto context = bearer(live.secret);
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_TRUE(context->livemode);
  EXPECT_EQ(context->key_id, live.key.id);
}

TEST_P(AuthenticatorTest, MissingOrEmptyCredentialsAskForAKey) {
  expect_401(auth(""), kNoKeyMessage);
  expect_401(auth("Bearer"), kNoKeyMessage);
  expect_401(auth("Bearer   "), kNoKeyMessage);
  expect_401(auth("Basic " + base64(":")), kNoKeyMessage);
  api::Request request;  // no header at all
  expect_401(authenticator_->authenticate(request), kNoKeyMessage);
}

TEST_P(AuthenticatorTest, MalformedBasicAndOtherSchemesAre401WithoutEcho) {
  const std::string basic_message =
      "The Authorization header's Basic credentials are malformed. Send your secret API key as "
      "the user name with an empty password (e.g. curl -u sk_test_YOUR_KEY:).";
  expect_401(auth("Basic !!!not-base64!!!"), basic_message);
  expect_401(auth("Basic " + base64(secret_)), basic_message, secret_);  // no colon
  expect_401(auth("Basic " + base64(secret_ + ":password")), basic_message, secret_);
  expect_401(auth("Basic " + base64(secret_ + ":").substr(1)), basic_message, secret_);
  const auto scheme = auth("Token " + secret_);
  ASSERT_FALSE(scheme);
  EXPECT_EQ(scheme.error().status, 401u);
  EXPECT_EQ(scheme.error().message.find(secret_), std::string::npos);
  expect_401(auth(secret_), scheme.error().message, secret_);  // no scheme at all
}

TEST_P(AuthenticatorTest, UnknownKeysAreNamedOnlyMasked) {
  std::string unknown = secret_;
  unknown[10] = unknown[10] == 'a' ? 'b' : 'a';
  expect_401(bearer(unknown), masked(unknown), unknown);
  const std::string live_unknown = "sk_live_" + secret_.substr(8);
  expect_401(bearer(live_unknown), masked(live_unknown), live_unknown);
  // Shaped like a key but of the wrong length: still masked, never a lookup.
  const std::string truncated = secret_.substr(0, 30);
  expect_401(bearer(truncated), masked(truncated), truncated);
  // Not shaped like a key: not repeated at all.
  const std::string not_a_key_message =
      "Invalid API Key provided. Secret API keys start with sk_test_ or sk_live_.";
  for (const std::string& garbage :
       {std::string("hunter2-my-password"), std::string("sk_test_short"),
        std::string("sk_test_") + std::string(48, '-'), std::string("\"<script>")}) {
    SCOPED_TRACE(garbage);
    expect_401(bearer(garbage), not_a_key_message, garbage);
  }
}

TEST_P(AuthenticatorTest, PublishableKeysNeedASecretKeyInstead) {
  const std::string message =
      "This API call cannot be made with a publishable API key. Please use a secret API key "
      "(sk_test_... or sk_live_...).";
  const std::string publishable = "pk_test_" + secret_.substr(8);
  expect_401(bearer(publishable), message, publishable);
  expect_401(auth("Basic " + base64("pk_live_" + secret_.substr(8) + ":")), message);
}

TEST_P(AuthenticatorTest, RevokedKeysFailAtOnceEvenWithTheCacheWarm) {
  ASSERT_TRUE(bearer(secret_));
  ASSERT_TRUE(bearer(secret_));
  EXPECT_EQ(authenticator_->stats().database_lookups, 1u);
  EXPECT_EQ(authenticator_->stats().cache_hits, 1u);
  ASSERT_TRUE(store_->revoke_key(created_.test_key->key.id));
  expect_401(bearer(secret_), masked(secret_), secret_);
  expect_401(auth("Basic " + base64(secret_ + ":")), masked(secret_), secret_);
}

TEST_P(AuthenticatorTest, RollWithoutOverlapSwitchesKeysAtOnce) {
  ASSERT_TRUE(bearer(secret_));  // cached
  auto rolled = store_->roll_key(created_.test_key->key.id, 0);
  ASSERT_TRUE(rolled);
  expect_401(bearer(secret_), masked(secret_), secret_);
  auto context = bearer(rolled->replacement.secret);
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->key_id, rolled->replacement.key.id);
  EXPECT_EQ(context->merchant_id, created_.merchant.id);
}

TEST_P(AuthenticatorTest, RolledKeysWorkUntilTheirOverlapEnds) {
  ASSERT_TRUE(bearer(secret_));
  auto rolled = store_->roll_key(created_.test_key->key.id, 60);
  ASSERT_TRUE(rolled);
  ASSERT_TRUE(bearer(secret_));
  ASSERT_TRUE(bearer(rolled->replacement.secret));
  clock_.advance_ms(59'999);
  ASSERT_TRUE(bearer(secret_));  // served from the cache, which knows when the key ends
  clock_.advance_ms(1);
  expect_401(bearer(secret_), masked(secret_), secret_);
  ASSERT_TRUE(bearer(rolled->replacement.secret));
}

TEST_P(AuthenticatorTest, MostRequestsAreServedFromTheCache) {
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(bearer(secret_));
  EXPECT_EQ(authenticator_->stats().database_lookups, 1u);
  EXPECT_EQ(authenticator_->stats().cache_hits, 99u);
  // Unknown keys are remembered as unknown too.
  const std::string unknown = "sk_test_" + std::string(48, 'Z');
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(bearer(unknown));
  EXPECT_EQ(authenticator_->stats().database_lookups, 2u);
  // Malformed input never costs a query.
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(bearer("sk_test_nope"));
  EXPECT_EQ(authenticator_->stats().database_lookups, 2u);
}

TEST_P(AuthenticatorTest, ChangesByAnotherNodeTakeEffectWithinTheTimeToLive) {
  ASSERT_TRUE(bearer(secret_));
  // Another node revokes the key: this process learns of it when the entry goes stale.
  execute("UPDATE api_keys SET revoked_at_unix_ms = $1 WHERE id = $2",
          {clock_.now_unix_ms(), created_.test_key->key.id});
  clock_.advance_ms(MerchantStoreOptions{}.auth_cache_ttl_ms - 1);
  EXPECT_TRUE(bearer(secret_));
  clock_.advance_ms(1);
  expect_401(bearer(secret_), masked(secret_), secret_);
  EXPECT_EQ(authenticator_->stats().database_lookups, 2u);
  // And a key issued by another node is found at once (unknown keys' entries are per digest).
  const IssuedKey issued = issue(created_.merchant.id, Mode::test);
  EXPECT_TRUE(bearer(issued.secret));
}

TEST_P(AuthenticatorTest, AuthenticatorsOfOneStoreShareTheCache) {
  Authenticator second(*store_);
  ASSERT_TRUE(bearer(secret_));
  ASSERT_TRUE(second.authenticate_authorization("Bearer " + secret_));
  EXPECT_EQ(second.stats().database_lookups, 0u);
  ASSERT_TRUE(store_->revoke_key(created_.test_key->key.id));
  EXPECT_FALSE(second.authenticate_authorization("Bearer " + secret_));
}

// Many threads authenticate while the key is revoked: every call that starts after
// revoke_key returned must fail, whatever the threads were caching meanwhile.
TEST_P(AuthenticatorTest, NoCallStartedAfterARevokeSucceeds) {
  std::atomic<bool> revoked{false};
  std::atomic<bool> stop{false};
  std::atomic<int> late_successes{0};
  std::atomic<int> calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        const bool after_revoke = revoked.load();
        const bool ok = authenticator_->authenticate_authorization("Bearer " + secret_).has_value();
        if (after_revoke && ok) late_successes.fetch_add(1);
        calls.fetch_add(1);
      }
    });
  }
  while (calls.load() < 200) std::this_thread::yield();
  ASSERT_TRUE(store_->revoke_key(created_.test_key->key.id));
  revoked.store(true);
  const int at_revoke = calls.load();
  while (calls.load() < at_revoke + 200) std::this_thread::yield();
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(late_successes.load(), 0);
}

}  // namespace
}  // namespace till::merchant::testing
