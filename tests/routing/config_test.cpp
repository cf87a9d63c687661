// parse_config: what a valid configuration becomes, and for every kind of mistake the exact
// JSON path the error names.
#include "routing/config.h"

#include <gtest/gtest.h>

#include <string>

namespace till::routing {
namespace {

RoutingConfig parse_ok(std::string_view json) {
  auto parsed = parse_config(json);
  EXPECT_TRUE(parsed) << json << " -> " << parsed.error().field << ": " << parsed.error().message;
  return parsed ? *parsed : RoutingConfig{};
}

// Returns the error's field and checks its message mentions `words`.
std::string error_field(std::string_view json, std::string_view words = "") {
  auto parsed = parse_config(json);
  if (parsed) {
    ADD_FAILURE() << "accepted: " << json;
    return "<accepted>";
  }
  EXPECT_NE(parsed.error().message.find(words), std::string::npos)
      << parsed.error().field << ": " << parsed.error().message;
  return parsed.error().field;
}

// A valid configuration with `rule` as its only rule.
std::string with_rule(std::string_view rule) {
  return R"({"rules":[)" + std::string(rule) + R"(],"fallback":["ca_z"]})";
}

TEST(ConfigTest, ParsesEveryPart) {
  const RoutingConfig config = parse_ok(R"({
    "rules": [
      {"name": "big eur", "if": {"currency": ["EUR", "gbp"], "amount_min": 100, "amount_max": 50000,
                                 "card_brand": ["visa"], "card_country": ["de", "FR"],
                                 "card_funding": ["credit", "debit"], "payment_method": ["card"],
                                 "metadata": {"tier": "gold"}},
       "then": {"connectors": ["ca_a", "ca_b"]}},
      {"if": {"currency": ["usd"]},
       "then": {"split": [{"connector": "ca_a", "percent": 70}, {"connector": "ca_b", "percent": 30}]}},
      {"then": {"success_rate": {"connectors": ["ca_a", "ca_c"], "exploration_percent": 5,
                                 "dimension": ["currency", "card_brand"]}}}
    ],
    "fallback": ["ca_z", "ca_a"],
    "max_attempts": 4
  })");
  ASSERT_EQ(config.rules.size(), 3u);
  const Rule& first = config.rules[0];
  EXPECT_EQ(first.name, "big eur");
  EXPECT_EQ(first.when.currency, (std::vector<std::string>{"eur", "gbp"}));
  EXPECT_EQ(first.when.card_country, (std::vector<std::string>{"DE", "FR"}));
  EXPECT_EQ(first.when.amount_min, 100);
  EXPECT_EQ(first.when.amount_max, 50000);
  EXPECT_EQ(first.when.metadata.at("tier"), "gold");
  EXPECT_EQ(std::get<FixedOrder>(first.then).connectors,
            (std::vector<std::string>{"ca_a", "ca_b"}));
  EXPECT_EQ(config.rules[1].name, "rules[1]");
  const Split& split = std::get<Split>(config.rules[1].then);
  ASSERT_EQ(split.shares.size(), 2u);
  EXPECT_EQ(split.shares[0].connector, "ca_a");
  EXPECT_EQ(split.shares[1].percent, 30);
  EXPECT_TRUE(config.rules[2].when.empty());
  const SuccessRate& rate = std::get<SuccessRate>(config.rules[2].then);
  EXPECT_EQ(rate.exploration_percent, 5);
  EXPECT_EQ(rate.dimension, (std::vector<Dimension>{Dimension::currency, Dimension::card_brand}));
  EXPECT_EQ(config.fallback, (std::vector<std::string>{"ca_z", "ca_a"}));
  EXPECT_EQ(config.max_attempts, 4);
  EXPECT_EQ(referenced_connectors(config),
            (std::vector<std::string>{"ca_a", "ca_b", "ca_c", "ca_z"}));
}

TEST(ConfigTest, Defaults) {
  const RoutingConfig config = parse_ok(R"({"fallback":["ca_a"]})");
  EXPECT_TRUE(config.rules.empty());
  EXPECT_EQ(config.max_attempts, kMaxAttemptsDefault);
  const RoutingConfig rate =
      parse_ok(with_rule(R"({"then":{"success_rate":{"connectors":["ca_a","ca_b"]}}})"));
  EXPECT_EQ(std::get<SuccessRate>(rate.rules[0].then).exploration_percent,
            kExplorationPercentDefault);
  EXPECT_TRUE(std::get<SuccessRate>(rate.rules[0].then).dimension.empty());
  // Surrounding whitespace is fine (a file sent with curl ends in a newline).
  EXPECT_EQ(parse_ok(" \n{\"fallback\":[\"ca_a\"]}\n  \n").fallback.size(), 1u);
  // null counts as absent; a catch-all rule makes the fallback optional.
  parse_ok(
      R"({"rules":[{"if":null,"then":{"connectors":["ca_a"]}}],"fallback":null,"max_attempts":null})");
}

TEST(ConfigTest, DocumentErrors) {
  EXPECT_EQ(error_field("", "not valid JSON"), "");
  EXPECT_EQ(error_field("{", "not valid JSON"), "");
  EXPECT_EQ(error_field(R"({"fallback":["ca_a"]} x)", "not valid JSON"), "");
  EXPECT_EQ(error_field("[]", "JSON object"), "");
  EXPECT_EQ(error_field(std::string(kConfigBytesMax + 1, ' '), "limit is 65536"), "");
  EXPECT_EQ(error_field(R"({"fallback":["ca_a"],"retries":2})", "not a field"), "retries");
  EXPECT_EQ(error_field(R"({})", "nowhere to go"), "fallback");
  EXPECT_EQ(error_field(R"({"fallback":[]})", "nowhere to go"), "fallback");
  // Rules that do not match every payment, and no fallback.
  EXPECT_EQ(error_field(R"({"rules":[{"if":{"currency":["usd"]},"then":{"connectors":["ca_a"]}}]})",
                        "nowhere to go"),
            "fallback");
}

TEST(ConfigTest, TopLevelFieldErrors) {
  EXPECT_EQ(error_field(R"({"fallback":["ca_a"],"max_attempts":0})", "between 1 and 5"),
            "max_attempts");
  EXPECT_EQ(error_field(R"({"fallback":["ca_a"],"max_attempts":6})", "between 1 and 5"),
            "max_attempts");
  EXPECT_EQ(error_field(R"({"fallback":["ca_a"],"max_attempts":2.0})", "integer"), "max_attempts");
  EXPECT_EQ(error_field(R"({"fallback":["ca_a"],"max_attempts":"3"})", "integer"), "max_attempts");
  EXPECT_EQ(error_field(R"({"fallback":"ca_a"})", "array"), "fallback");
  EXPECT_EQ(error_field(R"({"fallback":["ca_a",7]})", "string"), "fallback[1]");
  EXPECT_EQ(error_field(R"({"fallback":["ca_a","ca_a"]})", "once"), "fallback[1]");
  EXPECT_EQ(error_field(R"({"fallback":["ca a"]})", "connector account id"), "fallback[0]");
  EXPECT_EQ(error_field(R"({"fallback":[""]})", "empty"), "fallback[0]");
  EXPECT_EQ(error_field(R"({"fallback":[")" + std::string(kConnectorIdBytesMax + 1, 'a') + R"("]})",
                        "limit is 64"),
            "fallback[0]");
  std::string seventeen = R"({"fallback":[)";
  for (int i = 0; i < 17; ++i)
    seventeen += (i ? "," : "") + std::string("\"ca_") + std::to_string(i) + "\"";
  EXPECT_EQ(error_field(seventeen + "]}", "limit is 16"), "fallback");
  EXPECT_EQ(error_field(R"({"rules":{},"fallback":["ca_a"]})", "array"), "rules");
  std::string many = R"({"fallback":["ca_a"],"rules":[)";
  for (int i = 0; i <= 100; ++i)
    many += (i ? "," : "") + std::string(R"({"then":{"connectors":["ca_a"]}})");
  EXPECT_EQ(error_field(many + "]}", "limit is 100"), "rules");
}

TEST(ConfigTest, RuleErrors) {
  EXPECT_EQ(error_field(with_rule(R"("x")"), "object"), "rules[0]");
  EXPECT_EQ(error_field(with_rule(R"({"if":{}})"), "required"), "rules[0].then");
  EXPECT_EQ(error_field(with_rule(R"({"when":{},"then":{"connectors":["ca_a"]}})"), "not a field"),
            "rules[0].when");
  EXPECT_EQ(error_field(with_rule(R"({"name":"","then":{"connectors":["ca_a"]}})"), "empty"),
            "rules[0].name");
  EXPECT_EQ(
      error_field(with_rule(R"({"name":"a\nb","then":{"connectors":["ca_a"]}})"), "printable"),
      "rules[0].name");
  EXPECT_EQ(error_field(with_rule(R"({"name":"x","then":{"connectors":["ca_a"]}},)"
                                  R"({"name":"x","then":{"connectors":["ca_b"]}})"),
                        "repeats the name of rules[0]"),
            "rules[1].name");
  EXPECT_EQ(error_field(with_rule(R"({"then":{}})"), "one of"), "rules[0].then");
  EXPECT_EQ(error_field(with_rule(R"({"then":{"connectors":["ca_a"],"split":[]}})"), "exactly one"),
            "rules[0].then");
  EXPECT_EQ(error_field(with_rule(R"({"then":{"fixed":["ca_a"]}})"), "not a field"),
            "rules[0].then.fixed");
  EXPECT_EQ(error_field(with_rule(R"({"then":{"connectors":[]}})"), "empty"),
            "rules[0].then.connectors");
  EXPECT_EQ(error_field(with_rule(R"({"then":{"connectors":["ca_a","ca_b","ca_a"]}})"), "once"),
            "rules[0].then.connectors[2]");
}

TEST(ConfigTest, ConditionErrors) {
  auto condition = [](std::string_view json) {
    return with_rule(R"({"if":)" + std::string(json) + R"(,"then":{"connectors":["ca_a"]}})");
  };
  EXPECT_EQ(error_field(condition(R"([])"), "object"), "rules[0].if");
  EXPECT_EQ(error_field(condition(R"({"country":["DE"]})"), "not a field"), "rules[0].if.country");
  EXPECT_EQ(error_field(condition(R"({"currency":"usd"})"), "array"), "rules[0].if.currency");
  EXPECT_EQ(error_field(condition(R"({"currency":[]})"), "empty"), "rules[0].if.currency");
  EXPECT_EQ(error_field(condition(R"({"currency":["usd","dollars"]})"), "ISO 4217"),
            "rules[0].if.currency[1]");
  EXPECT_EQ(error_field(condition(R"({"amount_min":-1})"), "between 0"), "rules[0].if.amount_min");
  EXPECT_EQ(error_field(condition(R"({"amount_min":1.5})"), "integer"), "rules[0].if.amount_min");
  EXPECT_EQ(error_field(condition(R"({"amount_max":"100"})"), "integer"), "rules[0].if.amount_max");
  EXPECT_EQ(error_field(condition(R"({"amount_max":18446744073709551615})"), "between"),
            "rules[0].if.amount_max");
  EXPECT_EQ(
      error_field(condition(R"({"amount_min":500,"amount_max":100})"), "less than amount_min"),
      "rules[0].if.amount_max");
  EXPECT_EQ(error_field(condition(R"({"card_brand":["visa","maestro"]})"), "mastercard"),
            "rules[0].if.card_brand[1]");
  EXPECT_EQ(error_field(condition(R"({"card_country":["DEU"]})"), "ISO 3166"),
            "rules[0].if.card_country[0]");
  EXPECT_EQ(error_field(condition(R"({"card_funding":["charge"]})"), "credit"),
            "rules[0].if.card_funding[0]");
  EXPECT_EQ(error_field(condition(R"({"payment_method":["Card!"]})"), "payment method"),
            "rules[0].if.payment_method[0]");
  EXPECT_EQ(error_field(condition(R"({"metadata":["tier"]})"), "object"), "rules[0].if.metadata");
  EXPECT_EQ(error_field(condition(R"({"metadata":{}})"), "empty"), "rules[0].if.metadata");
  EXPECT_EQ(error_field(condition(R"({"metadata":{"tier":1}})"), "string"),
            "rules[0].if.metadata[tier]");
  EXPECT_EQ(error_field(condition(R"({"metadata":{")" + std::string(41, 'k') + R"(":"v"}})"), "40"),
            "rules[0].if.metadata[" + std::string(41, 'k') + "]");
  std::string countries = R"({"card_country":[)";
  for (std::size_t i = 0; i <= kConditionValuesMax; ++i)
    countries += (i ? "," : "") + std::string("\"DE\"");
  EXPECT_EQ(error_field(condition(countries + "]}"), "limit is 256"), "rules[0].if.card_country");
}

TEST(ConfigTest, SplitErrors) {
  auto split = [](std::string_view shares) {
    return with_rule(R"({"then":{"split":)" + std::string(shares) + "}}");
  };
  EXPECT_EQ(error_field(split(R"({})"), "array"), "rules[0].then.split");
  EXPECT_EQ(error_field(split(R"([])"), "empty"), "rules[0].then.split");
  EXPECT_EQ(
      error_field(split(R"([{"connector":"ca_a","percent":70},{"connector":"ca_b","percent":20}])"),
                  "sum to 90"),
      "rules[0].then.split");
  EXPECT_EQ(error_field(
                split(R"([{"connector":"ca_a","percent":70},{"connector":"ca_b","percent":30.0}])"),
                "integer"),
            "rules[0].then.split[1].percent");
  EXPECT_EQ(error_field(split(R"([{"connector":"ca_a","percent":101}])"), "between 0 and 100"),
            "rules[0].then.split[0].percent");
  EXPECT_EQ(error_field(
                split(R"([{"connector":"ca_a","percent":-10},{"connector":"ca_b","percent":110}])"),
                "between 0 and 100"),
            "rules[0].then.split[0].percent");
  EXPECT_EQ(error_field(split(R"([{"connector":"ca_a"}])"), "required"),
            "rules[0].then.split[0].percent");
  EXPECT_EQ(error_field(split(R"([{"percent":100}])"), "required"),
            "rules[0].then.split[0].connector");
  EXPECT_EQ(
      error_field(split(R"([{"connector":"ca_a","percent":50},{"connector":"ca_a","percent":50}])"),
                  "once"),
      "rules[0].then.split[1].connector");
  EXPECT_EQ(error_field(split(R"([{"connector":"ca_a","percent":100,"weight":1}])"), "not a field"),
            "rules[0].then.split[0].weight");
  EXPECT_EQ(error_field(split(R"([{"connector":"ca_a","percent":100},"ca_b"])"), "object"),
            "rules[0].then.split[1]");
  // A second rule's error names that rule.
  EXPECT_EQ(
      error_field(
          R"({"fallback":["ca_z"],"rules":[{"then":{"connectors":["ca_a"]}},)"
          R"({"then":{"connectors":["ca_a"]}},)"
          R"({"then":{"split":[{"connector":"ca_a","percent":50},{"connector":"ca_b","percent":"50"}]}}]})",
          "integer"),
      "rules[2].then.split[1].percent");
}

TEST(ConfigTest, SuccessRateErrors) {
  auto rate = [](std::string_view body) {
    return with_rule(R"({"then":{"success_rate":)" + std::string(body) + "}}");
  };
  EXPECT_EQ(error_field(rate(R"(["ca_a"])"), "object"), "rules[0].then.success_rate");
  EXPECT_EQ(error_field(rate(R"({})"), "required"), "rules[0].then.success_rate.connectors");
  EXPECT_EQ(
      error_field(rate(R"({"connectors":["ca_a"],"exploration_percent":51})"), "between 0 and 50"),
      "rules[0].then.success_rate.exploration_percent");
  EXPECT_EQ(error_field(rate(R"({"connectors":["ca_a"],"exploration_percent":0.1})"), "integer"),
            "rules[0].then.success_rate.exploration_percent");
  EXPECT_EQ(error_field(rate(R"({"connectors":["ca_a"],"dimension":["bin"]})"), "card_brand"),
            "rules[0].then.success_rate.dimension[0]");
  EXPECT_EQ(
      error_field(rate(R"({"connectors":["ca_a"],"dimension":["currency","currency"]})"), "twice"),
      "rules[0].then.success_rate.dimension[1]");
  EXPECT_EQ(error_field(rate(R"({"connectors":["ca_a"],"dimension":"currency"})"), "array"),
            "rules[0].then.success_rate.dimension");
  EXPECT_EQ(error_field(rate(R"({"connectors":["ca_a"],"window":60})"), "not a field"),
            "rules[0].then.success_rate.window");
}

}  // namespace
}  // namespace till::routing
