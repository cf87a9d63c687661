// connectors/declines.h — the decline vocabulary every card connector shares.
//
// One row per way a processor can refuse a card: the JSON wire's `decline_code` (which is
// also Stripe's decline code), the ISO 8583 response code (field 39), and whether the decline
// is soft (the issuer or processor may approve later or elsewhere: payments may fail over) or
// hard (the card itself is refused: never retried on another processor). The table follows
// docs/sandbox-psp.md; docs/connectors.md shows it.
#pragma once

#include <span>
#include <string_view>

namespace till::connectors {

struct DeclineRule {
  std::string_view decline_code;  // Stripe's decline code, also the JSON wire's
  std::string_view iso_code;      // ISO 8583 field 39
  bool soft = false;
  std::string_view message;  // for operators
};

// ISO 8583 field 39 values that are not declines.
inline constexpr std::string_view kIsoApproved = "00";
inline constexpr std::string_view kIsoUnableToLocate = "25";  // 0430: nothing under that id

// Stripe's decline code for a refusal nobody classified. A decline code or ISO code missing
// from the table is treated as this, but hard: retrying an unexplained refusal elsewhere
// risks the excessive-retry rules of the card networks.
inline constexpr std::string_view kGenericDecline = "generic_decline";

std::span<const DeclineRule> decline_rules();
const DeclineRule* find_decline_by_code(std::string_view decline_code);
const DeclineRule* find_decline_by_iso(std::string_view iso_code);

}  // namespace till::connectors
