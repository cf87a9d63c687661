// Both wire connectors against real `till sandbox-psp` processes across a network boundary:
// the payment lifecycle, declines per test card, the injected faults (a dropped answer is
// unknown and resolves to what the processor holds; a 503 or a hang is unknown), inquiries
// that close a key, bad credentials, and signed webhooks parsed by the connector.
//
// Every test runs once per wire (JSON REST and ISO-8583-style).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "base/clock.h"
#include "base/ids.h"
#include "connectors/registry.h"
#include "local_server.h"
#include "support/sandbox_psp_process.h"

namespace till::connectors {

[[maybe_unused]] static void PrintTo(Outcome outcome, std::ostream* out) {
  *out << to_string(outcome);
}
[[maybe_unused]] static void PrintTo(ProcessorStatus status, std::ostream* out) {
  *out << to_string(status);
}

namespace {

using std::chrono::milliseconds;
using till::testing::SandboxPspProcess;

constexpr std::string_view kApiKey = "psk_test_connectors";
constexpr std::string_view kAdminToken = "adm_connectors";
constexpr std::string_view kWebhookSecret = "pwhsec_connectors";

std::string new_key(std::string_view prefix) { return new_id(prefix, SystemClock::instance()); }

class ProcessorIntegration : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    psp_ = std::make_unique<SandboxPspProcess>(std::string(kApiKey), std::string(kAdminToken), "",
                                               "", wire(), std::nullopt,
                                               std::vector<std::string>{"--log-level", "warn"});
    ASSERT_TRUE(psp_->started()) << psp_->captured_stderr();
    connector_ = connector_for(account());
    ASSERT_NE(connector_, nullptr);
  }

  std::string wire() const { return GetParam(); }

  AccountConfig account() const {
    AccountConfig account;
    account.account_id = "ca_" + wire();
    account.connector = wire() == "json" ? "psp_json" : "psp_iso8583";
    account.base_url = psp_->base_url();
    account.credentials = {{"api_key", std::string(kApiKey)},
                           {"webhook_secret", std::string(kWebhookSecret)}};
    account.timeout = milliseconds(5000);
    return account;
  }

  std::unique_ptr<Connector> connector_for(const AccountConfig& config) {
    return make_connector(config, std::make_shared<HttpClient>());
  }

  static AuthorizeRequest authorize_request(std::string number = "4242424242424242",
                                            bool capture = false) {
    AuthorizeRequest request;
    request.context.idempotency_key = new_key("pa");
    request.amount = 2000;
    request.currency = "usd";
    request.capture = capture;
    request.reference = new_key("pi");
    request.card.number = std::move(number);
    request.card.exp_month = 12;
    request.card.exp_year = 2034;
    return request;
  }

  static FollowUpRequest follow_up(const std::string& reference, std::int64_t amount) {
    FollowUpRequest request;
    request.context.idempotency_key = new_key("op");
    request.processor_reference = reference;
    request.amount = amount;
    request.currency = "usd";
    return request;
  }

  // The processor's books entry created under `key`, if any.
  std::optional<boost::json::object> charge_under(const std::string& key) {
    for (const boost::json::value& charge : psp_->charges()) {
      const boost::json::object& c = charge.as_object();
      if (c.at("idempotency_key").as_string() == key) return c;
    }
    return std::nullopt;
  }

  // The reference a connector of this wire reports for a charge (JSON: id, ISO: the RRN).
  std::string reference_of(const boost::json::object& charge) const {
    return std::string(charge.at(wire() == "json" ? "id" : "rrn").as_string());
  }

  std::unique_ptr<SandboxPspProcess> psp_;
  std::unique_ptr<Connector> connector_;
};

