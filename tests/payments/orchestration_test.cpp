// Payment orchestration through the real `till serve` and two real `till sandbox-psp`
// processes (one per wire format): routing, failover when a processor is down, hard declines
// never retried, soft declines moved on, the circuit breaker opening and recovering, and the
// cases that could charge twice — a dropped answer, an outcome still unknown, a processor
// webhook, a crash of Till between its units — each resolving to exactly one charge.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "base/digest.h"
#include "payments/connector_accounts.h"
#include "payments_fixture.h"
#include "routing/config_store.h"
#include "support/http_client.h"
#include "support/postgres_server.h"
#include "support/sandbox_psp_process.h"
#include "support/till_process.h"
#include "vault/vault.h"

namespace till::payments {
namespace {

using namespace std::chrono_literals;
using boost::json::array;
using boost::json::object;
using till::testing::http_request;
using till::testing::HttpResponse;
using till::testing::SandboxPspProcess;
using till::testing::TempDir;
using till::testing::TillServer;

constexpr const char* kAdminToken = "orchestration-admin-token-0123456789abcdef";

object parse(const std::string& text) {
  boost::system::error_code failure;
  auto value = boost::json::parse(text, failure);
  return failure || !value.is_object() ? object{} : value.as_object();
}

std::string text(const object& json, std::string_view key) {
  const auto* found = json.if_contains(key);
  return found != nullptr && found->is_string() ? std::string(found->as_string()) : std::string();
}

// Successful captures a processor holds for a payment intent (its own records).
int captures_for(SandboxPspProcess& psp, const std::string& intent_id) {
  int count = 0;
  for (const auto& charge : psp.charges()) {
    const object& row = charge.as_object();
    if (text(row, "reference") == intent_id && text(row, "status") == "captured") ++count;
  }
  return count;
}

struct TillOptions {
  std::string sync_interval_ms = "100";
};

// Every case runs on SQLite and on a real PostgreSQL: the attempts' leases, compare-and-set
// and the outbox-style sync are SQL that differs by dialect.
class RoutedPayments : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    psp_a_ = std::make_unique<SandboxPspProcess>("psk_test_a", "adm_a");
    psp_b_ = std::make_unique<SandboxPspProcess>("psk_test_b", "adm_b", "", "", "iso8583");
    ASSERT_TRUE(psp_a_->started()) << psp_a_->captured_stderr();
    ASSERT_TRUE(psp_b_->started()) << psp_b_->captured_stderr();
    start_till();
    ASSERT_TRUE(till_->started()) << till_->captured_stderr();
    auto merchant =
        admin("POST", "/admin/v1/merchants", R"({"name": "Routed", "issue_test_key": true})");
    ASSERT_EQ(merchant.status, 200) << merchant.body;
    const object created = parse(merchant.body);
    merchant_id_ = text(created, "id");
    key_ = text(created.at("secret_key").as_object(), "secret");
    account_a_ = add_account("psp_json", psp_a_->base_url(), "psk_test_a", "pwhsec_a");
    account_b_ = add_account("psp_iso8583", psp_b_->base_url(), "psk_test_b", "pwhsec_b");
    route(R"({"fallback": [")" + account_a_ + R"(", ")" + account_b_ + R"("]})");
  }

  void TearDown() override {
    if (HasFailure() && till_) std::cerr << till_->captured_stderr().substr(0, 20000);
  }

  bool on_postgres() const { return GetParam() == "postgres"; }

  // The backend's flags for every `till` command: a fresh PostgreSQL database (migrated) the
  // first time, the same one after a restart.
  std::vector<std::string> database_args() {
    if (!on_postgres()) return {};
    if (database_url_.empty()) {
      static std::atomic<int> databases{0};
      auto server = till::testing::PostgresServer::shared();
      EXPECT_TRUE(server) << (server ? "" : server.error().message);
      if (!server) return {};
      auto url = (*server)->create_database("orchestration_" + std::to_string(::getpid()) + "_" +
                                            std::to_string(databases.fetch_add(1)));
      EXPECT_TRUE(url) << (url ? "" : url.error().message);
      if (!url) return {};
      database_url_ = *url;
      const auto migrated = till::testing::run_till({"migrate", "--database", database_url_});
      EXPECT_EQ(migrated.exit_status, 0) << migrated.err;
    }
    return {"--database", database_url_};
  }

  void start_till(const TillOptions& options = {}) {
    till_ = std::make_unique<TillServer>(
        database_args(),
        std::vector<std::pair<std::string, std::string>>{
            {"TILL_ADMIN_TOKEN", kAdminToken},
            {"TILL_PROCESSORS_SYNC_INTERVAL_MS", options.sync_interval_ms},
            {"TILL_PROCESSORS_SETUP_CACHE_MS", "0"},
            {"TILL_PROCESSORS_BREAKER_MIN_REQUESTS", "3"},
            {"TILL_PROCESSORS_BREAKER_OPEN_MS", "1500"},
            {"TILL_WEBHOOKS_DISPATCH", "0"}},
        data_.path());
  }

  HttpResponse admin(std::string_view method, const std::string& target,
                     const std::string& body = "") {
    const std::string headers = std::string("Authorization: Bearer ") + kAdminToken +
                                "\r\nContent-Type: application/json\r\n";
    auto response = http_request(till_->port(), method, target, headers, body);
    return response.value_or(HttpResponse{});
  }

  HttpResponse api(std::string_view method, const std::string& target, const std::string& form = "",
                   const std::string& idempotency_key = "") {
    std::string headers =
        "Authorization: Bearer " + key_ + "\r\nContent-Type: application/x-www-form-urlencoded\r\n";
    if (!idempotency_key.empty()) headers += "Idempotency-Key: " + idempotency_key + "\r\n";
    auto response = http_request(till_->port(), method, target, headers, form);
    return response.value_or(HttpResponse{});
  }

