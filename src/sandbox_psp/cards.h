// sandbox_psp/cards.h — what the simulated issuer answers for a card.
//
// Pure functions: the outcome table of docs/sandbox-psp.md (test numbers, Luhn, expiry, 3-D
// Secure), the brand from the number's prefix, and the ISO 4217 currency table both wires
// use. A card number enters here and leaves as brand + last 4 only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/luhn.h"

namespace till::sandbox_psp {

constexpr std::size_t kCardNumberDigitsMin = 12;
constexpr std::size_t kCardNumberDigitsMax = 19;

struct CardInput {
  std::string_view number;  // digits only (checked by the wire before)
  std::int64_t exp_month = 0;
  std::int64_t exp_year = 0;   // four digits
  bool authenticated = false;  // 3-D Secure completed
};

// The issuer's answer. `decline_code` is empty when approved.
struct CardDecision {
  bool approved = false;
  std::string decline_code;   // JSON wire: generic_decline, insufficient_funds, ...
  std::string response_code;  // ISO field 39: "00", "05", "51", ...
  std::string message;        // for people; never contains the number
  bool soft = false;          // another attempt (elsewhere, later) may succeed
};

// visa, mastercard, amex, discover, jcb, diners, unionpay or unknown.
std::string card_brand(std::string_view digits);
std::string card_last4(std::string_view digits);

// The table of docs/sandbox-psp.md; `now_year`/`now_month` are today's UTC date. The order of
// checks: number (Luhn, length), expiry, the test numbers.
CardDecision decide(const CardInput& card, std::int64_t now_year, std::int64_t now_month);

// The injected soft decline (faults: decline_permille): issuer unavailable.
CardDecision injected_soft_decline();

// ISO 4217: alphabetic (lower case, as the JSON wire writes it) <-> numeric ("840").
std::optional<std::string> currency_numeric(std::string_view alpha);
std::optional<std::string> currency_alpha(std::string_view numeric);

}  // namespace till::sandbox_psp
