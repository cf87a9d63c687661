// Integration tests: the admin API of the real `till serve`, over real sockets. Every test
// ends by stopping the server cleanly, checking the admin token never reached its log, and
// running `till ledger verify` on the database it leaves behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/till_process.h"

namespace till::testing {
namespace {

using namespace std::chrono_literals;

// Obviously a test value: 33 characters, no entropy.
constexpr std::string_view kToken = "test-admin-token-0123456789abcdef";
constexpr std::string_view kApi = "/admin/v1/ledger";

struct Reply {
  int status = 0;
  boost::json::object body;
  HttpResponse raw;
  std::string error_code() const {
    return std::string(body.at("error").as_object().at("code").as_string());
  }
  std::string error_param() const {
    const auto* param = body.at("error").as_object().if_contains("param");
    return param == nullptr ? std::string() : std::string(param->as_string());
  }
  std::string text(std::string_view key) const { return std::string(body.at(key).as_string()); }
};

Reply parse_reply(const std::optional<HttpResponse>& response) {
  Reply reply;
  if (!response) {
    ADD_FAILURE() << "no response";
    return reply;
  }
  reply.status = response->status;
  reply.raw = *response;
  boost::system::error_code error;
  auto parsed = boost::json::parse(response->body, error);
  if (error || !parsed.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << response->body;
    return reply;
  }
  reply.body = parsed.as_object();
  return reply;
}

std::string transfer(const std::string& debit, const std::string& credit, std::string_view amount,
                     std::string_view extra = "") {
  return R"({"postings":[{"account_id":")" + debit + R"(","side":"debit","amount":")" +
         std::string(amount) + R"("},{"account_id":")" + credit +
         R"(","side":"credit","amount":")" + std::string(amount) + R"("}])" + std::string(extra) +
         "}";
}

class AdminServe : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(std::vector<std::pair<std::string, std::string>> extra_env) {
    extra_env.emplace_back("TILL_ADMIN_TOKEN", std::string(kToken));
    server_ = std::make_unique<TillServer>(std::vector<std::string>{}, std::move(extra_env));
    ASSERT_TRUE(server_->started()) << server_->captured_stderr();
  }

  // Clean stop, no token in the log, and a ledger that verifies.
  void TearDown() override {
    if (!server_ || !server_->started()) return;
    server_->send_signal(SIGTERM);
    EXPECT_EQ(server_->wait_exit(30s), 0) << server_->captured_stderr();
    const std::string log = server_->captured_stderr() + server_->captured_stdout();
    EXPECT_EQ(log.find(kToken), std::string::npos) << "the admin token reached the log";
    const CommandResult verify = run_till({"ledger", "verify", "--data-dir", server_->data_dir()});
    EXPECT_EQ(verify.exit_status, 0) << verify.out << verify.err;
  }

  Reply request(std::string_view method, const std::string& target, std::string_view body = "",
                std::string extra_headers = "") {
    const std::string headers =
        "Authorization: Bearer " + std::string(kToken) + "\r\n" + extra_headers;
    return parse_reply(http_request(server_->port(), method, target, headers, body));
  }
  Reply get(const std::string& path) { return request("GET", std::string(kApi) + path); }
  Reply post(const std::string& path, std::string_view body, std::string extra_headers = "") {
    return request("POST", std::string(kApi) + path, body, std::move(extra_headers));
  }

  std::string account(std::string_view type, std::string_view currency = "usd",
                      std::string_view flags = "[]") {
    const Reply reply =
        post("/accounts", R"({"type":")" + std::string(type) + R"(","currency":")" +
                              std::string(currency) + R"(","owner":"platform","flags":)" +
                              std::string(flags) + "}");
    EXPECT_EQ(reply.status, 200) << reply.raw.body;
    return reply.status == 200 ? reply.text("id") : std::string();
  }

  Reply balance(const std::string& id) { return get("/accounts/" + id + "/balance"); }

  std::unique_ptr<TillServer> server_;
};

TEST(AdminServeDisabled, WithoutATokenTheAdminApiAnswers404) {
  TillServer server;
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  const Reply reply = parse_reply(http_request(server.port(), "GET", "/admin/v1/ledger/accounts"));
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.error_code(), "admin_api_disabled");
  EXPECT_NE(server.captured_stderr().find(R"("msg":"admin API","enabled":false)"),
            std::string::npos);
}

