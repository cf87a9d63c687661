// decide(): each condition, first match wins, fallback, deduplication, the attempt cap,
// splits, success-rate routing with exploration, and open breakers moved to the back.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "routing/routing.h"

namespace till::routing {
namespace {

constexpr std::int64_t kNowMs = 1'790'000'000'000;

RoutingConfig config(std::string_view json) {
  auto parsed = parse_config(json);
  EXPECT_TRUE(parsed) << parsed.error().field << ": " << parsed.error().message;
  return parsed ? *parsed : RoutingConfig{};
}

PaymentFacts visa_usd(std::int64_t amount = 1000) {
  PaymentFacts facts;
  facts.payment_id = "pi_test";
  facts.amount = amount;
  facts.currency = "usd";
  facts.payment_method = "card";
  facts.card_brand = "visa";
  facts.card_country = "US";
  facts.card_funding = "credit";
  return facts;
}

class DecideTest : public ::testing::Test {
 protected:
  RouteDecision decide_for(const RoutingConfig& routing, const PaymentFacts& facts,
                           std::uint64_t random = 0) {
    return decide(routing, facts, rates_, breakers_, kNowMs, random);
  }
  std::string primary(const RoutingConfig& routing, const PaymentFacts& facts) {
    const RouteDecision decision = decide_for(routing, facts);
    return decision.candidates.empty() ? "" : decision.candidates[0];
  }
  void trip(const std::string& connector) {
    for (int i = 0; i < 20; ++i) breakers_.record(connector, true, 10, kNowMs);
    ASSERT_EQ(breakers_.state(connector, kNowMs), BreakerState::open);
  }

