#include "payments/sandbox_card.h"

#include <array>

#include "base/digest.h"
#include "base/luhn.h"
#include "routing/bin.h"
#include "vault/vault.h"

namespace till::payments {

namespace {

struct BehaviourName {
  CardBehaviour behaviour;
  std::string_view name;
};

constexpr std::array<BehaviourName, 6> kBehaviourNames = {{
    {CardBehaviour::approve, "approve"},
    {CardBehaviour::decline_generic, "decline_generic"},
    {CardBehaviour::decline_insufficient_funds, "decline_insufficient_funds"},
    {CardBehaviour::decline_expired_card, "decline_expired_card"},
    {CardBehaviour::decline_processing_error, "decline_processing_error"},
    {CardBehaviour::require_authentication, "require_authentication"},
}};

// Numbers with a behaviour other than approve (Stripe's test cards).
struct SpecialNumber {
  std::string_view number;
  CardBehaviour behaviour;
};

constexpr std::array<SpecialNumber, 5> kSpecialNumbers = {{
    {"4000000000000002", CardBehaviour::decline_generic},
    {"4000000000009995", CardBehaviour::decline_insufficient_funds},
    {"4000000000000069", CardBehaviour::decline_expired_card},
    {"4000000000000119", CardBehaviour::decline_processing_error},
    {"4000002500003155", CardBehaviour::require_authentication},
}};

// Test payment methods and tokens: id suffix → number.
struct NamedCard {
  std::string_view name;
  std::string_view number;
  std::string_view funding;
};

constexpr std::array<NamedCard, 13> kNamedCards = {{
    {"visa", "4242424242424242", "credit"},
    {"visa_debit", "4000056655665556", "debit"},
    {"mastercard", "5555555555554444", "credit"},
    {"mastercard_debit", "5200828282828210", "debit"},
    {"amex", "378282246310005", "credit"},
    {"discover", "6011111111111117", "credit"},
    {"jcb", "3566002020360505", "credit"},
    {"chargeDeclined", "4000000000000002", "credit"},
    {"chargeDeclinedInsufficientFunds", "4000000000009995", "credit"},
    {"chargeDeclinedExpiredCard", "4000000000000069", "credit"},
    {"chargeDeclinedProcessingError", "4000000000000119", "credit"},
    {"authenticationRequired", "4000002500003155", "credit"},
    {"threeDSecure2Required", "4000002500003155", "credit"},
}};

bool starts_with_range(std::string_view number, int digits, int low, int high) {
  if (number.size() < static_cast<std::size_t>(digits)) return false;
  int prefix = 0;
  for (int i = 0; i < digits; ++i)
    prefix = prefix * 10 + (number[static_cast<std::size_t>(i)] - '0');
  return prefix >= low && prefix <= high;
}

std::string brand_of(std::string_view number) {
  if (starts_with_range(number, 1, 4, 4)) return "visa";
  if (starts_with_range(number, 2, 51, 55) || starts_with_range(number, 4, 2221, 2720))
    return "mastercard";
  if (starts_with_range(number, 2, 34, 34) || starts_with_range(number, 2, 37, 37)) return "amex";
  if (starts_with_range(number, 4, 6011, 6011) || starts_with_range(number, 2, 65, 65) ||
      starts_with_range(number, 3, 644, 649))
    return "discover";
  if (starts_with_range(number, 4, 3528, 3589)) return "jcb";
  if (starts_with_range(number, 2, 36, 36) || starts_with_range(number, 3, 300, 305) ||
      starts_with_range(number, 2, 38, 38))
    return "diners";
  if (starts_with_range(number, 2, 62, 62)) return "unionpay";
  return "unknown";
}

api::ApiError card_error(std::string code, std::string message, std::string param) {
  api::ApiError error;
  error.status = 402;
  error.type = "card_error";
  error.code = std::move(code);
  error.message = std::move(message);
  error.param = std::move(param);
  return error;
}

std::string join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return std::string(prefix) + "[" + std::string(key) + "]";
}

TestCard card_for_number(std::string_view digits, std::string_view funding,
                         const vault::Vault* vault) {
  TestCard card;
  card.brand = brand_of(digits);
  card.funding = std::string(funding);
  // The issuing country from the BIN table (routing rules match on it); Stripe's test cards
  // without a country of their own are US cards.
  const routing::BinInfo bin = routing::lookup_bin(digits);
  card.country = bin.country.empty() ? "US" : bin.country;
  card.last4 = std::string(digits.substr(digits.size() - 4));
  // Stable per number and one-way. Keyed by the vault, so a fingerprint cannot be reversed by
  // hashing every possible number (the PAN space is small enough to enumerate).
  card.fingerprint = vault != nullptr
                         ? vault->fingerprint(digits)
                         : sha256_hex("till-card-fingerprint:" + std::string(digits)).substr(0, 16);
  for (const SpecialNumber& special : kSpecialNumbers) {
    if (digits == special.number) card.behaviour = special.behaviour;
  }
  return card;
}

}  // namespace

