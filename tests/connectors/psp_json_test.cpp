// The JSON REST wire: every request's encoding, every answer's mapping to an Outcome (the
// decline table, soft and hard, the error statuses), and the connector's calls against a
// scripted local processor (headers, the inquiry, transport failures).
#include "connectors/psp_json/psp_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "connectors/psp_json/codec.h"
#include "connectors/registry.h"
#include "local_server.h"

namespace till::connectors {

[[maybe_unused]] static void PrintTo(Outcome outcome, std::ostream* out) {
  *out << to_string(outcome);
}
[[maybe_unused]] static void PrintTo(ProcessorStatus status, std::ostream* out) {
  *out << to_string(status);
}

namespace psp_json {
namespace {

using boost::json::object;
using testing::LocalServer;
using testing::ReceivedRequest;
using testing::Reply;

constexpr std::string_view kPan = "4242424242424242";

AuthorizeRequest authorize_request() {
  AuthorizeRequest request;
  request.context.idempotency_key = "pa_key_1";
  request.amount = 2000;
  request.currency = "usd";
  request.capture = false;
  request.reference = "pi_123";
  request.card.number = std::string(kPan);
  request.card.exp_month = 12;
  request.card.exp_year = 2030;
  return request;
}

FollowUpRequest follow_up(std::int64_t amount = 0) {
  FollowUpRequest request;
  request.context.idempotency_key = "op_key_1";
  request.processor_reference = "auth_abc";
  request.amount = amount;
  request.currency = "usd";
  return request;
}

object parse(const std::string& body) { return boost::json::parse(body).as_object(); }

std::string authorization(std::string_view status, std::string_view decline_code = "",
                          std::int64_t captured = 0, std::int64_t refunded = 0) {
  object a{{"id", "auth_abc"},
           {"object", "authorization"},
           {"idempotency_key", "pa_key_1"},
           {"reference", "pi_123"},
           {"status", status},
           {"amount", 2000},
           {"currency", "usd"},
           {"captured_amount", captured},
           {"refunded_amount", refunded},
           {"card", object{{"brand", "visa"}, {"last4", "4242"}}},
           {"created", 1790000000}};
  if (decline_code.empty()) {
    a["decline_code"] = nullptr;
  } else {
    a["decline_code"] = decline_code;
  }
  a["message"] = nullptr;
  return boost::json::serialize(a);
}

std::string error_body(std::string_view code, std::string_view message = "refused") {
  return boost::json::serialize(object{{"error", object{{"code", code}, {"message", message}}}});
}

// --- encoding ------------------------------------------------------------------------------

TEST(PspJsonEncode, Authorize) {
  AuthorizeRequest request = authorize_request();
  request.card.authenticated = true;
  auto wire = encode_authorize(request);
  ASSERT_TRUE(wire) << wire.error();
  EXPECT_EQ(wire->method, HttpMethod::post);
  EXPECT_EQ(wire->path, "/v1/authorizations");
  const object body = parse(wire->body);
  EXPECT_EQ(body.at("amount").as_int64(), 2000);
  EXPECT_EQ(body.at("currency").as_string(), "usd");
  EXPECT_EQ(body.at("capture").as_bool(), false);
  EXPECT_EQ(body.at("reference").as_string(), "pi_123");
  const object& card = body.at("card").as_object();
  EXPECT_EQ(card.at("number").as_string(), kPan);
  EXPECT_EQ(card.at("exp_month").as_int64(), 12);
  EXPECT_EQ(card.at("exp_year").as_int64(), 2030);
  EXPECT_FALSE(card.contains("cvc"));
  EXPECT_EQ(body.at("three_d_secure").as_object().at("authenticated").as_bool(), true);
  // Same request, same bytes: a retry under the key must be byte-identical to be replayed.
  EXPECT_EQ(encode_authorize(request)->body, wire->body);
}

TEST(PspJsonEncode, AuthorizeRefusesWhatCannotBeSentWithoutQuotingTheCard) {
  AuthorizeRequest request = authorize_request();
  request.card.number = "4242 4242 4242 4242";
  auto refused = encode_authorize(request);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().find("4242"), std::string::npos);
  request.card.number = "12345";
  EXPECT_FALSE(encode_authorize(request));
  request = authorize_request();
  request.amount = 0;
  EXPECT_FALSE(encode_authorize(request));
}

TEST(PspJsonEncode, FollowUps) {
  auto capture_all = encode_capture(follow_up(0));
  ASSERT_TRUE(capture_all);
  EXPECT_EQ(capture_all->path, "/v1/authorizations/auth_abc/capture");
  EXPECT_EQ(capture_all->body, "{}");
  auto capture_part = encode_capture(follow_up(1500));
  ASSERT_TRUE(capture_part);
  EXPECT_EQ(parse(capture_part->body).at("amount").as_int64(), 1500);

  auto voided = encode_void(follow_up());
  ASSERT_TRUE(voided);
  EXPECT_EQ(voided->path, "/v1/authorizations/auth_abc/void");
  EXPECT_EQ(voided->body, "{}");

  auto refund = encode_refund(follow_up(700));
  ASSERT_TRUE(refund);
  EXPECT_EQ(refund->path, "/v1/authorizations/auth_abc/refunds");
  EXPECT_EQ(parse(refund->body).at("amount").as_int64(), 700);
  EXPECT_FALSE(encode_refund(follow_up(0)));

  // A reference goes into the path: nothing that could leave the segment.
  FollowUpRequest hostile = follow_up();
  for (const std::string& reference :
       std::vector<std::string>{"../admin", "a/b", "a?b", "a b", "", std::string(65, 'a')}) {
    hostile.processor_reference = reference;
    EXPECT_FALSE(encode_capture(hostile)) << reference;
    EXPECT_FALSE(encode_void(hostile)) << reference;
  }
}

TEST(PspJsonEncode, Inquiry) {
  auto inquiry = encode_inquiry("pa_key_1");
  ASSERT_TRUE(inquiry);
  EXPECT_EQ(inquiry->path, "/v1/inquiries");
  EXPECT_EQ(parse(inquiry->body).at("idempotency_key").as_string(), "pa_key_1");
  EXPECT_FALSE(encode_inquiry(""));
  EXPECT_FALSE(encode_inquiry("has space"));
}

// --- decoding ------------------------------------------------------------------------------

TEST(PspJsonDecode, AuthorizeApproved) {
  const ProcessorResult authorized =
      decode_response(Operation::authorize, 200, authorization("authorized"));
  EXPECT_EQ(authorized.outcome, Outcome::approved);
  EXPECT_EQ(authorized.status, ProcessorStatus::authorized);
  EXPECT_EQ(authorized.processor_reference, "auth_abc");
  EXPECT_EQ(authorized.amount, 2000);
  EXPECT_EQ(authorized.decline_code, "");

  const ProcessorResult captured =
      decode_response(Operation::authorize, 200, authorization("captured", "", 2000));
  EXPECT_EQ(captured.outcome, Outcome::approved);
  EXPECT_EQ(captured.status, ProcessorStatus::captured);
  EXPECT_EQ(captured.captured_amount, 2000);
}

struct DeclineCase {
  std::string_view code;
  bool soft;
};

TEST(PspJsonDecode, EveryDeclineCodeSoftOrHard) {
  const DeclineCase cases[] = {
      {"generic_decline", true},
      {"try_again_later", true},
      {"processing_error", true},
      {"insufficient_funds", false},
      {"expired_card", false},
      {"stolen_card", false},
      {"lost_card", false},
      {"incorrect_number", false},
      {"authentication_required", false},
  };
  for (const DeclineCase& c : cases) {
    const ProcessorResult result =
        decode_response(Operation::authorize, 200, authorization("declined", c.code));
    EXPECT_EQ(result.outcome, Outcome::declined) << c.code;
    EXPECT_EQ(result.status, ProcessorStatus::declined) << c.code;
    EXPECT_EQ(result.soft, c.soft) << c.code;
    EXPECT_EQ(result.decline_code, c.code);
    EXPECT_EQ(result.raw_code, c.code);
    EXPECT_EQ(result.processor_reference, "auth_abc");
    EXPECT_FALSE(result.message.empty());
  }
}

TEST(PspJsonDecode, UnknownDeclineCodesAreHard) {
  const ProcessorResult unknown_code =
      decode_response(Operation::authorize, 200, authorization("declined", "do_not_honor"));
  EXPECT_EQ(unknown_code.outcome, Outcome::declined);
  EXPECT_FALSE(unknown_code.soft);
  EXPECT_EQ(unknown_code.decline_code, "do_not_honor");
  const ProcessorResult no_code =
      decode_response(Operation::authorize, 200, authorization("declined"));
  EXPECT_EQ(no_code.outcome, Outcome::declined);
  EXPECT_FALSE(no_code.soft);
  EXPECT_EQ(no_code.decline_code, "generic_decline");
  const ProcessorResult odd_code =
      decode_response(Operation::authorize, 200, authorization("declined", "Bad Code!"));
  EXPECT_EQ(odd_code.decline_code, "generic_decline");
}

TEST(PspJsonDecode, ErrorStatuses) {
  struct Case {
    int status;
    std::string_view code;
    Outcome outcome;
  };
  const Case cases[] = {
      {401, "unauthorized", Outcome::not_processed},
      {400, "parameter_missing", Outcome::not_processed},
      {404, "resource_missing", Outcome::not_processed},
      {409, "idempotency_key_reused", Outcome::not_processed},
      {409, "idempotency_key_cancelled", Outcome::not_processed},
      {429, "rate_limited", Outcome::not_processed},
      {500, "internal_error", Outcome::unknown},
      {502, "", Outcome::unknown},
      // Even the processor's "unavailable, nothing was processed": it speaks for one
      // transmission, and libcurl may have sent the request before (http_client.h).
      {503, "service_unavailable", Outcome::unknown},
      {503, "", Outcome::unknown},
      {504, "", Outcome::unknown},
      {302, "", Outcome::unknown},
  };
  for (const Case& c : cases) {
    for (Operation operation :
         {Operation::authorize, Operation::capture, Operation::refund, Operation::inquiry}) {
      const ProcessorResult result = decode_response(operation, c.status, error_body(c.code));
      EXPECT_EQ(result.outcome, c.outcome) << c.status << " " << c.code;
      EXPECT_NE(result.message.find(std::to_string(c.status)), std::string::npos);
      EXPECT_EQ(result.raw_code, c.code);
    }
  }
  // The status decides even when the body is not the processor's error shape.
  EXPECT_EQ(decode_response(Operation::authorize, 503, "<html>").outcome, Outcome::unknown);
  EXPECT_EQ(decode_response(Operation::authorize, 400, "").outcome, Outcome::not_processed);
}

TEST(PspJsonDecode, UnreadableSuccessIsUnknown) {
  const std::string bodies[] = {
      "",
      "not json",
      "[]",
      "{}",
      R"({"id":"auth_1","status":"authorized"})",                  // no amount
      R"({"id":"auth_1","status":"weird","amount":1})",            // unknown status
      R"({"id":"auth_1","status":"authorized","amount":-5})",      // negative
      R"({"id":"auth_1","status":"authorized","amount":1.5})",     // fraction
      R"({"id":"auth/1","status":"authorized","amount":1})",       // id unfit for a path
      R"({"id":"auth_1","status":"authorized","amount":"2000"})",  // string amount
  };
  for (const std::string& body : bodies) {
    const ProcessorResult result = decode_response(Operation::authorize, 200, body);
    EXPECT_EQ(result.outcome, Outcome::unknown) << body;
    EXPECT_FALSE(result.message.empty());
  }
}

TEST(PspJsonDecode, FollowUps) {
  const ProcessorResult captured =
      decode_response(Operation::capture, 200, authorization("captured", "", 1500));
  EXPECT_EQ(captured.outcome, Outcome::approved);
  EXPECT_EQ(captured.status, ProcessorStatus::captured);
  EXPECT_EQ(captured.captured_amount, 1500);

  // The processor answered, and the capture did not take effect.
  const ProcessorResult not_captured =
      decode_response(Operation::capture, 200, authorization("voided"));
  EXPECT_EQ(not_captured.outcome, Outcome::declined);
  EXPECT_FALSE(not_captured.soft);
  EXPECT_EQ(not_captured.decline_code, "");
  EXPECT_EQ(not_captured.status, ProcessorStatus::voided);

  const ProcessorResult voided =
      decode_response(Operation::void_authorization, 200, authorization("voided"));
  EXPECT_EQ(voided.outcome, Outcome::approved);
  EXPECT_EQ(voided.status, ProcessorStatus::voided);

  const ProcessorResult refunded = decode_response(
      Operation::refund, 200,
      R"({"id":"rf_1","object":"refund","authorization":"auth_abc","amount":700,"status":"succeeded"})");
  EXPECT_EQ(refunded.outcome, Outcome::approved);
  EXPECT_EQ(refunded.status, ProcessorStatus::refunded);
  EXPECT_EQ(refunded.processor_reference, "rf_1");
  EXPECT_EQ(refunded.refunded_amount, 700);
  const ProcessorResult refund_failed =
      decode_response(Operation::refund, 200, R"({"id":"rf_1","amount":700,"status":"failed"})");
  EXPECT_EQ(refund_failed.outcome, Outcome::declined);
  const ProcessorResult refund_pending =
      decode_response(Operation::refund, 200, R"({"id":"rf_1","amount":700,"status":"pending"})");
  EXPECT_EQ(refund_pending.outcome, Outcome::unknown);
}

TEST(PspJsonDecode, Inquiry) {
  const ProcessorResult found = decode_response(
      Operation::inquiry, 200,
      R"({"found":true,"authorization":)" + authorization("captured", "", 2000) + "}");
  EXPECT_EQ(found.outcome, Outcome::approved);
  EXPECT_EQ(found.status, ProcessorStatus::captured);
  EXPECT_EQ(found.processor_reference, "auth_abc");

  const ProcessorResult declined = decode_response(
      Operation::inquiry, 200,
      R"({"found":true,"authorization":)" + authorization("declined", "insufficient_funds") + "}");
  EXPECT_EQ(declined.outcome, Outcome::declined);
  EXPECT_EQ(declined.decline_code, "insufficient_funds");
  EXPECT_FALSE(declined.soft);

  const ProcessorResult cancelled =
      decode_response(Operation::inquiry, 200, R"({"found":false,"cancelled":true})");
  EXPECT_EQ(cancelled.outcome, Outcome::not_processed);
  EXPECT_TRUE(cancelled.key_closed);
  EXPECT_FALSE(found.key_closed);
  EXPECT_EQ(cancelled.status, ProcessorStatus::none);

  // Not found but the key left open: a late request could still land.
  EXPECT_EQ(decode_response(Operation::inquiry, 200, R"({"found":false})").outcome,
            Outcome::unknown);
  EXPECT_EQ(decode_response(Operation::inquiry, 200, R"({"found":true})").outcome,
            Outcome::unknown);
  EXPECT_EQ(decode_response(Operation::inquiry, 200, R"({"cancelled":true})").outcome,
            Outcome::unknown);
}

TEST(PspJsonDecode, ProcessorTextNeverCarriesACardNumberIntoAMessage) {
  const ProcessorResult result = decode_response(
      Operation::authorize, 400,
      error_body("card_invalid", "card 4242 4242 4242 4242 and 4000000000009995 refused"));
  EXPECT_EQ(result.outcome, Outcome::not_processed);
  EXPECT_EQ(result.message.find("4242 4242"), std::string::npos) << result.message;
  EXPECT_EQ(result.message.find("4000000000009995"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("refused"), std::string::npos);
}

// --- the connector against a scripted processor ---------------------------------------------

AccountConfig account_for(const std::string& url) {
  AccountConfig account;
  account.account_id = "ca_test";
  account.connector = "psp_json";
  account.base_url = url + "/";
  account.credentials = {{"api_key", "psk_test_abc"}, {"webhook_secret", "pwhsec_x"}};
  account.timeout = std::chrono::milliseconds(2000);
  return account;
}

TEST(PspJsonConnector, SendsCredentialsKeyAndTraceAndMapsTheAnswer) {
  LocalServer server([](const ReceivedRequest& request) {
    if (request.target == "/v1/inquiries") {
      return Reply::json(200, R"({"found":false,"cancelled":true})");
    }
    return Reply::json(200, authorization("authorized"));
  });
  server.start();
  auto connector = make_connector(account_for(server.url()), std::make_shared<HttpClient>());
  ASSERT_NE(connector, nullptr);
  EXPECT_EQ(connector->name(), "psp_json");

  AuthorizeRequest request = authorize_request();
  request.context.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const ProcessorResult result = connector->authorize(request);
  EXPECT_EQ(result.outcome, Outcome::approved) << result.message;
  EXPECT_EQ(result.processor_reference, "auth_abc");
  EXPECT_GT(result.latency.count(), 0);

  const ProcessorResult resolved = connector->resolve(request.context);
  EXPECT_EQ(resolved.outcome, Outcome::not_processed);

  const auto received = server.requests();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].target, "/v1/authorizations");
  EXPECT_EQ(received[0].header("authorization"), "Bearer psk_test_abc");
  EXPECT_EQ(received[0].header("idempotency-key"), "pa_key_1");
  EXPECT_EQ(received[0].header("traceparent"), request.context.traceparent);
  EXPECT_EQ(received[1].target, "/v1/inquiries");
  // The inquiry carries the key it asks about in its body, under a fresh key of its own.
  EXPECT_EQ(parse(received[1].body).at("idempotency_key").as_string(), "pa_key_1");
  EXPECT_NE(received[1].header("idempotency-key"), "pa_key_1");
  EXPECT_EQ(received[1].header("idempotency-key").rfind("inq_", 0), 0u);
}

TEST(PspJsonConnector, TransportFailures) {
  // Refused: nothing sent → not_processed.
  auto refused =
      make_connector(account_for("http://127.0.0.1:" + std::to_string(testing::refused_port())),
                     std::make_shared<HttpClient>());
  EXPECT_EQ(refused->authorize(authorize_request()).outcome, Outcome::not_processed);

  // Dropped after reading the request → unknown, never not_processed.
  LocalServer dropping([](const ReceivedRequest&) { return Reply::close(); });
  dropping.start();
  auto dropped = make_connector(account_for(dropping.url()), std::make_shared<HttpClient>());
  EXPECT_EQ(dropped->authorize(authorize_request()).outcome, Outcome::unknown);
  EXPECT_EQ(dropped->capture(follow_up()).outcome, Outcome::unknown);
  EXPECT_EQ(dropped->resolve(authorize_request().context).outcome, Outcome::unknown);

  // Hanging → timeout → unknown.
  LocalServer hanging([](const ReceivedRequest&) { return Reply::hang(); });
  hanging.start();
  AccountConfig slow = account_for(hanging.url());
  slow.timeout = std::chrono::milliseconds(200);
  auto timed_out = make_connector(slow, std::make_shared<HttpClient>());
  const ProcessorResult timeout = timed_out->authorize(authorize_request());
  EXPECT_EQ(timeout.outcome, Outcome::unknown);
  EXPECT_GE(timeout.latency, std::chrono::milliseconds(190));

  // 503 → unknown.
  LocalServer unavailable(
      [](const ReceivedRequest&) { return Reply::json(503, error_body("service_unavailable")); });
  unavailable.start();
  auto down = make_connector(account_for(unavailable.url()), std::make_shared<HttpClient>());
  EXPECT_EQ(down->refund(follow_up(100)).outcome, Outcome::unknown);
}

TEST(PspJsonConnector, ARefusalAfterASilentResendIsUnknown) {
  // The first request on each connection is answered; a second request on a kept-alive
  // connection finds it closed unanswered (the processor may have acted on it), and libcurl
  // re-sends it on a new connection, where it is refused. The refusal speaks only for the
  // re-send: the outcome is unknown, never not_processed.
  LocalServer server([](const ReceivedRequest& request) {
    if (request.index_on_connection == 2) return Reply::close();
    if (request.connection >= 2) return Reply::json(429, error_body("rate_limited"));
    return Reply::json(200, authorization("authorized"));
  });
  server.start();
  auto connector = make_connector(account_for(server.url()), std::make_shared<HttpClient>());
  ASSERT_EQ(connector->authorize(authorize_request()).outcome, Outcome::approved);
  AuthorizeRequest second = authorize_request();
  second.context.idempotency_key = "pa_key_2";
  const ProcessorResult result = connector->authorize(second);
  EXPECT_EQ(result.outcome, Outcome::unknown) << result.message;
  EXPECT_NE(result.message.find("sent 2 times"), std::string::npos) << result.message;
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.connections_accepted(), 2u);
}

