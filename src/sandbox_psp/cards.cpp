#include "sandbox_psp/cards.h"

#include <array>
#include <cassert>
#include <utility>

namespace till::sandbox_psp {

namespace {

struct TestNumber {
  std::string_view number;
  std::string_view decline_code;
  std::string_view response_code;
  std::string_view message;
  bool soft;
};

// docs/sandbox-psp.md, "Card outcomes". 4000002500003155 is handled apart (3-D Secure).
constexpr std::array<TestNumber, 6> kTestNumbers{{
    {"4000000000000002", "generic_decline", "05", "The card was declined.", true},
    {"4000000000009995", "insufficient_funds", "51", "The card has insufficient funds.", false},
    {"4000000000000069", "expired_card", "54", "The card has expired.", false},
    {"4000000000009979", "stolen_card", "43", "The card was reported stolen.", false},
    {"4000000000009987", "lost_card", "41", "The card was reported lost.", false},
    {"4000000000000119", "processing_error", "96", "An error occurred while processing the card.",
     true},
}};
constexpr std::string_view kAuthenticationRequiredNumber = "4000002500003155";

// ISO 4217 alphabetic and numeric codes of the currencies the sandbox accepts.
constexpr std::array<std::pair<std::string_view, std::string_view>, 52> kCurrencies{{
    {"aed", "784"}, {"ars", "032"}, {"aud", "036"}, {"bgn", "975"}, {"bhd", "048"}, {"brl", "986"},
    {"cad", "124"}, {"chf", "756"}, {"clp", "152"}, {"cny", "156"}, {"cop", "170"}, {"czk", "203"},
    {"dkk", "208"}, {"egp", "818"}, {"eur", "978"}, {"gbp", "826"}, {"hkd", "344"}, {"huf", "348"},
    {"idr", "360"}, {"ils", "376"}, {"inr", "356"}, {"isk", "352"}, {"jod", "400"}, {"jpy", "392"},
    {"kes", "404"}, {"krw", "410"}, {"kwd", "414"}, {"mxn", "484"}, {"myr", "458"}, {"ngn", "566"},
    {"nok", "578"}, {"nzd", "554"}, {"omr", "512"}, {"pen", "604"}, {"php", "608"}, {"pln", "985"},
    {"qar", "634"}, {"ron", "946"}, {"sar", "682"}, {"sek", "752"}, {"sgd", "702"}, {"thb", "764"},
    {"tnd", "788"}, {"try", "949"}, {"twd", "901"}, {"uah", "980"}, {"ugx", "800"}, {"usd", "840"},
    {"vnd", "704"}, {"xof", "952"}, {"zar", "710"}, {"mad", "504"},
}};

CardDecision decline(std::string_view code, std::string_view response_code,
                     std::string_view message, bool soft) {
  return CardDecision{false, std::string(code), std::string(response_code), std::string(message),
                      soft};
}

bool starts_with_range(std::string_view digits, std::size_t prefix_length, int low, int high) {
  if (digits.size() < prefix_length) return false;
  int value = 0;
  for (std::size_t i = 0; i < prefix_length; ++i) value = value * 10 + (digits[i] - '0');
  return value >= low && value <= high;
}

}  // namespace

std::string card_brand(std::string_view digits) {
  if (starts_with_range(digits, 1, 4, 4)) return "visa";
  if (starts_with_range(digits, 2, 51, 55) || starts_with_range(digits, 4, 2221, 2720)) {
    return "mastercard";
  }
  if (starts_with_range(digits, 2, 34, 34) || starts_with_range(digits, 2, 37, 37)) return "amex";
  if (starts_with_range(digits, 4, 6011, 6011) || starts_with_range(digits, 2, 65, 65) ||
      starts_with_range(digits, 3, 644, 649)) {
    return "discover";
  }
  if (starts_with_range(digits, 2, 35, 35)) return "jcb";
  if (starts_with_range(digits, 2, 36, 36) || starts_with_range(digits, 2, 38, 38) ||
      starts_with_range(digits, 3, 300, 305)) {
    return "diners";
  }
  if (starts_with_range(digits, 2, 62, 62)) return "unionpay";
  return "unknown";
}

std::string card_last4(std::string_view digits) {
  return std::string(digits.size() <= 4 ? digits : digits.substr(digits.size() - 4));
}

CardDecision decide(const CardInput& card, std::int64_t now_year, std::int64_t now_month) {
  assert(now_month >= 1 && now_month <= 12);
  if (card.number.size() < kCardNumberDigitsMin || !luhn_valid(card.number)) {
    return decline("incorrect_number", "14", "The card number is incorrect.", false);
  }
  // A card is valid through the last day of its expiry month.
  if (card.exp_year < now_year || (card.exp_year == now_year && card.exp_month < now_month)) {
    return decline("expired_card", "54", "The card has expired.", false);
  }
  for (const TestNumber& test : kTestNumbers) {
    if (card.number == test.number) {
      return decline(test.decline_code, test.response_code, test.message, test.soft);
    }
  }
  if (card.number == kAuthenticationRequiredNumber && !card.authenticated) {
    return decline("authentication_required", "1A", "The card requires 3-D Secure authentication.",
                   false);
  }
  return CardDecision{true, "", "00", "", false};
}

CardDecision injected_soft_decline() {
  return decline("try_again_later", "91", "The issuer is unavailable; try again later.", true);
}

std::optional<std::string> currency_numeric(std::string_view alpha) {
  for (const auto& [a, n] : kCurrencies) {
    if (a == alpha) return std::string(n);
  }
  return std::nullopt;
}

std::optional<std::string> currency_alpha(std::string_view numeric) {
  for (const auto& [a, n] : kCurrencies) {
    if (n == numeric) return std::string(a);
  }
  return std::nullopt;
}

}  // namespace till::sandbox_psp
