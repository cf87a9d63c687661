// The ISO-8583-style wire: field encoding (MTIs, 12-digit amounts, numeric currencies, YYMM
// expiries, a STAN fixed by the idempotency key), every response code's mapping, and the
// connector's calls against a scripted local processor.
#include "connectors/psp_iso8583/psp_iso8583.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>

#include "connectors/psp_iso8583/codec.h"
#include "connectors/registry.h"
#include "local_server.h"

namespace till::connectors {

[[maybe_unused]] static void PrintTo(Outcome outcome, std::ostream* out) {
  *out << to_string(outcome);
}
[[maybe_unused]] static void PrintTo(ProcessorStatus status, std::ostream* out) {
  *out << to_string(status);
}

namespace psp_iso8583 {
namespace {

using boost::json::object;
using testing::LocalServer;
using testing::ReceivedRequest;
using testing::Reply;

AuthorizeRequest authorize_request(bool capture = false) {
  AuthorizeRequest request;
  request.context.idempotency_key = "pa_key_1";
  request.amount = 2000;
  request.currency = "usd";
  request.capture = capture;
  request.reference = "pi_123";
  request.card.number = "4242424242424242";
  request.card.exp_month = 3;
  request.card.exp_year = 2031;
  return request;
}

FollowUpRequest follow_up(std::int64_t amount = 0) {
  FollowUpRequest request;
  request.context.idempotency_key = "op_key_1";
  request.processor_reference = "RRN000000001";
  request.amount = amount;
  request.currency = "usd";
  return request;
}

object parse(const std::string& body) { return boost::json::parse(body).as_object(); }

std::string reply_mti(const std::string& mti) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d", std::stoi(mti) + 10);
  return text;
}

// An answer to `sent` with response code `code` and extra fields.
std::string answer(const IsoMessage& sent, std::string_view code, object extra = {}) {
  object fields{{"mti", reply_mti(sent.mti)}, {"11", sent.stan},
                {"37", "RRN000000001"},       {"39", code},
                {"4", "000000002000"},        {"49", "840"}};
  for (auto& [key, value] : extra) fields[key] = value;
  return boost::json::serialize(fields);
}

// --- field helpers ------------------------------------------------------------------------

TEST(IsoFields, AmountsAreTwelveDigitsZeroPadded) {
  EXPECT_EQ(format_amount(2000), "000000002000");
  EXPECT_EQ(format_amount(0), "000000000000");
  EXPECT_EQ(format_amount(999'999'999'999), "999999999999");
  EXPECT_FALSE(format_amount(1'000'000'000'000));
  EXPECT_FALSE(format_amount(-1));
  EXPECT_EQ(parse_amount("000000002000"), 2000);
  EXPECT_FALSE(parse_amount("2000"));
  EXPECT_FALSE(parse_amount("00000000200x"));
  EXPECT_FALSE(parse_amount("-00000002000"));
}

TEST(IsoFields, CurrenciesAreNumeric) {
  EXPECT_EQ(numeric_currency("usd"), "840");
  EXPECT_EQ(numeric_currency("EUR"), "978");
  EXPECT_EQ(numeric_currency("jpy"), "392");
  EXPECT_EQ(numeric_currency("all"), "008");  // leading zeros kept
  EXPECT_FALSE(numeric_currency("usdc"));     // a token has no ISO number
  EXPECT_FALSE(numeric_currency("xyz"));
  EXPECT_EQ(alpha_currency("840"), "usd");
  EXPECT_EQ(alpha_currency("978"), "eur");
  EXPECT_FALSE(alpha_currency("84"));
  EXPECT_FALSE(alpha_currency("000"));
}

TEST(IsoFields, ExpiryIsYymm) {
  EXPECT_EQ(expiry_yymm(3, 2031), "3103");
  EXPECT_EQ(expiry_yymm(12, 2030), "3012");
  EXPECT_EQ(expiry_yymm(1, 2000), "0001");
  EXPECT_FALSE(expiry_yymm(0, 2030));
  EXPECT_FALSE(expiry_yymm(13, 2030));
  EXPECT_FALSE(expiry_yymm(1, 30));
  EXPECT_FALSE(expiry_yymm(1, 2100));
}

TEST(IsoFields, StanIsSixDigitsFixedByTheKey) {
  const std::string stan = stan_for("pa_key_1");
  EXPECT_EQ(stan.size(), 6u);
  EXPECT_EQ(stan.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_EQ(stan_for("pa_key_1"), stan);
  EXPECT_NE(stan_for("pa_key_2"), stan);
}

// --- encoding ------------------------------------------------------------------------------

TEST(IsoEncode, AuthorizationAndPurchase) {
  auto message = encode_authorize(authorize_request(false));
  ASSERT_TRUE(message) << message.error();
  EXPECT_EQ(message->mti, "0100");
  const object fields = parse(message->body);
  EXPECT_EQ(fields.at("mti").as_string(), "0100");
  EXPECT_EQ(fields.at("2").as_string(), "4242424242424242");
  EXPECT_EQ(fields.at("3").as_string(), "000000");
  EXPECT_EQ(fields.at("4").as_string(), "000000002000");
  EXPECT_EQ(fields.at("11").as_string(), stan_for("pa_key_1"));
  EXPECT_EQ(message->stan, stan_for("pa_key_1"));
  EXPECT_EQ(fields.at("14").as_string(), "3103");
  EXPECT_EQ(fields.at("44").as_string(), "pi_123");
  EXPECT_EQ(fields.at("49").as_string(), "840");
  EXPECT_EQ(encode_authorize(authorize_request(false))->body, message->body);  // deterministic

  auto purchase = encode_authorize(authorize_request(true));
  ASSERT_TRUE(purchase);
  EXPECT_EQ(purchase->mti, "0200");
  EXPECT_EQ(parse(purchase->body).at("3").as_string(), "000000");
}

TEST(IsoEncode, AuthorizeRefusals) {
  AuthorizeRequest request = authorize_request();
  request.currency = "usdc";
  EXPECT_FALSE(encode_authorize(request));
  request = authorize_request();
  request.amount = 1'000'000'000'000;
  EXPECT_FALSE(encode_authorize(request));
  request = authorize_request();
  request.card.exp_month = 13;
  EXPECT_FALSE(encode_authorize(request));
  request = authorize_request();
  request.card.number = "4242x";
  auto refused = encode_authorize(request);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().find("4242"), std::string::npos);
}

TEST(IsoEncode, FollowUps) {
  auto capture = encode_capture(follow_up(1500));
  ASSERT_TRUE(capture);
  EXPECT_EQ(capture->mti, "0220");
  object fields = parse(capture->body);
  EXPECT_EQ(fields.at("mti").as_string(), "0220");
  EXPECT_EQ(fields.at("37").as_string(), "RRN000000001");
  EXPECT_EQ(fields.at("4").as_string(), "000000001500");
  EXPECT_EQ(fields.at("49").as_string(), "840");
  EXPECT_EQ(fields.at("11").as_string(), stan_for("op_key_1"));
  EXPECT_FALSE(parse(encode_capture(follow_up(0))->body).contains("4"));  // all

  auto reversal = encode_void(follow_up());
  ASSERT_TRUE(reversal);
  EXPECT_EQ(reversal->mti, "0400");
  EXPECT_EQ(parse(reversal->body).at("37").as_string(), "RRN000000001");

  auto refund = encode_refund(follow_up(700));
  ASSERT_TRUE(refund);
  EXPECT_EQ(refund->mti, "0200");
  fields = parse(refund->body);
  EXPECT_EQ(fields.at("3").as_string(), "200000");
  EXPECT_EQ(fields.at("4").as_string(), "000000000700");
  EXPECT_EQ(fields.at("37").as_string(), "RRN000000001");
  EXPECT_FALSE(encode_refund(follow_up(0)));

  FollowUpRequest hostile = follow_up();
  hostile.processor_reference = "a\"b";
  EXPECT_FALSE(encode_void(hostile));
}

TEST(IsoEncode, Inquiry) {
  auto inquiry = encode_inquiry("pa_key_1", "inq_abc");
  ASSERT_TRUE(inquiry);
  EXPECT_EQ(inquiry->mti, "0420");
  const object fields = parse(inquiry->body);
  EXPECT_EQ(fields.at("90").as_string(), "pa_key_1");
  EXPECT_EQ(fields.at("11").as_string(), stan_for("inq_abc"));
  EXPECT_FALSE(encode_inquiry("", "inq_abc"));
}

// --- decoding ------------------------------------------------------------------------------

TEST(IsoDecode, Approvals) {
  const IsoMessage auth = *encode_authorize(authorize_request(false));
  const ProcessorResult authorized =
      decode_response(Operation::authorize, auth, 200, answer(auth, "00", {{"38", "123456"}}));
  EXPECT_EQ(authorized.outcome, Outcome::approved);
  EXPECT_EQ(authorized.status, ProcessorStatus::authorized);
  EXPECT_EQ(authorized.processor_reference, "RRN000000001");
  EXPECT_EQ(authorized.amount, 2000);
  EXPECT_EQ(authorized.raw_code, "00");

  const IsoMessage purchase = *encode_authorize(authorize_request(true));
  const ProcessorResult captured =
      decode_response(Operation::authorize, purchase, 200, answer(purchase, "00"));
  EXPECT_EQ(captured.outcome, Outcome::approved);
  EXPECT_EQ(captured.status, ProcessorStatus::captured);
  EXPECT_EQ(captured.captured_amount, 2000);

  const IsoMessage capture = *encode_capture(follow_up(2000));
  const ProcessorResult completed =
      decode_response(Operation::capture, capture, 200, answer(capture, "00"));
  EXPECT_EQ(completed.outcome, Outcome::approved);
  EXPECT_EQ(completed.status, ProcessorStatus::captured);

  const IsoMessage reversal = *encode_void(follow_up());
  const ProcessorResult voided =
      decode_response(Operation::void_authorization, reversal, 200, answer(reversal, "00"));
  EXPECT_EQ(voided.outcome, Outcome::approved);
  EXPECT_EQ(voided.status, ProcessorStatus::voided);

  const IsoMessage refund = *encode_refund(follow_up(700));
  const ProcessorResult refunded = decode_response(Operation::refund, refund, 200,
                                                   answer(refund, "00", {{"4", "000000000700"}}));
  EXPECT_EQ(refunded.outcome, Outcome::approved);
  EXPECT_EQ(refunded.status, ProcessorStatus::refunded);
  EXPECT_EQ(refunded.refunded_amount, 700);

  // The processor's own status and totals win over what the MTI implies.
  const ProcessorResult with_totals =
      decode_response(Operation::refund, refund, 200,
                      answer(refund, "00",
                             {{"status", "partially_refunded"},
                              {"captured_amount", "000000002000"},
                              {"refunded_amount", "000000000900"}}));
  EXPECT_EQ(with_totals.status, ProcessorStatus::refunded);
  EXPECT_EQ(with_totals.captured_amount, 2000);
  EXPECT_EQ(with_totals.refunded_amount, 900);
}

TEST(IsoDecode, EveryResponseCodeSoftOrHard) {
  struct Case {
    std::string_view code;
    std::string_view decline_code;
    bool soft;
  };
  const Case cases[] = {
      {"05", "generic_decline", true},
      {"91", "try_again_later", true},
      {"96", "processing_error", true},
      {"51", "insufficient_funds", false},
      {"54", "expired_card", false},
      {"43", "stolen_card", false},
      {"41", "lost_card", false},
      {"14", "incorrect_number", false},
      {"1A", "authentication_required", false},
      {"62", "generic_decline", false},  // unknown: hard
  };
  const IsoMessage sent = *encode_authorize(authorize_request());
  for (const Case& c : cases) {
    const ProcessorResult result =
        decode_response(Operation::authorize, sent, 200, answer(sent, c.code));
    EXPECT_EQ(result.outcome, Outcome::declined) << c.code;
    EXPECT_EQ(result.status, ProcessorStatus::declined) << c.code;
    EXPECT_EQ(result.soft, c.soft) << c.code;
    EXPECT_EQ(result.decline_code, c.decline_code) << c.code;
    EXPECT_EQ(result.raw_code, c.code);
  }
}

TEST(IsoDecode, RefusedFollowUpIsNotACardDecline) {
  const IsoMessage capture = *encode_capture(follow_up(2000));
  const ProcessorResult refused =
      decode_response(Operation::capture, capture, 200, answer(capture, "12"));
  EXPECT_EQ(refused.outcome, Outcome::declined);
  EXPECT_FALSE(refused.soft);
  EXPECT_EQ(refused.decline_code, "");
  const ProcessorResult missing =
      decode_response(Operation::capture, capture, 200, answer(capture, "25"));
  EXPECT_EQ(missing.outcome, Outcome::not_processed);
  EXPECT_FALSE(missing.key_closed);  // only an inquiry closes a key
}

TEST(IsoDecode, Inquiry) {
  const IsoMessage inquiry = *encode_inquiry("pa_key_1", "inq_1");
  const ProcessorResult found = decode_response(Operation::inquiry, inquiry, 200,
                                                answer(inquiry, "00", {{"status", "authorized"}}));
  EXPECT_EQ(found.outcome, Outcome::approved);
  EXPECT_EQ(found.status, ProcessorStatus::authorized);
  EXPECT_EQ(found.processor_reference, "RRN000000001");

  const ProcessorResult declined = decode_response(Operation::inquiry, inquiry, 200,
                                                   answer(inquiry, "51", {{"status", "declined"}}));
  EXPECT_EQ(declined.outcome, Outcome::declined);
  EXPECT_EQ(declined.decline_code, "insufficient_funds");

  object not_found{{"mti", "0430"}, {"11", inquiry.stan}, {"39", "25"}};
  const ProcessorResult cancelled =
      decode_response(Operation::inquiry, inquiry, 200, boost::json::serialize(not_found));
  EXPECT_EQ(cancelled.outcome, Outcome::not_processed);
  EXPECT_TRUE(cancelled.key_closed);
  EXPECT_EQ(cancelled.raw_code, "25");
  EXPECT_FALSE(found.key_closed);

  // Found, but which state? Without status the answer cannot be used.
  EXPECT_EQ(decode_response(Operation::inquiry, inquiry, 200, answer(inquiry, "00")).outcome,
            Outcome::unknown);
}

TEST(IsoDecode, MismatchedOrUnreadableAnswersAreUnknown) {
  const IsoMessage sent = *encode_authorize(authorize_request());
  object wrong_mti = parse(answer(sent, "00"));
  wrong_mti["mti"] = "0210";
  object wrong_stan = parse(answer(sent, "00"));
  wrong_stan["11"] = "999999";
  object no_code = parse(answer(sent, "00"));
  no_code.erase("39");
  object no_reference = parse(answer(sent, "00"));
  no_reference.erase("37");
  object bad_amount = parse(answer(sent, "00"));
  bad_amount["4"] = "2000";
  object bad_status = parse(answer(sent, "00"));
  bad_status["status"] = "exploded";
  for (const object& body :
       {wrong_mti, wrong_stan, no_code, no_reference, bad_amount, bad_status}) {
    const std::string text = boost::json::serialize(body);
    EXPECT_EQ(decode_response(Operation::authorize, sent, 200, text).outcome, Outcome::unknown)
        << text;
  }
  EXPECT_EQ(decode_response(Operation::authorize, sent, 200, "garbage").outcome, Outcome::unknown);
}

TEST(IsoDecode, ErrorStatuses) {
  const IsoMessage sent = *encode_authorize(authorize_request());
  EXPECT_EQ(decode_response(Operation::authorize, sent, 401,
                            R"({"error":{"code":"unauthorized","message":"invalid key"}})")
                .outcome,
            Outcome::not_processed);
  const ProcessorResult cancelled = decode_response(
      Operation::authorize, sent, 409,
      R"({"error":{"code":"idempotency_key_cancelled","message":"closed by an inquiry"}})");
  EXPECT_EQ(cancelled.outcome, Outcome::not_processed);
  EXPECT_EQ(cancelled.raw_code, "idempotency_key_cancelled");
  EXPECT_EQ(decode_response(Operation::authorize, sent, 400, "").outcome, Outcome::not_processed);
  EXPECT_EQ(decode_response(Operation::authorize, sent, 500, "").outcome, Outcome::unknown);
  EXPECT_EQ(decode_response(Operation::authorize, sent, 503,
                            R"({"error":{"code":"service_unavailable","message":"down"}})")
                .outcome,
            Outcome::unknown);
  EXPECT_EQ(decode_response(Operation::authorize, sent, 503, "").outcome, Outcome::unknown);
}

// --- the connector against a scripted processor ---------------------------------------------

AccountConfig account_for(const std::string& url) {
  AccountConfig account;
  account.account_id = "ca_iso";
  account.connector = "psp_iso8583";
  account.base_url = url;
  account.credentials = {{"api_key", "psk_test_iso"}, {"webhook_secret", "pwhsec_y"}};
  account.timeout = std::chrono::milliseconds(2000);
  return account;
}

TEST(IsoConnector, SendsHeadersAndMessagesAndMapsAnswers) {
  LocalServer server([](const ReceivedRequest& request) {
    const object fields = parse(request.body);
    const std::string mti(fields.at("mti").as_string());
    object reply{{"mti", mti == "0100" ? "0110" : "0430"}, {"11", fields.at("11")}};
    if (mti == "0100") {
      reply["37"] = "RRN000000007";
      reply["39"] = "00";
      reply["4"] = fields.at("4");
      reply["49"] = fields.at("49");
    } else {
      reply["39"] = "25";
    }
    return Reply::json(200, boost::json::serialize(reply));
  });
  server.start();
  auto connector = make_connector(account_for(server.url()), std::make_shared<HttpClient>());
  ASSERT_NE(connector, nullptr);
  EXPECT_EQ(connector->name(), "psp_iso8583");
  const ProcessorResult authorized = connector->authorize(authorize_request());
  EXPECT_EQ(authorized.outcome, Outcome::approved) << authorized.message;
  EXPECT_EQ(authorized.processor_reference, "RRN000000007");
  const ProcessorResult resolved = connector->resolve(authorize_request().context);
  EXPECT_EQ(resolved.outcome, Outcome::not_processed) << resolved.message;

  const auto received = server.requests();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].target, "/iso/v1/messages");
  EXPECT_EQ(received[0].header("x-acquirer-key"), "psk_test_iso");
  EXPECT_EQ(received[0].header("x-message-id"), "pa_key_1");
  EXPECT_TRUE(is_valid_traceparent(received[0].header("traceparent")));
  EXPECT_EQ(received[0].header("authorization"), "");
  EXPECT_EQ(parse(received[1].body).at("90").as_string(), "pa_key_1");
  EXPECT_EQ(received[1].header("x-message-id").rfind("inq_", 0), 0u);
}

TEST(IsoConnector, DroppedIsUnknownRefusedIsNotProcessed) {
  LocalServer dropping([](const ReceivedRequest&) { return Reply::close(); });
  dropping.start();
  auto dropped = make_connector(account_for(dropping.url()), std::make_shared<HttpClient>());
  EXPECT_EQ(dropped->authorize(authorize_request()).outcome, Outcome::unknown);
  auto refused =
      make_connector(account_for("http://127.0.0.1:" + std::to_string(testing::refused_port())),
                     std::make_shared<HttpClient>());
  EXPECT_EQ(refused->authorize(authorize_request()).outcome, Outcome::not_processed);
  // An inquiry that never reached the processor learned nothing.
  EXPECT_EQ(refused->resolve(authorize_request().context).outcome, Outcome::unknown);
}

}  // namespace
}  // namespace psp_iso8583
}  // namespace till::connectors