std::string_view to_string(CardBehaviour behaviour) {
  for (const auto& entry : kBehaviourNames) {
    if (entry.behaviour == behaviour) return entry.name;
  }
  return "approve";
}

std::optional<CardBehaviour> parse_card_behaviour(std::string_view text) {
  for (const auto& entry : kBehaviourNames) {
    if (entry.name == text) return entry.behaviour;
  }
  return std::nullopt;
}

Expected<TestCard, api::ApiError> test_card_from_details(const CardDetails& details,
                                                         std::string_view param_prefix,
                                                         std::int64_t now_year,
                                                         std::int64_t now_month,
                                                         const vault::Vault* vault) {
  std::string digits;
  for (char c : details.number) {
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9' || digits.size() > 19) {
      return unexpected(card_error("invalid_number", "Your card number is not a valid card number.",
                                   join(param_prefix, "number")));
    }
    digits.push_back(c);
  }
  if (digits.size() < 12 || !luhn_valid(digits)) {
    return unexpected(card_error("incorrect_number", "Your card number is incorrect.",
                                 join(param_prefix, "number")));
  }
  if (details.exp_month < 1 || details.exp_month > 12) {
    return unexpected(card_error("invalid_expiry_month", "Your card's expiration month is invalid.",
                                 join(param_prefix, "exp_month")));
  }
  std::int64_t year = details.exp_year;
  if (year >= 0 && year < 100) year += 2000;  // Stripe accepts two-digit years
  if (year < now_year || year > now_year + 50 ||
      (year == now_year && details.exp_month < now_month)) {
    return unexpected(card_error("invalid_expiry_year", "Your card's expiration year is invalid.",
                                 join(param_prefix, "exp_year")));
  }
  if (!details.cvc.empty()) {
    bool digits_only = details.cvc.size() >= 3 && details.cvc.size() <= 4;
    for (char c : details.cvc) digits_only = digits_only && c >= '0' && c <= '9';
    if (!digits_only) {
      return unexpected(card_error("invalid_cvc", "Your card's security code is invalid.",
                                   join(param_prefix, "cvc")));
    }
  }
  const routing::BinInfo bin = routing::lookup_bin(digits);
  const std::string_view funding =
      bin.funding.empty() || bin.funding == "unknown" ? std::string_view("credit") : bin.funding;
  TestCard card = card_for_number(digits, funding, vault);
  card.exp_month = details.exp_month;
  card.exp_year = year;
  return card;
}

std::optional<TestCard> test_card_for_id(std::string_view id, std::int64_t now_year,
                                         const vault::Vault* vault) {
  std::string_view name;
  if (id.rfind("pm_card_", 0) == 0) {
    name = id.substr(8);
  } else if (id.rfind("tok_", 0) == 0) {
    name = id.substr(4);
  } else {
    return std::nullopt;
  }
  for (const NamedCard& named : kNamedCards) {
    if (named.name != name) continue;
    TestCard card = card_for_number(named.number, named.funding, vault);
    card.exp_month = 12;
    card.exp_year = now_year + 3;
    card.test_name = std::string(named.name);
    return card;
  }
  return std::nullopt;
}

std::optional<std::string_view> test_card_number(std::string_view test_name) {
  for (const NamedCard& named : kNamedCards) {
    if (named.name == test_name) return named.number;
  }
  return std::nullopt;
}

AuthorizationResult SandboxCardProcessor::authorize(const TestCard& card,
                                                    bool authenticated) const {
  AuthorizationResult result;
  auto decline = [&](std::string code, std::string decline_code, std::string message,
                     std::string seller_message) {
    result.failure_code = std::move(code);
    result.decline_code = decline_code;
    result.failure_message = std::move(message);
    result.network_status = "declined_by_network";
    result.outcome_reason = std::move(decline_code);
    result.outcome_type = "issuer_declined";
    result.seller_message = std::move(seller_message);
  };
  switch (card.behaviour) {
    case CardBehaviour::require_authentication:
      if (!authenticated) {
        result.requires_authentication = true;
        return result;
      }
      [[fallthrough]];
    case CardBehaviour::approve:
      result.approved = true;
      result.network_status = "approved_by_network";
      result.outcome_type = "authorized";
      result.seller_message = "Payment complete.";
      return result;
    case CardBehaviour::decline_generic:
      decline("card_declined", "generic_decline", "Your card was declined.",
              "The bank did not return any further details with this decline.");
      return result;
    case CardBehaviour::decline_insufficient_funds:
      decline("card_declined", "insufficient_funds", "Your card has insufficient funds.",
              "The bank returned the decline code `insufficient_funds`.");
      return result;
    case CardBehaviour::decline_expired_card:
      decline("expired_card", "expired_card", "Your card has expired.",
              "The bank returned the decline code `expired_card`.");
      return result;
    case CardBehaviour::decline_processing_error:
      decline("processing_error", "processing_error",
              "An error occurred while processing your card. Try again in a little bit.",
              "The bank returned the decline code `processing_error`.");
      result.outcome_type = "issuer_declined";
      return result;
  }
  return result;
}

}  // namespace till::payments
