// The in-process sandbox card processor: the card table, idempotency, capture/void/refund
// state rules, and resolve closing a key.
#include "connectors/sandbox_card/sandbox_card.h"

#include <gtest/gtest.h>

#include "base/ids.h"
#include "connectors/registry.h"

namespace till::connectors {

[[maybe_unused]] static void PrintTo(Outcome outcome, std::ostream* out) {
  *out << to_string(outcome);
}
[[maybe_unused]] static void PrintTo(ProcessorStatus status, std::ostream* out) {
  *out << to_string(status);
}

namespace sandbox_card {
namespace {

// 2026-11-25 (UTC): cards expiring 11/2026 are still valid, 10/2026 expired.
constexpr std::int64_t kNowMs = 1'795'600'000'000;

class SandboxCard : public ::testing::Test {
 protected:
  SandboxCard() : clock_(kNowMs) {
    AccountConfig account;
    // A fresh account per test: the books are per account id and process-wide.
    account.account_id = new_id("ca", clock_);
    account.connector = "sandbox_card";
    connector_ = make(account, clock_);
  }

  AuthorizeRequest request(std::string number, bool capture = false) {
    AuthorizeRequest r;
    r.context.idempotency_key = "key_" + std::to_string(++keys_);
    r.amount = 2000;
    r.currency = "usd";
    r.capture = capture;
    r.reference = "pi_1";
    r.card.number = std::move(number);
    r.card.exp_month = 12;
    r.card.exp_year = 2030;
    return r;
  }

  FollowUpRequest follow_up(const std::string& reference, std::int64_t amount) {
    FollowUpRequest r;
    r.context.idempotency_key = "key_" + std::to_string(++keys_);
    r.processor_reference = reference;
    r.amount = amount;
    r.currency = "usd";
    return r;
  }

