// The /admin/v1/merchants and /admin/v1/keys routes in-process, over a real MerchantStore on
// SQLite: every route, the fields validation errors name, 404s, the admin token, and that the
// keys the routes hand out authenticate (and stop when revoked or rolled).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <regex>

#include "admin/admin.h"
#include "merchant/merchant.h"
#include "support/route_request.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::admin {
namespace {

constexpr std::string_view kToken = "test-admin-token-0123456789abcdef";
constexpr std::int64_t kStartUnixMs = 1'700'000'000'123;

struct Reply {
  unsigned status = 0;
  boost::json::object body;
  std::string raw;
  std::vector<std::pair<std::string, std::string>> headers;
  const boost::json::object& error() const { return body.at("error").as_object(); }
  std::string error_code() const {
    const auto* code = error().if_contains("code");
    return code == nullptr ? std::string() : std::string(code->as_string());
  }
  std::string error_param() const {
    const auto* param = error().if_contains("param");
    return param == nullptr ? std::string() : std::string(param->as_string());
  }
  std::string text(std::string_view key) const { return std::string(body.at(key).as_string()); }
};

// Routes a request through the router as the server would, without sockets.
Reply call(const api::Router& router, std::string_view method, std::string_view target,
           std::string_view body = "", std::optional<std::string> authorization = std::nullopt) {
  const std::string header = authorization.value_or("Bearer " + std::string(kToken));
  api::HeaderList headers;
  if (!header.empty()) headers.emplace_back("Authorization", header);
  auto routed = testing::route_request(router, method, target, body, headers);
  if (!routed) return Reply{404, {}, {}, {}};
  const api::Response& response = *routed;
  boost::system::error_code error;
  auto parsed = boost::json::parse(response.body, error);
  EXPECT_FALSE(error) << response.body;
  return Reply{response.status, error ? boost::json::object() : parsed.as_object(), response.body,
               response.headers};
}

class MerchantRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = testing::open_fresh_database(store::Dialect::sqlite, temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    ledger_ = std::make_unique<ledger::Ledger>(*database_, clock_);
    merchants_ = std::make_unique<merchant::MerchantStore>(*database_, clock_);
    authenticator_ = std::make_unique<merchant::Authenticator>(*merchants_);
    add_admin_routes(router_, *ledger_, *merchants_, AdminOptions{std::string(kToken)});
  }
  void TearDown() override {
    authenticator_.reset();
    merchants_.reset();
    ledger_.reset();
    database_.reset();
  }

  Reply get(const std::string& path) { return call(router_, "GET", path); }
  Reply post(const std::string& path, std::string_view body = "") {
    return call(router_, "POST", path, body);
  }

  Reply create(std::string_view body = R"({"name":"Acme"})") {
    const Reply reply = post("/admin/v1/merchants", body);
    EXPECT_EQ(reply.status, 200u) << reply.raw;
    return reply;
  }

  bool authenticates(const std::string& secret) {
    return authenticator_->authenticate_authorization("Bearer " + secret).has_value();
  }

  static void expect_error(const Reply& reply, unsigned status, std::string_view code,
                           std::string_view param) {
    EXPECT_EQ(reply.status, status) << reply.raw;
    EXPECT_EQ(reply.error_code(), code) << reply.raw;
    EXPECT_EQ(reply.error_param(), param) << reply.raw;
  }

  testing::TempDir temp_;
  ManualClock clock_{kStartUnixMs};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<merchant::MerchantStore> merchants_;
  std::unique_ptr<merchant::Authenticator> authenticator_;
  api::Router router_;
};