  std::string add_account(const std::string& connector, const std::string& base_url,
                          const std::string& api_key, const std::string& webhook_secret,
                          const std::string& timeout_ms = "2000") {
    auto created =
        admin("POST", "/admin/v1/merchants/" + merchant_id_ + "/connector_accounts",
              R"({"connector": ")" + connector + R"(", "base_url": ")" + base_url +
                  R"(", "timeout_ms": )" + timeout_ms + R"(, "credentials": {"api_key": ")" +
                  api_key + R"(", "webhook_secret": ")" + webhook_secret + R"("}})");
    EXPECT_EQ(created.status, 200) << created.body;
    return text(parse(created.body), "id");
  }

  void route(const std::string& config) {
    auto saved =
        admin("PUT", "/admin/v1/merchants/" + merchant_id_ + "/routing?livemode=false", config);
    ASSERT_EQ(saved.status, 200) << saved.body;
  }

  // Create-and-confirm with a test payment method; the parsed answer (or error).
  object pay(const std::string& payment_method, std::int64_t amount = 2000,
             const std::string& idempotency_key = "") {
    auto paid = api("POST", "/v1/payment_intents",
                    "amount=" + std::to_string(amount) +
                        "&currency=usd&payment_method=" + payment_method + "&confirm=true",
                    idempotency_key);
    last_status_ = paid.status;
    return parse(paid.body);
  }

  object intent(const std::string& id) {
    return parse(api("GET", "/v1/payment_intents/" + id).body);
  }

  array attempts(const std::string& intent_id) {
    auto listed = admin("GET", "/admin/v1/merchants/" + merchant_id_ + "/payment_intents/" +
                                   intent_id + "/attempts");
    EXPECT_EQ(listed.status, 200) << listed.body;
    return parse(listed.body).at("data").as_array();
  }

  // Waits for the intent to leave `processing`; its final status.
  std::string settled_status(const std::string& id, std::chrono::milliseconds patience = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    std::string status;
    while (std::chrono::steady_clock::now() < deadline) {
      status = text(intent(id), "status");
      if (status != "processing" && status != "requires_confirmation") return status;
      std::this_thread::sleep_for(50ms);
    }
    return status;
  }

  TempDir data_;
  std::string database_url_;  // PostgreSQL runs: the test's database
  std::unique_ptr<SandboxPspProcess> psp_a_;
  std::unique_ptr<SandboxPspProcess> psp_b_;
  std::unique_ptr<TillServer> till_;
  std::string merchant_id_;
  std::string key_;
  std::string account_a_;
  std::string account_b_;
  int last_status_ = 0;
};

TEST_P(RoutedPayments, APaymentGoesToTheFirstProcessorAndRecordsItsAttempt) {
  const object paid = pay("pm_card_visa");
  ASSERT_EQ(last_status_, 200) << boost::json::serialize(paid);
  const std::string id = text(paid, "id");
  EXPECT_EQ(text(paid, "status"), "succeeded");
  EXPECT_EQ(captures_for(*psp_a_, id), 1);
  EXPECT_EQ(captures_for(*psp_b_, id), 0);

  const array tried = attempts(id);
  ASSERT_EQ(tried.size(), 1u);
  const object& attempt = tried[0].as_object();
  EXPECT_EQ(text(attempt, "connector_account"), account_a_);
  EXPECT_EQ(text(attempt, "connector"), "psp_json");
  EXPECT_EQ(text(attempt, "status"), "approved");
  EXPECT_FALSE(text(attempt, "processor_reference").empty());
  EXPECT_EQ(text(attempt, "charge"), text(paid, "latest_charge"));
  EXPECT_GT(attempt.at("latency_us").as_int64(), 0);

  // Per-connector metrics.
  const std::string metrics = http_request(till_->port(), "GET", "/metrics", "", "")->body;
  for (const std::string& series :
       {"till_connector_attempts_total{connector=\"psp_json\",account=\"" + account_a_ +
            "\",outcome=\"approved\"} 1",
        "till_connector_authorization_rate_permille{connector=\"psp_json\",account=\"" +
            account_a_ + "\"} 1000",
        "till_connector_call_duration_seconds_count{connector=\"psp_json\",account=\"" +
            account_a_ + "\"} 1",
        std::string("till_processor_syncs_pending 0")}) {
    EXPECT_NE(metrics.find(series), std::string::npos) << series;
  }

  // The attempt is a Charge in the merchant API.
  const object charge = parse(api("GET", "/v1/charges/" + text(paid, "latest_charge")).body);
  EXPECT_EQ(text(charge, "status"), "succeeded");
  EXPECT_EQ(text(charge, "payment_intent"), id);
}

TEST_P(RoutedPayments, RulesRouteByCurrencyMetadataAndCardCountry) {
  route(R"({"rules": [
      {"name": "eur", "if": {"currency": ["eur"]}, "then": {"connectors": [")" +
        account_b_ + R"("]}},
      {"name": "vip", "if": {"metadata": {"tier": "vip"}}, "then": {"connectors": [")" +
        account_b_ + R"("]}},
      {"name": "uk cards", "if": {"card_country": ["GB"], "amount_min": 1000},
       "then": {"connectors": [")" +
        account_b_ + R"("]}}],
    "fallback": [")" +
        account_a_ + R"("]})");
  auto first_account = [&](const std::string& form) {
    auto paid = api("POST", "/v1/payment_intents", form);
    EXPECT_EQ(paid.status, 200) << paid.body;
    const array tried = attempts(text(parse(paid.body), "id"));
    return tried.empty() ? std::string() : text(tried[0].as_object(), "connector_account");
  };
  const std::string visa = "&confirm=true&payment_method=pm_card_visa";
  EXPECT_EQ(first_account("amount=2000&currency=usd" + visa), account_a_);
  EXPECT_EQ(first_account("amount=2000&currency=eur" + visa), account_b_);
  EXPECT_EQ(first_account("amount=2000&currency=usd&metadata[tier]=vip" + visa), account_b_);
  // A UK card (by its BIN) above the amount floor, and below it.
  auto method =
      api("POST", "/v1/payment_methods",
          "type=card&card[number]=4000008260000000&card[exp_month]=12&card[exp_year]=2034");
  ASSERT_EQ(method.status, 200) << method.body;
  const object pm = parse(method.body);
  EXPECT_EQ(text(pm.at("card").as_object(), "country"), "GB");
  const std::string uk = "&currency=usd&confirm=true&payment_method=" + text(pm, "id");
  EXPECT_EQ(first_account("amount=5000" + uk), account_b_);
  EXPECT_EQ(first_account("amount=500" + uk), account_a_);
}

