// The admin routes in-process, over a real ledger on SQLite: what each route answers for the
// cases the HTTP tests do not reach cheaply (disabled API, conflicts, cursors, as-of).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "admin/admin.h"
#include "support/route_request.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::admin {
namespace {

constexpr std::string_view kToken = "test-admin-token-0123456789abcdef";

struct Reply {
  unsigned status = 0;
  boost::json::object body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return {};
  }
  std::string error_code() const {
    return std::string(body.at("error").as_object().at("code").as_string());
  }
  std::string error_param() const {
    const auto* param = body.at("error").as_object().if_contains("param");
    return param == nullptr ? std::string() : std::string(param->as_string());
  }
};

// Routes a request through the router as the server would, without sockets.
Reply call(const api::Router& router, std::string_view method, std::string_view target,
           std::string_view body = "", std::string_view authorization = "",
           std::string_view idempotency_key = "") {
  const std::string bearer = "Bearer " + std::string(kToken);
  api::HeaderList headers;
  headers.emplace_back("Authorization", authorization.empty() ? bearer : authorization);
  if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
  auto routed = testing::route_request(router, method, target, body, headers);
  if (!routed) return Reply{404, {}, {}};
  const api::Response& response = *routed;
  boost::system::error_code error;
  auto parsed = boost::json::parse(response.body, error);
  EXPECT_FALSE(error) << response.body;
  return Reply{response.status, error ? boost::json::object() : parsed.as_object(),
               response.headers};
}

class AdminRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = testing::open_fresh_database(store::Dialect::sqlite, temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    ledger_ = std::make_unique<ledger::Ledger>(*database_, clock_);
    merchants_ = std::make_unique<merchant::MerchantStore>(*database_, clock_);
    add_admin_routes(router_, *ledger_, *merchants_, AdminOptions{std::string(kToken)});
  }
  void TearDown() override {
    merchants_.reset();
    ledger_.reset();
    database_.reset();
  }

  std::string account(std::string_view type, std::string_view flags = "[]") {
    const std::string body = R"({"type":")" + std::string(type) +
                             R"(","currency":"usd","owner":"platform","flags":)" +
                             std::string(flags) + "}";
    const Reply reply = call(router_, "POST", "/admin/v1/ledger/accounts", body);
    EXPECT_EQ(reply.status, 200u) << boost::json::serialize(reply.body);
    return std::string(reply.body.at("id").as_string());
  }

  static std::string transfer(const std::string& debit, const std::string& credit,
                              std::string_view amount, std::string_view extra = "") {
    return R"({"postings":[{"account_id":")" + debit + R"(","side":"debit","amount":")" +
           std::string(amount) + R"("},{"account_id":")" + credit +
           R"(","side":"credit","amount":")" + std::string(amount) + R"("}])" + std::string(extra) +
           "}";
  }

  Reply post_entry(const std::string& body, std::string_view key = "") {
    return call(router_, "POST", "/admin/v1/ledger/entries", body, "", key);
  }

  testing::TempDir temp_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<merchant::MerchantStore> merchants_;
  api::Router router_;
};

TEST(AdminRoutesDisabled, EveryRouteAnswers404AdminApiDisabled) {
  testing::TempDir temp;
  auto database = testing::open_fresh_database(store::Dialect::sqlite, temp.path());
  ASSERT_TRUE(database) << database.error().message;
  ManualClock clock(1'700'000'000'000);
  ledger::Ledger ledger(**database, clock);
  merchant::MerchantStore merchants(**database, clock);
  api::Router router;
  add_admin_routes(router, ledger, merchants, AdminOptions{});
  ASSERT_FALSE(router.routes().empty());
  for (const api::Route& route : router.routes()) {
    EXPECT_EQ(route.execution, api::Execution::io_thread) << route.pattern;
    std::string target = route.pattern;
    const std::size_t capture = target.find("{id}");
    if (capture != std::string::npos) target.replace(capture, 4, "la_x");
    const Reply reply = call(router, route.method, target);
    EXPECT_EQ(reply.status, 404u) << route.pattern;
    EXPECT_EQ(reply.error_code(), "admin_api_disabled") << route.pattern;
    const std::string message(reply.body.at("error").as_object().at("message").as_string());
    EXPECT_NE(message.find("TILL_ADMIN_TOKEN"), std::string::npos) << message;
  }
}

