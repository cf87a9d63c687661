// The /admin/v1/merchants/{id}/routing routes in-process, over a real store on SQLite: saving
// versions, the active one, the version list with pages, validation errors that name the
// field, unknown merchants and connector accounts, modes, and the admin token.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "admin/routing_routes.h"
#include "merchant/merchant.h"
#include "support/route_request.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::admin {
namespace {

constexpr std::string_view kToken = "test-admin-token-0123456789abcdef";
constexpr std::int64_t kStartUnixMs = 1'700'000'000'123;
constexpr std::string_view kConfig =
    R"({"rules":[{"name":"eur","if":{"currency":["eur"]},"then":{"connectors":["ca_eu"]}}],)"
    R"("fallback":["ca_main"]})";

struct Reply {
  unsigned status = 0;
  boost::json::object body;
  std::string raw;
  std::vector<std::pair<std::string, std::string>> headers;
  const boost::json::object& error() const { return body.at("error").as_object(); }
  std::string error_field(std::string_view key) const {
    const auto* found = error().if_contains(key);
    return found == nullptr ? std::string() : std::string(found->as_string());
  }
};

Reply call(const api::Router& router, std::string_view method, std::string_view target,
           std::string_view body = "", std::optional<std::string> authorization = std::nullopt) {
  const std::string header = authorization.value_or("Bearer " + std::string(kToken));
  api::HeaderList headers;
  if (!header.empty()) headers.emplace_back("Authorization", header);
  auto routed = testing::route_request(router, method, target, body, headers);
  if (!routed) return Reply{0, {}, "no route", {}};
  boost::system::error_code error;
  auto parsed = boost::json::parse(routed->body, error);
  EXPECT_FALSE(error) << routed->body;
  return Reply{routed->status, error ? boost::json::object() : parsed.as_object(), routed->body,
               routed->headers};
}

class RoutingRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = testing::open_fresh_database(store::Dialect::sqlite, temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    merchants_ = std::make_unique<merchant::MerchantStore>(*database_, clock_);
    auto created = merchants_->create_merchant(merchant::MerchantSpec{"Acme", {}, false});
    ASSERT_TRUE(created);
    merchant_ = created->merchant.id;
    RoutingRouteHooks hooks;
    hooks.check_accounts =
        [this](
            const std::string& merchant_id, bool livemode,
            const std::vector<std::string>& ids) -> store::StoreResult<std::vector<std::string>> {
      checked_.push_back(merchant_id + (livemode ? "/live" : "/test"));
      if (std::find(ids.begin(), ids.end(), "ca_db_down") != ids.end()) {
        return store::store_fail(store::ErrorKind::connection, "the database went away");
      }
      std::vector<std::string> missing;
      for (const std::string& id : ids) {
        if (id.starts_with("ca_gone")) missing.push_back(id);
      }
      return missing;
    };
    hooks.saved = [this] { saved_count_++; };
    add_routing_admin_routes(router_, *database_, *merchants_, clock_,
                             AdminOptions{std::string(kToken)}, std::move(hooks));
  }
  void TearDown() override {
    merchants_.reset();
    database_.reset();
  }

  std::string path(std::string_view rest = "") {
    return "/admin/v1/merchants/" + merchant_ + "/routing" + std::string(rest);
  }
  Reply put(std::string_view body, std::string_view query = "") {
    return call(router_, "PUT", path() + std::string(query), body);
  }
  Reply get(std::string_view rest = "") { return call(router_, "GET", path(rest)); }

  static void expect_error(const Reply& reply, unsigned status, std::string_view code,
                           std::string_view param = "") {
    EXPECT_EQ(reply.status, status) << reply.raw;
    EXPECT_EQ(reply.error_field("code"), code) << reply.raw;
    EXPECT_EQ(reply.error_field("param"), param) << reply.raw;
  }

  testing::TempDir temp_;
  ManualClock clock_{kStartUnixMs};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<merchant::MerchantStore> merchants_;
  std::string merchant_;
  std::vector<std::string> checked_;
  int saved_count_ = 0;
  api::Router router_;
};