TEST_F(AdminServe, MissingOrWrongTokenIs401) {
  const std::string target = std::string(kApi) + "/accounts";
  for (const std::string& headers :
       {std::string(), std::string("Authorization: Bearer wrong-token-wrong-token-wrong-token\r\n"),
        std::string("Authorization: Basic dGVzdDp0ZXN0\r\n"),
        "Authorization: Bearer " + std::string(kToken) + "x\r\n"}) {
    SCOPED_TRACE(headers);
    const Reply reply = parse_reply(http_request(server_->port(), "GET", target, headers));
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(reply.body.at("error").as_object().at("type").as_string(), "authentication_error");
    EXPECT_EQ(reply.raw.body.find("wrong-token"), std::string::npos);
  }
  EXPECT_EQ(get("/accounts").status, 200);
}

TEST_F(AdminServe, CreatesGetsAndPagesAccounts) {
  const Reply created =
      post("/accounts", R"({"type":"liability","currency":"usd","owner":"m_1",)"
                        R"("name":"Wallet","flags":["debits_must_not_exceed_credits"],)"
                        R"("metadata":{"tier":"gold"}})");
  ASSERT_EQ(created.status, 200) << created.raw.body;
  EXPECT_EQ(created.text("object"), "ledger_account");
  EXPECT_EQ(created.text("currency"), "USD");
  EXPECT_TRUE(created.body.at("created_at_unix_ms").is_int64());
  const std::string wallet = created.text("id");
  EXPECT_EQ(get("/accounts/" + wallet).body, created.body);
  const std::string second = account("asset");
  const std::string third = account("asset");
  const Reply first_page = get("/accounts?limit=2");
  ASSERT_EQ(first_page.status, 200);
  EXPECT_EQ(first_page.text("object"), "list");
  EXPECT_EQ(first_page.text("url"), "/admin/v1/ledger/accounts");
  EXPECT_TRUE(first_page.body.at("has_more").as_bool());
  const auto& data = first_page.body.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].at("id").as_string(), wallet);
  EXPECT_EQ(data[1].at("id").as_string(), second);
  const Reply last_page = get("/accounts?limit=2&starting_after=" + second);
  ASSERT_EQ(last_page.status, 200);
  EXPECT_FALSE(last_page.body.at("has_more").as_bool());
  ASSERT_EQ(last_page.body.at("data").as_array().size(), 1u);
  EXPECT_EQ(last_page.body.at("data").as_array()[0].at("id").as_string(), third);
  const Reply missing = get("/accounts/la_missing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_code(), "resource_missing");
}

TEST_F(AdminServe, PostsEntriesAndBatchesAndReportsBalances) {
  const std::string bank = account("asset");
  const std::string wallet = account("liability");
  const std::string revenue = account("revenue");
  const std::string eur_bank = account("asset", "eur");
  const std::string eur_equity = account("equity", "eur");
  const Reply deposit =
      post("/entries", transfer(bank, wallet, "10000", R"(,"description":"top up")"));
  ASSERT_EQ(deposit.status, 200) << deposit.raw.body;
  EXPECT_EQ(deposit.text("object"), "ledger_entry");
  EXPECT_EQ(deposit.body.at("postings").as_array().size(), 2u);
  EXPECT_EQ(get("/entries/" + deposit.text("id")).body, deposit.body);
  const std::string batch = R"({"entries":[)" + transfer(wallet, revenue, "250") + "," +
                            transfer(eur_bank, eur_equity, "99") + "]}";
  const Reply posted = post("/entry_batches", batch);
  ASSERT_EQ(posted.status, 200) << posted.raw.body;
  EXPECT_EQ(posted.text("object"), "list");
  EXPECT_EQ(posted.body.at("data").as_array().size(), 2u);
  const Reply wallet_balance = balance(wallet);
  ASSERT_EQ(wallet_balance.status, 200);
  EXPECT_EQ(wallet_balance.text("object"), "ledger_balance");
  EXPECT_EQ(wallet_balance.text("posted"), "-9750");  // debit-normal net of a liability
  EXPECT_EQ(wallet_balance.text("available"), "9750");
  EXPECT_EQ(wallet_balance.text("credits_posted"), "10000");
  EXPECT_EQ(wallet_balance.text("debits_posted"), "250");
  const Reply trial = get("/trial_balance");
  ASSERT_EQ(trial.status, 200);
  EXPECT_TRUE(trial.body.at("balanced").as_bool());
  const auto& currencies = trial.body.at("currencies").as_array();
  ASSERT_EQ(currencies.size(), 2u);
  EXPECT_EQ(currencies[0].at("currency").as_string(), "EUR");
  EXPECT_EQ(currencies[0].at("debits_posted").as_string(), "99");
  EXPECT_EQ(currencies[1].at("currency").as_string(), "USD");
  EXPECT_EQ(currencies[1].at("debits_posted").as_string(), "10250");
  EXPECT_EQ(currencies[1].at("credits_posted").as_string(), "10250");
  EXPECT_EQ(currencies[1].at("account_count").as_int64(), 3);
}