TEST_P(ProcessorIntegration, AuthorizeCaptureRefundResolve) {
  const AuthorizeRequest request = authorize_request();
  const ProcessorResult authorized = connector_->authorize(request);
  ASSERT_EQ(authorized.outcome, Outcome::approved) << authorized.message;
  EXPECT_EQ(authorized.status, ProcessorStatus::authorized);
  EXPECT_EQ(authorized.amount, 2000);
  ASSERT_FALSE(authorized.processor_reference.empty());

  // The same key again: the processor replays its answer (same reference, nothing new).
  const ProcessorResult replayed = connector_->authorize(request);
  EXPECT_EQ(replayed.outcome, Outcome::approved);
  EXPECT_EQ(replayed.processor_reference, authorized.processor_reference);

  const ProcessorResult captured =
      connector_->capture(follow_up(authorized.processor_reference, 1500));
  ASSERT_EQ(captured.outcome, Outcome::approved) << captured.message;
  EXPECT_EQ(captured.status, ProcessorStatus::captured);
  EXPECT_EQ(captured.captured_amount, 1500);

  const ProcessorResult refunded =
      connector_->refund(follow_up(authorized.processor_reference, 500));
  ASSERT_EQ(refunded.outcome, Outcome::approved) << refunded.message;
  EXPECT_EQ(refunded.status, ProcessorStatus::refunded);
  EXPECT_EQ(refunded.amount, 500);
  const ProcessorResult too_much =
      connector_->refund(follow_up(authorized.processor_reference, 5000));
  EXPECT_NE(too_much.outcome, Outcome::approved);
  EXPECT_NE(too_much.outcome, Outcome::unknown) << too_much.message;

  const ProcessorResult resolved = connector_->resolve(request.context);
  ASSERT_EQ(resolved.outcome, Outcome::approved) << resolved.message;
  EXPECT_EQ(resolved.processor_reference, authorized.processor_reference);
  EXPECT_EQ(resolved.status, ProcessorStatus::refunded);

  const auto charge = charge_under(request.context.idempotency_key);
  ASSERT_TRUE(charge);
  EXPECT_EQ(reference_of(*charge), authorized.processor_reference);
  EXPECT_EQ(charge->at("captured_amount").as_int64(), 1500);
  EXPECT_EQ(charge->at("refunded_amount").as_int64(), 500);
}

TEST_P(ProcessorIntegration, AuthorizeWithCaptureAndCaptureAll) {
  const ProcessorResult purchase =
      connector_->authorize(authorize_request("4242424242424242", true));
  ASSERT_EQ(purchase.outcome, Outcome::approved) << purchase.message;
  EXPECT_EQ(purchase.status, ProcessorStatus::captured);
  EXPECT_EQ(purchase.captured_amount, 2000);

  const ProcessorResult authorized = connector_->authorize(authorize_request());
  ASSERT_EQ(authorized.outcome, Outcome::approved);
  const ProcessorResult all = connector_->capture(follow_up(authorized.processor_reference, 0));
  ASSERT_EQ(all.outcome, Outcome::approved) << all.message;
  EXPECT_EQ(all.captured_amount, 2000);
}

TEST_P(ProcessorIntegration, VoidThenCaptureIsRefused) {
  const ProcessorResult authorized = connector_->authorize(authorize_request());
  ASSERT_EQ(authorized.outcome, Outcome::approved);
  const ProcessorResult voided =
      connector_->void_authorization(follow_up(authorized.processor_reference, 0));
  ASSERT_EQ(voided.outcome, Outcome::approved) << voided.message;
  EXPECT_EQ(voided.status, ProcessorStatus::voided);
  const ProcessorResult late = connector_->capture(follow_up(authorized.processor_reference, 0));
  EXPECT_NE(late.outcome, Outcome::approved);
  EXPECT_NE(late.outcome, Outcome::unknown) << late.message;
  // Naming an authorization the processor never issued.
  const ProcessorResult nowhere = connector_->capture(follow_up("AAAAAAAAAAAA", 0));
  EXPECT_EQ(nowhere.outcome, Outcome::not_processed) << nowhere.message;
}