  SuccessRates rates_{SuccessRateOptions{}};
  Breakers breakers_{BreakerOptions{}};
};

TEST_F(DecideTest, EachConditionSelectsItsRule) {
  const RoutingConfig routing = config(R"({
    "rules": [
      {"name": "eur", "if": {"currency": ["eur"]}, "then": {"connectors": ["ca_eur"]}},
      {"name": "small", "if": {"amount_max": 99}, "then": {"connectors": ["ca_small"]}},
      {"name": "large", "if": {"amount_min": 100000}, "then": {"connectors": ["ca_large"]}},
      {"name": "amex", "if": {"card_brand": ["amex"]}, "then": {"connectors": ["ca_amex"]}},
      {"name": "de", "if": {"card_country": ["DE"]}, "then": {"connectors": ["ca_de"]}},
      {"name": "debit", "if": {"card_funding": ["debit", "prepaid"]}, "then": {"connectors": ["ca_debit"]}},
      {"name": "wallet", "if": {"payment_method": ["wallet"]}, "then": {"connectors": ["ca_wallet"]}},
      {"name": "gold", "if": {"metadata": {"tier": "gold", "region": "eu"}}, "then": {"connectors": ["ca_gold"]}}
    ],
    "fallback": ["ca_default"], "max_attempts": 1})");
  EXPECT_EQ(primary(routing, visa_usd()), "ca_default");
  PaymentFacts facts = visa_usd();
  facts.currency = "EUR";  // facts are compared without regard to case
  EXPECT_EQ(primary(routing, facts), "ca_eur");
  EXPECT_EQ(primary(routing, visa_usd(99)), "ca_small");
  EXPECT_EQ(primary(routing, visa_usd(100)), "ca_default");  // bounds are inclusive
  EXPECT_EQ(primary(routing, visa_usd(99'999)), "ca_default");
  EXPECT_EQ(primary(routing, visa_usd(100'000)), "ca_large");
  facts = visa_usd();
  facts.card_brand = "amex";
  EXPECT_EQ(primary(routing, facts), "ca_amex");
  facts = visa_usd();
  facts.card_country = "DE";
  EXPECT_EQ(primary(routing, facts), "ca_de");
  facts.card_country = "";  // unknown never matches a country list
  EXPECT_EQ(primary(routing, facts), "ca_default");
  facts = visa_usd();
  facts.card_funding = "prepaid";
  EXPECT_EQ(primary(routing, facts), "ca_debit");
  facts = visa_usd();
  facts.payment_method = "wallet";
  EXPECT_EQ(primary(routing, facts), "ca_wallet");
  facts = visa_usd();
  facts.metadata = {{"tier", "gold"}};  // every metadata key must match
  EXPECT_EQ(primary(routing, facts), "ca_default");
  facts.metadata = {{"tier", "gold"}, {"region", "eu"}, {"other", "x"}};
  EXPECT_EQ(primary(routing, facts), "ca_gold");
  facts.metadata = {{"tier", "Gold"}, {"region", "eu"}};  // exact values
  EXPECT_EQ(primary(routing, facts), "ca_default");
}

TEST_F(DecideTest, AllConditionsOfARuleMustHold) {
  const RoutingConfig routing = config(R"({
    "rules": [{"if": {"currency": ["usd"], "card_brand": ["mastercard"], "amount_min": 500},
               "then": {"connectors": ["ca_rule"]}}],
    "fallback": ["ca_default"]})");
  PaymentFacts facts = visa_usd(1000);
  EXPECT_EQ(primary(routing, facts), "ca_default");
  facts.card_brand = "mastercard";
  EXPECT_EQ(primary(routing, facts), "ca_rule");
  facts.amount = 499;
  EXPECT_EQ(primary(routing, facts), "ca_default");
}

TEST_F(DecideTest, FirstMatchWinsAndFallbackFollowsDeduplicated) {
  const RoutingConfig routing = config(R"({
    "rules": [
      {"name": "usd first", "if": {"currency": ["usd"]}, "then": {"connectors": ["ca_a", "ca_b"]}},
      {"name": "visa", "if": {"card_brand": ["visa"]}, "then": {"connectors": ["ca_c"]}}
    ],
    "fallback": ["ca_b", "ca_d"], "max_attempts": 5})");
  const RouteDecision decision = decide_for(routing, visa_usd());
  EXPECT_EQ(decision.rule, "usd first");
  EXPECT_EQ(decision.candidates, (std::vector<std::string>{"ca_a", "ca_b", "ca_d"}));
  EXPECT_EQ(decision.allowed_count, 3u);
  EXPECT_TRUE(decision.rate_dimensions.empty());

  PaymentFacts eur = visa_usd();
  eur.currency = "eur";
  const RouteDecision visa = decide_for(routing, eur);
  EXPECT_EQ(visa.rule, "visa");
  EXPECT_EQ(visa.candidates, (std::vector<std::string>{"ca_c", "ca_b", "ca_d"}));

  eur.card_brand = "jcb";
  const RouteDecision none = decide_for(routing, eur);
  EXPECT_EQ(none.rule, "fallback");
  EXPECT_EQ(none.reason, "no rule matched");
  EXPECT_EQ(none.candidates, (std::vector<std::string>{"ca_b", "ca_d"}));
}

TEST_F(DecideTest, MaxAttemptsCutsTheList) {
  const RoutingConfig routing = config(R"({
    "rules": [{"then": {"connectors": ["ca_a", "ca_b", "ca_c", "ca_d"]}}],
    "fallback": ["ca_e"], "max_attempts": 2})");
  EXPECT_EQ(decide_for(routing, visa_usd()).candidates, (std::vector<std::string>{"ca_a", "ca_b"}));
  const RoutingConfig defaults = config(R"({"fallback": ["ca_a", "ca_b", "ca_c", "ca_d"]})");
  EXPECT_EQ(decide_for(defaults, visa_usd()).candidates.size(), 3u);
}

TEST_F(DecideTest, OpenBreakersMoveToTheBackAndAreNeverDropped) {
  const RoutingConfig routing = config(R"({
    "rules": [{"then": {"connectors": ["ca_a", "ca_b", "ca_c"]}}], "max_attempts": 3})");
  trip("ca_a");
  RouteDecision decision = decide_for(routing, visa_usd());
  EXPECT_EQ(decision.candidates, (std::vector<std::string>{"ca_b", "ca_c", "ca_a"}));
  EXPECT_EQ(decision.allowed_count, 2u);
  EXPECT_NE(decision.reason.find("breaker open: ca_a"), std::string::npos) << decision.reason;

  trip("ca_b");
  trip("ca_c");
  decision = decide_for(routing, visa_usd());
  EXPECT_EQ(decision.candidates, (std::vector<std::string>{"ca_a", "ca_b", "ca_c"}));
  EXPECT_EQ(decision.allowed_count, 0u);

  // With a cap, the open ones are the ones cut while others remain.
  const RoutingConfig capped = config(R"({
    "rules": [{"then": {"connectors": ["ca_a", "ca_b", "ca_c", "ca_d"]}}], "max_attempts": 2})");
  decision = decide_for(capped, visa_usd());
  EXPECT_EQ(decision.candidates, (std::vector<std::string>{"ca_d", "ca_a"}));
  EXPECT_EQ(decision.allowed_count, 1u);
}

TEST_F(DecideTest, SplitBucketIsStableSha256) {
  // The bucket is fixed by SHA-256, so it is the same in every process and build.
  EXPECT_EQ(split_bucket("pi_test"), split_bucket("pi_test"));
  int differing = 0;
  for (int i = 0; i < 100; ++i) {
    const int bucket = split_bucket("pi_" + std::to_string(i));
    EXPECT_GE(bucket, 0);
    EXPECT_LT(bucket, 100);
    differing += bucket != split_bucket("pi_0") ? 1 : 0;
  }
  EXPECT_GT(differing, 90);
  // SHA-256("abc") = ba7816bf 8f01cfea ...: 0xba7816bf8f01cfea % 100.
  EXPECT_EQ(split_bucket("abc"), static_cast<int>(0xba7816bf8f01cfeaULL % 100));
}

TEST_F(DecideTest, SplitsDistributeByPercentAndAreSticky) {
  const RoutingConfig routing = config(R"({
    "rules": [{"name": "split", "then": {"split": [
      {"connector": "ca_a", "percent": 70}, {"connector": "ca_b", "percent": 20},
      {"connector": "ca_c", "percent": 10}, {"connector": "ca_never", "percent": 0}]}}],
    "fallback": ["ca_z"], "max_attempts": 5})");
  constexpr int kPayments = 10'000;
  std::map<std::string, int> primaries;
  for (int i = 0; i < kPayments; ++i) {
    PaymentFacts facts = visa_usd();
    facts.payment_id = "pi_" + std::to_string(i) + "_split";
    const RouteDecision decision = decide_for(routing, facts, static_cast<std::uint64_t>(i) * 7919);
    ASSERT_EQ(decision.candidates.size(), 5u);
    primaries[decision.candidates[0]]++;
    // The others follow in listed order, then the fallback.
    std::vector<std::string> rest(decision.candidates.begin() + 1, decision.candidates.end());
    std::vector<std::string> expected;
    for (const char* id : {"ca_a", "ca_b", "ca_c", "ca_never", "ca_z"}) {
      if (id != decision.candidates[0]) expected.push_back(id);
    }
    ASSERT_EQ(rest, expected);
    // Same payment, other draw, same primary.
    ASSERT_EQ(decide_for(routing, facts, 12345).candidates[0], decision.candidates[0]);
  }
  constexpr int kTolerance = kPayments * 2 / 100;  // ±2 percentage points
  EXPECT_NEAR(primaries["ca_a"], kPayments * 70 / 100, kTolerance);
  EXPECT_NEAR(primaries["ca_b"], kPayments * 20 / 100, kTolerance);
  EXPECT_NEAR(primaries["ca_c"], kPayments * 10 / 100, kTolerance);
  EXPECT_EQ(primaries["ca_never"], 0);
}

class SuccessRateDecideTest : public DecideTest {
 protected:
  void history(const std::string& connector, int approved, int declined,
               const std::string& dimension = "") {
    for (int i = 0; i < approved; ++i) rates_.record(connector, dimension, true, kNowMs - 1000);
    for (int i = 0; i < declined; ++i) rates_.record(connector, dimension, false, kNowMs - 1000);
  }