TEST_P(RoutedPayments, ConnectorAccountsAreValidatedAndNeverShowTheirCredentials) {
  const std::string accounts = "/admin/v1/merchants/" + merchant_id_ + "/connector_accounts";
  auto refused = [&](const std::string& body, const std::string& param) {
    auto answer = admin("POST", accounts, body);
    EXPECT_EQ(answer.status, 400) << body << " -> " << answer.body;
    EXPECT_EQ(text(parse(answer.body).at("error").as_object(), "param"), param) << answer.body;
  };
  refused(R"({"connector": "nope", "base_url": "http://127.0.0.1:1"})", "connector");
  refused(R"({"connector": "psp_json", "base_url": "http://127.0.0.1:1",
              "credentials": {"api_key": "k"}})",
          "credentials");
  refused(R"({"connector": "psp_json", "base_url": "http://127.0.0.1:1", "timeout_ms": 5,
              "credentials": {"api_key": "k", "webhook_secret": "s"}})",
          "timeout_ms");
  refused(R"({"connector": "psp_json", "colour": "red"})", "colour");
  EXPECT_EQ(admin("POST", "/admin/v1/merchants/acct_nope/connector_accounts",
                  R"({"connector": "psp_json", "base_url": "http://127.0.0.1:1",
                      "credentials": {"api_key": "k", "webhook_secret": "s"}})")
                .status,
            404);

  auto listed = admin("GET", accounts + "?livemode=false");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(parse(listed.body).at("data").as_array().size(), 2u);
  EXPECT_NE(listed.body.find("credentials_set"), std::string::npos);
  EXPECT_EQ(listed.body.find("psk_test_a"), std::string::npos) << "a credential was shown";
  EXPECT_EQ(listed.body.find("pwhsec_a"), std::string::npos) << "a credential was shown";

  // A disabled account is skipped by routing at once.
  auto disabled = admin("POST", accounts + "/" + account_a_, R"({"status": "disabled"})");
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_EQ(text(parse(disabled.body), "status"), "disabled");
  const object paid = pay("pm_card_visa");
  ASSERT_EQ(text(paid, "status"), "succeeded");
  const array tried = attempts(text(paid, "id"));
  ASSERT_EQ(tried.size(), 1u);
  EXPECT_EQ(text(tried[0].as_object(), "connector_account"), account_b_);
}

TEST_P(RoutedPayments, TheIsoProcessorAnswersInItsOwnCodes) {
  route(R"({"fallback": [")" + account_b_ + R"("]})");
  const object paid = pay("pm_card_mastercard", 1234);
  ASSERT_EQ(last_status_, 200) << boost::json::serialize(paid);
  EXPECT_EQ(text(paid, "status"), "succeeded");
  const array tried = attempts(text(paid, "id"));
  ASSERT_EQ(tried.size(), 1u);
  EXPECT_EQ(text(tried[0].as_object(), "connector"), "psp_iso8583");
  EXPECT_EQ(text(tried[0].as_object(), "raw_response_code"), "00");
  EXPECT_EQ(captures_for(*psp_b_, text(paid, "id")), 1);

  const object declined = pay("pm_card_chargeDeclinedInsufficientFunds", 1234);
  EXPECT_EQ(last_status_, 402);
  const object& error = declined.at("error").as_object();
  EXPECT_EQ(text(error, "decline_code"), "insufficient_funds");
  const array declined_tries = attempts(text(error.at("payment_intent").as_object(), "id"));
  ASSERT_EQ(declined_tries.size(), 1u);
  EXPECT_EQ(text(declined_tries[0].as_object(), "raw_response_code"), "51");
}

TEST_P(RoutedPayments, FailsOverWhenAProcessorIsDown) {
  psp_a_->kill9();
  const object paid = pay("pm_card_visa");
  ASSERT_EQ(last_status_, 200) << boost::json::serialize(paid);
  const std::string id = text(paid, "id");
  EXPECT_EQ(text(paid, "status"), "succeeded");
  const array tried = attempts(id);
  ASSERT_EQ(tried.size(), 2u);
  EXPECT_EQ(text(tried[0].as_object(), "connector_account"), account_a_);
  EXPECT_EQ(text(tried[0].as_object(), "status"), "not_processed");
  EXPECT_EQ(text(tried[1].as_object(), "connector_account"), account_b_);
  EXPECT_EQ(text(tried[1].as_object(), "status"), "approved");
  EXPECT_EQ(captures_for(*psp_b_, id), 1);
  ASSERT_TRUE(psp_a_->restart());
  EXPECT_EQ(captures_for(*psp_a_, id), 0);

  // Up but answering 503 to everything, inquiries too: a 503 answers one transmission and
  // says nothing certain about the key, so Till may not go elsewhere. The payment waits in
  // processing until A answers again, then is freed (A confirms it never charged).
  ASSERT_EQ(psp_a_->set_faults(R"({"down": true})"), 200);
  const object waiting = pay("pm_card_visa");
  ASSERT_EQ(text(waiting, "status"), "processing") << boost::json::serialize(waiting);
  ASSERT_EQ(psp_a_->clear_faults(), 200);
  EXPECT_EQ(settled_status(text(waiting, "id")), "requires_payment_method");
  EXPECT_EQ(captures_for(*psp_a_, text(waiting, "id")), 0);
  EXPECT_EQ(captures_for(*psp_b_, text(waiting, "id")), 0);
}

TEST_P(RoutedPayments, HardDeclinesAreNeverRetriedElsewhere) {
  for (const char* card :
       {"pm_card_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedExpiredCard"}) {
    const object declined = pay(card);
    EXPECT_EQ(last_status_, 402) << card;
    const object& error = declined.at("error").as_object();
    const std::string id = text(error.at("payment_intent").as_object(), "id");
    EXPECT_EQ(text(error.at("payment_intent").as_object(), "status"), "requires_payment_method");
    const array tried = attempts(id);
    ASSERT_EQ(tried.size(), 1u) << card;
    EXPECT_EQ(text(tried[0].as_object(), "status"), "declined");
    EXPECT_FALSE(tried[0].as_object().at("soft_decline").as_bool());
    for (const auto& charge : psp_b_->charges()) {
      EXPECT_NE(text(charge.as_object(), "reference"), id) << "a hard decline reached B";
    }
  }
}

