// routing/config.h — a merchant's routing configuration: its JSON form, parsed and validated.
//
// A configuration is an ordered list of rules (the first whose conditions all hold decides),
// a fallback list, and how many connector accounts one payment may try. docs/routing.md is the
// reference for the JSON; this header is its typed form. parse_config() is the only way to get
// a RoutingConfig from text, so a RoutingConfig always satisfies every limit below: decide()
// relies on it (and asserts what it relies on).
//
// Errors name the offending field by its JSON path ("rules[2].then.split[1].percent") and say
// what is wrong and what would do, because the person who reads them is editing that JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace till::routing {

// Limits.
constexpr std::size_t kConfigBytesMax = 64 * 1024;
constexpr std::size_t kRulesMax = 100;
constexpr std::size_t kConnectorsPerListMax = 16;  // connectors, split, success_rate, fallback
constexpr std::size_t kConnectorIdBytesMax = 64;
constexpr std::size_t kRuleNameBytesMax = 64;
constexpr std::size_t kConditionValuesMax = 256;  // items in one condition list (countries…)
constexpr std::size_t kConditionValueBytesMax = 64;
constexpr std::size_t kMetadataConditionsMax = 20;
constexpr std::size_t kMetadataKeyBytesMax = 40;  // Stripe's metadata limits
constexpr std::size_t kMetadataValueBytesMax = 500;
constexpr int kMaxAttemptsMin = 1;
constexpr int kMaxAttemptsMax = 5;
constexpr int kMaxAttemptsDefault = 3;
constexpr int kPercentTotal = 100;
constexpr int kExplorationPercentDefault = 10;
// Exploring more than half the time would make the "best" connector a minority choice.
constexpr int kExplorationPercentMax = 50;

// Payment facts a success-rate rule may keep separate rates for.
enum class Dimension : std::uint8_t {
  currency,
  card_brand,
  card_country,
  card_funding,
  payment_method
};
std::string_view to_string(Dimension dimension);

// All listed conditions must hold; an absent one holds for every payment. Values are
// normalized when parsed: currencies lower case, countries upper case.
struct Conditions {
  std::vector<std::string> currency;
  std::optional<std::int64_t> amount_min;  // inclusive, minor units
  std::optional<std::int64_t> amount_max;  // inclusive, minor units
  std::vector<std::string> card_brand;
  std::vector<std::string> card_country;
  std::vector<std::string> card_funding;
  std::vector<std::string> payment_method;
  std::map<std::string, std::string> metadata;  // key → exact value

  bool empty() const;  // no condition: the rule matches every payment
};

// {"connectors": [...]}: this order.
struct FixedOrder {
  std::vector<std::string> connectors;
};

// {"split": [{"connector", "percent"}, ...]}: the payment id picks the primary by its share;
// the others follow in listed order.
struct SplitShare {
  std::string connector;
  int percent = 0;  // 0..100; a split's percents sum to 100
};
struct Split {
  std::vector<SplitShare> shares;
};

// {"success_rate": {...}}: the candidate with the best current authorization rate (per
// `dimension`), except `exploration_percent` of payments, which go to another candidate.
struct SuccessRate {
  std::vector<std::string> connectors;
  int exploration_percent = kExplorationPercentDefault;
  std::vector<Dimension> dimension;  // [] = one rate per connector
};

using Target = std::variant<FixedOrder, Split, SuccessRate>;

struct Rule {
  std::string name;  // the rule's "name", or "rules[i]" when it has none
  Conditions when;
  Target then;
};

struct RoutingConfig {
  std::vector<Rule> rules;
  std::vector<std::string> fallback;
  int max_attempts = kMaxAttemptsDefault;
};

struct ConfigError {
  std::string field;    // JSON path of the offending value; "" = the document itself
  std::string message;  // what is wrong and what would do
};

Expected<RoutingConfig, ConfigError> parse_config(std::string_view json);

// Every connector account the configuration names, each once, in first-mention order: the
// caller checks that they exist and belong to the merchant before storing the configuration.
std::vector<std::string> referenced_connectors(const RoutingConfig& config);

}  // namespace till::routing