  std::map<std::string, int> primaries(const RoutingConfig& routing, int payments,
                                       std::int64_t now_ms = kNowMs) {
    std::map<std::string, int> counts;
    std::uint64_t state = 0;
    for (int i = 0; i < payments; ++i) {
      // splitmix64: a fixed sequence of well-mixed draws.
      std::uint64_t draw = (state += 0x9e3779b97f4a7c15ULL);
      draw = (draw ^ (draw >> 30)) * 0xbf58476d1ce4e5b9ULL;
      draw = (draw ^ (draw >> 27)) * 0x94d049bb133111ebULL;
      draw ^= draw >> 31;
      const RouteDecision decision = decide(routing, visa_usd(), rates_, breakers_, now_ms, draw);
      counts[decision.candidates.at(0)]++;
    }
    return counts;
  }
};

TEST_F(SuccessRateDecideTest, BestGetsAllButExploration) {
  const RoutingConfig routing = config(R"({
    "rules": [{"then": {"success_rate": {"connectors": ["ca_a", "ca_b", "ca_c"],
                                         "exploration_percent": 10}}}],
    "max_attempts": 3})");
  history("ca_a", 80, 20);  // 800 permille
  history("ca_b", 95, 5);   // 950
  history("ca_c", 60, 40);  // 600
  EXPECT_EQ(rates_.rate("ca_b", "", kNowMs).permille, 950);
  constexpr int kPayments = 10'000;
  auto counts = primaries(routing, kPayments);
  EXPECT_NEAR(counts["ca_b"], kPayments * 90 / 100, kPayments * 2 / 100);
  EXPECT_NEAR(counts["ca_a"], kPayments * 5 / 100, kPayments * 2 / 100);
  EXPECT_NEAR(counts["ca_c"], kPayments * 5 / 100, kPayments * 2 / 100);

