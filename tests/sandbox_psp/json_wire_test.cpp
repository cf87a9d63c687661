// The JSON REST wire against a real `till sandbox-psp` process.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>

#include "psp_fixture.h"

namespace till::sandbox_psp::testing {
namespace {

class JsonWire : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { psp_ = start_psp().release(); }
  static void TearDownTestSuite() {
    delete psp_;
    psp_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(psp_->started()) << psp_->captured_stderr();
    ASSERT_EQ(psp_->clear_faults(), 200);
  }

  // A fresh idempotency key per call site and run.
  static std::string key(const std::string& label) {
    static int counter = 0;
    return label + "_" + std::to_string(++counter) + "_" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  }

  static boost::json::object authorize(const std::string& number, std::int64_t amount = 2000,
                                       bool capture = false) {
    const auto response = psp_->json_call("POST", "/v1/authorizations",
                                          authorization_body(number, amount, capture), key("auth"));
    EXPECT_TRUE(response);
    if (response) {
      EXPECT_EQ(response->status, 200) << response->body;
    }
    return parse(response);
  }

  static SandboxPspProcess* psp_;
};

SandboxPspProcess* JsonWire::psp_ = nullptr;

TEST_F(JsonWire, AuthorizeCaptureRefundAndRead) {
  const auto a = authorize(kVisa, 5000);
  const std::string id = str(a, "id");
  EXPECT_TRUE(std::regex_match(id, std::regex("auth_[0-9A-Za-z]{22}"))) << id;
  EXPECT_EQ(str(a, "object"), "authorization");
  EXPECT_EQ(str(a, "status"), "authorized");
  EXPECT_EQ(num(a, "amount"), 5000);
  EXPECT_EQ(str(a, "currency"), "usd");
  EXPECT_EQ(num(a, "captured_amount"), 0);
  EXPECT_EQ(str(a, "reference"), "pi_test");
  EXPECT_TRUE(a.at("decline_code").is_null());
  EXPECT_TRUE(a.at("message").is_null());
  EXPECT_EQ(str(a.at("card").as_object(), "brand"), "visa");
  EXPECT_EQ(str(a.at("card").as_object(), "last4"), "4242");
  EXPECT_GT(num(a, "created"), 1'700'000'000);

  auto captured = parse(psp_->json_call("POST", "/v1/authorizations/" + id + "/capture",
                                        R"({"amount": 3000})", key("cap")));
  EXPECT_EQ(str(captured, "status"), "captured");
  EXPECT_EQ(num(captured, "captured_amount"), 3000);

  auto refund = parse(psp_->json_call("POST", "/v1/authorizations/" + id + "/refunds",
                                      R"({"amount": 1000})", key("rf")));
  EXPECT_TRUE(std::regex_match(str(refund, "id"), std::regex("rf_[0-9A-Za-z]{22}")));
  EXPECT_EQ(str(refund, "object"), "refund");
  EXPECT_EQ(str(refund, "authorization"), id);
  EXPECT_EQ(num(refund, "amount"), 1000);
  EXPECT_EQ(str(refund, "status"), "succeeded");

  auto read = parse(psp_->json_call("GET", "/v1/authorizations/" + id));
  EXPECT_EQ(str(read, "status"), "partially_refunded");
  EXPECT_EQ(num(read, "refunded_amount"), 1000);

  refund = parse(psp_->json_call("POST", "/v1/authorizations/" + id + "/refunds",
                                 R"({"amount": 2000})", key("rf")));
  EXPECT_EQ(str(refund, "status"), "succeeded");
  read = parse(psp_->json_call("GET", "/v1/authorizations/" + id));
  EXPECT_EQ(str(read, "status"), "refunded");
  EXPECT_EQ(num(read, "refunded_amount"), 3000);

  const auto by_key = parse(
      psp_->json_call("GET", "/v1/authorizations?idempotency_key=" + str(a, "idempotency_key")));
  EXPECT_EQ(str(by_key, "id"), id);
  EXPECT_EQ(psp_->json_call("GET", "/v1/authorizations?idempotency_key=nobody")->status, 404);
  EXPECT_EQ(psp_->json_call("GET", "/v1/authorizations/auth_nope")->status, 404);
}

TEST_F(JsonWire, CaptureTrueCapturesAtOnceAndVoidOnlyUncaptured) {
  const auto sale = authorize(kVisa, 1200, true);
  EXPECT_EQ(str(sale, "status"), "captured");
  EXPECT_EQ(num(sale, "captured_amount"), 1200);
  const auto no_void =
      psp_->json_call("POST", "/v1/authorizations/" + str(sale, "id") + "/void", "{}", key("void"));
  EXPECT_EQ(no_void->status, 409);
  EXPECT_EQ(error_code(no_void), "invalid_state");

  const auto a = authorize(kVisa);
  const auto voided = parse(
      psp_->json_call("POST", "/v1/authorizations/" + str(a, "id") + "/void", "", key("void")));
  EXPECT_EQ(str(voided, "status"), "voided");
  const auto no_capture =
      psp_->json_call("POST", "/v1/authorizations/" + str(a, "id") + "/capture", "{}", key("cap"));
  EXPECT_EQ(no_capture->status, 409);
  const auto no_refund = psp_->json_call("POST", "/v1/authorizations/" + str(a, "id") + "/refunds",
                                         R"({"amount": 1})", key("rf"));
  EXPECT_EQ(no_refund->status, 409);
}

TEST_F(JsonWire, CaptureAtMostTheAuthorizationOnceAndRefundAtMostTheRest) {
  const auto a = authorize(kVisa, 1000);
  const std::string base = "/v1/authorizations/" + str(a, "id");
  const auto too_much = psp_->json_call("POST", base + "/capture", R"({"amount": 1001})", key("c"));
  EXPECT_EQ(too_much->status, 400);
  EXPECT_EQ(error_code(too_much), "amount_too_large");
  EXPECT_EQ(error_param(too_much), "amount");
  const auto all = parse(psp_->json_call("POST", base + "/capture", "{}", key("c")));
  EXPECT_EQ(num(all, "captured_amount"), 1000);
  const auto twice = psp_->json_call("POST", base + "/capture", "{}", key("c"));
  EXPECT_EQ(twice->status, 409);
  const auto over = psp_->json_call("POST", base + "/refunds", R"({"amount": 1001})", key("r"));
  EXPECT_EQ(over->status, 400);
  EXPECT_EQ(error_code(over), "amount_too_large");
  EXPECT_EQ(psp_->json_call("POST", base + "/refunds", R"({"amount": 600})", key("r"))->status,
            200);
  EXPECT_EQ(psp_->json_call("POST", base + "/refunds", R"({"amount": 401})", key("r"))->status,
            400);
  EXPECT_EQ(psp_->json_call("POST", base + "/refunds", R"({"amount": 400})", key("r"))->status,
            200);
  const auto none_left = psp_->json_call("POST", base + "/refunds", R"({"amount": 1})", key("r"));
  EXPECT_EQ(none_left->status, 409);  // fully refunded

  const auto unknown =
      psp_->json_call("POST", "/v1/authorizations/auth_missing/capture", "{}", key("c"));
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(error_code(unknown), "resource_missing");
}

TEST_F(JsonWire, EveryCardOutcome) {
  const std::pair<const char*, const char*> declines[] = {
      {kGenericDecline, "generic_decline"},
      {kInsufficientFunds, "insufficient_funds"},
      {kExpiredCard, "expired_card"},
      {kStolenCard, "stolen_card"},
      {kLostCard, "lost_card"},
      {kProcessingError, "processing_error"},
      {kNeeds3ds, "authentication_required"},
      {kNotLuhn, "incorrect_number"},
  };
  for (const auto& [number, code] : declines) {
    const auto a = authorize(number);
    EXPECT_EQ(str(a, "status"), "declined") << number;
    EXPECT_EQ(str(a, "decline_code"), code) << number;
    EXPECT_FALSE(str(a, "message").empty());
    EXPECT_EQ(num(a, "captured_amount"), 0);
  }
  // 3-D Secure completed: approved.
  auto secure = parse(psp_->json_call("POST", "/v1/authorizations",
                                      authorization_body(kNeeds3ds, 2000, false, "usd", 2040, true),
                                      key("3ds")));
  EXPECT_EQ(str(secure, "status"), "authorized");
  // An expiry in the past.
  auto past = parse(psp_->json_call("POST", "/v1/authorizations",
                                    authorization_body(kVisa, 2000, false, "usd", 2020), key("x")));
  EXPECT_EQ(str(past, "decline_code"), "expired_card");
  // Other brands approve.
  EXPECT_EQ(str(authorize("5555555555554444"), "status"), "authorized");
  // A declined authorization cannot be captured.
  const auto declined = authorize(kGenericDecline);
  EXPECT_EQ(psp_->json_call("POST", "/v1/authorizations/" + str(declined, "id") + "/capture", "{}",
                            key("c"))
                ->status,
            409);
}

TEST_F(JsonWire, IdempotentReplayAndMismatch) {
  const std::string k = key("idem");
  const std::string body = authorization_body(kVisa, 700);
  const auto first = psp_->json_call("POST", "/v1/authorizations", body, k);
  ASSERT_EQ(first->status, 200);
  EXPECT_EQ(first->header("idempotent-replayed"), "");
  const auto again = psp_->json_call("POST", "/v1/authorizations", body, k);
  ASSERT_EQ(again->status, 200);
  EXPECT_EQ(again->body, first->body);
  EXPECT_EQ(again->header("idempotent-replayed"), "true");
  const auto different =
      psp_->json_call("POST", "/v1/authorizations", authorization_body(kVisa, 701), k);
  EXPECT_EQ(different->status, 409);
  EXPECT_EQ(error_code(different), "idempotency_key_reused");
  // One authorization under the key, whatever was sent.
  int under_key = 0;
  for (const auto& charge : psp_->charges()) {
    under_key += str(charge.as_object(), "idempotency_key") == k ? 1 : 0;
  }
  EXPECT_EQ(under_key, 1);

  // Follow-ups replay too: a retried capture does not fail as "already captured".
  const std::string id = str(parse(first), "id");
  const std::string capture_key = key("cap");
  const auto captured =
      psp_->json_call("POST", "/v1/authorizations/" + id + "/capture", "{}", capture_key);
  const auto recaptured =
      psp_->json_call("POST", "/v1/authorizations/" + id + "/capture", "{}", capture_key);
  EXPECT_EQ(recaptured->status, 200);
  EXPECT_EQ(recaptured->body, captured->body);
}

TEST_F(JsonWire, InquiryFindsOrClosesTheKey) {
  const auto a = authorize(kVisa);
  const auto found = parse(psp_->json_call(
      "POST", "/v1/inquiries", R"({"idempotency_key": ")" + str(a, "idempotency_key") + R"("})",
      key("inq")));
  EXPECT_TRUE(found.at("found").as_bool());
  EXPECT_EQ(str(found.at("authorization").as_object(), "id"), str(a, "id"));

  // A declined authorization is found too: the card was asked.
  const auto declined = authorize(kInsufficientFunds);
  const auto found_declined = parse(psp_->json_call(
      "POST", "/v1/inquiries",
      R"({"idempotency_key": ")" + str(declined, "idempotency_key") + R"("})", key("inq")));
  EXPECT_TRUE(found_declined.at("found").as_bool());
  EXPECT_EQ(str(found_declined.at("authorization").as_object(), "status"), "declined");

  const std::string lost = key("lost");
  const auto not_found = parse(psp_->json_call(
      "POST", "/v1/inquiries", R"({"idempotency_key": ")" + lost + R"("})", key("inq")));
  EXPECT_FALSE(not_found.at("found").as_bool());
  EXPECT_TRUE(not_found.at("cancelled").as_bool());
  // The request that was "lost" arrives late: refused, nothing charged.
  const auto late = psp_->json_call("POST", "/v1/authorizations", authorization_body(kVisa), lost);
  EXPECT_EQ(late->status, 409);
  EXPECT_EQ(error_code(late), "idempotency_key_cancelled");
  EXPECT_EQ(psp_->json_call("GET", "/v1/authorizations?idempotency_key=" + lost)->status, 404);
  for (const auto& charge : psp_->charges()) {
    EXPECT_NE(str(charge.as_object(), "idempotency_key"), lost);
  }

  // A capture's key: the inquiry answers with the authorization the capture acted on.
  const auto b = authorize(kVisa);
  const std::string capture_key = key("cap");
  ASSERT_EQ(
      psp_->json_call("POST", "/v1/authorizations/" + str(b, "id") + "/capture", "{}", capture_key)
          ->status,
      200);
  const auto capture_found = parse(psp_->json_call(
      "POST", "/v1/inquiries", R"({"idempotency_key": ")" + capture_key + R"("})", key("inq")));
  EXPECT_TRUE(capture_found.at("found").as_bool());
  EXPECT_EQ(str(capture_found.at("authorization").as_object(), "status"), "captured");
}

TEST_F(JsonWire, CredentialsAreRequired) {
  const auto no_key = till::testing::http_request(psp_->port(), "GET", "/v1/authorizations/x");
  EXPECT_EQ(no_key->status, 401);
  EXPECT_EQ(error_code(no_key), "unauthorized");
  const auto wrong = till::testing::http_request(
      psp_->port(), "POST", "/v1/authorizations",
      "Authorization: Bearer psk_wrong\r\nIdempotency-Key: k\r\n", authorization_body(kVisa));
  EXPECT_EQ(wrong->status, 401);
  // The admin token is not an API key, and the API key is not an admin token.
  const auto admin_as_key = till::testing::http_request(psp_->port(), "GET", "/v1/authorizations/x",
                                                        "Authorization: Bearer adm_a\r\n");
  EXPECT_EQ(admin_as_key->status, 401);
  const auto key_as_admin = till::testing::http_request(psp_->port(), "GET", "/charges",
                                                        "Authorization: Bearer psk_test_a\r\n");
  EXPECT_EQ(key_as_admin->status, 401);
}

TEST_F(JsonWire, BadInputIs400NamingTheField) {
  const auto missing_key = psp_->json_call("POST", "/v1/authorizations", authorization_body(kVisa));
  EXPECT_EQ(missing_key->status, 400);
  EXPECT_EQ(error_param(missing_key), "Idempotency-Key");

  const std::pair<std::string, std::string> cases[] = {
      {R"({"currency":"usd","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040}})",
       "amount"},
      {R"({"amount":0,"currency":"usd","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040}})",
       "amount"},
      {R"({"amount":1000000000001,"currency":"usd","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040}})",
       "amount"},
      {R"({"amount":"100","currency":"usd","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040}})",
       "amount"},
      {R"({"amount":100,"currency":"USD","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040}})",
       "currency"},
      {R"({"amount":100,"currency":"zzz","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040}})",
       "currency"},
      {R"({"amount":100,"currency":"usd","reference":"r","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040}})",
       "capture"},
      {R"({"amount":100,"currency":"usd","capture":false,"card":{"number":"4242424242424242","exp_month":1,"exp_year":2040}})",
       "reference"},
      {R"({"amount":100,"currency":"usd","capture":false,"reference":"r"})", "card"},
      {R"({"amount":100,"currency":"usd","capture":false,"reference":"r","card":{"number":"4242 4242 4242 4242","exp_month":1,"exp_year":2040}})",
       "card.number"},
      {R"({"amount":100,"currency":"usd","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":13,"exp_year":2040}})",
       "card.exp_month"},
      {R"({"amount":100,"currency":"usd","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":1}})",
       "card.exp_year"},
      {R"({"amount":100,"currency":"usd","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040,"cvc":"12"}})",
       "card.cvc"},
      {R"({"amount":100,"currency":"usd","capture":false,"reference":"r","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040},"three_d_secure":{}})",
       "three_d_secure.authenticated"},
      {R"({"amount":100,"currency":"usd","capture":false,"reference":"r","colour":"red","card":{"number":"4242424242424242","exp_month":1,"exp_year":2040}})",
       "colour"},
  };
  for (const auto& [body, param] : cases) {
    const auto response = psp_->json_call("POST", "/v1/authorizations", body, key("bad"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400) << body;
    EXPECT_EQ(error_param(response), param) << body << " -> " << response->body;
  }
  const auto not_json = psp_->json_call("POST", "/v1/authorizations", "amount=1", key("bad"));
  EXPECT_EQ(not_json->status, 400);
  EXPECT_EQ(error_code(not_json), "body_invalid");
  const auto a = authorize(kVisa);
  const auto bad_capture = psp_->json_call(
      "POST", "/v1/authorizations/" + str(a, "id") + "/capture", R"({"amount": -5})", key("c"));
  EXPECT_EQ(error_param(bad_capture), "amount");
  const auto bad_refund =
      psp_->json_call("POST", "/v1/authorizations/" + str(a, "id") + "/refunds", "{}", key("r"));
  EXPECT_EQ(error_param(bad_refund), "amount");
  const auto bad_inquiry = psp_->json_call("POST", "/v1/inquiries", "{}", key("i"));
  EXPECT_EQ(error_param(bad_inquiry), "idempotency_key");
  const auto no_query = psp_->json_call("GET", "/v1/authorizations");
  EXPECT_EQ(error_param(no_query), "idempotency_key");
  // A body over 64 KiB is refused before it is read.
  const auto huge =
      psp_->json_call("POST", "/v1/authorizations", std::string(70 * 1024, ' ') + "{}", key("big"));
  EXPECT_EQ(huge->status, 413);
}

