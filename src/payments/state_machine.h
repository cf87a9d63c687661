// payments/state_machine.h — PaymentIntent statuses and which actions each allows, exactly as
// Stripe's (https://docs.stripe.com/payments/paymentintents/lifecycle). Pure: the handlers ask
// here before they change anything, and unit tests walk every (status, action) pair.
//
//   requires_payment_method --attach PM--> requires_confirmation --confirm--> (authorize)
//   (authorize) approved, capture automatic  --> succeeded
//               approved, capture manual     --> requires_capture --capture--> succeeded
//               needs 3-D Secure             --> requires_action --authenticate--> (authorize)
//               declined / auth failed       --> requires_payment_method
//   cancel from requires_payment_method, requires_confirmation, requires_action,
//   requires_capture (and processing) --> canceled
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/errors.h"

namespace till::payments {

enum class IntentStatus {
  requires_payment_method,
  requires_confirmation,
  requires_action,
  processing,
  requires_capture,
  canceled,
  succeeded,
};

enum class IntentAction {
  update_payment,      // amount, currency, payment_method, capture_method, customer ...
  update_descriptive,  // metadata, description, receipt_email
  confirm,
  capture,
  cancel,
  authenticate,  // the test endpoint that completes (or fails) 3-D Secure
};

constexpr IntentStatus kIntentStatusesAll[] = {IntentStatus::requires_payment_method,
                                               IntentStatus::requires_confirmation,
                                               IntentStatus::requires_action,
                                               IntentStatus::processing,
                                               IntentStatus::requires_capture,
                                               IntentStatus::canceled,
                                               IntentStatus::succeeded};
constexpr IntentAction kIntentActionsAll[] = {
    IntentAction::update_payment, IntentAction::update_descriptive,
    IntentAction::confirm,        IntentAction::capture,
    IntentAction::cancel,         IntentAction::authenticate};

std::string_view to_string(IntentStatus status);
std::optional<IntentStatus> parse_intent_status(std::string_view text);
std::string_view to_string(IntentAction action);

bool allows(IntentStatus status, IntentAction action);

// The 400 for an action the status does not allow: code payment_intent_unexpected_state and
// Stripe's message, which lists the statuses that would allow it.
api::ApiError unexpected_state(IntentStatus status, IntentAction action);

// Where confirming leads, by the processor's answer and the capture method.
enum class AuthorizationOutcome { approved, requires_authentication, declined };
IntentStatus status_after_authorization(AuthorizationOutcome outcome, bool manual_capture);

}  // namespace till::payments