  // Not exploring: best first, then by rate.
  RouteDecision decision = decide_for(routing, visa_usd(), 50);  // 50 % 100 >= 10
  EXPECT_EQ(decision.candidates, (std::vector<std::string>{"ca_b", "ca_a", "ca_c"}));
  EXPECT_NE(decision.reason.find("best ca_b 950 permille"), std::string::npos) << decision.reason;
  EXPECT_EQ(decision.rate_dimensions, (std::vector<std::string>{""}));
  // Exploring (draw % 100 < 10): another candidate first, then the rest by rate.
  decision = decide_for(routing, visa_usd(), 3);  // (3 / 100) % 2 = 0: the second best
  EXPECT_EQ(decision.candidates, (std::vector<std::string>{"ca_a", "ca_b", "ca_c"}));
  EXPECT_NE(decision.reason.find("explore ca_a"), std::string::npos) << decision.reason;
  decision = decide_for(routing, visa_usd(), 103);  // (103 / 100) % 2 = 1: the third
  EXPECT_EQ(decision.candidates, (std::vector<std::string>{"ca_c", "ca_b", "ca_a"}));
}

TEST_F(SuccessRateDecideTest, NoExplorationMeansAlwaysTheBest) {
  const RoutingConfig routing = config(R"({
    "rules": [{"then": {"success_rate": {"connectors": ["ca_a", "ca_b"], "exploration_percent": 0}}}]})");
  history("ca_a", 50, 50);
  history("ca_b", 70, 30);
  EXPECT_EQ(primaries(routing, 1000)["ca_b"], 1000);
}

