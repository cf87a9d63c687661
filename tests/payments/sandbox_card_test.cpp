// Test cards: Stripe's numbers and test ids select the documented outcomes; bad card details
// are refused naming the parameter; nothing returned contains the number.
#include "payments/sandbox_card.h"

#include <gtest/gtest.h>

namespace till::payments {
namespace {

constexpr std::int64_t kYear = 2026;
constexpr std::int64_t kMonth = 11;

TestCard card(const std::string& number) {
  auto made = test_card_from_details({number, 12, kYear + 1, "123"}, "card", kYear, kMonth);
  EXPECT_TRUE(made) << (made ? "" : made.error().message);
  return made ? *made : TestCard{};
}

TEST(SandboxCard, NumbersSelectStripesOutcomes) {
  const SandboxCardProcessor processor;
  struct Case {
    std::string number;
    bool approved;
    std::string code, decline_code;
  };
  const Case cases[] = {
      {"4242424242424242", true, "", ""},
      {"4000000000000002", false, "card_declined", "generic_decline"},
      {"4000000000009995", false, "card_declined", "insufficient_funds"},
      {"4000000000000069", false, "expired_card", "expired_card"},
      {"4000000000000119", false, "processing_error", "processing_error"},
  };
  for (const Case& c : cases) {
    const AuthorizationResult result = processor.authorize(card(c.number), false);
    EXPECT_EQ(result.approved, c.approved) << c.number;
    EXPECT_EQ(result.failure_code, c.code) << c.number;
    EXPECT_EQ(result.decline_code, c.decline_code) << c.number;
    EXPECT_FALSE(result.requires_authentication);
    EXPECT_FALSE(result.network_status.empty());
  }
}

TEST(SandboxCard, ThreeDSecureCardNeedsAuthenticationThenApproves) {
  const SandboxCardProcessor processor;
  const TestCard secure = card("4000002500003155");
  EXPECT_TRUE(processor.authorize(secure, false).requires_authentication);
  EXPECT_FALSE(processor.authorize(secure, false).approved);
  EXPECT_TRUE(processor.authorize(secure, true).approved);
}

TEST(SandboxCard, BrandsLast4AndFingerprints) {
  EXPECT_EQ(card("4242424242424242").brand, "visa");
  EXPECT_EQ(card("5555555555554444").brand, "mastercard");
  EXPECT_EQ(card("378282246310005").brand, "amex");
  EXPECT_EQ(card("6011111111111117").brand, "discover");
  EXPECT_EQ(card("4242 4242 4242 4242").last4, "4242");
  EXPECT_EQ(card("4242424242424242").fingerprint, card("4242-4242-4242-4242").fingerprint);
  EXPECT_NE(card("4242424242424242").fingerprint, card("5555555555554444").fingerprint);
  EXPECT_EQ(card("4242424242424242").fingerprint.find("4242424242424242"), std::string::npos);
}

TEST(SandboxCard, BadDetailsNameTheParameter) {
  auto refused = [](CardDetails details) {
    auto made = test_card_from_details(details, "card", kYear, kMonth);
    EXPECT_FALSE(made);
    return made ? api::ApiError{} : made.error();
  };
  api::ApiError error = refused({"4242424242424241", 12, kYear + 1, "123"});  // Luhn
  EXPECT_EQ(error.status, 402u);
  EXPECT_EQ(error.type, "card_error");
  EXPECT_EQ(error.code, "incorrect_number");
  EXPECT_EQ(error.param, "card[number]");
  EXPECT_EQ(error.message.find("4242424242424241"), std::string::npos);
  EXPECT_EQ(refused({"42424242x4242424", 12, kYear + 1, ""}).code, "invalid_number");
  EXPECT_EQ(refused({"4242424242424242", 13, kYear + 1, ""}).param, "card[exp_month]");
  EXPECT_EQ(refused({"4242424242424242", 10, kYear, ""}).code, "invalid_expiry_year");
  EXPECT_EQ(refused({"4242424242424242", 1, kYear - 1, ""}).param, "card[exp_year]");
  EXPECT_EQ(refused({"4242424242424242", 12, kYear + 1, "12"}).code, "invalid_cvc");
  // The current month is still valid; two-digit years are read as 20xx.
  EXPECT_TRUE(
      test_card_from_details({"4242424242424242", kMonth, kYear, ""}, "card", kYear, kMonth));
  auto two_digit = test_card_from_details({"4242424242424242", 12, 30, ""}, "card", kYear, kMonth);
  ASSERT_TRUE(two_digit);
  EXPECT_EQ(two_digit->exp_year, 2030);
}

TEST(SandboxCard, StripeTestIds) {
  const SandboxCardProcessor processor;
  const std::pair<std::string, std::string> cases[] = {
      {"pm_card_visa", ""},
      {"pm_card_mastercard", ""},
      {"pm_card_amex", ""},
      {"pm_card_chargeDeclined", "generic_decline"},
      {"pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"},
      {"pm_card_chargeDeclinedExpiredCard", "expired_card"},
      {"pm_card_chargeDeclinedProcessingError", "processing_error"},
      {"tok_visa", ""},
  };
  for (const auto& [id, decline_code] : cases) {
    auto found = test_card_for_id(id, kYear);
    ASSERT_TRUE(found) << id;
    EXPECT_EQ(processor.authorize(*found, false).decline_code, decline_code) << id;
    EXPECT_GT(found->exp_year, kYear);
  }
  EXPECT_EQ(test_card_for_id("pm_card_amex", kYear)->brand, "amex");
  EXPECT_FALSE(test_card_for_id("pm_card_nonsense", kYear));
  EXPECT_FALSE(test_card_for_id("pm_123", kYear));
}

TEST(SandboxCard, BehaviourNamesRoundTrip) {
  for (auto behaviour :
       {CardBehaviour::approve, CardBehaviour::decline_generic,
        CardBehaviour::decline_insufficient_funds, CardBehaviour::decline_expired_card,
        CardBehaviour::decline_processing_error, CardBehaviour::require_authentication}) {
    EXPECT_EQ(parse_card_behaviour(to_string(behaviour)), behaviour);
  }
}

}  // namespace
}  // namespace till::payments
