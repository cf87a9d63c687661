// The PaymentIntent state machine: every (status, action) pair against Stripe's table, the
// error for refused pairs, and where authorization leads.
#include "payments/state_machine.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace till::payments {
namespace {

using S = IntentStatus;
using A = IntentAction;

// The allowed pairs, written out independently of the implementation's table.
const std::set<std::pair<S, A>> kAllowed = {
    {S::requires_payment_method, A::update_payment},
    {S::requires_confirmation, A::update_payment},
    {S::requires_action, A::update_payment},
    {S::requires_payment_method, A::update_descriptive},
    {S::requires_confirmation, A::update_descriptive},
    {S::requires_action, A::update_descriptive},
    {S::processing, A::update_descriptive},
    {S::requires_capture, A::update_descriptive},
    {S::succeeded, A::update_descriptive},
    {S::requires_payment_method, A::confirm},
    {S::requires_confirmation, A::confirm},
    {S::requires_action, A::confirm},
    {S::requires_capture, A::capture},
    {S::requires_payment_method, A::cancel},
    {S::requires_confirmation, A::cancel},
    {S::requires_action, A::cancel},
    {S::processing, A::cancel},
    {S::requires_capture, A::cancel},
    {S::requires_action, A::authenticate},
};

TEST(StateMachine, EveryPairMatchesStripesTable) {
  int checked = 0;
  for (S status : kIntentStatusesAll) {
    for (A action : kIntentActionsAll) {
      const bool expected = kAllowed.count({status, action}) > 0;
      EXPECT_EQ(allows(status, action), expected)
          << to_string(status) << " / " << to_string(action);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 7 * 6);
}

TEST(StateMachine, TerminalStatusesAllowNothingThatMovesMoney) {
  for (A action : {A::confirm, A::capture, A::cancel, A::authenticate, A::update_payment}) {
    EXPECT_FALSE(allows(S::canceled, action));
    EXPECT_FALSE(allows(S::succeeded, action));
  }
}

TEST(StateMachine, RefusalsUseStripesCodeAndListTheAllowedStatuses) {
  const api::ApiError capture = unexpected_state(S::succeeded, A::capture);
  EXPECT_EQ(capture.status, 400u);
  EXPECT_EQ(capture.type, "invalid_request_error");
  EXPECT_EQ(capture.code, "payment_intent_unexpected_state");
  EXPECT_EQ(capture.message,
            "This PaymentIntent could not be captured because it has a status of succeeded. Only "
            "a PaymentIntent with one of the following statuses may be captured: "
            "requires_capture.");
  const api::ApiError cancel = unexpected_state(S::canceled, A::cancel);
  EXPECT_NE(cancel.message.find("status of canceled"), std::string::npos);
  EXPECT_NE(cancel.message.find("requires_payment_method, requires_confirmation, requires_action, "
                                "processing, requires_capture"),
            std::string::npos)
      << cancel.message;
  const api::ApiError confirm = unexpected_state(S::requires_capture, A::confirm);
  EXPECT_NE(confirm.message.find("You cannot confirm this PaymentIntent"), std::string::npos);
}

TEST(StateMachine, AuthorizationOutcomes) {
  EXPECT_EQ(status_after_authorization(AuthorizationOutcome::approved, false), S::succeeded);
  EXPECT_EQ(status_after_authorization(AuthorizationOutcome::approved, true), S::requires_capture);
  EXPECT_EQ(status_after_authorization(AuthorizationOutcome::requires_authentication, false),
            S::requires_action);
  EXPECT_EQ(status_after_authorization(AuthorizationOutcome::declined, true),
            S::requires_payment_method);
}

TEST(StateMachine, StatusNamesRoundTrip) {
  for (S status : kIntentStatusesAll) {
    EXPECT_EQ(parse_intent_status(to_string(status)), status);
  }
  EXPECT_FALSE(parse_intent_status("requires_source"));
}

}  // namespace
}  // namespace till::payments