TEST_F(SuccessRateDecideTest, NewConnectorWithoutSamplesGetsTried) {
  const RoutingConfig routing = config(R"({
    "rules": [{"then": {"success_rate": {"connectors": ["ca_a", "ca_new"], "exploration_percent": 10}}}]})");
  history("ca_a", 95, 5);
  history("ca_new", 5, 0);  // below min_samples: the optimistic prior counts
  const RouteDecision decision = decide_for(routing, visa_usd(), 50);
  EXPECT_EQ(decision.candidates[0], "ca_new");
  EXPECT_NE(decision.reason.find("prior"), std::string::npos) << decision.reason;
  // Once measured and worse, it is back to exploration share.
  history("ca_new", 5, 15);  // 10 of 25: 400 permille
  auto counts = primaries(routing, 10'000);
  EXPECT_NEAR(counts["ca_new"], 1000, 200);
}

TEST_F(SuccessRateDecideTest, WindowExpiryForgetsOldOutcomes) {
  const RoutingConfig routing = config(R"({
    "rules": [{"then": {"success_rate": {"connectors": ["ca_a", "ca_b"], "exploration_percent": 0}}}]})");
  history("ca_a", 10, 90);  // ca_a was bad five minutes ago
  history("ca_b", 60, 40);
  EXPECT_EQ(primaries(routing, 10)["ca_b"], 10);
  const std::int64_t later = kNowMs + SuccessRateOptions{}.window_ms;
  for (int i = 0; i < 30; ++i) rates_.record("ca_b", "", i < 15, later);  // 500
  for (int i = 0; i < 30; ++i) rates_.record("ca_a", "", i < 27, later);  // 900
  EXPECT_EQ(rates_.rate("ca_a", "", later).samples, 30);
  EXPECT_EQ(primaries(routing, 10, later)["ca_a"], 10);
}

TEST_F(SuccessRateDecideTest, RatesAreKeptPerDimension) {
  const RoutingConfig routing = config(R"({
    "rules": [{"then": {"success_rate": {"connectors": ["ca_a", "ca_b"], "exploration_percent": 0,
                                         "dimension": ["currency", "card_brand"]}}}]})");
  const std::string usd_visa =
      dimension_key({Dimension::card_brand, Dimension::currency}, visa_usd());
  EXPECT_EQ(usd_visa, "currency=usd;card_brand=visa");
  EXPECT_EQ(dimension_key({}, visa_usd()), "");
  history("ca_a", 90, 10, usd_visa);
  history("ca_b", 50, 50, usd_visa);
  history("ca_a", 10, 90, "currency=eur;card_brand=visa");
  history("ca_b", 90, 10, "currency=eur;card_brand=visa");
  EXPECT_EQ(decide_for(routing, visa_usd(), 99).candidates[0], "ca_a");
  PaymentFacts eur = visa_usd();
  eur.currency = "eur";
  const RouteDecision decision = decide_for(routing, eur, 99);
  EXPECT_EQ(decision.candidates[0], "ca_b");
  EXPECT_EQ(decision.rate_dimensions, (std::vector<std::string>{"currency=eur;card_brand=visa"}));

  // record_outcome feeds every dimension the configuration keeps.
  const RoutingConfig two = config(R"({
    "rules": [{"if": {"currency": ["jpy"]}, "then": {"success_rate": {"connectors": ["ca_a"]}}},
              {"then": {"success_rate": {"connectors": ["ca_a"], "dimension": ["card_brand"]}}}]})");
  const RouteDecision both = decide_for(two, visa_usd());
  EXPECT_EQ(both.rate_dimensions, (std::vector<std::string>{"", "card_brand=visa"}));
  record_outcome(rates_, both, "ca_x", true, kNowMs);
  EXPECT_EQ(rates_.rate("ca_x", "", kNowMs).samples, 1);
  EXPECT_EQ(rates_.rate("ca_x", "card_brand=visa", kNowMs).samples, 1);
}

}  // namespace
}  // namespace till::routing
