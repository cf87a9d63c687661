#include "routing/config.h"

#include <algorithm>
#include <array>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <limits>
#include <set>

namespace till::routing {

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

template <class T>
using Parsed = Expected<T, ConfigError>;

constexpr auto kBrands = std::to_array<std::string_view>(
    {"amex", "diners", "discover", "jcb", "mastercard", "unionpay", "unknown", "visa"});
constexpr auto kFundings =
    std::to_array<std::string_view>({"credit", "debit", "prepaid", "unknown"});
constexpr auto kDimensions = std::to_array<std::string_view>(
    {"currency", "card_brand", "card_country", "card_funding", "payment_method"});

Unexpected<ConfigError> fail_at(std::string field, std::string message) {
  return Unexpected<ConfigError>(ConfigError{std::move(field), std::move(message)});
}

std::string member(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

template <std::size_t N>
std::string one_of(const std::array<std::string_view, N>& names) {
  std::string text;
  for (std::string_view name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The value of `key`, or nullptr when it is absent or null (null counts as absent).
const value* find(const object& fields, std::string_view key) {
  const value* found = fields.if_contains(key);
  return found == nullptr || found->is_null() ? nullptr : found;
}

// Unknown fields are errors: a misspelt condition would otherwise match every payment.
template <std::size_t N>
Parsed<void> known_fields(const object& fields, const std::string& path,
                          const std::array<std::string_view, N>& allowed) {
  for (const auto& field : fields) {
    if (!contains(allowed, field.key())) {
      return fail_at(member(path, field.key()),
                     "is not a field here; expected one of: " + one_of(allowed));
    }
  }
  return {};
}

Parsed<const object*> as_object(const value& json, const std::string& path) {
  if (!json.is_object()) return fail_at(path, "must be a JSON object");
  return &json.get_object();
}

Parsed<const array*> as_array(const value& json, const std::string& path, std::size_t min_items,
                              std::size_t max_items) {
  if (!json.is_array()) return fail_at(path, "must be a JSON array");
  const array& items = json.get_array();
  if (items.size() < min_items) {
    return fail_at(path, min_items == 1
                             ? "must not be empty"
                             : "must have at least " + std::to_string(min_items) + " items");
  }
  if (items.size() > max_items) {
    return fail_at(path, "has " + std::to_string(items.size()) + " items; the limit is " +
                             std::to_string(max_items));
  }
  return &items;
}

// Integers only: 70.0 and 7e1 are refused, so no rate or amount ever passes through floating
// point.
Parsed<std::int64_t> integer(const value& json, const std::string& path, std::int64_t min,
                             std::int64_t max) {
  std::int64_t number = 0;
  if (json.is_int64()) {
    number = json.get_int64();
  } else if (json.is_uint64()) {
    number = std::numeric_limits<std::int64_t>::max();  // beyond int64: out of every range
  } else if (json.is_double()) {
    return fail_at(path, "must be an integer (no decimal point or exponent)");
  } else {
    return fail_at(path, "must be an integer");
  }
  if (number < min || number > max || json.is_uint64()) {
    return fail_at(path, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                             " (inclusive)");
  }
  return number;
}

Parsed<std::string> string(const value& json, const std::string& path, std::size_t max_bytes) {
  if (!json.is_string()) return fail_at(path, "must be a string");
  const std::string_view text = json.get_string();
  if (text.empty()) return fail_at(path, "must not be empty");
  if (text.size() > max_bytes) {
    return fail_at(path, "is " + std::to_string(text.size()) + " bytes; the limit is " +
                             std::to_string(max_bytes));
  }
  return std::string(text);
}

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

Parsed<std::string> connector_id(const value& json, const std::string& path) {
  auto id = string(json, path, kConnectorIdBytesMax);
  if (!id) return id;
  if (!std::all_of(id->begin(), id->end(), is_id_char)) {
    return fail_at(path,
                   "must be a connector account id (letters, digits, '_' and '-', such as "
                   "\"ca_0353tva2RTvUANMAAdQlNR\")");
  }
  return id;
}

// The same connector twice in one list is a mistake (a split sums its shares per entry, and a
// retry on the connector that just failed is wasted).
Parsed<void> unique_connector(std::set<std::string>& seen, const std::string& id,
                              const std::string& path) {
  if (!seen.insert(id).second) {
    return fail_at(path, "names " + id + " again; list each connector once");
  }
  return {};
}

Parsed<std::vector<std::string>> connector_list(const value& json, const std::string& path,
                                                std::size_t min_items) {
  auto items = as_array(json, path, min_items, kConnectorsPerListMax);
  if (!items) return unexpected(std::move(items).error());
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < (*items)->size(); ++i) {
    auto id = connector_id((**items)[i], element(path, i));
    if (!id) return unexpected(std::move(id).error());
    if (auto unique = unique_connector(seen, *id, element(path, i)); !unique) {
      return unexpected(std::move(unique).error());
    }
    ids.push_back(std::move(*id));
  }
  return ids;
}

bool ascii_letters(std::string_view text, std::size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
         });
}

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

// Checks one value of a condition list and returns it normalized, or says what would do.
using ValueCheck = Parsed<std::string> (*)(std::string text, const std::string& path);

Parsed<std::string> check_currency(std::string text, const std::string& path) {
  if (!ascii_letters(text, 3)) {
    return fail_at(path, "must be a three-letter ISO 4217 currency code such as \"usd\"");
  }
  return lower(std::move(text));
}

Parsed<std::string> check_country(std::string text, const std::string& path) {
  if (!ascii_letters(text, 2)) {
    return fail_at(path, "must be a two-letter ISO 3166-1 country code such as \"DE\"");
  }
  return upper(std::move(text));
}

Parsed<std::string> check_brand(std::string text, const std::string& path) {
  if (!contains(kBrands, text)) return fail_at(path, "must be one of: " + one_of(kBrands));
  return text;
}

Parsed<std::string> check_funding(std::string text, const std::string& path) {
  if (!contains(kFundings, text)) return fail_at(path, "must be one of: " + one_of(kFundings));
  return text;
}

Parsed<std::string> check_payment_method(std::string text, const std::string& path) {
  const bool ok = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!ok) return fail_at(path, "must be a payment method type such as \"card\"");
  return text;
}