TEST_F(MerchantRoutesTest, CreatesAMerchantAndShowsItsTestSecretOnce) {
  const Reply created = create(R"({"name":"Acme Coffee","metadata":{"tier":"gold"}})");
  EXPECT_TRUE(std::regex_match(created.text("id"), std::regex("acct_[0-9A-Za-z]{22}")));
  EXPECT_EQ(created.text("object"), "account");
  EXPECT_EQ(created.text("name"), "Acme Coffee");
  EXPECT_EQ(created.body.at("created").as_int64(), kStartUnixMs / 1000);  // seconds, as Stripe
  EXPECT_EQ(created.body.at("metadata").as_object().at("tier").as_string(), "gold");
  const auto& key = created.body.at("secret_key").as_object();
  EXPECT_EQ(key.at("object").as_string(), "api_key");
  EXPECT_EQ(key.at("merchant").as_string(), created.text("id"));
  EXPECT_FALSE(key.at("livemode").as_bool());
  EXPECT_EQ(key.at("status").as_string(), "active");
  EXPECT_FALSE(key.at("revoked").as_bool());
  EXPECT_TRUE(key.at("expires_at").is_null());
  const std::string secret(key.at("secret").as_string());
  EXPECT_TRUE(std::regex_match(secret, std::regex("sk_test_[0-9A-Za-z]{48}")));
  EXPECT_EQ(key.at("redacted").as_string(), "sk_test_\u2026" + secret.substr(secret.size() - 4));
  EXPECT_TRUE(authenticates(secret));

  // Never again: not on the merchant, not in the key list.
  const Reply fetched = get("/admin/v1/merchants/" + created.text("id"));
  ASSERT_EQ(fetched.status, 200u) << fetched.raw;
  EXPECT_EQ(fetched.body.if_contains("secret_key"), nullptr);
  EXPECT_EQ(fetched.raw.find(secret), std::string::npos);
  boost::json::object without_key = created.body;
  without_key.erase("secret_key");
  EXPECT_EQ(fetched.body, without_key);
  const Reply keys = get("/admin/v1/merchants/" + created.text("id") + "/keys");
  ASSERT_EQ(keys.status, 200u) << keys.raw;
  EXPECT_EQ(keys.raw.find(secret.substr(8)), std::string::npos);
  ASSERT_EQ(keys.body.at("data").as_array().size(), 1u);
  EXPECT_EQ(keys.body.at("data").as_array()[0].as_object().if_contains("secret"), nullptr);
}

TEST_F(MerchantRoutesTest, CreatesWithoutAKeyWhenAsked) {
  const Reply created = create(R"({"name":"Keyless","issue_test_key":false})");
  EXPECT_EQ(created.body.if_contains("secret_key"), nullptr);
  const Reply keys = get("/admin/v1/merchants/" + created.text("id") + "/keys");
  EXPECT_TRUE(keys.body.at("data").as_array().empty());
}

TEST_F(MerchantRoutesTest, ListsMerchantsNewestFirstInPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(create(R"({"name":"m)" + std::to_string(i) + R"("})").text("id"));
    clock_.advance_ms(1);
  }
  const Reply first = get("/admin/v1/merchants?limit=2");
  ASSERT_EQ(first.status, 200u) << first.raw;
  EXPECT_EQ(first.text("object"), "list");
  EXPECT_EQ(first.text("url"), "/admin/v1/merchants");
  EXPECT_TRUE(first.body.at("has_more").as_bool());
  const auto& data = first.body.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].at("id").as_string(), ids[2]);
  EXPECT_EQ(data[1].at("id").as_string(), ids[1]);
  EXPECT_EQ(data[0].as_object().if_contains("secret_key"), nullptr);
  const Reply second = get("/admin/v1/merchants?limit=2&starting_after=" + ids[1]);
  ASSERT_EQ(second.status, 200u) << second.raw;
  EXPECT_FALSE(second.body.at("has_more").as_bool());
  ASSERT_EQ(second.body.at("data").as_array().size(), 1u);
  EXPECT_EQ(second.body.at("data").as_array()[0].at("id").as_string(), ids[0]);

  expect_error(get("/admin/v1/merchants?starting_after=acct_0000000000000000000000"), 400,
               "cursor_invalid", "starting_after");
  expect_error(get("/admin/v1/merchants?limit=0"), 400, "parameter_invalid_integer", "limit");
  expect_error(get("/admin/v1/merchants?limit=1001"), 400, "parameter_invalid_integer", "limit");
  expect_error(get("/admin/v1/merchants?colour=red"), 400, "parameter_unknown", "colour");
}

TEST_F(MerchantRoutesTest, CreateValidationNamesTheField) {
  expect_error(post("/admin/v1/merchants", "{nope"), 400, "json_invalid", "");
  expect_error(post("/admin/v1/merchants", "[]"), 400, "json_invalid", "");
  expect_error(post("/admin/v1/merchants", ""), 400, "parameter_missing", "name");
  expect_error(post("/admin/v1/merchants", R"({"name":null})"), 400, "parameter_missing", "name");
  expect_error(post("/admin/v1/merchants", R"({"name":42})"), 400, "parameter_invalid", "name");
  expect_error(post("/admin/v1/merchants", R"({"name":""})"), 400, "name_invalid", "name");
  expect_error(post("/admin/v1/merchants", R"({"name":")" + std::string(256, 'n') + R"("})"), 400,
               "name_invalid", "name");
  expect_error(post("/admin/v1/merchants", R"({"name":"a","nmae":"b"})"), 400, "parameter_unknown",
               "nmae");
  expect_error(post("/admin/v1/merchants", R"({"name":"a","issue_test_key":"yes"})"), 400,
               "parameter_invalid", "issue_test_key");
  expect_error(post("/admin/v1/merchants", R"({"name":"a","metadata":[]})"), 400,
               "parameter_invalid", "metadata");
  expect_error(post("/admin/v1/merchants", R"({"name":"a","metadata":{"n":1}})"), 400,
               "parameter_invalid", "metadata[n]");
  expect_error(post("/admin/v1/merchants",
                    R"({"name":"a","metadata":{"order":")" + std::string(501, 'v') + R"("}})"),
               400, "metadata_invalid", "metadata[order]");
  expect_error(post("/admin/v1/merchants?name=a", R"({"name":"a"})"), 400, "parameter_unknown",
               "name");
  EXPECT_TRUE(get("/admin/v1/merchants").body.at("data").as_array().empty());
}

