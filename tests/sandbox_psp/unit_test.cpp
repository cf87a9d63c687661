// The sandbox processor's pure parts: the card table, currencies, the settlement fee and file
// names, fault parsing and draws, webhook signatures and back-off.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "sandbox_psp/cards.h"
#include "sandbox_psp/faults.h"
#include "sandbox_psp/processor.h"
#include "sandbox_psp/settlement.h"
#include "sandbox_psp/webhooks.h"

namespace till::sandbox_psp {
namespace {

CardDecision decide_now(std::string_view number, bool authenticated = false,
                        std::int64_t exp_year = 2040, std::int64_t exp_month = 12) {
  return decide(CardInput{number, exp_month, exp_year, authenticated}, 2026, 11);
}

TEST(Cards, LuhnAndBrands) {
  EXPECT_TRUE(luhn_valid("4242424242424242"));
  EXPECT_FALSE(luhn_valid("4242424242424241"));
  EXPECT_FALSE(luhn_valid("42424242a2424242"));
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_EQ(card_brand("4242424242424242"), "visa");
  EXPECT_EQ(card_brand("5555555555554444"), "mastercard");
  EXPECT_EQ(card_brand("2223003122003222"), "mastercard");
  EXPECT_EQ(card_brand("378282246310005"), "amex");
  EXPECT_EQ(card_brand("6011111111111117"), "discover");
  EXPECT_EQ(card_brand("3566002020360505"), "jcb");
  EXPECT_EQ(card_brand("36227206271667"), "diners");
  EXPECT_EQ(card_brand("6200000000000005"), "unionpay");
  EXPECT_EQ(card_brand("9999999999999995"), "unknown");
  EXPECT_EQ(card_last4("4242424242424242"), "4242");
}

TEST(Cards, EveryRowOfTheOutcomeTable) {
  struct Row {
    const char* number;
    const char* decline_code;
    const char* response_code;
    bool soft;
  };
  const Row rows[] = {
      {"4000000000000002", "generic_decline", "05", true},
      {"4000000000009995", "insufficient_funds", "51", false},
      {"4000000000000069", "expired_card", "54", false},
      {"4000000000009979", "stolen_card", "43", false},
      {"4000000000009987", "lost_card", "41", false},
      {"4000000000000119", "processing_error", "96", true},
      {"4000002500003155", "authentication_required", "1A", false},
      {"4242424242424241", "incorrect_number", "14", false},
      {"42424242", "incorrect_number", "14", false},  // too short, even if Luhn-valid
  };
  for (const Row& row : rows) {
    const CardDecision decision = decide_now(row.number);
    EXPECT_FALSE(decision.approved) << row.number;
    EXPECT_EQ(decision.decline_code, row.decline_code) << row.number;
    EXPECT_EQ(decision.response_code, row.response_code) << row.number;
    EXPECT_EQ(decision.soft, row.soft) << row.number;
    EXPECT_FALSE(decision.message.empty());
    EXPECT_EQ(decision.message.find(row.number), std::string::npos);
  }
  const CardDecision approved = decide_now("4242424242424242");
  EXPECT_TRUE(approved.approved);
  EXPECT_EQ(approved.response_code, "00");
  EXPECT_TRUE(decide_now("4000002500003155", true).approved);
  EXPECT_TRUE(decide_now("5555555555554444").approved);
}

TEST(Cards, ExpiryIsTheLastDayOfItsMonth) {
  EXPECT_TRUE(decide_now("4242424242424242", false, 2026, 11).approved);
  const CardDecision last_month = decide_now("4242424242424242", false, 2026, 10);
  EXPECT_EQ(last_month.decline_code, "expired_card");
  EXPECT_EQ(last_month.response_code, "54");
  EXPECT_EQ(decide_now("4242424242424242", false, 2025, 12).decline_code, "expired_card");
  const CardDecision injected = injected_soft_decline();
  EXPECT_EQ(injected.decline_code, "try_again_later");
  EXPECT_EQ(injected.response_code, "91");
  EXPECT_TRUE(injected.soft);
}

TEST(Cards, CurrencyCodes) {
  const std::pair<const char*, const char*> required[] = {
      {"usd", "840"}, {"eur", "978"}, {"gbp", "826"}, {"jpy", "392"}, {"chf", "756"},
      {"cad", "124"}, {"aud", "036"}, {"sek", "752"}, {"nok", "578"}, {"dkk", "208"},
      {"pln", "985"}, {"kwd", "414"}, {"bhd", "048"}};
  for (const auto& [alpha, numeric] : required) {
    EXPECT_EQ(currency_numeric(alpha), numeric);
    EXPECT_EQ(currency_alpha(numeric), alpha);
  }
  EXPECT_FALSE(currency_numeric("USD"));
  EXPECT_FALSE(currency_numeric("xxx"));
  EXPECT_FALSE(currency_alpha("999"));
}

TEST(Settlement, FeeIsTwoPointNinePercentPlusThirtyRoundedHalfEven) {
  EXPECT_EQ(charge_fee(2000), 88);   // 58 + 30
  EXPECT_EQ(charge_fee(1000), 59);   // 29 + 30
  EXPECT_EQ(charge_fee(1), 30);      // 0.029 -> 0
  EXPECT_EQ(charge_fee(17), 30);     // 0.493 -> 0
  EXPECT_EQ(charge_fee(18), 31);     // 0.522 -> 1
  EXPECT_EQ(charge_fee(500), 44);    // 14.5 -> 14 (even)
  EXPECT_EQ(charge_fee(1500), 74);   // 43.5 -> 44 (even)
  EXPECT_EQ(charge_fee(2500), 102);  // 72.5 -> 72 (even)
  EXPECT_EQ(charge_fee(3500), 132);  // 101.5 -> 102 (even)
  EXPECT_EQ(charge_fee(1'000'000'000'000), 29'000'000'030);
}

TEST(Settlement, FileNamesAreRealUtcDays) {
  const auto day = parse_settlement_file_name("2026-03-01.csv");
  ASSERT_TRUE(day);
  EXPECT_EQ(day->date, "2026-03-01");
  EXPECT_EQ(day->start_unix_ms, 1772323200000);
  EXPECT_EQ(day->end_unix_ms - day->start_unix_ms, 86'400'000);
  EXPECT_TRUE(parse_settlement_file_name("2024-02-29.csv"));
  EXPECT_FALSE(parse_settlement_file_name("2026-02-29.csv"));
  EXPECT_FALSE(parse_settlement_file_name("2026-13-01.csv"));
  EXPECT_FALSE(parse_settlement_file_name("2026-03-01.txt"));
  EXPECT_FALSE(parse_settlement_file_name("2026-3-01.csv"));
  EXPECT_FALSE(parse_settlement_file_name("../etc/passwd"));
}

TEST(Settlement, CsvRowsUseTheWiresReference) {
  const std::vector<BookedMovement> rows = {
      {"charge", "auth_x", "RRN000000001", 2000, "usd", 0},
      {"refund", "auth_x", "RRN000000001", -500, "usd", 0},
  };
  EXPECT_EQ(settlement_csv(rows, "2026-03-01", Wire::json),
            "processor_reference,type,amount,fee,currency,booked_date\n"
            "auth_x,charge,2000,88,usd,2026-03-01\n"
            "auth_x,refund,-500,0,usd,2026-03-01\n");
  EXPECT_EQ(settlement_csv(rows, "2026-03-01", Wire::iso8583),
            "processor_reference,type,amount,fee,currency,booked_date\n"
            "RRN000000001,charge,2000,88,usd,2026-03-01\n"
            "RRN000000001,refund,-500,0,usd,2026-03-01\n");
}

Expected<FaultConfig, FaultError> faults(std::string_view json) {
  return parse_faults(boost::json::parse(json));
}

TEST(Faults, ParseNamesTheBadField) {
  EXPECT_EQ(faults(R"({"error_permille": 1001})").error().param, "error_permille");
  EXPECT_EQ(faults(R"({"error_permille": -1})").error().param, "error_permille");
  EXPECT_EQ(faults(R"({"error_permille": 1.5})").error().param, "error_permille");
  EXPECT_EQ(faults(R"({"latency": {"distribution": "normal"}})").error().param,
            "latency.distribution");
  EXPECT_EQ(
      faults(R"({"latency": {"distribution": "uniform", "min_ms": 5, "max_ms": 1}})").error().param,
      "latency.max_ms");
  EXPECT_EQ(faults(R"({"operations": ["authorise"]})").error().param, "operations");
  EXPECT_EQ(faults(R"({"down": 1})").error().param, "down");
  EXPECT_EQ(faults(R"({"surprise": 1})").error().param, "surprise");
  EXPECT_EQ(faults(R"({"hang_ms": 600001})").error().param, "hang_ms");
  EXPECT_FALSE(faults("[]"));
}

TEST(Faults, DefaultsAndRoundTrip) {
  const auto config = faults(R"({"timeout_permille": 10, "operations": ["capture"],
                                 "latency": {"distribution": "fixed", "mean_ms": 7}, "seed": 3})");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->hang_ms, kHangMsDefault);
  const auto shown = boost::json::serialize(faults_to_json(*config));
  EXPECT_NE(shown.find(R"("operations":["capture"])"), std::string::npos) << shown;
  const auto again = parse_faults(boost::json::parse(shown));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(boost::json::serialize(faults_to_json(*again)), shown);
}

TEST(Faults, DrawsFollowRatesOperationsAndSeeds) {
  FaultInjector injector;
  EXPECT_FALSE(injector.draw(Operation::authorize).unavailable);  // no faults by default

  FaultConfig all;
  all.error_permille = 1000;
  injector.set(all);
  EXPECT_TRUE(injector.draw(Operation::refund).unavailable);

  FaultConfig only_capture = *faults(R"({"error_permille": 1000, "operations": ["capture"]})");
  injector.set(only_capture);
  EXPECT_TRUE(injector.draw(Operation::capture).unavailable);
  EXPECT_FALSE(injector.draw(Operation::authorize).unavailable);

  FaultConfig down = *faults(R"({"down": true, "operations": ["capture"]})");
  injector.set(down);
  EXPECT_TRUE(injector.draw(Operation::lookup).unavailable);  // down ignores operations

  // The same seed gives the same sequence; half the draws fail, give or take.
  const auto sequence = [&](std::uint64_t seed) {
    FaultConfig config;
    config.error_permille = 500;
    config.seed = seed;
    injector.set(config);
    std::string drawn;
    for (int i = 0; i < 200; ++i)
      drawn += injector.draw(Operation::authorize).unavailable ? '1' : '0';
    return drawn;
  };
  const std::string first = sequence(42);
  EXPECT_EQ(sequence(42), first);
  EXPECT_NE(sequence(43), first);
  const auto failures = std::count(first.begin(), first.end(), '1');
  EXPECT_GT(failures, 60);
  EXPECT_LT(failures, 140);

  FaultConfig decline = *faults(R"({"decline_permille": 1000})");
  injector.set(decline);
  EXPECT_TRUE(injector.draw(Operation::authorize).soft_decline);
  EXPECT_FALSE(injector.draw(Operation::capture).soft_decline);  // authorizations only
}

TEST(Faults, LatencyDistributions) {
  FaultInjector injector;
  injector.set(*faults(R"({"latency": {"distribution": "fixed", "mean_ms": 25}})"));
  EXPECT_EQ(injector.draw(Operation::authorize).latency_ms, 25);
  injector.set(*faults(R"({"latency": {"distribution": "fixed", "min_ms": 15}})"));
  EXPECT_EQ(injector.draw(Operation::authorize).latency_ms, 15);
  injector.set(*faults(
      R"({"seed": 1, "latency": {"distribution": "uniform", "min_ms": 10, "max_ms": 20}})"));
  for (int i = 0; i < 100; ++i) {
    const auto ms = injector.draw(Operation::authorize).latency_ms;
    EXPECT_GE(ms, 10);
    EXPECT_LE(ms, 20);
  }
  injector.set(*faults(R"({"seed": 1, "latency": {"distribution": "exponential",
                           "min_ms": 5, "mean_ms": 50, "max_ms": 400}})"));
  std::int64_t total = 0;
  for (int i = 0; i < 400; ++i) {
    const auto ms = injector.draw(Operation::authorize).latency_ms;
    EXPECT_GE(ms, 5);
    EXPECT_LE(ms, 400);
    total += ms;
  }
  EXPECT_GT(total / 400, 30);  // mean about 55
  EXPECT_LT(total / 400, 80);
}

TEST(Webhooks, SignatureAndBackOff) {
  // HMAC-SHA256("secret", "1700000000.{}"), as any HMAC tool computes it.
  EXPECT_EQ(psp_signature("secret", 1700000000, "{}"),
            "t=1700000000,v1=" + hmac_sha256_hex("secret", "1700000000.{}"));
  EXPECT_EQ(hmac_sha256_hex("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  WebhookOptions options;
  EXPECT_EQ(retry_delay_ms(options, 1), 250);
  EXPECT_EQ(retry_delay_ms(options, 2), 500);
  EXPECT_EQ(retry_delay_ms(options, 5), 4000);
  EXPECT_EQ(retry_delay_ms(options, 9), 60'000);
}

}  // namespace
}  // namespace till::sandbox_psp