TEST_P(RoutedPayments, ASoftDeclineMovesToTheNextProcessor) {
  ASSERT_EQ(psp_a_->set_faults(R"({"decline_permille": 1000})"), 200);
  const object paid = pay("pm_card_visa");
  ASSERT_EQ(last_status_, 200) << boost::json::serialize(paid);
  const std::string id = text(paid, "id");
  EXPECT_EQ(text(paid, "status"), "succeeded");
  const array tried = attempts(id);
  ASSERT_EQ(tried.size(), 2u);
  EXPECT_EQ(text(tried[0].as_object(), "status"), "declined");
  EXPECT_TRUE(tried[0].as_object().at("soft_decline").as_bool());
  EXPECT_EQ(text(tried[1].as_object(), "status"), "approved");
  // Both attempts are Charges: the soft decline failed, the second succeeded.
  const object charges = parse(api("GET", "/v1/charges?payment_intent=" + id).body);
  ASSERT_EQ(charges.at("data").as_array().size(), 2u);
  EXPECT_EQ(captures_for(*psp_a_, id), 0);
  EXPECT_EQ(captures_for(*psp_b_, id), 1);
}

TEST_P(RoutedPayments, ADroppedAnswerIsFoundByAskingAndChargesOnce) {
  // A charges the card, then closes the connection without answering.
  ASSERT_EQ(psp_a_->set_faults(R"({"drop_response_permille": 1000, "operations": ["authorize"]})"),
            200);
  const object paid = pay("pm_card_visa");
  ASSERT_EQ(last_status_, 200) << boost::json::serialize(paid);
  const std::string id = text(paid, "id");
  EXPECT_EQ(text(paid, "status"), "succeeded");  // the inquiry found it at once
  EXPECT_EQ(captures_for(*psp_a_, id), 1);
  EXPECT_EQ(captures_for(*psp_b_, id), 0);  // never tried elsewhere
  const array tried = attempts(id);
  ASSERT_EQ(tried.size(), 1u);
  EXPECT_EQ(text(tried[0].as_object(), "status"), "approved");
}

TEST_P(RoutedPayments, AnUnknownOutcomeWaitsInProcessingUntilTheSyncKnows) {
  // The answer and the inquiry are both lost: Till cannot know, so it must not try B.
  ASSERT_EQ(psp_a_->set_faults(R"({"drop_response_permille": 1000,
                                   "operations": ["authorize", "inquiry"]})"),
            200);
  const object paid = pay("pm_card_visa", 2000, "order-unknown-1");
  ASSERT_EQ(last_status_, 200) << boost::json::serialize(paid);
  const std::string id = text(paid, "id");
  EXPECT_EQ(text(paid, "status"), "processing");
  // While processing nothing else may start on it.
  EXPECT_EQ(api("POST", "/v1/payment_intents/" + id + "/cancel").status, 409);
  ASSERT_EQ(psp_a_->clear_faults(), 200);
  EXPECT_EQ(settled_status(id), "succeeded");
  EXPECT_EQ(captures_for(*psp_a_, id), 1);
  EXPECT_EQ(captures_for(*psp_b_, id), 0);
  // The request's answer stays what it was when it was answered.
  const object replay = pay("pm_card_visa", 2000, "order-unknown-1");
  EXPECT_EQ(text(replay, "status"), "processing");
}

TEST_P(RoutedPayments, AProcessorThatNeverChargedIsConfirmedBeforeTheIntentIsFreed) {
  // A is down for inquiries too, then the processor says it never saw the key: only then may
  // the customer try again.
  ASSERT_EQ(psp_a_->set_faults(R"({"timeout_permille": 1000, "hang_ms": 4000,
                                   "operations": ["authorize"]})"),
            200);
  const object paid = pay("pm_card_visa");
  // The call times out (2 s); the inquiry closes the key: a processor-confirmed nothing, so
  // B gets the payment, and A's hung request is refused when it wakes.
  ASSERT_EQ(last_status_, 200) << boost::json::serialize(paid);
  const std::string id = text(paid, "id");
  EXPECT_EQ(text(paid, "status"), "succeeded");
  std::this_thread::sleep_for(3s);  // A's hang ends
  EXPECT_EQ(captures_for(*psp_a_, id), 0);
  EXPECT_EQ(captures_for(*psp_b_, id), 1);
}

TEST_P(RoutedPayments, TheBreakerOpensOnFailuresAndRecovers) {
  psp_a_->kill9();
  for (int i = 0; i < 4; ++i) {
    const object paid = pay("pm_card_visa");
    ASSERT_EQ(text(paid, "status"), "succeeded");
  }
  // Open: A is now tried last, so B takes the payment at its first attempt.
  const object routed_away = pay("pm_card_visa");
  const array first_b = attempts(text(routed_away, "id"));
  ASSERT_EQ(first_b.size(), 1u);
  EXPECT_EQ(text(first_b[0].as_object(), "connector_account"), account_b_);
  const std::string metrics = http_request(till_->port(), "GET", "/metrics", "", "")->body;
  EXPECT_NE(metrics.find("till_routing_breaker_state{connector=\"" + account_a_ + "\"} 1"),
            std::string::npos)
      << metrics.substr(0, 4000);

  ASSERT_TRUE(psp_a_->restart());
  std::this_thread::sleep_for(1700ms);  // open_ms passes: half-open lets probes through
  std::string last_account;
  for (int i = 0; i < 5; ++i) {
    const object paid = pay("pm_card_visa");
    ASSERT_EQ(text(paid, "status"), "succeeded");
    last_account = text(attempts(text(paid, "id"))[0].as_object(), "connector_account");
  }
  EXPECT_EQ(last_account, account_a_);  // closed again: A first
}

