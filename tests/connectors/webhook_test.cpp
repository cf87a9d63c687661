// Processor webhooks on both wires: the Psp-Signature check (good, bad, stale, tampered,
// malformed, several v1, any header case) and strict parsing, each missing field refused
// with a reason that names it.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "connectors/psp_iso8583/codec.h"
#include "connectors/psp_json/codec.h"
#include "connectors/psp_signature.h"
#include "connectors/registry.h"

namespace till::connectors {
namespace {

using boost::json::object;

constexpr std::string_view kSecret = "pwhsec_test_secret";
constexpr std::int64_t kNow = 1'790'000'000;

std::string json_event(std::string_view status = "captured") {
  object data{
      {"id", "auth_abc"},        {"object", "authorization"}, {"idempotency_key", "pa_key_1"},
      {"reference", "pi_1"},     {"status", status},          {"amount", 2000},
      {"currency", "usd"},       {"captured_amount", 2000},   {"refunded_amount", 0},
      {"decline_code", nullptr}, {"message", nullptr},        {"created", kNow}};
  if (status == "declined") data["decline_code"] = "try_again_later";
  return boost::json::serialize(object{{"id", "pevt_1"},
                                       {"type", "authorization." + std::string(status)},
                                       {"created", kNow},
                                       {"data", data}});
}

std::string iso_advice(std::string_view status = "captured", std::string_view code = "00") {
  return boost::json::serialize(object{{"mti", "0620"},
                                       {"37", "RRN000000001"},
                                       {"39", code},
                                       {"4", "000000002000"},
                                       {"49", "840"},
                                       {"44", "pi_1"},
                                       {"status", status},
                                       {"message_id", "pa_key_1"},
                                       {"event_id", "pevt_2"},
                                       {"captured_amount", "000000002000"},
                                       {"refunded_amount", "000000000000"}});
}

std::map<std::string, std::string> signed_headers(std::string_view body, std::int64_t at = kNow,
                                                  std::string_view secret = kSecret) {
  return {{"Psp-Signature", psp_signature(secret, at, body)}};
}

// --- the signature ------------------------------------------------------------------------

TEST(PspSignature, FormatIsTimestampAndHexHmacOfTimestampDotBody) {
  const std::string header = psp_signature("key", 1700000000, "{}");
  EXPECT_EQ(header, "t=1700000000,v1=" + hmac_sha256_hex("key", "1700000000.{}"));
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PspSignature, Verification) {
  const std::string body = json_event();
  const std::string good = psp_signature(kSecret, kNow, body);
  std::string reason;
  EXPECT_TRUE(verify_psp_signature(good, body, kSecret, kNow, 300, reason)) << reason;
  EXPECT_TRUE(verify_psp_signature(good, body, kSecret, kNow + 300, 300, reason));
  EXPECT_TRUE(verify_psp_signature(good, body, kSecret, kNow - 300, 300, reason));

  auto rejected = [&](std::string_view header, std::string_view text, std::int64_t now,
                      std::string_view secret = kSecret) {
    std::string why;
    EXPECT_FALSE(verify_psp_signature(header, text, secret, now, 300, why)) << header;
    return why;
  };
  EXPECT_EQ(rejected(good, body, kNow + 301), "timestamp outside tolerance");
  EXPECT_EQ(rejected(good, body, kNow - 301), "timestamp outside tolerance");
  EXPECT_EQ(rejected(good, body + " ", kNow), "bad signature");  // tampered body
  std::string tampered = body;
  tampered[tampered.find("2000")] = '9';
  EXPECT_EQ(rejected(good, tampered, kNow), "bad signature");
  EXPECT_EQ(rejected(good, body, kNow, "pwhsec_other"), "bad signature");
  // A signature for another timestamp does not verify under this one.
  const std::string moved = "t=" + std::to_string(kNow + 1) + good.substr(good.find(','));
  EXPECT_EQ(rejected(moved, body, kNow), "bad signature");
  std::string flipped = good;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_EQ(rejected(flipped, body, kNow), "bad signature");
  EXPECT_EQ(rejected(good.substr(0, good.size() - 1), body, kNow), "bad signature");

  EXPECT_EQ(rejected("", body, kNow), "missing signature");
  for (const std::string& header : std::vector<std::string>{
           "garbage", "t=,v1=abc", "v1=" + hmac_sha256_hex(kSecret, body),
           "t=" + std::to_string(kNow), "t=abc,v1=00", "t=1,t=2,v1=00", std::string(5000, 'x')}) {
    EXPECT_EQ(rejected(header, body, kNow), "malformed signature header") << header;
  }
}

TEST(PspSignature, AnyMatchingV1IsEnoughAndOtherSchemesAreIgnored) {
  const std::string body = "{}";
  const std::string good = psp_signature(kSecret, kNow, body);
  const std::string v1 = good.substr(good.find("v1="));
  const std::string header =
      "t=" + std::to_string(kNow) + ",v0=zzz,v1=" + std::string(64, 'a') + "," + v1;
  std::string reason;
  EXPECT_TRUE(verify_psp_signature(header, body, kSecret, kNow, 300, reason)) << reason;
  EXPECT_TRUE(verify_psp_signature("t=" + std::to_string(kNow) + ", " + v1, body, kSecret, kNow,
                                   300, reason))
      << reason;
}

// --- the JSON wire's events -----------------------------------------------------------------

TEST(PspJsonWebhook, ParsesAVerifiedEvent) {
  const std::string body = json_event();
  WebhookRejection rejection;
  const auto update = psp_json::parse_webhook(body, signed_headers(body), kSecret, kNow, rejection);
  ASSERT_TRUE(update) << rejection.reason;
  EXPECT_EQ(update->event_id, "pevt_1");
  EXPECT_EQ(update->idempotency_key, "pa_key_1");
  EXPECT_EQ(update->processor_reference, "auth_abc");
  EXPECT_EQ(update->status, ProcessorStatus::captured);
  EXPECT_EQ(update->amount, 2000);
  EXPECT_EQ(update->captured_amount, 2000);
  EXPECT_EQ(update->decline_code, "");

  const std::string declined = json_event("declined");
  const auto decline =
      psp_json::parse_webhook(declined, signed_headers(declined), kSecret, kNow, rejection);
  ASSERT_TRUE(decline) << rejection.reason;
  EXPECT_EQ(decline->status, ProcessorStatus::declined);
  EXPECT_EQ(decline->raw_code, "try_again_later");
  EXPECT_EQ(decline->decline_code, "try_again_later");

  // Header names as a server may pass them: lower-cased.
  const auto lower = psp_json::parse_webhook(
      body, {{"psp-signature", psp_signature(kSecret, kNow, body)}}, kSecret, kNow, rejection);
  EXPECT_TRUE(lower) << rejection.reason;
}

TEST(PspJsonWebhook, RefusesUnsignedStaleAndTampered) {
  const std::string body = json_event();
  WebhookRejection rejection;
  EXPECT_FALSE(psp_json::parse_webhook(body, {}, kSecret, kNow, rejection));
  EXPECT_EQ(rejection.reason, "missing signature");
  EXPECT_FALSE(
      psp_json::parse_webhook(body, signed_headers(body, kNow - 600), kSecret, kNow, rejection));
  EXPECT_EQ(rejection.reason, "timestamp outside tolerance");
  EXPECT_FALSE(
      psp_json::parse_webhook(body + "\n", signed_headers(body), kSecret, kNow, rejection));
  EXPECT_EQ(rejection.reason, "bad signature");
  EXPECT_FALSE(
      psp_json::parse_webhook(body, signed_headers(body, kNow, "wrong"), kSecret, kNow, rejection));
  EXPECT_EQ(rejection.reason, "bad signature");
}

TEST(PspJsonWebhook, EachMissingFieldIsNamed) {
  struct Case {
    std::vector<std::string> path;  // field to remove ("data", "x" = data.x)
    std::string reason_part;
  };
  const Case cases[] = {
      {{"id"}, "field id is missing"},
      {{"type"}, "field type is missing"},
      {{"created"}, "field created is missing"},
      {{"data"}, "field data is missing"},
      {{"data", "id"}, "data: field id is missing"},
      {{"data", "status"}, "data: field status is missing"},
      {{"data", "amount"}, "data: field amount is missing"},
  };
  for (const Case& c : cases) {
    object event = boost::json::parse(json_event()).as_object();
    if (c.path.size() == 1) {
      event.erase(c.path[0]);
    } else {
      event.at("data").as_object().erase(c.path[1]);
    }
    const std::string body = boost::json::serialize(event);
    WebhookRejection rejection;
    EXPECT_FALSE(psp_json::parse_webhook(body, signed_headers(body), kSecret, kNow, rejection));
    EXPECT_EQ(rejection.reason, "malformed body: " + c.reason_part);
  }
  const std::string bodies[] = {"", "[]", "not json", R"({"id":"pevt_1"})",
                                R"({"id":"pevt_1","type":"charge.created","created":1,"data":{}})"};
  for (const std::string& body : bodies) {
    WebhookRejection rejection;
    EXPECT_FALSE(psp_json::parse_webhook(body, signed_headers(body), kSecret, kNow, rejection));
    EXPECT_EQ(rejection.reason.rfind("malformed body: ", 0), 0u) << rejection.reason;
  }
  const std::string huge(kWebhookBodyBytesMax + 1, ' ');
  WebhookRejection rejection;
  EXPECT_FALSE(psp_json::parse_webhook(huge, signed_headers(huge), kSecret, kNow, rejection));
  EXPECT_EQ(rejection.reason, "body too large");
}

// --- the ISO wire's advices ---------------------------------------------------------------

TEST(IsoWebhook, ParsesAVerifiedAdvice) {
  const std::string body = iso_advice();
  WebhookRejection rejection;
  const auto update =
      psp_iso8583::parse_webhook(body, signed_headers(body), kSecret, kNow, rejection);
  ASSERT_TRUE(update) << rejection.reason;
  EXPECT_EQ(update->event_id, "pevt_2");
  EXPECT_EQ(update->idempotency_key, "pa_key_1");
  EXPECT_EQ(update->processor_reference, "RRN000000001");
  EXPECT_EQ(update->status, ProcessorStatus::captured);
  EXPECT_EQ(update->raw_code, "00");
  EXPECT_EQ(update->amount, 2000);
  EXPECT_EQ(update->captured_amount, 2000);

  const std::string declined = iso_advice("declined", "51");
  const auto decline =
      psp_iso8583::parse_webhook(declined, signed_headers(declined), kSecret, kNow, rejection);
  ASSERT_TRUE(decline) << rejection.reason;
  EXPECT_EQ(decline->status, ProcessorStatus::declined);
  EXPECT_EQ(decline->raw_code, "51");
  EXPECT_EQ(decline->decline_code, "insufficient_funds");
}

TEST(IsoWebhook, RefusesBadSignaturesAndEachMissingField) {
  const std::string body = iso_advice();
  WebhookRejection rejection;
  EXPECT_FALSE(
      psp_iso8583::parse_webhook(body, signed_headers(body, kNow + 301), kSecret, kNow, rejection));
  EXPECT_EQ(rejection.reason, "timestamp outside tolerance");
  EXPECT_FALSE(psp_iso8583::parse_webhook(body, signed_headers(iso_advice("voided")), kSecret, kNow,
                                          rejection));
  EXPECT_EQ(rejection.reason, "bad signature");

  for (const std::string& field :
       std::vector<std::string>{"mti", "event_id", "37", "39", "4", "49", "status", "message_id"}) {
    object advice = boost::json::parse(iso_advice()).as_object();
    advice.erase(field);
    const std::string text = boost::json::serialize(advice);
    EXPECT_FALSE(psp_iso8583::parse_webhook(text, signed_headers(text), kSecret, kNow, rejection));
    EXPECT_EQ(rejection.reason, "malformed body: field " + field + " is missing");
  }
  object wrong_mti = boost::json::parse(iso_advice()).as_object();
  wrong_mti["mti"] = "0110";
  const std::string text = boost::json::serialize(wrong_mti);
  EXPECT_FALSE(psp_iso8583::parse_webhook(text, signed_headers(text), kSecret, kNow, rejection));
  EXPECT_EQ(rejection.reason, "malformed body: field mti is not 0620");
}

// --- through the connectors ---------------------------------------------------------------

TEST(ConnectorWebhooks, EachConnectorVerifiesWithItsAccountsSecret) {
  AccountConfig account;
  account.account_id = "ca_1";
  account.base_url = "http://127.0.0.1:1";
  account.credentials = {{"api_key", "k"}, {"webhook_secret", std::string(kSecret)}};
  WebhookRejection rejection;

  account.connector = "psp_json";
  auto json = make_connector(account);
  ASSERT_NE(json, nullptr);
  const std::string event = json_event();
  EXPECT_TRUE(json->parse_webhook(event, signed_headers(event), kNow, rejection))
      << rejection.reason;
  EXPECT_FALSE(json->parse_webhook(event, signed_headers(event, kNow, "other"), kNow, rejection));

  account.connector = "psp_iso8583";
  auto iso = make_connector(account);
  ASSERT_NE(iso, nullptr);
  const std::string advice = iso_advice();
  EXPECT_TRUE(iso->parse_webhook(advice, signed_headers(advice), kNow, rejection))
      << rejection.reason;
  // Each wire reads only its own shape.
  EXPECT_FALSE(iso->parse_webhook(event, signed_headers(event), kNow, rejection));
  EXPECT_FALSE(json->parse_webhook(advice, signed_headers(advice), kNow, rejection));

  account.connector = "sandbox_card";
  auto sandbox = make_connector(account);
  ASSERT_NE(sandbox, nullptr);
  EXPECT_FALSE(sandbox->parse_webhook(event, signed_headers(event), kNow, rejection));
  EXPECT_FALSE(rejection.reason.empty());
}

}  // namespace
}  // namespace till::connectors