TEST(JsonWireLogs, CardNumbersAreNeverStoredOrLogged) {
  // Its own instance, logging everything it logs.
  SandboxPspProcess psp(kApiKey, kAdminToken, "", "", "json", std::nullopt,
                        {"--log-level", "debug"});
  ASSERT_TRUE(psp.started()) << psp.captured_stderr();
  const auto response = psp.json_call("POST", "/v1/authorizations",
                                      authorization_body("4000056655665556"), "card-log");
  ASSERT_EQ(response->status, 200);  // a visa debit test number used nowhere else
  const std::string db = psp.data_dir() + "/till.db";
  std::string bytes;
  for (const std::string suffix : {"", "-wal"}) {
    std::ifstream file(db + suffix, std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(file), {});
  }
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find("4000056655665556"), std::string::npos);
  EXPECT_NE(bytes.find("5556"), std::string::npos);  // last4 is kept
  // The request's log line is written after the answer: wait for it.
  ::till::testing::poll_until(
      [&] { return psp.captured_stderr().find("/v1/authorizations") != std::string::npos; },
      std::chrono::seconds(5));
  EXPECT_NE(psp.captured_stderr().find("/v1/authorizations"), std::string::npos);
  EXPECT_EQ(psp.captured_stderr().find("4000056655665556"), std::string::npos);
  EXPECT_EQ(psp.captured_stdout().find("4000056655665556"), std::string::npos);
}

}  // namespace
}  // namespace till::sandbox_psp::testing