TEST_P(RoutedPayments, ACrashBetweenUnitsIsResolvedAfterRestart) {
  // A hangs 2.5 s and then charges; Till dies while waiting. After a restart the sync asks A,
  // finds the charge, finishes the intent and stores the request's answer under its key.
  ASSERT_EQ(psp_a_->set_faults(R"({"timeout_permille": 1000, "hang_ms": 2500,
                                   "operations": ["authorize"]})"),
            200);
  std::thread payer([this] {
    api("POST", "/v1/payment_intents",
        "amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true", "order-crash-1");
  });
  std::this_thread::sleep_for(800ms);
  till_->send_signal(SIGKILL);
  payer.join();
  ASSERT_TRUE(till_->wait_exit(10s).has_value() || true);
  ASSERT_EQ(psp_a_->clear_faults(), 200);
  start_till();
  ASSERT_TRUE(till_->started()) << till_->captured_stderr();
  std::this_thread::sleep_for(3s);  // A's hung request has charged by now
  // The intent is found through the list (the client never got its id).
  const auto deadline = std::chrono::steady_clock::now() + 25s;
  std::string id;
  std::string status;
  while (std::chrono::steady_clock::now() < deadline) {
    const object listed = parse(api("GET", "/v1/payment_intents?limit=1").body);
    if (!listed.at("data").as_array().empty()) {
      const object& first = listed.at("data").as_array()[0].as_object();
      id = text(first, "id");
      status = text(first, "status");
      if (status == "succeeded") break;
    }
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(status, "succeeded");
  EXPECT_EQ(captures_for(*psp_a_, id), 1);
  EXPECT_EQ(captures_for(*psp_b_, id), 0);
  const object replay = pay("pm_card_visa", 2000, "order-crash-1");
  EXPECT_EQ(last_status_, 200);
  EXPECT_EQ(text(replay, "id"), id);
  EXPECT_EQ(text(replay, "status"), "succeeded");
}

// The processor's record of one intent's authorization.
object processor_record(SandboxPspProcess& psp, const std::string& intent_id) {
  for (const auto& charge : psp.charges()) {
    if (text(charge.as_object(), "reference") == intent_id) return charge.as_object();
  }
  return object{};
}

TEST_P(RoutedPayments, ManualCaptureAndCancelHappenAtTheProcessorFirst) {
  auto created = api("POST", "/v1/payment_intents",
                     "amount=5000&currency=usd&payment_method=pm_card_visa&confirm=true&"
                     "capture_method=manual");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id = text(parse(created.body), "id");
  EXPECT_EQ(text(parse(created.body), "status"), "requires_capture");
  EXPECT_EQ(text(processor_record(*psp_a_, id), "status"), "authorized");

  auto captured = api("POST", "/v1/payment_intents/" + id + "/capture", "amount_to_capture=3000");
  ASSERT_EQ(captured.status, 200) << captured.body;
  EXPECT_EQ(text(parse(captured.body), "status"), "succeeded");
  const object record = processor_record(*psp_a_, id);
  EXPECT_EQ(text(record, "status"), "captured");
  EXPECT_EQ(record.at("captured_amount").as_int64(), 3000);

  auto second = api("POST", "/v1/payment_intents",
                    "amount=700&currency=usd&payment_method=pm_card_visa&"
                    "confirm=true&capture_method=manual");
  const std::string second_id = text(parse(second.body), "id");
  auto canceled = api("POST", "/v1/payment_intents/" + second_id + "/cancel");
  ASSERT_EQ(canceled.status, 200) << canceled.body;
  EXPECT_EQ(text(parse(canceled.body), "status"), "canceled");
  EXPECT_EQ(text(processor_record(*psp_a_, second_id), "status"), "voided");
}

TEST_P(RoutedPayments, RefundsHappenAtTheProcessorWhichRefusesTooMuch) {
  const object paid = pay("pm_card_visa", 4000);
  const std::string id = text(paid, "id");
  ASSERT_EQ(text(paid, "status"), "succeeded");
  auto partial = api("POST", "/v1/refunds", "payment_intent=" + id + "&amount=1500");
  ASSERT_EQ(partial.status, 200) << partial.body;
  EXPECT_EQ(processor_record(*psp_a_, id).at("refunded_amount").as_int64(), 1500);
  auto too_much = api("POST", "/v1/refunds", "payment_intent=" + id + "&amount=3000");
  EXPECT_EQ(too_much.status, 400) << too_much.body;  // Till refuses before asking
  EXPECT_EQ(processor_record(*psp_a_, id).at("refunded_amount").as_int64(), 1500);

  // The processor does not answer: 503, nothing recorded; the retry with the same key is one
  // refund at the processor.
  ASSERT_EQ(psp_a_->set_faults(R"({"drop_response_permille": 1000, "operations": ["refund"]})"),
            200);
  auto lost = api("POST", "/v1/refunds", "payment_intent=" + id + "&amount=1000", "refund-lost-1");
  EXPECT_EQ(lost.status, 503) << lost.body;
  ASSERT_EQ(psp_a_->clear_faults(), 200);
  auto retried =
      api("POST", "/v1/refunds", "payment_intent=" + id + "&amount=1000", "refund-lost-1");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(processor_record(*psp_a_, id).at("refunded_amount").as_int64(), 2500);
  const object charge = parse(api("GET", "/v1/charges/" + text(paid, "latest_charge")).body);
  EXPECT_EQ(charge.at("amount_refunded").as_int64(), 2500);
}

