#include "payments/state_machine.h"

#include <array>

namespace till::payments {

namespace {

using S = IntentStatus;
using A = IntentAction;

struct StatusName {
  S status;
  std::string_view name;
};

constexpr std::array<StatusName, 7> kStatusNames = {{
    {S::requires_payment_method, "requires_payment_method"},
    {S::requires_confirmation, "requires_confirmation"},
    {S::requires_action, "requires_action"},
    {S::processing, "processing"},
    {S::requires_capture, "requires_capture"},
    {S::canceled, "canceled"},
    {S::succeeded, "succeeded"},
}};

// The table. Anything not listed is refused.
struct Allowed {
  A action;
  std::array<bool, 7> by_status;  // in kStatusNames order
};

//                                              rpm    rc     ra     proc   rcap   canc   succ
constexpr std::array<Allowed, 6> kAllowed = {{
    {A::update_payment, {true, true, true, false, false, false, false}},
    {A::update_descriptive, {true, true, true, true, true, false, true}},
    {A::confirm, {true, true, true, false, false, false, false}},
    {A::capture, {false, false, false, false, true, false, false}},
    {A::cancel, {true, true, true, true, true, false, false}},
    {A::authenticate, {false, false, true, false, false, false, false}},
}};

std::size_t index_of(S status) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i].status == status) return i;
  }
  return 0;
}

std::string allowed_statuses(A action) {
  std::string list;
  for (const Allowed& row : kAllowed) {
    if (row.action != action) continue;
    for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
      if (!row.by_status[i]) continue;
      if (!list.empty()) list += ", ";
      list += kStatusNames[i].name;
    }
  }
  return list;
}

}  // namespace

std::string_view to_string(IntentStatus status) { return kStatusNames[index_of(status)].name; }

std::optional<IntentStatus> parse_intent_status(std::string_view text) {
  for (const auto& entry : kStatusNames) {
    if (entry.name == text) return entry.status;
  }
  return std::nullopt;
}

std::string_view to_string(IntentAction action) {
  switch (action) {
    case A::update_payment:
    case A::update_descriptive:
      return "update";
    case A::confirm:
      return "confirm";
    case A::capture:
      return "capture";
    case A::cancel:
      return "cancel";
    case A::authenticate:
      return "authenticate";
  }
  return "update";
}

bool allows(IntentStatus status, IntentAction action) {
  for (const Allowed& row : kAllowed) {
    if (row.action == action) return row.by_status[index_of(status)];
  }
  return false;
}

api::ApiError unexpected_state(IntentStatus status, IntentAction action) {
  api::ApiError error;
  error.code = "payment_intent_unexpected_state";
  const std::string status_name(to_string(status));
  switch (action) {
    case A::capture:
      error.message = "This PaymentIntent could not be captured because it has a status of " +
                      status_name +
                      ". Only a PaymentIntent with one of the following statuses may be "
                      "captured: " +
                      allowed_statuses(action) + ".";
      break;
    case A::cancel:
      error.message = "You cannot cancel this PaymentIntent because it has a status of " +
                      status_name +
                      ". Only a PaymentIntent with one of the following statuses may be "
                      "canceled: " +
                      allowed_statuses(action) + ".";
      break;
    default:
      error.message = "You cannot " + std::string(to_string(action)) +
                      " this PaymentIntent because it has a status of " + status_name +
                      ". Only a PaymentIntent with one of the following statuses allows it: " +
                      allowed_statuses(action) + ".";
  }
  return error;
}

IntentStatus status_after_authorization(AuthorizationOutcome outcome, bool manual_capture) {
  switch (outcome) {
    case AuthorizationOutcome::approved:
      return manual_capture ? S::requires_capture : S::succeeded;
    case AuthorizationOutcome::requires_authentication:
      return S::requires_action;
    case AuthorizationOutcome::declined:
      return S::requires_payment_method;
  }
  return S::requires_payment_method;
}

}  // namespace till::payments