TEST_F(MerchantRoutesTest, UnknownObjectsAre404ResourceMissing) {
  const std::string merchant = "acct_0000000000000000000000";
  const std::string key = "key_0000000000000000000000";
  expect_error(get("/admin/v1/merchants/" + merchant), 404, "resource_missing", "id");
  expect_error(get("/admin/v1/merchants/not-an-id"), 404, "resource_missing", "id");
  expect_error(get("/admin/v1/merchants/" + merchant + "/keys"), 404, "resource_missing", "id");
  expect_error(post("/admin/v1/merchants/" + merchant + "/keys", R"({"mode":"test"})"), 404,
               "resource_missing", "id");
  expect_error(post("/admin/v1/keys/" + key + "/roll"), 404, "resource_missing", "id");
  expect_error(post("/admin/v1/keys/" + key + "/revoke"), 404, "resource_missing", "id");
  const Reply garbage = get("/admin/v1/merchants/%3Cscript%3E");
  EXPECT_EQ(garbage.status, 404u);
  EXPECT_EQ(garbage.raw.find("script"), std::string::npos);  // not echoed
}

TEST_F(MerchantRoutesTest, IssuesAndListsKeys) {
  const std::string merchant = create().text("id");
  const std::string path = "/admin/v1/merchants/" + merchant + "/keys";
  clock_.advance_ms(1000);
  const Reply live = post(path, R"({"mode":"live"})");
  ASSERT_EQ(live.status, 200u) << live.raw;
  EXPECT_TRUE(live.body.at("livemode").as_bool());
  EXPECT_EQ(live.body.at("created").as_int64(), kStartUnixMs / 1000 + 1);
  const std::string secret = live.text("secret");
  EXPECT_TRUE(std::regex_match(secret, std::regex("sk_live_[0-9A-Za-z]{48}")));
  auto context = authenticator_->authenticate_authorization("Bearer " + secret);
  ASSERT_TRUE(context);
  EXPECT_TRUE(context->livemode);
  EXPECT_EQ(context->merchant_id, merchant);

  const Reply listed = get(path + "?limit=1");
  ASSERT_EQ(listed.status, 200u) << listed.raw;
  EXPECT_EQ(listed.text("url"), path);
  EXPECT_TRUE(listed.body.at("has_more").as_bool());
  EXPECT_EQ(listed.body.at("data").as_array()[0].at("id").as_string(), live.text("id"));
  const Reply rest = get(path + "?starting_after=" + live.text("id"));
  ASSERT_EQ(rest.status, 200u) << rest.raw;
  EXPECT_EQ(rest.body.at("data").as_array().size(), 1u);
  EXPECT_FALSE(rest.body.at("has_more").as_bool());

  expect_error(post(path, ""), 400, "parameter_missing", "mode");
  expect_error(post(path, R"({"mode":"prod"})"), 400, "parameter_invalid", "mode");
  expect_error(post(path, R"({"mode":"test","name":"x"})"), 400, "parameter_unknown", "name");
  expect_error(get(path + "?starting_after=key_0000000000000000000000"), 400, "cursor_invalid",
               "starting_after");
}