TEST(PspJsonConnector, ResolveSaysNotProcessedOnlyWhenTheKeyWasClosed) {
  // An inquiry that never reached the processor, or that it refused, learned nothing about
  // the original request: unknown, never not_processed.
  auto refused =
      make_connector(account_for("http://127.0.0.1:" + std::to_string(testing::refused_port())),
                     std::make_shared<HttpClient>());
  const ProcessorResult unreachable = refused->resolve(authorize_request().context);
  EXPECT_EQ(unreachable.outcome, Outcome::unknown) << unreachable.message;
  EXPECT_FALSE(unreachable.key_closed);

  const std::vector<std::pair<int, std::string>> refusals = {
      {401, error_body("unauthorized")},
      {400, error_body("parameter_missing")},
      {503, error_body("service_unavailable")}};
  for (const auto& [status, body] : refusals) {
    LocalServer server([status = status, body = body](const ReceivedRequest&) {
      return Reply::json(status, body);
    });
    server.start();
    auto connector = make_connector(account_for(server.url()), std::make_shared<HttpClient>());
    const ProcessorResult result = connector->resolve(authorize_request().context);
    EXPECT_EQ(result.outcome, Outcome::unknown) << status << ": " << result.message;
    EXPECT_FALSE(result.key_closed);
  }

  LocalServer closing([](const ReceivedRequest&) {
    return Reply::json(200, R"({"found":false,"cancelled":true})");
  });
  closing.start();
  auto connector = make_connector(account_for(closing.url()), std::make_shared<HttpClient>());
  const ProcessorResult closed = connector->resolve(authorize_request().context);
  EXPECT_EQ(closed.outcome, Outcome::not_processed);
  EXPECT_TRUE(closed.key_closed);
}

TEST(PspJsonConnector, RefusesBeforeSendingWhatIsMalformed) {
  LocalServer server(
      [](const ReceivedRequest&) { return Reply::json(200, authorization("authorized")); });
  server.start();
  auto connector = make_connector(account_for(server.url()), std::make_shared<HttpClient>());
  AuthorizeRequest no_key = authorize_request();
  no_key.context.idempotency_key = "";
  EXPECT_EQ(connector->authorize(no_key).outcome, Outcome::not_processed);
  AuthorizeRequest bad_card = authorize_request();
  bad_card.card.number = "4242-4242-4242-4242";
  const ProcessorResult refused = connector->authorize(bad_card);
  EXPECT_EQ(refused.outcome, Outcome::not_processed);
  EXPECT_EQ(refused.message.find("4242"), std::string::npos);
  FollowUpRequest bad_reference = follow_up();
  bad_reference.processor_reference = "../../admin/faults";
  EXPECT_EQ(connector->void_authorization(bad_reference).outcome, Outcome::not_processed);
  EXPECT_EQ(server.connections_accepted(), 0u);
}

}  // namespace
}  // namespace psp_json
}  // namespace till::connectors
