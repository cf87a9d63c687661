// The ISO-8583-style wire against a real `till sandbox-psp` process.
#include <gtest/gtest.h>

#include <regex>

#include "psp_fixture.h"

namespace till::sandbox_psp::testing {
namespace {

class IsoWire : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { psp_ = start_psp("", "", "iso8583").release(); }
  static void TearDownTestSuite() {
    delete psp_;
    psp_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(psp_->started()) << psp_->captured_stderr();
    ASSERT_EQ(psp_->clear_faults(), 200);
  }

  static std::string id(const std::string& label) {
    static int counter = 0;
    return label + "-" + std::to_string(++counter) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  }

  static boost::json::object send(const std::string& message, const std::string& message_id) {
    const auto response = psp_->iso_call(message, message_id);
    EXPECT_TRUE(response);
    if (response) {
      EXPECT_EQ(response->status, 200) << response->body;
    }
    return parse(response);
  }

  static SandboxPspProcess* psp_;
};

SandboxPspProcess* IsoWire::psp_ = nullptr;

TEST_F(IsoWire, AuthorizeCompleteRefundAndLookUp) {
  const std::string auth_id = id("m");
  const auto answer = send(iso_purchase(kVisa, "000000005000", false, "978", "000123"), auth_id);
  EXPECT_EQ(str(answer, "mti"), "0110");
  EXPECT_EQ(str(answer, "11"), "000123");
  EXPECT_EQ(str(answer, "4"), "000000005000");
  EXPECT_EQ(str(answer, "49"), "978");
  EXPECT_EQ(str(answer, "39"), "00");
  EXPECT_EQ(str(answer, "44"), "pi_iso");
  EXPECT_EQ(str(answer, "status"), "authorized");
  EXPECT_TRUE(std::regex_match(str(answer, "38"), std::regex("[0-9]{6}")));
  const std::string rrn = str(answer, "37");
  EXPECT_TRUE(std::regex_match(rrn, std::regex("[0-9A-Za-z]{12}"))) << rrn;

  const auto completion = send(iso_follow_up("0220", rrn, "000000003000"), id("m"));
  EXPECT_EQ(str(completion, "mti"), "0230");
  EXPECT_EQ(str(completion, "39"), "00");
  EXPECT_EQ(str(completion, "37"), rrn);
  EXPECT_EQ(str(completion, "4"), "000000003000");
  EXPECT_EQ(str(completion, "status"), "captured");
  EXPECT_EQ(str(completion, "captured_amount"), "000000003000");

  const auto refund = send(iso_follow_up("0200", rrn, "000000001000", "200000"), id("m"));
  EXPECT_EQ(str(refund, "mti"), "0210");
  EXPECT_EQ(str(refund, "39"), "00");
  EXPECT_EQ(str(refund, "4"), "000000001000");
  EXPECT_EQ(str(refund, "status"), "partially_refunded");
  EXPECT_EQ(str(refund, "refunded_amount"), "000000001000");

  const auto too_much = send(iso_follow_up("0200", rrn, "000000002001", "200000"), id("m"));
  EXPECT_EQ(str(too_much, "39"), "13");

  auto looked_up = parse(till::testing::http_request(
      psp_->port(), "GET", "/iso/v1/transactions/" + rrn, "X-Acquirer-Key: psk_test_a\r\n"));
  EXPECT_EQ(str(looked_up, "37"), rrn);
  EXPECT_EQ(str(looked_up, "status"), "partially_refunded");
  EXPECT_EQ(str(looked_up, "message_id"), auth_id);
  EXPECT_EQ(str(looked_up, "4"), "000000005000");
  looked_up = parse(till::testing::http_request(psp_->port(), "GET",
                                                "/iso/v1/transactions?message_id=" + auth_id,
                                                "X-Acquirer-Key: psk_test_a\r\n"));
  EXPECT_EQ(str(looked_up, "37"), rrn);
  const auto unknown = till::testing::http_request(
      psp_->port(), "GET", "/iso/v1/transactions/AAAAAAAAAAAA", "X-Acquirer-Key: psk_test_a\r\n");
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(IsoWire, SaleReversalAndRefusals) {
  const auto sale = send(iso_purchase(kVisa, "000000001500", true), id("m"));
  EXPECT_EQ(str(sale, "mti"), "0210");
  EXPECT_EQ(str(sale, "status"), "captured");
  EXPECT_EQ(str(sale, "captured_amount"), "000000001500");
  // A captured sale cannot be reversed or completed again.
  EXPECT_EQ(str(send(iso_follow_up("0400", str(sale, "37")), id("m")), "39"), "12");
  EXPECT_EQ(str(send(iso_follow_up("0220", str(sale, "37")), id("m")), "39"), "12");

  const auto auth = send(iso_purchase(kVisa), id("m"));
  const auto reversal = send(iso_follow_up("0400", str(auth, "37")), id("m"));
  EXPECT_EQ(str(reversal, "mti"), "0410");
  EXPECT_EQ(str(reversal, "39"), "00");
  EXPECT_EQ(str(reversal, "status"), "voided");
  EXPECT_EQ(str(reversal, "4"), "000000002000");

  const auto big = send(iso_purchase(kVisa, "000000001000"), id("m"));
  EXPECT_EQ(str(send(iso_follow_up("0220", str(big, "37"), "000000001001"), id("m")), "39"), "13");
  const auto nowhere = send(iso_follow_up("0220", "ZZZZZZZZZZZZ"), id("m"));
  EXPECT_EQ(str(nowhere, "39"), "25");
  EXPECT_EQ(str(nowhere, "mti"), "0230");
}

TEST_F(IsoWire, EveryCardOutcomeAsResponseCodes) {
  const std::pair<const char*, const char*> codes[] = {
      {kVisa, "00"},
      {kGenericDecline, "05"},
      {kInsufficientFunds, "51"},
      {kExpiredCard, "54"},
      {kStolenCard, "43"},
      {kLostCard, "41"},
      {kProcessingError, "96"},
      {kNeeds3ds, "1A"},
      {kNotLuhn, "14"},
  };
  for (const auto& [pan, code] : codes) {
    const auto answer = send(iso_purchase(pan), id("m"));
    EXPECT_EQ(str(answer, "39"), code) << pan;
    EXPECT_EQ(str(answer, "status"), std::string(code) == "00" ? "authorized" : "declined");
    EXPECT_EQ(answer.contains("38"), std::string(code) == "00");
  }
  // 3-D Secure completed ("3ds": true) approves the authentication-required card.
  boost::json::object message = boost::json::parse(iso_purchase(kNeeds3ds)).as_object();
  message["3ds"] = true;
  EXPECT_EQ(str(send(boost::json::serialize(message), id("m")), "39"), "00");
  // Expiry in the past (field 14 YYMM).
  message = boost::json::parse(iso_purchase(kVisa)).as_object();
  message["14"] = "2001";
  EXPECT_EQ(str(send(boost::json::serialize(message), id("m")), "39"), "54");
}

TEST_F(IsoWire, ReversalOfAnUnknownMessageClosesIt) {
  const std::string original = id("orig");
  const auto unknown = send(boost::json::serialize(boost::json::object{
                                {"mti", "0420"}, {"11", "000009"}, {"90", original}}),
                            id("inq"));
  EXPECT_EQ(str(unknown, "mti"), "0430");
  EXPECT_EQ(str(unknown, "39"), "25");
  EXPECT_EQ(str(unknown, "90"), original);
  // The original arrives late: refused, nothing authorized.
  const auto late = psp_->iso_call(iso_purchase(kVisa), original);
  EXPECT_EQ(late->status, 409);
  EXPECT_EQ(error_code(late), "idempotency_key_cancelled");
  const auto lookup = till::testing::http_request(psp_->port(), "GET",
                                                  "/iso/v1/transactions?message_id=" + original,
                                                  "X-Acquirer-Key: psk_test_a\r\n");
  EXPECT_EQ(lookup->status, 404);

  // A processed original is found: its fields, its own response code in 39.
  const std::string approved_id = id("ok");
  const auto approved = send(iso_purchase(kVisa), approved_id);
  const auto found = send(boost::json::serialize(boost::json::object{
                              {"mti", "0420"}, {"11", "000010"}, {"90", approved_id}}),
                          id("inq"));
  EXPECT_EQ(str(found, "39"), "00");
  EXPECT_EQ(str(found, "37"), str(approved, "37"));
  EXPECT_EQ(str(found, "status"), "authorized");
  const std::string declined_id = id("no");
  send(iso_purchase(kInsufficientFunds), declined_id);
  const auto found_declined = send(boost::json::serialize(boost::json::object{
                                       {"mti", "0420"}, {"11", "000011"}, {"90", declined_id}}),
                                   id("inq"));
  EXPECT_EQ(str(found_declined, "39"), "51");
  EXPECT_EQ(str(found_declined, "status"), "declined");
}

TEST_F(IsoWire, ReplayAndMismatch) {
  const std::string message_id = id("dup");
  const auto first = psp_->iso_call(iso_purchase(kVisa), message_id);
  const auto again = psp_->iso_call(iso_purchase(kVisa), message_id);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(again->body, first->body);
  EXPECT_EQ(again->header("idempotent-replayed"), "true");
  const auto other = psp_->iso_call(iso_purchase(kVisa, "000000002001"), message_id);
  EXPECT_EQ(other->status, 409);
  EXPECT_EQ(error_code(other), "idempotency_key_reused");
}

TEST_F(IsoWire, CredentialsAndBadFields) {
  const auto no_key = till::testing::http_request(psp_->port(), "POST", "/iso/v1/messages",
                                                  "X-Message-Id: x\r\n", iso_purchase(kVisa));
  EXPECT_EQ(no_key->status, 401);
  const auto bearer = till::testing::http_request(
      psp_->port(), "POST", "/iso/v1/messages",
      "Authorization: Bearer psk_test_a\r\nX-Message-Id: x\r\n", iso_purchase(kVisa));
  EXPECT_EQ(bearer->status, 401);  // the ISO wire's credential is X-Acquirer-Key
  const auto no_id = psp_->iso_call(iso_purchase(kVisa), "");
  EXPECT_EQ(no_id->status, 400);
  EXPECT_EQ(error_param(no_id), "X-Message-Id");

  const auto with = [](std::string field, boost::json::value value) {
    boost::json::object message = boost::json::parse(iso_purchase(kVisa)).as_object();
    if (value.is_null()) {
      message.erase(field);
    } else {
      message[field] = std::move(value);
    }
    return boost::json::serialize(message);
  };
  const std::pair<std::string, std::string> cases[] = {
      {with("mti", "0800"), "mti"},
      {with("mti", nullptr), "mti"},
      {with("2", nullptr), "2"},
      {with("2", "4242-4242"), "2"},
      {with("3", "300000"), "3"},
      {with("4", "2000"), "4"},
      {with("4", "000000000000"), "4"},
      {with("4", 2000), "4"},
      {with("11", "12"), "11"},
      {with("14", "4013"), "14"},
      {with("44", nullptr), "44"},
      {with("49", "999"), "49"},
      {with("49", "usd"), "49"},
      {with("3ds", "yes"), "3ds"},
      {with("55", "x"), "55"},
      {iso_follow_up("0220", "short"), "37"},
      {boost::json::serialize(boost::json::object{{"mti", "0420"}, {"11", "000001"}}), "90"},
  };
  for (const auto& [message, field] : cases) {
    const auto response = psp_->iso_call(message, id("bad"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400) << message;
    EXPECT_EQ(error_param(response), field) << message << " -> " << response->body;
  }
  // A follow-up in another currency than the original's.
  const auto auth = send(iso_purchase(kVisa), id("m"));
  boost::json::object capture =
      boost::json::parse(iso_follow_up("0220", str(auth, "37"))).as_object();
  capture["49"] = "978";
  const auto mismatch = psp_->iso_call(boost::json::serialize(capture), id("m"));
  EXPECT_EQ(mismatch->status, 400);
  EXPECT_EQ(error_param(mismatch), "49");
}

}  // namespace
}  // namespace till::sandbox_psp::testing