TEST_F(RoutingRoutesTest, PutStoresVersionsAndGetAnswersTheLatest) {
  expect_error(get(), 404, "resource_missing");

  const Reply first = put(kConfig);
  ASSERT_EQ(first.status, 200u) << first.raw;
  EXPECT_EQ(first.body.at("object").as_string(), "routing_config");
  EXPECT_EQ(first.body.at("merchant").as_string(), merchant_);
  EXPECT_FALSE(first.body.at("livemode").as_bool());
  EXPECT_EQ(first.body.at("version").as_int64(), 1);
  EXPECT_EQ(first.body.at("created_at_unix_ms").as_int64(), kStartUnixMs);
  EXPECT_EQ(first.body.at("created_by").as_string(), "admin_api");
  EXPECT_EQ(first.body.at("config"), boost::json::parse(kConfig));
  EXPECT_EQ(checked_, (std::vector<std::string>{merchant_ + "/test"}));
  EXPECT_EQ(saved_count_, 1);

  clock_.advance_ms(1000);
  const Reply second = put(R"({"fallback":["ca_main","ca_backup"],"max_attempts":2})");
  ASSERT_EQ(second.status, 200u) << second.raw;
  EXPECT_EQ(second.body.at("version").as_int64(), 2);

  const Reply active = get();
  ASSERT_EQ(active.status, 200u) << active.raw;
  EXPECT_EQ(active.body, second.body);
  EXPECT_EQ(get("?livemode=false").body, second.body);
}

TEST_F(RoutingRoutesTest, ModesAreSeparate) {
  ASSERT_EQ(put(kConfig).status, 200u);
  expect_error(get("?livemode=true"), 404, "resource_missing");
  const Reply live = put(R"({"fallback":["ca_live"]})", "?livemode=true");
  ASSERT_EQ(live.status, 200u) << live.raw;
  EXPECT_TRUE(live.body.at("livemode").as_bool());
  EXPECT_EQ(live.body.at("version").as_int64(), 1);
  EXPECT_EQ(checked_.back(), merchant_ + "/live");
  EXPECT_EQ(get("?livemode=true").body.at("config").at("fallback").as_array()[0].as_string(),
            "ca_live");
  EXPECT_EQ(get().body.at("version").as_int64(), 1);
  expect_error(get("?livemode=yes"), 400, "parameter_invalid", "livemode");
  expect_error(get("?mode=live"), 400, "parameter_unknown", "mode");
}

TEST_F(RoutingRoutesTest, ListsVersionsNewestFirstInPages) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(put(R"({"fallback":["ca_)" + std::to_string(i) + R"("]})").status, 200u);
  }
  const Reply all = get("/versions");
  ASSERT_EQ(all.status, 200u) << all.raw;
  EXPECT_EQ(all.body.at("object").as_string(), "list");
  EXPECT_FALSE(all.body.at("has_more").as_bool());
  EXPECT_EQ(all.body.at("url").as_string(), path("/versions"));
  const auto& data = all.body.at("data").as_array();
  ASSERT_EQ(data.size(), 5u);
  EXPECT_EQ(data[0].at("version").as_int64(), 5);
  EXPECT_EQ(data[4].at("version").as_int64(), 1);
  EXPECT_EQ(data[4].at("config").at("fallback").as_array()[0].as_string(), "ca_1");

  const Reply page = get("/versions?limit=2");
  ASSERT_EQ(page.status, 200u) << page.raw;
  EXPECT_TRUE(page.body.at("has_more").as_bool());
  ASSERT_EQ(page.body.at("data").as_array().size(), 2u);
  const Reply next = get("/versions?limit=2&starting_after=4");
  ASSERT_EQ(next.body.at("data").as_array().size(), 2u);
  EXPECT_EQ(next.body.at("data").as_array()[0].at("version").as_int64(), 3);
  EXPECT_TRUE(next.body.at("has_more").as_bool());
  const Reply last = get("/versions?limit=2&starting_after=2");
  ASSERT_EQ(last.body.at("data").as_array().size(), 1u);
  EXPECT_FALSE(last.body.at("has_more").as_bool());

  expect_error(get("/versions?limit=101"), 400, "parameter_invalid_integer", "limit");
  expect_error(get("/versions?limit=0"), 400, "parameter_invalid_integer", "limit");
  expect_error(get("/versions?starting_after=x"), 400, "parameter_invalid_integer",
               "starting_after");
  const Reply live = get("/versions?livemode=true");
  ASSERT_EQ(live.status, 200u);
  EXPECT_TRUE(live.body.at("data").as_array().empty());
}