TEST_F(AdminRoutes, EveryRouteNeedsTheTokenAndRunsOnTheBlockingPool) {
  for (const api::Route& route : router_.routes()) {
    EXPECT_EQ(route.execution, api::Execution::blocking) << route.pattern;
    std::string target = route.pattern;
    const std::size_t capture = target.find("{id}");
    if (capture != std::string::npos) target.replace(capture, 4, "la_x");
    const Reply reply = call(router_, route.method, target, "{}", "Bearer not-the-token");
    EXPECT_EQ(reply.status, 401u) << route.pattern;
    EXPECT_EQ(reply.header("WWW-Authenticate"), "Bearer realm=\"till-admin\"");
  }
}

TEST_F(AdminRoutes, UnknownObjectsAre404AndUnknownReferencesAre400) {
  const std::string bank = account("asset");
  Reply reply = call(router_, "GET", "/admin/v1/ledger/accounts/la_missing");
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(reply.error_code(), "resource_missing");
  EXPECT_EQ(reply.error_param(), "id");
  reply = call(router_, "GET", "/admin/v1/ledger/entries/je_missing");
  EXPECT_EQ(reply.status, 404u);
  reply = call(router_, "GET", "/admin/v1/ledger/accounts/la_missing/balance");
  EXPECT_EQ(reply.status, 404u);
  reply = call(router_, "GET", "/admin/v1/ledger/accounts/la_missing/postings");
  EXPECT_EQ(reply.status, 404u);
  reply = post_entry(transfer(bank, "la_missing", "5"));
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.error_code(), "resource_missing");
  EXPECT_EQ(reply.error_param(), "postings[1].account_id");
}

TEST_F(AdminRoutes, HoldConflictsAre409) {
  const std::string bank = account("asset");
  const std::string wallet = account("liability", R"(["debits_must_not_exceed_credits"])");
  ASSERT_EQ(post_entry(transfer(bank, wallet, "100")).status, 200u);
  Reply overdraw = post_entry(transfer(wallet, bank, "101"));
  EXPECT_EQ(overdraw.status, 409u);
  EXPECT_EQ(overdraw.error_code(), "insufficient_funds");
  EXPECT_EQ(overdraw.error_param(), "postings[0]");
  const Reply hold = post_entry(transfer(wallet, bank, "40", R"(,"kind":"pending")"));
  ASSERT_EQ(hold.status, 200u);
  const std::string hold_id(hold.body.at("id").as_string());
  const std::string void_body = R"({"kind":"void_pending","pending_entry_id":")" + hold_id + "\"}";
  EXPECT_EQ(post_entry(void_body).status, 200u);
  const Reply again = post_entry(void_body);
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(again.error_code(), "hold_already_resolved");
  EXPECT_EQ(again.error_param(), "pending_entry_id");
}

TEST_F(AdminRoutes, ExpiredHoldIs409AndPastExpiryNamesTheClientField) {
  const std::string bank = account("asset");
  const std::string wallet = account("liability");
  const std::string past = std::to_string(clock_.now_unix_ms() - 1);
  Reply reply =
      post_entry(transfer(wallet, bank, "5", R"(,"kind":"pending","expires_at_unix_ms":)" + past));
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.error_code(), "expires_at_in_past");
  EXPECT_EQ(reply.error_param(), "expires_at_unix_ms");
  const std::string soon = std::to_string(clock_.now_unix_ms() + 1000);
  reply =
      post_entry(transfer(wallet, bank, "5", R"(,"kind":"pending","expires_at_unix_ms":)" + soon));
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.body.at("expires_at_unix_ms").as_int64(), clock_.now_unix_ms() + 1000);
  clock_.advance_ms(1000);
  const std::string post_body = R"({"kind":"post_pending","pending_entry_id":")" +
                                std::string(reply.body.at("id").as_string()) + "\"}";
  reply = post_entry(post_body);
  EXPECT_EQ(reply.status, 409u);
  EXPECT_EQ(reply.error_code(), "hold_expired");
}

TEST_F(AdminRoutes, ReversalAndItsConflicts) {
  const std::string bank = account("asset");
  const std::string revenue = account("revenue");
  const Reply sale = post_entry(transfer(bank, revenue, "70"));
  ASSERT_EQ(sale.status, 200u);
  const std::string body = R"({"kind":"reversal","reverses_entry_id":")" +
                           std::string(sale.body.at("id").as_string()) + "\"}";
  const Reply reversal = post_entry(body);
  ASSERT_EQ(reversal.status, 200u);
  EXPECT_EQ(reversal.body.at("reverses_entry_id"), sale.body.at("id"));
  const Reply twice = post_entry(body);
  EXPECT_EQ(twice.status, 409u);
  EXPECT_EQ(twice.error_code(), "entry_already_reversed");
  const Reply balance = call(router_, "GET", "/admin/v1/ledger/accounts/" + bank + "/balance");
  EXPECT_EQ(balance.body.at("posted").as_string(), "0");
}