Parsed<std::vector<std::string>> value_list(const value& json, const std::string& path,
                                            ValueCheck check) {
  auto items = as_array(json, path, 1, kConditionValuesMax);
  if (!items) return unexpected(std::move(items).error());
  std::vector<std::string> values;
  for (std::size_t i = 0; i < (*items)->size(); ++i) {
    auto text = string((**items)[i], element(path, i), kConditionValueBytesMax);
    if (!text) return unexpected(std::move(text).error());
    auto checked = check(std::move(*text), element(path, i));
    if (!checked) return unexpected(std::move(checked).error());
    values.push_back(std::move(*checked));
  }
  return values;
}

Parsed<std::map<std::string, std::string>> metadata_conditions(const value& json,
                                                               const std::string& path) {
  auto fields = as_object(json, path);
  if (!fields) return unexpected(std::move(fields).error());
  if ((*fields)->empty()) return fail_at(path, "must not be empty");
  if ((*fields)->size() > kMetadataConditionsMax) {
    return fail_at(path, "has " + std::to_string((*fields)->size()) + " keys; the limit is " +
                             std::to_string(kMetadataConditionsMax));
  }
  std::map<std::string, std::string> conditions;
  for (const auto& [key, item] : **fields) {
    const std::string item_path = path + "[" + std::string(key) + "]";
    if (key.empty() || key.size() > kMetadataKeyBytesMax) {
      return fail_at(item_path, "keys are 1 to " + std::to_string(kMetadataKeyBytesMax) + " bytes");
    }
    if (!item.is_string()) return fail_at(item_path, "must be a string (the exact value to match)");
    if (item.get_string().size() > kMetadataValueBytesMax) {
      return fail_at(item_path,
                     "is longer than " + std::to_string(kMetadataValueBytesMax) + " bytes");
    }
    conditions[std::string(key)] = std::string(item.get_string());
  }
  return conditions;
}