TEST_P(ProcessorIntegration, DeclinesPerCard) {
  struct Case {
    std::string number;
    std::string decline_code;
    bool soft;
  };
  const Case cases[] = {
      {"4000000000000002", "generic_decline", true},
      {"4000000000009995", "insufficient_funds", false},
      {"4000000000000069", "expired_card", false},
      {"4000000000009979", "stolen_card", false},
      {"4000000000009987", "lost_card", false},
      {"4000000000000119", "processing_error", true},
      {"4000002500003155", "authentication_required", false},
      {"4242424242424241", "incorrect_number", false},
  };
  for (const Case& c : cases) {
    const ProcessorResult result = connector_->authorize(authorize_request(c.number));
    EXPECT_EQ(result.outcome, Outcome::declined) << c.number << ": " << result.message;
    EXPECT_EQ(result.status, ProcessorStatus::declined) << c.number;
    EXPECT_EQ(result.decline_code, c.decline_code) << c.number;
    EXPECT_EQ(result.soft, c.soft) << c.number;
    EXPECT_EQ(result.message.find(c.number), std::string::npos);
  }
  AuthorizeRequest authenticated = authorize_request("4000002500003155");
  authenticated.card.authenticated = true;
  EXPECT_EQ(connector_->authorize(authenticated).outcome, Outcome::approved);
  AuthorizeRequest expired = authorize_request();
  expired.card.exp_year = 2020;
  const ProcessorResult past = connector_->authorize(expired);
  EXPECT_EQ(past.outcome, Outcome::declined);
  EXPECT_EQ(past.decline_code, "expired_card");

  ASSERT_EQ(psp_->set_faults(R"({"decline_permille": 1000})"), 200);
  const ProcessorResult injected = connector_->authorize(authorize_request());
  EXPECT_EQ(injected.outcome, Outcome::declined);
  EXPECT_EQ(injected.decline_code, "try_again_later");
  EXPECT_TRUE(injected.soft);
}

TEST_P(ProcessorIntegration, DroppedResponseIsUnknownThenResolvesToTheCharge) {
  ASSERT_EQ(psp_->set_faults(R"({"drop_response_permille": 1000, "operations": ["authorize"]})"),
            200);
  const AuthorizeRequest request = authorize_request();
  const ProcessorResult dropped = connector_->authorize(request);
  EXPECT_EQ(dropped.outcome, Outcome::unknown) << dropped.message;
  // The processor did charge: it processed durably, then lost the answer.
  const auto charge = charge_under(request.context.idempotency_key);
  ASSERT_TRUE(charge);

  const ProcessorResult resolved = connector_->resolve(request.context);
  ASSERT_EQ(resolved.outcome, Outcome::approved) << resolved.message;
  EXPECT_EQ(resolved.status, ProcessorStatus::authorized);
  EXPECT_EQ(resolved.processor_reference, reference_of(*charge));

  // Once the network behaves, the same request replays the same authorization.
  ASSERT_EQ(psp_->clear_faults(), 200);
  const ProcessorResult replayed = connector_->authorize(request);
  EXPECT_EQ(replayed.outcome, Outcome::approved);
  EXPECT_EQ(replayed.processor_reference, resolved.processor_reference);
}

TEST_P(ProcessorIntegration, InquiryOnANeverSeenKeyClosesIt) {
  const AuthorizeRequest request = authorize_request();
  const ProcessorResult nothing = connector_->resolve(request.context);
  EXPECT_EQ(nothing.outcome, Outcome::not_processed) << nothing.message;
  EXPECT_TRUE(nothing.key_closed);
  EXPECT_EQ(nothing.status, ProcessorStatus::none);
  // The request that "hung in the network" arrives late: refused, nothing charged.
  const ProcessorResult late = connector_->authorize(request);
  EXPECT_EQ(late.outcome, Outcome::not_processed) << late.message;
  EXPECT_EQ(late.raw_code, "idempotency_key_cancelled");
  EXPECT_FALSE(charge_under(request.context.idempotency_key));
  // Asking again gives the same answer.
  EXPECT_EQ(connector_->resolve(request.context).outcome, Outcome::not_processed);
}

