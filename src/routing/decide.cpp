// decide(): rule matching, the three kinds of target, fallback, breakers, the attempt cap.
#include <algorithm>
#include <cassert>
#include <set>

#include "base/digest.h"
#include "routing/routing.h"

namespace till::routing {

namespace {

constexpr std::uint64_t kPercentBuckets = 100;

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

bool listed(const std::vector<std::string>& values, const std::string& value) {
  return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
}

std::string_view fact(Dimension dimension, const PaymentFacts& facts) {
  switch (dimension) {
    case Dimension::currency:
      return facts.currency;
    case Dimension::card_brand:
      return facts.card_brand;
    case Dimension::card_country:
      return facts.card_country;
    case Dimension::card_funding:
      return facts.card_funding;
    case Dimension::payment_method:
      return facts.payment_method;
  }
  return "";
}

// Candidates in order, each once.
class CandidateList {
 public:
  void add(const std::string& connector) {
    if (seen_.insert(connector).second) order_.push_back(connector);
  }
  void add_all(const std::vector<std::string>& connectors) {
    for (const std::string& connector : connectors) add(connector);
  }
  std::vector<std::string> take() { return std::move(order_); }

 private:
  std::vector<std::string> order_;
  std::set<std::string> seen_;
};

std::string route_split(const Split& split, const PaymentFacts& facts, CandidateList& out) {
  const int bucket = split_bucket(facts.payment_id);
  int upper_bound = 0;
  const SplitShare* primary = nullptr;
  for (const SplitShare& share : split.shares) {
    upper_bound += share.percent;
    if (bucket < upper_bound) {
      primary = &share;
      break;
    }
  }
  assert(primary != nullptr);  // parse_config: the percents sum to 100
  out.add(primary->connector);
  for (const SplitShare& share : split.shares) out.add(share.connector);
  return "split bucket " + std::to_string(bucket) + " -> " + primary->connector;
}

struct Ranked {
  std::string connector;
  RateSnapshot rate;
};

std::string describe(const Ranked& ranked) {
  return ranked.connector + " " + std::to_string(ranked.rate.permille) + " permille" +
         (ranked.rate.prior ? " (prior, " + std::to_string(ranked.rate.samples) + " samples)"
                            : " over " + std::to_string(ranked.rate.samples));
}

std::string route_success_rate(const SuccessRate& target, const PaymentFacts& facts,
                               const SuccessRates& rates, std::int64_t now_ms, std::uint64_t random,
                               CandidateList& out) {
  const std::string dimension = dimension_key(target.dimension, facts);
  std::vector<Ranked> ranked;
  for (const std::string& connector : target.connectors) {
    ranked.push_back(Ranked{connector, rates.rate(connector, dimension, now_ms)});
  }
  // Best first; equal rates keep the listed order.
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    return a.rate.permille > b.rate.permille;
  });
  const bool explore =
      ranked.size() > 1 &&
      random % kPercentBuckets < static_cast<std::uint64_t>(target.exploration_percent);
  std::string reason;
  if (explore) {
    // Another candidate, uniformly: the draw's low digits decided to explore, the rest pick.
    const std::size_t pick =
        1 + static_cast<std::size_t>((random / kPercentBuckets) % (ranked.size() - 1));
    reason = "success_rate explore " + describe(ranked[pick]) + "; best " + describe(ranked[0]);
    out.add(ranked[pick].connector);
  } else {
    reason = "success_rate best " + describe(ranked[0]);
  }
  for (const Ranked& candidate : ranked) out.add(candidate.connector);
  return reason;
}

std::vector<std::string> rate_dimensions(const RoutingConfig& config, const PaymentFacts& facts) {
  std::vector<std::string> keys;
  for (const Rule& rule : config.rules) {
    if (const auto* target = std::get_if<SuccessRate>(&rule.then)) {
      std::string key = dimension_key(target->dimension, facts);
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
    }
  }
  return keys;
}

}  // namespace

int split_bucket(std::string_view payment_id) {
  const auto digest = sha256(payment_id);
  std::uint64_t head = 0;
  for (std::size_t i = 0; i < sizeof(head); ++i) head = (head << 8) | digest[i];
  return static_cast<int>(head % kPercentBuckets);
}

std::string dimension_key(const std::vector<Dimension>& dimensions, const PaymentFacts& facts) {
  std::vector<Dimension> sorted = dimensions;
  std::sort(sorted.begin(), sorted.end());
  std::string key;
  for (Dimension dimension : sorted) {
    if (!key.empty()) key += ';';
    key += to_string(dimension);
    key += '=';
    key += fact(dimension, facts);
  }
  return key;
}

bool matches(const Conditions& when, const PaymentFacts& facts) {
  if (when.amount_min && facts.amount < *when.amount_min) return false;
  if (when.amount_max && facts.amount > *when.amount_max) return false;
  if (!listed(when.currency, lower(facts.currency))) return false;
  if (!listed(when.card_brand, facts.card_brand)) return false;
  if (!listed(when.card_country, upper(facts.card_country))) return false;
  if (!listed(when.card_funding, facts.card_funding)) return false;
  if (!listed(when.payment_method, facts.payment_method)) return false;
  for (const auto& [key, expected] : when.metadata) {
    const auto found = facts.metadata.find(key);
    if (found == facts.metadata.end() || found->second != expected) return false;
  }
  return true;
}

RouteDecision decide(const RoutingConfig& config, const PaymentFacts& facts,
                     const SuccessRates& rates, const Breakers& breakers, std::int64_t now_ms,
                     std::uint64_t random) {
  assert(config.max_attempts >= kMaxAttemptsMin && config.max_attempts <= kMaxAttemptsMax);
  RouteDecision decision;
  CandidateList list;
  const auto matched = std::find_if(config.rules.begin(), config.rules.end(),
                                    [&](const Rule& rule) { return matches(rule.when, facts); });
  if (matched == config.rules.end()) {
    decision.rule = "fallback";
    decision.reason = "no rule matched";
  } else {
    decision.rule = matched->name;
    if (const auto* fixed = std::get_if<FixedOrder>(&matched->then)) {
      list.add_all(fixed->connectors);
      decision.reason = "fixed order";
    } else if (const auto* split = std::get_if<Split>(&matched->then)) {
      decision.reason = route_split(*split, facts, list);
    } else {
      decision.reason = route_success_rate(std::get<SuccessRate>(matched->then), facts, rates,
                                           now_ms, random, list);
    }
  }
  list.add_all(config.fallback);
  std::vector<std::string> candidates = list.take();

  // Open breakers go to the back, in their order: tried only when everything else has been.
  const auto refused = std::stable_partition(
      candidates.begin(), candidates.end(),
      [&](const std::string& connector) { return breakers.would_allow(connector, now_ms); });
  decision.allowed_count = static_cast<std::size_t>(refused - candidates.begin());
  if (refused != candidates.end()) {
    decision.reason +=
        "; breaker open: " + *refused + (candidates.end() - refused > 1 ? " and others" : "");
  }
  const auto cap = static_cast<std::size_t>(config.max_attempts);
  if (candidates.size() > cap) candidates.resize(cap);
  decision.allowed_count = std::min(decision.allowed_count, candidates.size());
  decision.candidates = std::move(candidates);
  decision.rate_dimensions = rate_dimensions(config, facts);
  return decision;
}

void record_outcome(SuccessRates& rates, const RouteDecision& decision, std::string_view connector,
                    bool approved, std::int64_t now_ms) {
  for (const std::string& dimension : decision.rate_dimensions) {
    rates.record(connector, dimension, approved, now_ms);
  }
}

}  // namespace till::routing
