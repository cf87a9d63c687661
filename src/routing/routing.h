// routing/routing.h — which connector account(s) a payment goes to, and in what order.
//
// What this module owns
//   - Routing configurations (config.h): rules, first match wins; fixed order, percentage
//     splits and success-rate routing; a fallback; how many attempts a payment may make.
//     Stored per merchant and mode, versioned, append-only (config_store.h, migration 0007).
//   - decide() below: a pure function of the configuration, the payment's facts, the current
//     success rates and breaker states, the time and a random draw — so tests are exact.
//   - Success-rate tracking (success_rates.h) and circuit breakers (breakers.h), in memory per
//     process.
//   - The BIN table (bin.h): brand, country and funding from a card number's first digits.
//
// How a payment uses it (the payments orchestration does this)
//   1. facts = {payment id, amount, currency, lookup_bin(card number), metadata…}
//   2. decision = decide(config, facts, rates, breakers, now, random draw)
//   3. for each candidate in order, at most decision.candidates.size() attempts:
//        breakers.allow(candidate) (reserves a half-open probe slot) → call the connector →
//        breakers.record(candidate, no usable answer?, latency) and, when the processor
//        answered approved or declined, record_outcome(rates, decision, candidate, approved).
//      A hard decline ends the payment; a soft decline or a failure moves to the next one.
//
// No floating point anywhere: rates are integers per mille, splits whole percents.
// docs/routing.md is the operator's reference; docs/adr/0012-routing.md the design.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "routing/bin.h"
#include "routing/breakers.h"
#include "routing/config.h"
#include "routing/config_store.h"
#include "routing/success_rates.h"

namespace till::routing {

// What routing may look at (the card number itself is never here).
struct PaymentFacts {
  std::string payment_id;      // pi_…, hashes deterministically into splits
  std::int64_t amount = 0;     // minor units
  std::string currency;        // lower case ISO 4217
  std::string payment_method;  // "card"
  std::string card_brand;      // visa, mastercard, amex, ...
  std::string card_country;    // ISO 3166 alpha-2 from the BIN table, "" unknown
  std::string card_funding;    // credit, debit, prepaid, unknown
  std::map<std::string, std::string> metadata;
};

struct RouteDecision {
  // Ordered, deduplicated, at most config.max_attempts. Never empty for a parsed config.
  std::vector<std::string> candidates;
  std::string rule;    // the matched rule's name ("rules[2]" when unnamed), or "fallback"
  std::string reason;  // one line for logs and the payment's attempt record
  // The first `allowed_count` candidates' breakers allowed them when deciding; the rest were
  // refused and moved to the end (kept, so a payment has somewhere to go when all are open).
  std::size_t allowed_count = 0;
  // The dimension values to record this payment's outcomes under (one per distinct
  // success-rate dimension in the configuration); see record_outcome.
  std::vector<std::string> rate_dimensions;
};

// `random` in [0, 2^64): the caller's draw (from the CSPRNG in production), so tests are
// deterministic. Reads the breakers without reserving probe slots.
RouteDecision decide(const RoutingConfig& config, const PaymentFacts& facts,
                     const SuccessRates& rates, const Breakers& breakers, std::int64_t now_ms,
                     std::uint64_t random);

// Whether every condition of `conditions` holds for the payment.
bool matches(const Conditions& conditions, const PaymentFacts& facts);

// The split bucket of a payment id, 0..99: the first 8 bytes of SHA-256(id), big-endian,
// modulo 100. Stable across processes, builds and platforms (unlike std::hash).
int split_bucket(std::string_view payment_id);

// The key success rates are kept under for these dimensions of these facts:
// "currency=eur;card_brand=visa"; dimensions always in the order currency, card_brand,
// card_country, card_funding, payment_method, whatever order the rule lists them in; "" for
// no dimension.
std::string dimension_key(const std::vector<Dimension>& dimensions, const PaymentFacts& facts);

// Records an authorization outcome of `connector` under every dimension value in the decision,
// so each success-rate rule learns from every payment, whichever rule routed it.
void record_outcome(SuccessRates& rates, const RouteDecision& decision, std::string_view connector,
                    bool approved, std::int64_t now_ms);

}  // namespace till::routing