TEST_P(RoutedPayments, CardsFromDetailsAreVaultedAndNeverStoredOrLoggedInClear) {
  if (on_postgres()) GTEST_SKIP() << "reads the SQLite database file (the vault is shared code)";
  // A card made from its number: the number is sealed in the vault, sent to the processor
  // when the payment is routed, and found nowhere in Till's database or logs.
  const std::vector<std::string> numbers = {"4242424242424242", "5555555555554444",
                                            "4000056655665556"};
  for (const std::string& number : numbers) {
    auto method = api("POST", "/v1/payment_methods",
                      "type=card&card[number]=" + number +
                          "&card[exp_month]=12&card[exp_year]=2034&card[cvc]=123");
    ASSERT_EQ(method.status, 200) << method.body;
    const object pm = parse(method.body);
    EXPECT_EQ(text(pm.at("card").as_object(), "last4"), number.substr(12));
    auto paid = api("POST", "/v1/payment_intents",
                    "amount=1500&currency=usd&confirm=true&payment_method=" + text(pm, "id"));
    ASSERT_EQ(paid.status, 200) << paid.body;
    EXPECT_EQ(text(parse(paid.body), "status"), "succeeded");
  }
  till_->send_signal(SIGTERM);
  ASSERT_TRUE(till_->wait_exit(30s).has_value());
  std::string haystack = till_->captured_stdout() + till_->captured_stderr() +
                         psp_a_->captured_stdout() + psp_a_->captured_stderr();
  for (const auto& entry : std::filesystem::directory_iterator(data_.path())) {
    std::ifstream file(entry.path(), std::ios::binary);
    haystack += std::string(std::istreambuf_iterator<char>(file), {});
  }
  ASSERT_GT(haystack.size(), 10'000u);
  for (const std::string& number : numbers) {
    EXPECT_EQ(haystack.find(number), std::string::npos) << number << " found in clear";
  }
  EXPECT_EQ(haystack.find("cvc\":\"123"), std::string::npos);
}

TEST_P(RoutedPayments, ProcessorWebhooksApplyOnceAndInAnyOrder) {
  // The processor cannot be asked (answers and inquiries lost), so only its webhooks can tell.
  ASSERT_EQ(psp_a_->set_faults(R"({"drop_response_permille": 1000,
                                   "operations": ["authorize", "inquiry"]})"),
            200);
  const object paid = pay("pm_card_visa", 2500);
  ASSERT_EQ(text(paid, "status"), "processing") << boost::json::serialize(paid);
  const std::string id = text(paid, "id");
  const object attempt = attempts(id)[0].as_object();
  const object record = processor_record(*psp_a_, id);
  ASSERT_FALSE(record.empty());

  // A webhook as the JSON wire sends it, signed with the account's webhook secret.
  auto send = [&](const std::string& event_id, const std::string& status) {
    object authorization{{"id", text(record, "id")},
                         {"object", "authorization"},
                         {"idempotency_key", text(attempt, "id")},
                         {"reference", id},
                         {"status", status},
                         {"amount", 2500},
                         {"currency", "usd"},
                         {"captured_amount", status == "captured" ? 2500 : 0},
                         {"refunded_amount", 0},
                         {"decline_code", nullptr},
                         {"message", nullptr},
                         {"card", object{{"brand", "visa"}, {"last4", "4242"}}},
                         {"created", record.at("created")}};
    const std::string body = boost::json::serialize(object{{"id", event_id},
                                                           {"type", "authorization." + status},
                                                           {"created", record.at("created")},
                                                           {"data", std::move(authorization)}});
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    const std::string stamp = std::to_string(now);
    const std::string headers = "Content-Type: application/json\r\nPsp-Signature: t=" + stamp +
                                ",v1=" + hmac_sha256_hex("pwhsec_a", stamp + "." + body) + "\r\n";
    auto answer =
        http_request(till_->port(), "POST", "/v1/processor_webhooks/" + account_a_, headers, body);
    EXPECT_TRUE(answer && answer->status == 200) << (answer ? answer->body : "no answer");
    return answer ? text(parse(answer->body), "result") : std::string();
  };
  EXPECT_EQ(send("pevt_captured_1", "captured"), "applied");
  EXPECT_EQ(text(intent(id), "status"), "succeeded");
  EXPECT_EQ(send("pevt_captured_1", "captured"), "duplicate");
  // An older status arriving late changes nothing.
  EXPECT_EQ(send("pevt_authorized_0", "authorized"), "ignored");
  EXPECT_EQ(text(intent(id), "status"), "succeeded");
  const object balance = parse(api("GET", "/v1/balance").body);
  EXPECT_EQ(balance.at("pending").as_array()[0].as_object().at("amount").as_int64(), 2500);
}