Parsed<Conditions> parse_conditions(const value& json, const std::string& path) {
  constexpr auto kFields = std::to_array<std::string_view>(
      {"currency", "amount_min", "amount_max", "card_brand", "card_country", "card_funding",
       "payment_method", "metadata"});
  auto fields = as_object(json, path);
  if (!fields) return unexpected(std::move(fields).error());
  const object& in = **fields;
  if (auto known = known_fields(in, path, kFields); !known) return unexpected(known.error());
  Conditions when;
  struct ListField {
    std::string_view name;
    std::vector<std::string>* out;
    ValueCheck check;
  };
  const auto lists = std::to_array<ListField>({
      {"currency", &when.currency, check_currency},
      {"card_brand", &when.card_brand, check_brand},
      {"card_country", &when.card_country, check_country},
      {"card_funding", &when.card_funding, check_funding},
      {"payment_method", &when.payment_method, check_payment_method},
  });
  for (const ListField& list : lists) {
    if (const value* found = find(in, list.name)) {
      auto values = value_list(*found, member(path, list.name), list.check);
      if (!values) return unexpected(std::move(values).error());
      *list.out = std::move(*values);
    }
  }
  constexpr std::int64_t kAmountMax = std::numeric_limits<std::int64_t>::max();
  if (const value* found = find(in, "amount_min")) {
    auto amount = integer(*found, member(path, "amount_min"), 0, kAmountMax);
    if (!amount) return unexpected(std::move(amount).error());
    when.amount_min = *amount;
  }
  if (const value* found = find(in, "amount_max")) {
    auto amount = integer(*found, member(path, "amount_max"), 0, kAmountMax);
    if (!amount) return unexpected(std::move(amount).error());
    when.amount_max = *amount;
  }
  if (when.amount_min && when.amount_max && *when.amount_max < *when.amount_min) {
    return fail_at(member(path, "amount_max"), "is less than amount_min (" +
                                                   std::to_string(*when.amount_min) +
                                                   "); no payment could match");
  }
  if (const value* found = find(in, "metadata")) {
    auto metadata = metadata_conditions(*found, member(path, "metadata"));
    if (!metadata) return unexpected(std::move(metadata).error());
    when.metadata = std::move(*metadata);
  }
  return when;
}

Parsed<Split> parse_split(const value& json, const std::string& path) {
  constexpr auto kFields = std::to_array<std::string_view>({"connector", "percent"});
  auto items = as_array(json, path, 1, kConnectorsPerListMax);
  if (!items) return unexpected(std::move(items).error());
  Split split;
  std::set<std::string> seen;
  int total = 0;
  for (std::size_t i = 0; i < (*items)->size(); ++i) {
    const std::string share_path = element(path, i);
    auto fields = as_object((**items)[i], share_path);
    if (!fields) return unexpected(std::move(fields).error());
    if (auto known = known_fields(**fields, share_path, kFields); !known) {
      return unexpected(known.error());
    }
    const value* connector = find(**fields, "connector");
    if (connector == nullptr) return fail_at(member(share_path, "connector"), "is required");
    auto id = connector_id(*connector, member(share_path, "connector"));
    if (!id) return unexpected(std::move(id).error());
    if (auto unique = unique_connector(seen, *id, member(share_path, "connector")); !unique) {
      return unexpected(std::move(unique).error());
    }
    const value* percent = find(**fields, "percent");
    if (percent == nullptr) return fail_at(member(share_path, "percent"), "is required");
    auto share = integer(*percent, member(share_path, "percent"), 0, kPercentTotal);
    if (!share) return unexpected(std::move(share).error());
    total += static_cast<int>(*share);
    split.shares.push_back(SplitShare{std::move(*id), static_cast<int>(*share)});
  }
  if (total != kPercentTotal) {
    return fail_at(path, "percents sum to " + std::to_string(total) + "; they must sum to " +
                             std::to_string(kPercentTotal));
  }
  return split;
}

Parsed<std::vector<Dimension>> parse_dimensions(const value& json, const std::string& path) {
  auto items = as_array(json, path, 0, kDimensions.size());
  if (!items) return unexpected(std::move(items).error());
  std::vector<Dimension> dimensions;
  for (std::size_t i = 0; i < (*items)->size(); ++i) {
    const value& item = (**items)[i];
    const auto at = item.is_string()
                        ? std::find(kDimensions.begin(), kDimensions.end(), item.get_string())
                        : kDimensions.end();
    if (at == kDimensions.end()) {
      return fail_at(element(path, i), "must be one of: " + one_of(kDimensions));
    }
    const auto dimension = static_cast<Dimension>(at - kDimensions.begin());
    if (std::find(dimensions.begin(), dimensions.end(), dimension) != dimensions.end()) {
      return fail_at(element(path, i), "names " + std::string(*at) + " twice");
    }
    dimensions.push_back(dimension);
  }
  return dimensions;
}

