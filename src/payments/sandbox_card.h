// payments/sandbox_card.h — test cards and the in-process sandbox card processor.
//
// Test mode only. Card numbers are reduced at once to what Till keeps (brand, last 4, expiry,
// fingerprint and the sandbox behaviour the number selects); the number itself and the CVC
// are never stored or logged. The outcomes follow Stripe's test cards
// (https://docs.stripe.com/testing): 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002
// declines, ..., and the `pm_card_*` test payment methods name the same cards. Issue 6 moves
// the processor out of process behind a connector; the outcomes stay.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/errors.h"
#include "base/result.h"

namespace till::vault {
class Vault;
}

namespace till::payments {

enum class CardBehaviour {
  approve,
  decline_generic,
  decline_insufficient_funds,
  decline_expired_card,
  decline_processing_error,
  require_authentication,  // 3-D Secure: requires_action, completed by a test endpoint
};

std::string_view to_string(CardBehaviour behaviour);
std::optional<CardBehaviour> parse_card_behaviour(std::string_view text);

struct TestCard {
  std::string brand;    // visa, mastercard, amex, discover, jcb, diners, unionpay, unknown
  std::string funding;  // credit, debit, prepaid, unknown
  std::string country;  // ISO 3166-1 alpha-2
  std::string last4;
  std::int64_t exp_month = 0;
  std::int64_t exp_year = 0;
  std::string fingerprint;  // the same for the same number, never reversible to it
  CardBehaviour behaviour = CardBehaviour::approve;
  // Made from one of Stripe's test ids (pm_card_visa → "visa"): processors are sent that
  // test card's public number. "" for a card made from details, whose number is vaulted.
  std::string test_name;
};

struct CardDetails {
  std::string number;  // digits; spaces and dashes are tolerated and removed
  std::int64_t exp_month = 0;
  std::int64_t exp_year = 0;
  std::string cvc;  // checked for shape only, never kept
};

// Validates card details the way Stripe does (Luhn, expiry in the future, CVC shape), naming
// the parameter under `param_prefix` ("card") on failure. `now_year`/`now_month` are the
// current UTC date: an expiry in the past is invalid input (`invalid_expiry_year`).
// `vault` keys the fingerprint (HMAC under the installation's fingerprint key); without one
// (unit tests) it is an unkeyed digest.
Expected<TestCard, api::ApiError> test_card_from_details(const CardDetails& details,
                                                         std::string_view param_prefix,
                                                         std::int64_t now_year,
                                                         std::int64_t now_month,
                                                         const vault::Vault* vault = nullptr);

// Stripe's test payment methods (`pm_card_visa`, `pm_card_chargeDeclined`, ...) and tokens
// (`tok_visa`, ...): the card they stand for, or nullopt for any other id.
std::optional<TestCard> test_card_for_id(std::string_view id, std::int64_t now_year,
                                         const vault::Vault* vault = nullptr);

// The public test number behind a TestCard::test_name, for sending to a processor.
std::optional<std::string_view> test_card_number(std::string_view test_name);

// What a processor answered to an authorization.
struct AuthorizationResult {
  bool approved = false;
  bool requires_authentication = false;
  // Declines: Stripe's error `code` (card_declined, expired_card, processing_error), its
  // `decline_code`, and the message a customer may see.
  std::string failure_code;
  std::string decline_code;
  std::string failure_message;
  // The charge's `outcome`: network_status, reason, type, seller_message.
  std::string network_status;
  std::string outcome_reason;
  std::string outcome_type;
  std::string seller_message;
  std::string processor_reference;
};

class SandboxCardProcessor {
 public:
  // Decides by the card's behaviour. `authenticated`: the customer completed 3-D Secure.
  AuthorizationResult authorize(const TestCard& card, bool authenticated) const;
};

}  // namespace till::payments