// Chaos: mixed traffic for a bounded time while both processors misbehave — slow answers,
// 503s, hung requests, dropped answers, soft declines — and one is killed and restarted.
// Afterwards every intent is checked against the processors' own books.
TEST_P(RoutedPayments, ChaosNeverChargesTwiceAndTheBooksAgree) {
  route(R"({"rules": [{"name": "split", "if": {"currency": ["usd"]},
                        "then": {"split": [{"connector": ")" +
        account_a_ + R"(", "percent": 50}, {"connector": ")" + account_b_ +
        R"(", "percent": 50}]}}],
            "fallback": [")" +
        account_a_ + R"(", ")" + account_b_ + R"("], "max_attempts": 2})");
  const std::string faults = R"({"latency": {"distribution": "uniform", "min_ms": 0, "max_ms": 30},
      "error_permille": 80, "timeout_permille": 30, "hang_ms": 2500,
      "drop_response_permille": 80, "decline_permille": 60})";
  ASSERT_EQ(psp_a_->set_faults(faults), 200);
  ASSERT_EQ(psp_b_->set_faults(faults), 200);

  constexpr int kWorkers = 8;
  constexpr auto kTrafficTime = 8s;
  const std::vector<std::string> cards = {
      "pm_card_visa",       "pm_card_mastercard",     "pm_card_amex",
      "pm_card_visa_debit", "pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds"};
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string card = cards[static_cast<std::size_t>(i + w) % cards.size()];
        const std::string key = "chaos-" + std::to_string(w) + "-" + std::to_string(i);
        const std::string form = "amount=" + std::to_string(100 + (i * 37 + w) % 5000) +
                                 "&currency=usd&payment_method=" + card + "&confirm=true";
        api("POST", "/v1/payment_intents", form, key);
        if (i % 5 == 0) api("POST", "/v1/payment_intents", form, key);  // a client retry
        sent.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(kTrafficTime / 3);
  psp_a_->kill9();
  std::this_thread::sleep_for(kTrafficTime / 4);
  ASSERT_TRUE(psp_a_->restart());
  ASSERT_EQ(psp_a_->set_faults(faults), 200);
  std::this_thread::sleep_for(kTrafficTime - kTrafficTime / 3 - kTrafficTime / 4);
  stop = true;
  for (auto& worker : workers) worker.join();
  ASSERT_GT(sent.load(), 100);

  // Calm: the sync resolves whatever is still unknown.
  ASSERT_EQ(psp_a_->clear_faults(), 200);
  ASSERT_EQ(psp_b_->clear_faults(), 200);
  std::this_thread::sleep_for(3s);  // hung requests finish (and are refused or counted)
  std::map<std::string, object> intents;
  const auto deadline = std::chrono::steady_clock::now() + 40s;
  bool settled = false;
  while (!settled && std::chrono::steady_clock::now() < deadline) {
    intents.clear();
    std::string cursor;
    settled = true;
    while (true) {
      const object page =
          parse(api("GET", "/v1/payment_intents?limit=100" +
                               (cursor.empty() ? std::string() : "&starting_after=" + cursor))
                    .body);
      for (const auto& item : page.at("data").as_array()) {
        const object& pi = item.as_object();
        cursor = text(pi, "id");
        intents[cursor] = pi;
        const std::string status = text(pi, "status");
        if (status == "processing" || status == "requires_confirmation") settled = false;
      }
      if (!page.at("has_more").as_bool()) break;
    }
    if (!settled) std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(settled) << "intents still waiting for a processor after the sync's patience";
  ASSERT_GT(intents.size(), 50u);

  // Every processor's own books, by intent.
  std::map<std::string, int> captures;
  std::map<std::string, std::int64_t> captured_amount;
  std::int64_t processors_total = 0;
  for (SandboxPspProcess* psp : {psp_a_.get(), psp_b_.get()}) {
    for (const auto& charge : psp->charges()) {
      const object& row = charge.as_object();
      if (text(row, "status") != "captured") continue;
      captures[text(row, "reference")] += 1;
      captured_amount[text(row, "reference")] += row.at("captured_amount").as_int64();
      processors_total += row.at("captured_amount").as_int64();
    }
  }
  std::int64_t till_total = 0;
  int succeeded = 0;
  for (const auto& [id, pi] : intents) {
    const int count = captures.count(id) ? captures[id] : 0;
    EXPECT_LE(count, 1) << id << " was captured " << count << " times";
    if (count > 1) {
      std::cout << "attempts of " << id << ": " << boost::json::serialize(attempts(id)) << "\n";
      for (SandboxPspProcess* psp : {psp_a_.get(), psp_b_.get()}) {
        for (const auto& charge : psp->charges()) {
          if (text(charge.as_object(), "reference") == id) {
            std::cout << "  processor row: " << boost::json::serialize(charge) << "\n";
          }
        }
      }
    }
    if (text(pi, "status") == "succeeded") {
      ++succeeded;
      EXPECT_EQ(count, 1) << id << " succeeded in Till but the processors hold " << count;
      EXPECT_EQ(captured_amount[id], pi.at("amount").as_int64()) << id;
      till_total += pi.at("amount").as_int64();
    } else {
      EXPECT_EQ(count, 0) << id << " is " << text(pi, "status") << " but was captured";
    }
  }
  EXPECT_GT(succeeded, 20);
  EXPECT_EQ(till_total, processors_total);
  // The faults did bite: some answers were lost and had to be resolved.
  const std::string metrics = http_request(till_->port(), "GET", "/metrics", "", "")->body;
  EXPECT_NE(metrics.find("outcome=\"unknown\"} "), std::string::npos);
  std::cout << "chaos: " << sent.load() << " requests, " << intents.size() << " intents, "
            << succeeded << " succeeded, " << processors_total << " captured in total\n";
  for (std::size_t at = metrics.find("till_connector_attempts_total{"); at != std::string::npos;
       at = metrics.find("till_connector_attempts_total{", at + 1)) {
    std::cout << "  " << metrics.substr(at, metrics.find('\n', at) - at) << "\n";
  }

  // Till's ledger agrees: the merchant's pending balance is what the processors captured.
  const object balance = parse(api("GET", "/v1/balance").body);
  std::int64_t pending = 0;
  for (const auto& entry : balance.at("pending").as_array()) {
    if (text(entry.as_object(), "currency") == "usd")
      pending = entry.as_object().at("amount").as_int64();
  }
  EXPECT_EQ(pending, processors_total);
  if (pending != processors_total) {
    std::system(("rm -rf /tmp/chaos-db && cp -r " + data_.path() + " /tmp/chaos-db").c_str());
  }

  till_->send_signal(SIGTERM);
  ASSERT_TRUE(till_->wait_exit(30s).has_value());
  std::vector<std::string> verify = {"ledger", "verify", "--data-dir", data_.path()};
  for (const std::string& arg : database_args()) verify.push_back(arg);
  const auto verified = till::testing::run_till(verify);
  EXPECT_EQ(verified.exit_status, 0) << verified.out << verified.err;
}

// Processor webhooks settle what the sync would, with the sync off.
class ProcessorWebhooks : public RoutedPayments {
 protected:
  void SetUp() override {
    psp_a_ = std::make_unique<SandboxPspProcess>("psk_test_a", "adm_a");
    psp_b_ = std::make_unique<SandboxPspProcess>("psk_test_b", "adm_b", "", "", "iso8583");
    start_till(TillOptions{"0"});
    ASSERT_TRUE(till_->started()) << till_->captured_stderr();
    auto merchant =
        admin("POST", "/admin/v1/merchants", R"({"name": "Hooks", "issue_test_key": true})");
    ASSERT_EQ(merchant.status, 200) << merchant.body;
    const object created = parse(merchant.body);
    merchant_id_ = text(created, "id");
    key_ = text(created.at("secret_key").as_object(), "secret");
  }