TEST_F(RoutingRoutesTest, InvalidConfigsNameTheField) {
  Reply reply = put(
      R"({"rules":[{"then":{"split":[{"connector":"ca_a","percent":70},{"connector":"ca_b","percent":"30"}]}}],"fallback":["ca_a"]})");
  expect_error(reply, 400, "routing_config_invalid", "rules[0].then.split[1].percent");
  EXPECT_NE(reply.error_field("message").find("must be an integer"), std::string::npos)
      << reply.raw;
  expect_error(put("not json"), 400, "routing_config_invalid");
  expect_error(put(""), 400, "routing_config_invalid");
  expect_error(put(R"({"rules":[]})"), 400, "routing_config_invalid", "fallback");
  expect_error(put(R"({"fallback":["ca_a"],"max_attempts":9})"), 400, "routing_config_invalid",
               "max_attempts");
  // Nothing was stored.
  expect_error(get(), 404, "resource_missing");
}

TEST_F(RoutingRoutesTest, UnknownConnectorAccountsAreRefused) {
  const Reply reply = put(R"({"fallback":["ca_main","ca_gone1","ca_gone2"]})");
  expect_error(reply, 400, "resource_missing");
  EXPECT_NE(reply.error_field("message").find("ca_gone1, ca_gone2"), std::string::npos)
      << reply.raw;
  expect_error(get(), 404, "resource_missing");
  // When the accounts cannot be read, nothing is stored and the client may retry.
  const Reply down = put(R"({"fallback":["ca_db_down"]})");
  expect_error(down, 503, "database_unavailable");
  bool retry_after = false;
  for (const auto& [name, value] : down.headers) retry_after = retry_after || name == "Retry-After";
  EXPECT_TRUE(retry_after);
  expect_error(get(), 404, "resource_missing");
  EXPECT_EQ(saved_count_, 0);
}

TEST_F(RoutingRoutesTest, UnknownMerchantIs404) {
  for (const char* method : {"PUT", "GET"}) {
    const Reply reply = call(router_, method, "/admin/v1/merchants/acct_nobody/routing", kConfig);
    expect_error(reply, 404, "resource_missing", "id");
  }
  expect_error(call(router_, "GET", "/admin/v1/merchants/acct_nobody/routing/versions"), 404,
               "resource_missing", "id");
}

TEST_F(RoutingRoutesTest, NeedsTheAdminToken) {
  const Reply reply = call(router_, "PUT", path(), kConfig, "Bearer wrong-token");
  EXPECT_EQ(reply.status, 401u) << reply.raw;
  bool challenged = false;
  for (const auto& [name, value] : reply.headers)
    challenged = challenged || name == "WWW-Authenticate";
  EXPECT_TRUE(challenged);
  EXPECT_EQ(call(router_, "GET", path(), "", "").status, 401u);
}

TEST(RoutingRoutesDisabledTest, AnswersAdminApiDisabledWithoutAToken) {
  testing::TempDir temp;
  auto database = testing::open_fresh_database(store::Dialect::sqlite, temp.path());
  ASSERT_TRUE(database) << database.error().message;
  ManualClock clock(kStartUnixMs);
  merchant::MerchantStore merchants(**database, clock);
  api::Router router;
  add_routing_admin_routes(router, **database, merchants, clock, AdminOptions{});
  const Reply reply = call(router, "PUT", "/admin/v1/merchants/acct_x/routing", kConfig);
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(reply.error_field("code"), "admin_api_disabled");
}

}  // namespace
}  // namespace till::admin