TEST_F(MerchantRoutesTest, RollsKeysWithAndWithoutOverlap) {
  const Reply created = create();
  const auto& first = created.body.at("secret_key").as_object();
  const std::string first_id(first.at("id").as_string());
  const std::string first_secret(first.at("secret").as_string());

  const Reply rolled = post("/admin/v1/keys/" + first_id + "/roll", R"({"expires_in_seconds":60})");
  ASSERT_EQ(rolled.status, 200u) << rolled.raw;
  const std::string second_secret = rolled.text("secret");
  EXPECT_NE(rolled.text("id"), first_id);
  EXPECT_FALSE(rolled.body.at("livemode").as_bool());
  const auto& previous = rolled.body.at("previous_key").as_object();
  EXPECT_EQ(previous.at("id").as_string(), first_id);
  EXPECT_EQ(previous.at("status").as_string(), "expiring");
  EXPECT_EQ(previous.at("expires_at").as_int64(), (kStartUnixMs + 60'000) / 1000);
  EXPECT_EQ(previous.at("replaced_by").as_string(), rolled.text("id"));
  EXPECT_EQ(previous.if_contains("secret"), nullptr);
  EXPECT_TRUE(authenticates(first_secret));
  EXPECT_TRUE(authenticates(second_secret));
  expect_error(post("/admin/v1/keys/" + first_id + "/roll"), 409, "key_already_rolled", "id");
  clock_.advance_ms(60'000);
  EXPECT_FALSE(authenticates(first_secret));

  // Without an overlap (the default) the old key stops at once.
  const Reply again = post("/admin/v1/keys/" + rolled.text("id") + "/roll", "");
  ASSERT_EQ(again.status, 200u) << again.raw;
  EXPECT_EQ(again.body.at("previous_key").at("status").as_string(), "expired");
  EXPECT_FALSE(authenticates(second_secret));
  EXPECT_TRUE(authenticates(again.text("secret")));
  expect_error(post("/admin/v1/keys/" + rolled.text("id") + "/roll"), 409, "key_expired", "id");

  const std::string path = "/admin/v1/keys/" + again.text("id") + "/roll";
  expect_error(post(path, R"({"expires_in_seconds":604801})"), 400, "expires_in_invalid",
               "expires_in_seconds");
  expect_error(post(path, R"({"expires_in_seconds":-1})"), 400, "expires_in_invalid",
               "expires_in_seconds");
  expect_error(post(path, R"({"expires_in_seconds":1.5})"), 400, "parameter_invalid_integer",
               "expires_in_seconds");
  expect_error(post(path, R"({"expires_in_seconds":"60"})"), 400, "parameter_invalid_integer",
               "expires_in_seconds");
  expect_error(post(path, R"({"expires_in":60})"), 400, "parameter_unknown", "expires_in");
}

TEST_F(MerchantRoutesTest, RevokesKeys) {
  const Reply created = create();
  const auto& key = created.body.at("secret_key").as_object();
  const std::string id(key.at("id").as_string());
  const std::string secret(key.at("secret").as_string());
  ASSERT_TRUE(authenticates(secret));  // cached now
  clock_.advance_ms(5000);
  const Reply revoked = post("/admin/v1/keys/" + id + "/revoke");
  ASSERT_EQ(revoked.status, 200u) << revoked.raw;
  EXPECT_TRUE(revoked.body.at("revoked").as_bool());
  EXPECT_EQ(revoked.body.at("revoked_at").as_int64(), (kStartUnixMs + 5000) / 1000);
  EXPECT_EQ(revoked.text("status"), "revoked");
  EXPECT_EQ(revoked.body.if_contains("secret"), nullptr);
  EXPECT_FALSE(authenticates(secret));
  // Again: the same answer.
  const Reply twice = post("/admin/v1/keys/" + id + "/revoke", "{}");
  ASSERT_EQ(twice.status, 200u) << twice.raw;
  EXPECT_EQ(twice.body, revoked.body);
  expect_error(post("/admin/v1/keys/" + id + "/roll"), 409, "key_revoked", "id");
  expect_error(post("/admin/v1/keys/" + id + "/revoke", R"({"reason":"x"})"), 400,
               "parameter_unknown", "reason");
}

TEST_F(MerchantRoutesTest, EveryMerchantRouteNeedsTheAdminToken) {
  const std::string merchant = create().text("id");
  int merchant_routes = 0;
  for (const api::Route& route : router_.routes()) {
    if (route.pattern.find("/admin/v1/merchants") != 0 && route.pattern.find("/admin/v1/keys") != 0)
      continue;
    ++merchant_routes;
    std::string target = route.pattern;
    const std::size_t capture = target.find("{id}");
    if (capture != std::string::npos) target.replace(capture, 4, merchant);
    for (const std::string& authorization :
         {std::string(""), std::string("Bearer wrong-token-wrong-token-wrong-token"),
          "Basic " + std::string(kToken)}) {
      SCOPED_TRACE(route.method + " " + target + " with '" + authorization + "'");
      const Reply reply = call(router_, route.method, target, R"({"name":"x"})", authorization);
      EXPECT_EQ(reply.status, 401u);
      EXPECT_EQ(reply.error().at("type").as_string(), "authentication_error");
    }
  }
  EXPECT_EQ(merchant_routes, 7);
  EXPECT_EQ(get("/admin/v1/merchants").body.at("data").as_array().size(), 1u);  // nothing created
}

}  // namespace
}  // namespace till::admin