TEST_F(AdminServe, AFailedBatchChangesNothing) {
  const std::string bank = account("asset");
  const std::string wallet = account("liability", "usd", R"(["debits_must_not_exceed_credits"])");
  ASSERT_EQ(post("/entries", transfer(bank, wallet, "100")).status, 200);
  const Reply before = balance(wallet);
  const Reply trial_before = get("/trial_balance");
  // The first entry is fine on its own; the second overdraws the wallet.
  const std::string batch =
      R"({"entries":[)" + transfer(wallet, bank, "60") + "," + transfer(wallet, bank, "60") + "]}";
  const Reply failed = post("/entry_batches", batch);
  EXPECT_EQ(failed.status, 409) << failed.raw.body;
  EXPECT_EQ(failed.error_code(), "insufficient_funds");
  EXPECT_EQ(failed.error_param(), "entries[1].postings[0]");
  EXPECT_EQ(balance(wallet).body, before.body);
  EXPECT_EQ(get("/trial_balance").body, trial_before.body);
  const Reply postings = get("/accounts/" + wallet + "/postings");
  EXPECT_EQ(postings.body.at("data").as_array().size(), 1u);
  // Validation failures name the field by its path in the batch.
  const Reply unknown = post("/entry_batches", R"({"entries":[)" + transfer(wallet, bank, "1") +
                                                   "," + transfer(wallet, "la_nope", "1") + "]}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.error_code(), "resource_missing");
  EXPECT_EQ(unknown.error_param(), "entries[1].postings[1].account_id");
  EXPECT_EQ(balance(wallet).body, before.body);
}

TEST_F(AdminServe, PostingsPaginateNewestFirstAcrossPages) {
  const std::string bank = account("asset");
  const std::string equity = account("equity");
  constexpr int kEntries = 7;
  for (int i = 1; i <= kEntries; ++i) {
    ASSERT_EQ(post("/entries", transfer(bank, equity, std::to_string(i))).status, 200);
  }
  std::vector<std::string> amounts;
  std::set<std::string> cursors;
  std::string after;
  for (int page = 0; page < kEntries; ++page) {
    const Reply reply = get("/accounts/" + bank + "/postings?limit=3" +
                            (after.empty() ? "" : "&starting_after=" + after));
    ASSERT_EQ(reply.status, 200) << reply.raw.body;
    EXPECT_EQ(reply.text("url"), "/admin/v1/ledger/accounts/" + bank + "/postings");
    for (const auto& posting : reply.body.at("data").as_array()) {
      amounts.emplace_back(posting.at("amount").as_string());
      after = std::string(posting.at("cursor").as_string());
      EXPECT_TRUE(cursors.insert(after).second) << "cursor repeated: " << after;
    }
    if (!reply.body.at("has_more").as_bool()) break;
  }
  EXPECT_EQ(amounts, (std::vector<std::string>{"7", "6", "5", "4", "3", "2", "1"}));
}

TEST_F(AdminServe, HoldsArePostedInPartAndVoided) {
  const std::string bank = account("asset");
  const std::string wallet = account("liability", "usd", R"(["debits_must_not_exceed_credits"])");
  ASSERT_EQ(post("/entries", transfer(bank, wallet, "1000")).status, 200);
  const Reply hold = post("/entries", transfer(wallet, bank, "400", R"(,"kind":"pending")"));
  ASSERT_EQ(hold.status, 200) << hold.raw.body;
  EXPECT_EQ(balance(wallet).text("available"), "600");
  EXPECT_EQ(balance(wallet).text("pending"), "400");
  const Reply captured = post("/entries", R"({"kind":"post_pending","pending_entry_id":")" +
                                              hold.text("id") + R"(","post_amount":"250"})");
  ASSERT_EQ(captured.status, 200) << captured.raw.body;
  EXPECT_EQ(captured.text("pending_entry_id"), hold.text("id"));
  EXPECT_EQ(balance(wallet).text("available"), "750");
  EXPECT_EQ(balance(wallet).text("pending"), "0");
  const Reply second = post("/entries", transfer(wallet, bank, "700", R"(,"kind":"pending")"));
  ASSERT_EQ(second.status, 200) << second.raw.body;
  EXPECT_EQ(balance(wallet).text("available"), "50");
  const std::string void_body =
      R"({"kind":"void_pending","pending_entry_id":")" + second.text("id") + "\"}";
  ASSERT_EQ(post("/entries", void_body).status, 200);
  EXPECT_EQ(balance(wallet).text("available"), "750");
  const Reply again = post("/entries", void_body);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.error_code(), "hold_already_resolved");
}

