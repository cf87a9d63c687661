#include "connectors/declines.h"

#include <array>

namespace till::connectors {

namespace {

constexpr std::array<DeclineRule, 9> kDeclineRules = {{
    {"generic_decline", "05", true, "the issuer declined the card (do not honour)"},
    {"try_again_later", "91", true, "the issuer or switch is unavailable"},
    {"processing_error", "96", true, "the processor failed to process the card"},
    {"insufficient_funds", "51", false, "insufficient funds"},
    {"expired_card", "54", false, "the card has expired"},
    {"stolen_card", "43", false, "the card is reported stolen"},
    {"lost_card", "41", false, "the card is reported lost"},
    {"incorrect_number", "14", false, "the card number is incorrect"},
    {"authentication_required", "1A", false, "the issuer requires 3-D Secure authentication"},
}};

}  // namespace

std::span<const DeclineRule> decline_rules() { return kDeclineRules; }

const DeclineRule* find_decline_by_code(std::string_view decline_code) {
  for (const DeclineRule& rule : kDeclineRules) {
    if (rule.decline_code == decline_code) return &rule;
  }
  return nullptr;
}

const DeclineRule* find_decline_by_iso(std::string_view iso_code) {
  for (const DeclineRule& rule : kDeclineRules) {
    if (rule.iso_code == iso_code) return &rule;
  }
  return nullptr;
}

}  // namespace till::connectors