TEST_F(AdminRoutes, BalanceAsOfAPastTime) {
  const std::string bank = account("asset");
  const std::string equity = account("equity");
  const std::int64_t before = clock_.now_unix_ms();
  clock_.advance_ms(10);
  ASSERT_EQ(post_entry(transfer(bank, equity, "250")).status, 200u);
  Reply now = call(router_, "GET", "/admin/v1/ledger/accounts/" + bank + "/balance");
  EXPECT_EQ(now.body.at("posted").as_string(), "250");
  EXPECT_EQ(now.body.at("available").as_string(), "250");
  EXPECT_TRUE(now.body.at("as_of_unix_ms").is_null());
  Reply then = call(
      router_, "GET",
      "/admin/v1/ledger/accounts/" + bank + "/balance?as_of_unix_ms=" + std::to_string(before));
  EXPECT_EQ(then.status, 200u);
  EXPECT_EQ(then.body.at("posted").as_string(), "0");
  EXPECT_EQ(then.body.at("as_of_unix_ms").as_int64(), before);
  Reply bad = call(router_, "GET", "/admin/v1/ledger/accounts/" + bank + "/balance?as_of=1");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.error_code(), "parameter_unknown");
}

TEST_F(AdminRoutes, ListCursorsMustBeKnown) {
  account("asset");
  Reply reply = call(router_, "GET", "/admin/v1/ledger/accounts?starting_after=la_nope");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.error_code(), "cursor_invalid");
  EXPECT_EQ(reply.error_param(), "starting_after");
  const std::string bank = account("asset");
  reply = call(router_, "GET", "/admin/v1/ledger/accounts/" + bank + "/postings?starting_after=x");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.error_code(), "cursor_invalid");
  reply = call(router_, "GET", "/admin/v1/ledger/accounts?limit=0");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.error_param(), "limit");
}

TEST_F(AdminRoutes, PostRoutesRefuseQueryParameters) {
  const Reply reply = call(router_, "POST", "/admin/v1/ledger/accounts?type=asset",
                           R"({"type":"asset","currency":"usd","owner":"p"})");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.error_code(), "parameter_unknown");
  EXPECT_EQ(reply.error_param(), "type");
}

TEST_F(AdminRoutes, AccountValueErrorsComeFromTheLedger) {
  Reply reply = call(router_, "POST", "/admin/v1/ledger/accounts",
                     R"({"type":"asset","currency":"us d","owner":"p"})");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.error_code(), "currency_invalid");
  EXPECT_EQ(reply.error_param(), "currency");
  reply = call(
      router_, "POST", "/admin/v1/ledger/accounts",
      R"({"type":"asset","currency":"usd","owner":"p","flags":["debits_must_not_exceed_credits","credits_must_not_exceed_debits"]})");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.error_code(), "flags_invalid");
}

TEST_F(AdminRoutes, BatchIdempotencyKeyHeaderKeysEachEntry) {
  const std::string bank = account("asset");
  const std::string equity = account("equity");
  const std::string body = R"({"entries":[)" + transfer(bank, equity, "1") + "," +
                           transfer(bank, equity, "2", R"(,"idempotency_key":"own")") + "]}";
  const Reply first = call(router_, "POST", "/admin/v1/ledger/entry_batches", body, "", "batch-7");
  ASSERT_EQ(first.status, 200u) << boost::json::serialize(first.body);
  const auto& entries = first.body.at("data").as_array();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].at("idempotency_key").as_string(), "batch-7:0");
  EXPECT_EQ(entries[1].at("idempotency_key").as_string(), "own");
  EXPECT_TRUE(first.header("Idempotent-Replayed").empty());
  const Reply replay = call(router_, "POST", "/admin/v1/ledger/entry_batches", body, "", "batch-7");
  ASSERT_EQ(replay.status, 200u);
  EXPECT_EQ(replay.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(replay.body.at("data"), first.body.at("data"));
  const std::string long_key(251, 'k');
  const Reply too_long =
      call(router_, "POST", "/admin/v1/ledger/entry_batches", body, "", long_key);
  EXPECT_EQ(too_long.status, 400u);
  EXPECT_EQ(too_long.error_code(), "idempotency_key_too_long");
}

}  // namespace
}  // namespace till::admin