TEST_F(AdminServe, IdempotencyKeyHeaderReplaysTheEntry) {
  const std::string bank = account("asset");
  const std::string equity = account("equity");
  const std::string body = transfer(bank, equity, "500");
  const Reply first = post("/entries", body, "Idempotency-Key: deposit-42\r\n");
  ASSERT_EQ(first.status, 200) << first.raw.body;
  EXPECT_EQ(first.raw.header("idempotent-replayed"), "");
  EXPECT_EQ(first.text("idempotency_key"), "deposit-42");
  const Reply replay = post("/entries", body, "Idempotency-Key: deposit-42\r\n");
  ASSERT_EQ(replay.status, 200) << replay.raw.body;
  EXPECT_EQ(replay.raw.header("idempotent-replayed"), "true");
  EXPECT_EQ(replay.text("id"), first.text("id"));
  EXPECT_EQ(balance(bank).text("posted"), "500");  // once, not twice
  const Reply different =
      post("/entries", transfer(bank, equity, "501"), "Idempotency-Key: deposit-42\r\n");
  EXPECT_EQ(different.status, 400);
  EXPECT_EQ(different.body.at("error").as_object().at("type").as_string(), "idempotency_error");
  EXPECT_EQ(balance(bank).text("posted"), "500");
}

TEST_F(AdminServe, MalformedRequestsAre400WithTheField) {
  Reply reply = post("/entries", "{not json");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.error_code(), "json_invalid");
  reply = post("/entries", R"({"postings":[{"account_id":"la_a","side":"debit","amount":"1"},)"
                           R"({"account_id":"la_b","side":"credit","amount":1.5}]})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.error_code(), "parameter_invalid_integer");
  EXPECT_EQ(reply.error_param(), "postings[1].amount");
  reply = post("/entry_batches", R"({"entries":[{},{},{"memo":"x"}]})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.error_code(), "parameter_unknown");
  EXPECT_EQ(reply.error_param(), "entries[2].memo");
}

class AdminServeExpiry : public AdminServe {
 protected:
  void SetUp() override { start({{"TILL_LEDGER_EXPIRY_INTERVAL_MS", "20"}}); }
};

TEST_F(AdminServeExpiry, TheServerExpiresDueHoldsInTheBackground) {
  const std::string bank = account("asset");
  const std::string wallet = account("liability");
  ASSERT_EQ(post("/entries", transfer(bank, wallet, "100")).status, 200);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const Reply hold = post("/entries", transfer(wallet, bank, "30",
                                               R"(,"kind":"pending","expires_at_unix_ms":)" +
                                                   std::to_string(now_ms + 300)));
  ASSERT_EQ(hold.status, 200) << hold.raw.body;
  EXPECT_EQ(hold.body.at("expires_at_unix_ms").as_int64(), now_ms + 300);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (balance(wallet).text("pending") != "0" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(balance(wallet).text("pending"), "0");
  EXPECT_EQ(balance(wallet).text("available"), "100");
  const Reply late =
      post("/entries", R"({"kind":"post_pending","pending_entry_id":")" + hold.text("id") + "\"}");
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(late.error_code(), "hold_already_resolved");  // expired, and resolved as such
  EXPECT_NE(server_->captured_stderr().find(R"("msg":"ledger holds expired","count":1)"),
            std::string::npos);
}

}  // namespace
}  // namespace till::testing