  ManualClock clock_;
  std::unique_ptr<Connector> connector_;
  int keys_ = 0;
};

TEST_F(SandboxCard, TheCardTable) {
  struct Case {
    std::string number;
    Outcome outcome;
    std::string decline_code;
    bool soft;
  };
  const Case cases[] = {
      {"4242424242424242", Outcome::approved, "", false},
      {"5555555555554444", Outcome::approved, "", false},
      {"4000000000000002", Outcome::declined, "generic_decline", true},
      {"4000000000009995", Outcome::declined, "insufficient_funds", false},
      {"4000000000000069", Outcome::declined, "expired_card", false},
      {"4000000000009979", Outcome::declined, "stolen_card", false},
      {"4000000000009987", Outcome::declined, "lost_card", false},
      {"4000000000000119", Outcome::declined, "processing_error", true},
      {"4000002500003155", Outcome::declined, "authentication_required", false},
      {"4242424242424241", Outcome::declined, "incorrect_number", false},
  };
  for (const Case& c : cases) {
    const ProcessorResult result = connector_->authorize(request(c.number));
    EXPECT_EQ(result.outcome, c.outcome) << c.number;
    EXPECT_EQ(result.decline_code, c.decline_code) << c.number;
    EXPECT_EQ(result.soft, c.soft) << c.number;
    EXPECT_FALSE(result.processor_reference.empty());
    EXPECT_EQ(result.message.find(c.number), std::string::npos);
  }
  AuthorizeRequest authenticated = request("4000002500003155");
  authenticated.card.authenticated = true;
  EXPECT_EQ(connector_->authorize(authenticated).outcome, Outcome::approved);
}

TEST_F(SandboxCard, ExpiryInThePastDeclines) {
  AuthorizeRequest expired = request("4242424242424242");
  expired.card.exp_year = 2026;
  expired.card.exp_month = 10;
  const ProcessorResult result = connector_->authorize(expired);
  EXPECT_EQ(result.outcome, Outcome::declined);
  EXPECT_EQ(result.decline_code, "expired_card");
  AuthorizeRequest this_month = request("4242424242424242");
  this_month.card.exp_year = 2026;
  this_month.card.exp_month = 11;
  EXPECT_EQ(connector_->authorize(this_month).outcome, Outcome::approved);
  EXPECT_EQ(decline_for(expired.card, 2026, 11)->decline_code, "expired_card");
  EXPECT_EQ(decline_for(this_month.card, 2026, 11), nullptr);
}

TEST_F(SandboxCard, MalformedInputIsNotProcessed) {
  EXPECT_EQ(connector_->authorize(request("4242")).outcome, Outcome::not_processed);
  AuthorizeRequest no_key = request("4242424242424242");
  no_key.context.idempotency_key.clear();
  EXPECT_EQ(connector_->authorize(no_key).outcome, Outcome::not_processed);
}

TEST_F(SandboxCard, SameKeyReplaysTheFirstAnswer) {
  const AuthorizeRequest first = request("4242424242424242");
  const ProcessorResult a = connector_->authorize(first);
  const ProcessorResult b = connector_->authorize(first);
  EXPECT_EQ(a.outcome, Outcome::approved);
  EXPECT_EQ(b.processor_reference, a.processor_reference);
}

TEST_F(SandboxCard, CaptureVoidRefund) {
  const ProcessorResult auth = connector_->authorize(request("4242424242424242"));
  ASSERT_EQ(auth.status, ProcessorStatus::authorized);
  EXPECT_EQ(auth.processor_reference.rfind("sbx_", 0), 0u);

  EXPECT_EQ(connector_->capture(follow_up(auth.processor_reference, 2500)).outcome,
            Outcome::not_processed);  // more than authorized
  const ProcessorResult captured = connector_->capture(follow_up(auth.processor_reference, 1500));
  EXPECT_EQ(captured.outcome, Outcome::approved);
  EXPECT_EQ(captured.status, ProcessorStatus::captured);
  EXPECT_EQ(captured.captured_amount, 1500);
  EXPECT_EQ(connector_->void_authorization(follow_up(auth.processor_reference, 0)).outcome,
            Outcome::not_processed);  // captured: too late

  EXPECT_EQ(connector_->refund(follow_up(auth.processor_reference, 1600)).outcome,
            Outcome::not_processed);
  const ProcessorResult refunded = connector_->refund(follow_up(auth.processor_reference, 1000));
  EXPECT_EQ(refunded.outcome, Outcome::approved);
  EXPECT_EQ(refunded.status, ProcessorStatus::refunded);
  EXPECT_EQ(refunded.refunded_amount, 1000);
  EXPECT_EQ(connector_->refund(follow_up(auth.processor_reference, 500)).refunded_amount, 1500);
  EXPECT_EQ(connector_->refund(follow_up(auth.processor_reference, 1)).outcome,
            Outcome::not_processed);

  const ProcessorResult other = connector_->authorize(request("4242424242424242"));
  const ProcessorResult voided =
      connector_->void_authorization(follow_up(other.processor_reference, 0));
  EXPECT_EQ(voided.outcome, Outcome::approved);
  EXPECT_EQ(voided.status, ProcessorStatus::voided);
  EXPECT_EQ(connector_->capture(follow_up(other.processor_reference, 0)).outcome,
            Outcome::not_processed);

  EXPECT_EQ(connector_->capture(follow_up("auth_elsewhere", 0)).outcome, Outcome::not_processed);
  // A sandbox reference these books lost (a restart) is taken at its word.
  EXPECT_EQ(connector_->capture(follow_up("sbx_lostInARestart", 700)).outcome, Outcome::approved);
}

TEST_F(SandboxCard, ResolveFindsWhatHappenedOrClosesTheKey) {
  const AuthorizeRequest approved = request("4242424242424242", /*capture=*/true);
  const ProcessorResult auth = connector_->authorize(approved);
  const ProcessorResult found = connector_->resolve(approved.context);
  EXPECT_EQ(found.outcome, Outcome::approved);
  EXPECT_EQ(found.status, ProcessorStatus::captured);
  EXPECT_EQ(found.processor_reference, auth.processor_reference);

  const AuthorizeRequest declined = request("4000000000009995");
  connector_->authorize(declined);
  const ProcessorResult found_decline = connector_->resolve(declined.context);
  EXPECT_EQ(found_decline.outcome, Outcome::declined);
  EXPECT_EQ(found_decline.decline_code, "insufficient_funds");

  const AuthorizeRequest never_sent = request("4242424242424242");
  const ProcessorResult nothing = connector_->resolve(never_sent.context);
  EXPECT_EQ(nothing.outcome, Outcome::not_processed);
  EXPECT_TRUE(nothing.key_closed);
  EXPECT_FALSE(found.key_closed);
  // The key is closed: the request arriving late is refused and charges nothing.
  const ProcessorResult late = connector_->authorize(never_sent);
  EXPECT_EQ(late.outcome, Outcome::not_processed);
  EXPECT_EQ(late.raw_code, "idempotency_key_cancelled");
  EXPECT_EQ(connector_->resolve(never_sent.context).outcome, Outcome::not_processed);
  EXPECT_EQ(connector_->resolve(CallContext{}).outcome, Outcome::unknown);
}

TEST_F(SandboxCard, BooksAreSharedByConnectorsOfOneAccountOnly) {
  AccountConfig account;
  account.account_id = "ca_shared_books_test";
  account.connector = "sandbox_card";
  auto first = make(account, clock_);
  auto second = make(account, clock_);
  const AuthorizeRequest r = request("4242424242424242");
  const ProcessorResult auth = first->authorize(r);
  EXPECT_EQ(second->resolve(r.context).processor_reference, auth.processor_reference);
  account.account_id = "ca_other_books_test";
  EXPECT_EQ(make(account, clock_)->resolve(r.context).outcome, Outcome::not_processed);
}

}  // namespace
}  // namespace sandbox_card
}  // namespace till::connectors