  // A processor of `wire` whose webhooks go to Till's endpoint for its account.
  std::unique_ptr<SandboxPspProcess> processor_with_webhooks(const std::string& connector,
                                                             const std::string& wire) {
    account_a_ = add_account(connector, "http://127.0.0.1:9", "psk_test_c", "pwhsec_c");
    auto psp =
        std::make_unique<SandboxPspProcess>("psk_test_c", "adm_c",
                                            "http://127.0.0.1:" + std::to_string(till_->port()) +
                                                "/v1/processor_webhooks/" + account_a_,
                                            "pwhsec_c", wire);
    EXPECT_TRUE(psp->started()) << psp->captured_stderr();
    auto updated =
        admin("POST", "/admin/v1/merchants/" + merchant_id_ + "/connector_accounts/" + account_a_,
              R"({"base_url": ")" + psp->base_url() + R"("})");
    EXPECT_EQ(updated.status, 200) << updated.body;
    route(R"({"fallback": [")" + account_a_ + R"("]})");
    return psp;
  }
};

TEST_P(ProcessorWebhooks, AWebhookSettlesAnUnknownAttempt) {
  for (const auto& [connector, wire] :
       {std::pair<std::string, std::string>{"psp_json", "json"}, {"psp_iso8583", "iso8583"}}) {
    auto psp = processor_with_webhooks(connector, wire);
    ASSERT_EQ(psp->set_faults(R"({"drop_response_permille": 1000,
                                  "operations": ["authorize", "inquiry"]})"),
              200);
    const object paid = pay("pm_card_visa");
    ASSERT_EQ(last_status_, 200) << boost::json::serialize(paid);
    // The webhook may even settle the attempt before the request's own unit records that it
    // got no answer; then the request answers what the webhook decided.
    const std::string answered = text(paid, "status");
    EXPECT_TRUE(answered == "processing" || answered == "succeeded") << answered;
    EXPECT_EQ(settled_status(text(paid, "id")), "succeeded") << wire;
    EXPECT_EQ(captures_for(*psp, text(paid, "id")), 1);
  }
}

TEST_P(ProcessorWebhooks, BadSignaturesAndUnknownAccountsAreRefused) {
  auto psp = processor_with_webhooks("psp_json", "json");
  auto forged = http_request(till_->port(), "POST", "/v1/processor_webhooks/" + account_a_,
                             "Content-Type: application/json\r\nPsp-Signature: t=1,v1=00\r\n",
                             R"({"id":"pevt_1","type":"authorization.captured","data":{}})");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 400);
  auto unknown = http_request(till_->port(), "POST", "/v1/processor_webhooks/ca_nope",
                              "Content-Type: application/json\r\n", "{}");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

// Housekeeping over the payments API in-process (its clock can jump 7 days): an authorization
// that lapses in Till is voided at its processor first, and not given up on while the
// processor cannot be asked.
class LapsedRoutedAuthorizations : public testing::PaymentsFixture {
 protected:
  void SetUp() override {
    testing::PaymentsFixture::SetUp();
    auto ring = vault::parse_key_ring("k1:" + vault::generate_key_base64(), "k1",
                                      vault::generate_key_base64());
    ASSERT_TRUE(ring) << ring.error().message;
    vault_ = std::make_unique<vault::Vault>(*ring);
    PaymentsOptions options;
    options.vault = vault_.get();
    options.setup_cache_ms = 0;
    api_ = std::make_unique<PaymentsApi>(*database_, *ledger_, clock_, *authenticator_, options);
    router_ = api::Router();
    api_->add_routes(router_);
    psp_ = std::make_unique<SandboxPspProcess>("psk_test_l", "adm_l");
    ASSERT_TRUE(psp_->started()) << psp_->captured_stderr();
    ConnectorAccount account;
    account.id = "ca_lapsed1";
    account.merchant_id = merchant_id_;
    account.connector = "psp_json";
    account.display_name = "lapsed";
    account.base_url = psp_->base_url();
    account.credentials = {{"api_key", "psk_test_l"}, {"webhook_secret", "pwhsec_l"}};
    account.timeout_ms = 2000;
    auto saved = database_->transact([&](store::Connection& connection) {
      return insert_connector_account(connection, *vault_, account);
    });
    ASSERT_TRUE(saved) << saved.error().message;
    auto routed =
        routing::save_config(*database_, merchant_id_, false, R"({"fallback": ["ca_lapsed1"]})",
                             "test", clock_.now_unix_ms());
    ASSERT_TRUE(routed) << routed.error().message;
  }

  std::string authorize() {
    const auto created = post("/v1/payment_intents",
                              "amount=3000&currency=usd&confirm=true&capture_method=manual&"
                              "payment_method=pm_card_visa");
    EXPECT_EQ(created.status, 200u) << boost::json::serialize(created.body);
    EXPECT_EQ(created.text("status"), "requires_capture");
    return created.text("id");
  }

  std::string processor_status(const std::string& intent_id) {
    for (const auto& charge : psp_->charges()) {
      if (text(charge.as_object(), "reference") == intent_id) {
        return text(charge.as_object(), "status");
      }
    }
    return "";
  }

  std::unique_ptr<vault::Vault> vault_;
  std::unique_ptr<SandboxPspProcess> psp_;
};

TEST_P(LapsedRoutedAuthorizations, AreVoidedAtTheProcessorBeforeTillCancelsThem) {
  const std::string id = authorize();
  EXPECT_EQ(processor_status(id), "authorized");
  clock_.advance_ms(7LL * 24 * 60 * 60 * 1000 + 1000);

  psp_->kill9();  // the processor cannot be asked: Till keeps the authorization for now
  auto waiting = api_->housekeeping(100);
  ASSERT_TRUE(waiting) << waiting.error().message;
  EXPECT_EQ(waiting->authorizations_canceled, 0u);
  EXPECT_EQ(get("/v1/payment_intents/" + id).text("status"), "requires_capture");

  ASSERT_TRUE(psp_->restart());
  auto done = api_->housekeeping(100);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->authorizations_canceled, 1u);
  EXPECT_EQ(get("/v1/payment_intents/" + id).text("status"), "canceled");
  EXPECT_EQ(processor_status(id), "voided");
  expect_ledger_verified();
}

INSTANTIATE_TEST_SUITE_P(Backends, LapsedRoutedAuthorizations,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres));

std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Backends, RoutedPayments, ::testing::Values("sqlite", "postgres"),
                         backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, ProcessorWebhooks, ::testing::Values("sqlite", "postgres"),
                         backend_name);

}  // namespace
}  // namespace till::payments