Parsed<SuccessRate> parse_success_rate(const value& json, const std::string& path) {
  constexpr auto kFields =
      std::to_array<std::string_view>({"connectors", "exploration_percent", "dimension"});
  auto fields = as_object(json, path);
  if (!fields) return unexpected(std::move(fields).error());
  if (auto known = known_fields(**fields, path, kFields); !known) return unexpected(known.error());
  SuccessRate target;
  const value* connectors = find(**fields, "connectors");
  if (connectors == nullptr) return fail_at(member(path, "connectors"), "is required");
  auto ids = connector_list(*connectors, member(path, "connectors"), 1);
  if (!ids) return unexpected(std::move(ids).error());
  target.connectors = std::move(*ids);
  if (const value* found = find(**fields, "exploration_percent")) {
    auto percent = integer(*found, member(path, "exploration_percent"), 0, kExplorationPercentMax);
    if (!percent) return unexpected(std::move(percent).error());
    target.exploration_percent = static_cast<int>(*percent);
  }
  if (const value* found = find(**fields, "dimension")) {
    auto dimensions = parse_dimensions(*found, member(path, "dimension"));
    if (!dimensions) return unexpected(std::move(dimensions).error());
    target.dimension = std::move(*dimensions);
  }
  return target;
}

Parsed<Target> parse_target(const value& json, const std::string& path) {
  constexpr auto kFields = std::to_array<std::string_view>({"connectors", "split", "success_rate"});
  auto fields = as_object(json, path);
  if (!fields) return unexpected(std::move(fields).error());
  const object& in = **fields;
  if (auto known = known_fields(in, path, kFields); !known) return unexpected(known.error());
  std::vector<std::string_view> given;
  for (std::string_view name : kFields) {
    if (find(in, name) != nullptr) given.push_back(name);
  }
  if (given.empty()) return fail_at(path, "must have one of: " + one_of(kFields));
  if (given.size() > 1) {
    return fail_at(path, "has both " + std::string(given[0]) + " and " + std::string(given[1]) +
                             "; give exactly one");
  }
  const std::string target_path = member(path, given[0]);
  if (given[0] == "connectors") {
    auto ids = connector_list(*find(in, "connectors"), target_path, 1);
    if (!ids) return unexpected(std::move(ids).error());
    return Target(FixedOrder{std::move(*ids)});
  }
  if (given[0] == "split") {
    auto split = parse_split(*find(in, "split"), target_path);
    if (!split) return unexpected(std::move(split).error());
    return Target(std::move(*split));
  }
  auto success_rate = parse_success_rate(*find(in, "success_rate"), target_path);
  if (!success_rate) return unexpected(std::move(success_rate).error());
  return Target(std::move(*success_rate));
}

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

Parsed<Rule> parse_rule(const value& json, const std::string& path) {
  constexpr auto kFields = std::to_array<std::string_view>({"name", "if", "then"});
  auto fields = as_object(json, path);
  if (!fields) return unexpected(std::move(fields).error());
  const object& in = **fields;
  if (auto known = known_fields(in, path, kFields); !known) return unexpected(known.error());
  Rule rule;
  rule.name = path;
  if (const value* found = find(in, "name")) {
    auto name = string(*found, member(path, "name"), kRuleNameBytesMax);
    if (!name) return unexpected(std::move(name).error());
    if (!printable_ascii(*name)) {
      return fail_at(member(path, "name"), "must be printable ASCII text");
    }
    rule.name = std::move(*name);
  }
  if (const value* found = find(in, "if")) {
    auto when = parse_conditions(*found, member(path, "if"));
    if (!when) return unexpected(std::move(when).error());
    rule.when = std::move(*when);
  }
  const value* then = find(in, "then");
  if (then == nullptr) return fail_at(member(path, "then"), "is required");
  auto target = parse_target(*then, member(path, "then"));
  if (!target) return unexpected(std::move(target).error());
  rule.then = std::move(*target);
  return rule;
}