TEST_P(ProcessorIntegration, UnavailableAndHangingAreUnknown) {
  // Even the injected 503 ("nothing was processed") is unknown: it answers one transmission
  // (http_client.h); the resolve that follows settles it.
  ASSERT_EQ(psp_->set_faults(R"({"error_permille": 1000})"), 200);
  const AuthorizeRequest request = authorize_request();
  const ProcessorResult unavailable = connector_->authorize(request);
  EXPECT_EQ(unavailable.outcome, Outcome::unknown) << unavailable.message;
  EXPECT_NE(unavailable.message.find("503"), std::string::npos);
  EXPECT_FALSE(charge_under(request.context.idempotency_key));

  ASSERT_EQ(psp_->set_faults(R"({"timeout_permille": 1000, "hang_ms": 3000})"), 200);
  AccountConfig impatient = account();
  impatient.timeout = milliseconds(300);
  auto connector = connector_for(impatient);
  const ProcessorResult timed_out = connector->authorize(authorize_request());
  EXPECT_EQ(timed_out.outcome, Outcome::unknown) << timed_out.message;
  EXPECT_LT(timed_out.latency, milliseconds(2000));

  // A resolve the processor cannot answer learned nothing: unknown, not not_processed.
  ASSERT_EQ(psp_->set_faults(R"({"down": true})"), 200);
  const ProcessorResult down = connector_->resolve(request.context);
  EXPECT_EQ(down.outcome, Outcome::unknown) << down.message;
  EXPECT_FALSE(down.key_closed);
  ASSERT_EQ(psp_->clear_faults(), 200);
  // The 503 processed nothing: the inquiry finds nothing and closes the key.
  EXPECT_EQ(connector_->resolve(request.context).outcome, Outcome::not_processed);
}

TEST_P(ProcessorIntegration, WrongKeyIsNotProcessedAndStoppedProcessorIsNotProcessed) {
  AccountConfig wrong = account();
  wrong.credentials["api_key"] = "psk_test_wrong";
  const ProcessorResult refused = connector_for(wrong)->authorize(authorize_request());
  EXPECT_EQ(refused.outcome, Outcome::not_processed) << refused.message;
  EXPECT_NE(refused.message.find("401"), std::string::npos);
  EXPECT_EQ(refused.message.find("psk_test_wrong"), std::string::npos);

  EXPECT_EQ(connector_for(wrong)->resolve(authorize_request().context).outcome, Outcome::unknown);

  psp_->kill9();
  const ProcessorResult down = connector_->authorize(authorize_request());
  EXPECT_EQ(down.outcome, Outcome::not_processed) << down.message;
  EXPECT_EQ(connector_->resolve(authorize_request().context).outcome, Outcome::unknown);
}

TEST_P(ProcessorIntegration, SignedWebhooksParseWithTheAccountsSecret) {
  using connectors::testing::LocalServer;
  using connectors::testing::ReceivedRequest;
  using connectors::testing::Reply;
  LocalServer receiver([](const ReceivedRequest&) { return Reply::json(200, "{}"); });
  receiver.start();
  SandboxPspProcess psp(std::string(kApiKey), std::string(kAdminToken),
                        receiver.url() + "/v1/processor_webhooks/ca_x", std::string(kWebhookSecret),
                        wire(), std::nullopt, {"--log-level", "warn"});
  ASSERT_TRUE(psp.started()) << psp.captured_stderr();
  AccountConfig config = account();
  config.base_url = psp.base_url();
  auto connector = connector_for(config);
  const AuthorizeRequest request = authorize_request("4242424242424242", true);
  const ProcessorResult purchase = connector->authorize(request);
  ASSERT_EQ(purchase.outcome, Outcome::approved) << purchase.message;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (receiver.requests().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  const auto delivered = receiver.requests();
  ASSERT_FALSE(delivered.empty()) << psp.captured_stderr();
  const auto& webhook = delivered.front();
  WebhookRejection rejection;
  const std::int64_t now = SystemClock::instance().now_unix_s();
  const auto update = connector->parse_webhook(webhook.body, webhook.headers, now, rejection);
  ASSERT_TRUE(update) << rejection.reason << "\n" << webhook.body;
  EXPECT_EQ(update->processor_reference, purchase.processor_reference);
  EXPECT_EQ(update->idempotency_key, request.context.idempotency_key);
  EXPECT_EQ(update->status, ProcessorStatus::captured);
  EXPECT_EQ(update->amount, 2000);
  EXPECT_FALSE(update->event_id.empty());
  // Another account's secret does not verify it.
  AccountConfig other = config;
  other.credentials["webhook_secret"] = "pwhsec_someone_else";
  EXPECT_FALSE(connector_for(other)->parse_webhook(webhook.body, webhook.headers, now, rejection));
  EXPECT_EQ(rejection.reason, "bad signature");
}

INSTANTIATE_TEST_SUITE_P(Wires, ProcessorIntegration, ::testing::Values("json", "iso8583"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
}  // namespace till::connectors