Parsed<std::vector<Rule>> parse_rules(const value& json) {
  auto items = as_array(json, "rules", 0, kRulesMax);
  if (!items) return unexpected(std::move(items).error());
  std::vector<Rule> rules;
  std::map<std::string, std::size_t> names;  // decisions name their rule: names are unique
  for (std::size_t i = 0; i < (*items)->size(); ++i) {
    auto rule = parse_rule((**items)[i], element("rules", i));
    if (!rule) return unexpected(std::move(rule).error());
    const auto [at, fresh] = names.emplace(rule->name, i);
    if (!fresh) {
      return fail_at(element("rules", i) + ".name",
                     "repeats the name of " + element("rules", at->second) + "; names are unique");
    }
    rules.push_back(std::move(*rule));
  }
  return rules;
}

Parsed<value> parse_json(std::string_view json) {
  if (json.size() > kConfigBytesMax) {
    return fail_at("", "the configuration is " + std::to_string(json.size()) +
                           " bytes; the limit is " + std::to_string(kConfigBytesMax));
  }
  boost::json::parser parser;
  boost::system::error_code failed;
  const std::size_t used = parser.write_some(json.data(), json.size(), failed);
  if (!failed && used < json.size()) failed = boost::json::error::extra_data;
  if (failed) {
    return fail_at("", "the configuration is not valid JSON (" + failed.message() + " at byte " +
                           std::to_string(used) + ")");
  }
  return parser.release();
}

}  // namespace

std::string_view to_string(Dimension dimension) {
  return kDimensions[static_cast<std::size_t>(dimension)];
}

bool Conditions::empty() const {
  return currency.empty() && !amount_min && !amount_max && card_brand.empty() &&
         card_country.empty() && card_funding.empty() && payment_method.empty() && metadata.empty();
}

Expected<RoutingConfig, ConfigError> parse_config(std::string_view json) {
  constexpr auto kFields = std::to_array<std::string_view>({"rules", "fallback", "max_attempts"});
  auto document = parse_json(json);
  if (!document) return unexpected(std::move(document).error());
  if (!document->is_object()) return fail_at("", "the configuration must be a JSON object");
  const object& in = document->get_object();
  if (auto known = known_fields(in, "", kFields); !known) return unexpected(known.error());
  RoutingConfig config;
  if (const value* found = find(in, "rules")) {
    auto rules = parse_rules(*found);
    if (!rules) return unexpected(std::move(rules).error());
    config.rules = std::move(*rules);
  }
  if (const value* found = find(in, "fallback")) {
    auto ids = connector_list(*found, "fallback", 0);
    if (!ids) return unexpected(std::move(ids).error());
    config.fallback = std::move(*ids);
  }
  if (const value* found = find(in, "max_attempts")) {
    auto attempts = integer(*found, "max_attempts", kMaxAttemptsMin, kMaxAttemptsMax);
    if (!attempts) return unexpected(std::move(attempts).error());
    config.max_attempts = static_cast<int>(*attempts);
  }
  // Every payment must have somewhere to go: a fallback, or a rule that matches everything.
  const bool catch_all = std::any_of(config.rules.begin(), config.rules.end(),
                                     [](const Rule& rule) { return rule.when.empty(); });
  if (config.fallback.empty() && !catch_all) {
    return fail_at("fallback",
                   "must name at least one connector, unless a rule without conditions catches "
                   "every payment: otherwise a payment no rule matches has nowhere to go");
  }
  return config;
}

std::vector<std::string> referenced_connectors(const RoutingConfig& config) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  auto add = [&](const std::string& id) {
    if (seen.insert(id).second) ids.push_back(id);
  };
  for (const Rule& rule : config.rules) {
    if (const auto* fixed = std::get_if<FixedOrder>(&rule.then)) {
      for (const std::string& id : fixed->connectors) add(id);
    } else if (const auto* split = std::get_if<Split>(&rule.then)) {
      for (const SplitShare& share : split->shares) add(share.connector);
    } else {
      for (const std::string& id : std::get<SuccessRate>(rule.then).connectors) add(id);
    }
  }
  for (const std::string& id : config.fallback) add(id);
  return ids;
}

}  // namespace till::routing
