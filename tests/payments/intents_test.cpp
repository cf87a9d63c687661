// PaymentIntents, charges, refunds and balances in-process on both backends: every flow posts
// the right ledger entries (and `till ledger verify`'s checks hold after each test), bad input
// changes nothing, idempotency keys replay, and racing captures and refunds never over-capture
// or over-refund.
#include <atomic>
#include <thread>

#include "payments_fixture.h"

namespace till::payments::testing {
namespace {

class IntentsTest : public PaymentsFixture {
 protected:
  void TearDown() override {
    expect_ledger_verified();
    PaymentsFixture::TearDown();
  }

  ApiReply pay(std::int64_t amount, const std::string& method, const std::string& extra = "") {
    return post("/v1/payment_intents", "amount=" + std::to_string(amount) +
                                           "&currency=usd&confirm=true&payment_method=" + method +
                                           extra);
  }

  // (available, pending) of the caller's USD balance.
  std::pair<std::int64_t, std::int64_t> usd_balance() {
    const ApiReply balance = get("/v1/balance");
    EXPECT_EQ(balance.status, 200u);
    auto amount_of = [&](const char* key) -> std::int64_t {
      for (const auto& line : balance.body.at(key).as_array()) {
        if (line.at("currency").as_string() == "usd") return line.at("amount").as_int64();
      }
      return 0;
    };
    return {amount_of("available"), amount_of("pending")};
  }
};

TEST_P(IntentsTest, AutomaticCapturePaymentSucceedsAndFundsArePending) {
  const ApiReply intent = pay(2000, "pm_card_visa", "&description=Order%2042&metadata[order]=42");
  ASSERT_EQ(intent.status, 200u) << boost::json::serialize(intent.body);
  EXPECT_EQ(intent.text("object"), "payment_intent");
  EXPECT_EQ(intent.text("status"), "succeeded");
  EXPECT_EQ(intent.integer("amount_received"), 2000);
  EXPECT_EQ(intent.integer("amount_capturable"), 0);
  EXPECT_EQ(intent.text("description"), "Order 42");
  EXPECT_EQ(intent.body.at("metadata").at("order").as_string(), "42");
  EXPECT_EQ(intent.text("id").rfind("pi_", 0), 0u);
  EXPECT_EQ(intent.text("payment_method").rfind("pm_", 0), 0u);
  EXPECT_NE(intent.text("payment_method"), "pm_card_visa");  // a real object was made
  EXPECT_EQ(intent.body.at("livemode").as_bool(), false);

  const ApiReply charge = get("/v1/charges/" + intent.text("latest_charge"));
  ASSERT_EQ(charge.status, 200u);
  EXPECT_EQ(charge.text("status"), "succeeded");
  EXPECT_EQ(charge.body.at("captured").as_bool(), true);
  EXPECT_EQ(charge.integer("amount_captured"), 2000);
  EXPECT_EQ(charge.text("payment_intent"), intent.text("id"));
  EXPECT_EQ(charge.body.at("payment_method_details").at("card").at("last4").as_string(), "4242");

  const ApiReply txn = get("/v1/balance_transactions/" + charge.text("balance_transaction"));
  ASSERT_EQ(txn.status, 200u);
  EXPECT_EQ(txn.integer("amount"), 2000);
  EXPECT_EQ(txn.integer("fee"), 0);
  EXPECT_EQ(txn.integer("net"), 2000);
  EXPECT_EQ(txn.text("type"), "charge");
  EXPECT_EQ(txn.text("status"), "pending");
  EXPECT_EQ(txn.text("source"), charge.text("id"));
  EXPECT_EQ(usd_balance(), std::make_pair(std::int64_t{0}, std::int64_t{2000}));

  // Two days later the funds are available.
  clock_.advance_ms(2LL * 24 * 60 * 60 * 1000 + 1000);
  auto done = api_->housekeeping(100);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->funds_released, 1u);
  EXPECT_EQ(usd_balance(), std::make_pair(std::int64_t{2000}, std::int64_t{0}));
  EXPECT_EQ(get("/v1/balance_transactions/" + charge.text("balance_transaction")).text("status"),
            "available");
}

TEST_P(IntentsTest, ManualCaptureHoldsThenCapturesPartiallyAndReleasesTheRest) {
  const ApiReply intent = pay(5000, "pm_card_mastercard", "&capture_method=manual");
  ASSERT_EQ(intent.status, 200u) << boost::json::serialize(intent.body);
  EXPECT_EQ(intent.text("status"), "requires_capture");
  EXPECT_EQ(intent.integer("amount_capturable"), 5000);
  EXPECT_EQ(intent.integer("amount_received"), 0);
  EXPECT_EQ(usd_balance(), std::make_pair(std::int64_t{0}, std::int64_t{0}));  // only a hold

  const ApiReply too_much =
      post("/v1/payment_intents/" + intent.text("id") + "/capture", "amount_to_capture=5001");
  EXPECT_EQ(too_much.status, 400u);
  EXPECT_EQ(too_much.error_field("param"), "amount_to_capture");

  const ApiReply captured =
      post("/v1/payment_intents/" + intent.text("id") + "/capture", "amount_to_capture=3000");
  ASSERT_EQ(captured.status, 200u) << boost::json::serialize(captured.body);
  EXPECT_EQ(captured.text("status"), "succeeded");
  EXPECT_EQ(captured.integer("amount_received"), 3000);
  EXPECT_EQ(captured.integer("amount_capturable"), 0);
  const ApiReply charge = get("/v1/charges/" + captured.text("latest_charge"));
  EXPECT_EQ(charge.integer("amount_captured"), 3000);
  EXPECT_EQ(usd_balance(), std::make_pair(std::int64_t{0}, std::int64_t{3000}));

  const ApiReply again = post("/v1/payment_intents/" + intent.text("id") + "/capture", "");
  EXPECT_EQ(again.status, 400u);
  EXPECT_EQ(again.error_field("code"), "payment_intent_unexpected_state");
  EXPECT_EQ(again.error().at("payment_intent").at("status").as_string(), "succeeded");
}

TEST_P(IntentsTest, UncapturedAuthorizationsLapseAfterSevenDaysAndAreCanceled) {
  const ApiReply old_hold = pay(1000, "pm_card_visa", "&capture_method=manual");
  // Created now but confirmed six days later: its hold lapses later than its creation says.
  const ApiReply late = post("/v1/payment_intents",
                             "amount=2000&currency=usd&capture_method=manual&"
                             "payment_method=pm_card_visa");
  clock_.advance_ms(6LL * 24 * 60 * 60 * 1000);
  ASSERT_EQ(post("/v1/payment_intents/" + late.text("id") + "/confirm", "").text("status"),
            "requires_capture");
  clock_.advance_ms(1LL * 24 * 60 * 60 * 1000 + 1000);  // day 7: only the first has lapsed
  auto done = api_->housekeeping(100);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->authorizations_canceled, 1u);
  const ApiReply canceled = get("/v1/payment_intents/" + old_hold.text("id"));
  EXPECT_EQ(canceled.text("status"), "canceled");
  EXPECT_EQ(canceled.text("cancellation_reason"), "automatic");
  EXPECT_EQ(canceled.integer("amount_capturable"), 0);
  EXPECT_TRUE(get("/v1/charges/" + canceled.text("latest_charge")).body.at("refunded").as_bool());
  EXPECT_EQ(get("/v1/payment_intents/" + late.text("id")).text("status"), "requires_capture");
  // The ledger released the hold: capturing is refused and nothing moved.
  EXPECT_EQ(post("/v1/payment_intents/" + old_hold.text("id") + "/capture", "").status, 400u);
  EXPECT_EQ(usd_balance(), std::make_pair(std::int64_t{0}, std::int64_t{0}));
  auto again = api_->housekeeping(100);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->authorizations_canceled, 0u);
}

TEST_P(IntentsTest, DeclinesAre402CardErrorsWithStripesCodes) {
  struct Case {
    std::string method, code, decline_code;
  };
  const Case cases[] = {
      {"pm_card_chargeDeclined", "card_declined", "generic_decline"},
      {"pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"},
      {"pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"},
      {"pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"},
  };
  const std::int64_t entries_before = count("ledger_entries");
  for (const Case& c : cases) {
    const ApiReply declined = pay(1000, c.method);
    ASSERT_EQ(declined.status, 402u) << c.method;
    EXPECT_EQ(declined.error_field("type"), "card_error");
    EXPECT_EQ(declined.error_field("code"), c.code);
    EXPECT_EQ(declined.error_field("decline_code"), c.decline_code);
    const auto& intent = declined.error().at("payment_intent").as_object();
    EXPECT_EQ(intent.at("status").as_string(), "requires_payment_method");
    EXPECT_EQ(intent.at("last_payment_error").at("decline_code").as_string(), c.decline_code);
    const ApiReply charge = get("/v1/charges/" + declined.error_field("charge"));
    EXPECT_EQ(charge.text("status"), "failed");
    EXPECT_EQ(charge.text("failure_code"), c.code);
    EXPECT_EQ(charge.body.at("outcome").at("type").as_string(), "issuer_declined");
  }
  EXPECT_EQ(count("ledger_entries"), entries_before);  // a decline moves no money
}

TEST_P(IntentsTest, ThreeDSecureRequiresActionThenCompletesThroughTheTestEndpoint) {
  const ApiReply method = post("/v1/payment_methods",
                               "type=card&card[number]=4000002500003155&card[exp_month]=12&"
                               "card[exp_year]=2031&card[cvc]=123");
  ASSERT_EQ(method.status, 200u) << boost::json::serialize(method.body);
  const ApiReply intent = pay(700, method.text("id"));
  ASSERT_EQ(intent.status, 200u);
  EXPECT_EQ(intent.text("status"), "requires_action");
  EXPECT_EQ(intent.body.at("next_action").at("type").as_string(), "redirect_to_url");
  const std::string path =
      "/v1/test_helpers/payment_intents/" + intent.text("id") + "/authenticate";
  const ApiReply done = post(path, "outcome=succeed");
  ASSERT_EQ(done.status, 200u) << boost::json::serialize(done.body);
  EXPECT_EQ(done.text("status"), "succeeded");
  EXPECT_EQ(done.integer("amount_received"), 700);

  const ApiReply second = pay(800, method.text("id"));
  const ApiReply failed = post(
      "/v1/test_helpers/payment_intents/" + second.text("id") + "/authenticate", "outcome=fail");
  EXPECT_EQ(failed.text("status"), "requires_payment_method");
  EXPECT_EQ(failed.body.at("last_payment_error").at("code").as_string(),
            "payment_intent_authentication_failure");
  EXPECT_EQ(post(path, "outcome=succeed").status, 400u);  // no longer requires_action
}

TEST_P(IntentsTest, ConfirmSeparatelyUpdateAndCancel) {
  const ApiReply created = post("/v1/payment_intents", "amount=1200&currency=eur");
  ASSERT_EQ(created.status, 200u);
  EXPECT_EQ(created.text("status"), "requires_payment_method");
  const std::string id = created.text("id");
  const ApiReply updated =
      post("/v1/payment_intents/" + id, "amount=1500&payment_method=pm_card_visa&metadata[k]=v");
  ASSERT_EQ(updated.status, 200u) << boost::json::serialize(updated.body);
  EXPECT_EQ(updated.integer("amount"), 1500);
  EXPECT_EQ(updated.text("status"), "requires_confirmation");
  const ApiReply confirmed = post("/v1/payment_intents/" + id + "/confirm", "");
  ASSERT_EQ(confirmed.status, 200u);
  EXPECT_EQ(confirmed.text("status"), "succeeded");
  EXPECT_EQ(confirmed.integer("amount_received"), 1500);
  EXPECT_EQ(post("/v1/payment_intents/" + id, "amount=10").status, 400u);
  EXPECT_EQ(post("/v1/payment_intents/" + id, "metadata[after]=yes").status, 200u);
  EXPECT_EQ(post("/v1/payment_intents/" + id + "/cancel", "").error_field("code"),
            "payment_intent_unexpected_state");

  const ApiReply held = pay(900, "pm_card_visa", "&capture_method=manual");
  const ApiReply canceled = post("/v1/payment_intents/" + held.text("id") + "/cancel",
                                 "cancellation_reason=requested_by_customer");
  ASSERT_EQ(canceled.status, 200u);
  EXPECT_EQ(canceled.text("status"), "canceled");
  EXPECT_EQ(canceled.text("cancellation_reason"), "requested_by_customer");
  EXPECT_EQ(get("/v1/charges/" + held.text("latest_charge")).body.at("refunded").as_bool(), true);
  EXPECT_EQ(post("/v1/payment_intents/" + held.text("id") + "/capture", "").status, 400u);
}

TEST_P(IntentsTest, RefundsUpToTheCapturedAmount) {
  const ApiReply intent = pay(1000, "pm_card_visa");
  const std::string charge = intent.text("latest_charge");
  const ApiReply first = post("/v1/refunds", "charge=" + charge + "&amount=300&reason=duplicate");
  ASSERT_EQ(first.status, 200u) << boost::json::serialize(first.body);
  EXPECT_EQ(first.text("status"), "succeeded");
  EXPECT_EQ(first.text("reason"), "duplicate");
  EXPECT_EQ(first.text("payment_intent"), intent.text("id"));
  const ApiReply second =
      post("/v1/refunds", "payment_intent=" + intent.text("id") + "&amount=600");
  ASSERT_EQ(second.status, 200u);
  const ApiReply over = post("/v1/refunds", "charge=" + charge + "&amount=101");
  EXPECT_EQ(over.status, 400u);
  EXPECT_EQ(over.error_field("code"), "amount_too_large");
  EXPECT_EQ(over.error_field("param"), "amount");
  const ApiReply rest = post("/v1/refunds", "charge=" + charge);
  ASSERT_EQ(rest.status, 200u);
  EXPECT_EQ(rest.integer("amount"), 100);
  const ApiReply refunded_charge = get("/v1/charges/" + charge);
  EXPECT_EQ(refunded_charge.integer("amount_refunded"), 1000);
  EXPECT_EQ(refunded_charge.body.at("refunded").as_bool(), true);
  EXPECT_EQ(post("/v1/refunds", "charge=" + charge).error_field("code"), "charge_already_refunded");
  const ApiReply refund_txn = get("/v1/balance_transactions/" + first.text("balance_transaction"));
  EXPECT_EQ(refund_txn.integer("amount"), -300);
  EXPECT_EQ(refund_txn.text("type"), "refund");
  // Refunds come out of the available balance, which may go negative before funds settle.
  EXPECT_EQ(usd_balance(), std::make_pair(std::int64_t{-1000}, std::int64_t{1000}));

  const ApiReply listed = get("/v1/refunds?charge=" + charge);
  EXPECT_EQ(listed.body.at("data").as_array().size(), 3u);
  const ApiReply by_type = get("/v1/balance_transactions?type=refund");
  EXPECT_EQ(by_type.body.at("data").as_array().size(), 3u);
  const ApiReply updated = post("/v1/refunds/" + first.text("id"), "metadata[ticket]=7");
  EXPECT_EQ(updated.body.at("metadata").at("ticket").as_string(), "7");

  const ApiReply uncaptured = pay(500, "pm_card_visa", "&capture_method=manual");
  EXPECT_EQ(post("/v1/refunds", "payment_intent=" + uncaptured.text("id")).error_field("code"),
            "charge_not_refundable");
}

TEST_P(IntentsTest, BadInputIsRefusedNamingTheParamAndChangesNothing) {
  pay(100, "pm_card_visa");  // something to not change
  const std::string before = state_snapshot();
  struct Case {
    std::string path, body, param, code;
  };
  const Case cases[] = {
      {"/v1/payment_intents", "currency=usd", "amount", "parameter_missing"},
      {"/v1/payment_intents", "amount=100", "currency", "parameter_missing"},
      {"/v1/payment_intents", "amount=abc&currency=usd", "amount", "parameter_invalid_integer"},
      {"/v1/payment_intents", "amount=0&currency=usd", "amount", "parameter_invalid_integer"},
      {"/v1/payment_intents", "amount=100&currency=xyz", "currency", "parameter_invalid"},
      {"/v1/payment_intents", "amount=49&currency=usd", "amount", "amount_too_small"},
      {"/v1/payment_intents", "amount=49&currency=jpy", "amount", "amount_too_small"},
      {"/v1/payment_intents", "amount=100&currency=usd&colour=red", "colour", "parameter_unknown"},
      {"/v1/payment_intents", "amount=100&currency=usd&capture_method=later", "capture_method", ""},
      {"/v1/payment_intents", "amount=100&currency=usd&confirm=maybe", "confirm", ""},
      {"/v1/payment_intents", "amount=100&currency=usd&confirm=true", "payment_method",
       "parameter_missing"},
      {"/v1/payment_intents", "amount=100&currency=usd&payment_method=pm_nope", "payment_method",
       "resource_missing"},
      {"/v1/payment_intents", "amount=100&currency=usd&customer=cus_nope", "customer",
       "resource_missing"},
      {"/v1/payment_intents", "amount=100&currency=usd&expand[]=nonsense", "expand",
       "parameter_invalid"},
      {"/v1/refunds", "amount=5", "charge", "parameter_missing"},
      {"/v1/refunds", "charge=ch_nope", "charge", "resource_missing"},
  };
  for (const Case& c : cases) {
    const ApiReply refused = post(c.path, c.body);
    EXPECT_EQ(refused.status, 400u) << c.body;
    EXPECT_EQ(refused.error_field("type"), "invalid_request_error") << c.body;
    EXPECT_EQ(refused.error_field("param"), c.param) << c.body;
    if (!c.code.empty()) {
      EXPECT_EQ(refused.error_field("code"), c.code) << c.body;
    }
  }
  EXPECT_EQ(post("/v1/payment_intents", "amount=29&currency=gbp").error_field("message"),
            "Amount must be at least 0.30 gbp");
  EXPECT_EQ(get("/v1/payment_intents/pi_nope").status, 404u);
  EXPECT_EQ(get("/v1/payment_intents?limit=101").error_field("param"), "limit");
  EXPECT_EQ(get("/v1/payment_intents?starting_after=pi_nope").error_field("param"),
            "starting_after");
  EXPECT_EQ(call("GET", "/v1/balance", "", "", "sk_test_wrong").status, 401u);
  EXPECT_EQ(state_snapshot(), before);
}

TEST_P(IntentsTest, IdempotencyKeysReplayRefuseMismatchesAndSurviveARestart) {
  const std::string body = "amount=4200&currency=usd&confirm=true&payment_method=pm_card_visa";
  const ApiReply first = post("/v1/payment_intents", body, "order-42");
  ASSERT_EQ(first.status, 200u);
  EXPECT_EQ(first.header("Idempotent-Replayed"), "");
  const std::string after_first = state_snapshot();
  const ApiReply replay = post("/v1/payment_intents", body, "order-42");
  EXPECT_EQ(replay.status, 200u);
  EXPECT_EQ(replay.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(boost::json::serialize(replay.body), boost::json::serialize(first.body));
  EXPECT_EQ(state_snapshot(), after_first);

  const ApiReply mismatch = post("/v1/payment_intents", "amount=1&currency=usd", "order-42");
  EXPECT_EQ(mismatch.status, 400u);
  EXPECT_EQ(mismatch.error_field("type"), "idempotency_error");

  // Declines are stored and replayed too.
  const std::string decline =
      "amount=100&currency=usd&confirm=true&payment_method=pm_card_chargeDeclined";
  EXPECT_EQ(post("/v1/payment_intents", decline, "declined-1").status, 402u);
  EXPECT_EQ(post("/v1/payment_intents", decline, "declined-1").header("Idempotent-Replayed"),
            "true");

  // A restart (new ledger, new API objects over the same database) still replays.
  api_.reset();
  ledger_ = std::make_unique<ledger::Ledger>(*database_, clock_);
  api_ = std::make_unique<PaymentsApi>(*database_, *ledger_, clock_, *authenticator_);
  router_ = api::Router();
  api_->add_routes(router_);
  const ApiReply after_restart = post("/v1/payment_intents", body, "order-42");
  EXPECT_EQ(after_restart.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(after_restart.text("id"), first.text("id"));

  // Keys are per merchant: another merchant's same key is a new request.
  const std::string other = new_merchant_key();
  const ApiReply theirs = call("POST", "/v1/payment_intents", body, "order-42", other);
  EXPECT_EQ(theirs.status, 200u);
  EXPECT_NE(theirs.text("id"), first.text("id"));

  // After 24 hours the key is forgotten.
  clock_.advance_ms(24LL * 60 * 60 * 1000 + 1);
  const ApiReply later = post("/v1/payment_intents", body, "order-42");
  EXPECT_EQ(later.header("Idempotent-Replayed"), "");
  EXPECT_NE(later.text("id"), first.text("id"));
}

TEST_P(IntentsTest, ARequestRacingOneInFlightWithItsKeyGets409) {
  // Holds the key as a request still executing would.
  const std::string scope = merchant_id_ + "|test|racing-key";
  ASSERT_TRUE(api_->services().in_flight.try_begin(scope));
  const std::string before = state_snapshot();
  const ApiReply raced = post("/v1/payment_intents", "amount=100&currency=usd", "racing-key");
  EXPECT_EQ(raced.status, 409u);
  EXPECT_EQ(raced.error_field("type"), "idempotency_error");
  EXPECT_EQ(raced.error_field("code"), "idempotency_key_in_use");
  EXPECT_EQ(raced.header("Stripe-Should-Retry"), "true");
  EXPECT_EQ(state_snapshot(), before);
  api_->services().in_flight.end(scope);
  // Once the first is done, the retry executes (nothing was stored for the key).
  EXPECT_EQ(post("/v1/payment_intents", "amount=100&currency=usd", "racing-key").status, 200u);
}

TEST_P(IntentsTest, TestAndLiveModeNeverMix) {
  const ApiReply intent = pay(100, "pm_card_visa");
  const std::string other_merchant = new_merchant_key();
  EXPECT_EQ(call("GET", "/v1/payment_intents/" + intent.text("id"), "", "", other_merchant).status,
            404u);
  const std::string live = new_merchant_key(true);
  const ApiReply live_pay =
      call("POST", "/v1/payment_intents",
           "amount=100&currency=usd&confirm=true&payment_method=pm_card_visa", "", live);
  EXPECT_EQ(live_pay.status, 400u);  // test cards are test mode only
  const ApiReply live_list = call("GET", "/v1/payment_intents", "", "", live);
  EXPECT_EQ(live_list.body.at("data").as_array().size(), 0u);
}

TEST_P(IntentsTest, ListsPageNewestFirstWithCursorsAndExpand) {
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    ids.push_back(post("/v1/payment_intents", "amount=" + std::to_string(100 + i) + "&currency=usd")
                      .text("id"));
  }
  const ApiReply first = get("/v1/payment_intents?limit=5");
  ASSERT_EQ(first.status, 200u);
  EXPECT_EQ(first.text("object"), "list");
  EXPECT_EQ(first.text("url"), "/v1/payment_intents");
  EXPECT_TRUE(first.body.at("has_more").as_bool());
  const auto& data = first.body.at("data").as_array();
  ASSERT_EQ(data.size(), 5u);
  EXPECT_EQ(data[0].at("id").as_string(), ids[11]);
  const ApiReply next = get("/v1/payment_intents?limit=10&starting_after=" + ids[7]);
  EXPECT_EQ(next.body.at("data").as_array().size(), 7u);
  EXPECT_FALSE(next.body.at("has_more").as_bool());
  const ApiReply before = get("/v1/payment_intents?limit=2&ending_before=" + ids[5]);
  ASSERT_EQ(before.body.at("data").as_array().size(), 2u);
  EXPECT_EQ(before.body.at("data").as_array()[0].at("id").as_string(), ids[7]);
  EXPECT_EQ(before.body.at("data").as_array()[1].at("id").as_string(), ids[6]);

  const ApiReply paid = pay(100, "pm_card_visa");
  const ApiReply expanded = get(
      "/v1/payment_intents/" + paid.text("id") +
      "?expand[]=latest_charge&expand[]=payment_method&expand[]=latest_charge.balance_transaction");
  ASSERT_EQ(expanded.status, 200u) << boost::json::serialize(expanded.body);
  EXPECT_EQ(expanded.body.at("latest_charge").at("object").as_string(), "charge");
  EXPECT_EQ(expanded.body.at("latest_charge").at("balance_transaction").at("object").as_string(),
            "balance_transaction");
  EXPECT_EQ(expanded.body.at("payment_method").at("object").as_string(), "payment_method");
  const ApiReply listed =
      get("/v1/charges?expand[]=data.balance_transaction&payment_intent=" + paid.text("id"));
  ASSERT_EQ(listed.body.at("data").as_array().size(), 1u);
  EXPECT_EQ(listed.body.at("data").as_array()[0].at("balance_transaction").at("amount").as_int64(),
            100);
}

TEST_P(IntentsTest, RacingCapturesAndRefundsNeverOverCaptureOrOverRefund) {
  const ApiReply held = pay(10'000, "pm_card_visa", "&capture_method=manual");
  ASSERT_EQ(held.status, 200u);
  constexpr int kRacers = 50;
  std::atomic<int> captured{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&] {
      if (post("/v1/payment_intents/" + held.text("id") + "/capture", "amount_to_capture=6000")
              .status == 200)
        ++captured;
    });
  }
  for (auto& thread : threads) thread.join();
  threads.clear();
  EXPECT_EQ(captured.load(), 1);
  EXPECT_EQ(get("/v1/payment_intents/" + held.text("id")).integer("amount_received"), 6000);

  const std::string charge = held.text("latest_charge");
  std::atomic<int> refunds{0};
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&] {
      if (post("/v1/refunds", "charge=" + charge + "&amount=700").status == 200) ++refunds;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(refunds.load(), 6000 / 700);
  EXPECT_EQ(get("/v1/charges/" + charge).integer("amount_refunded"), 700 * (6000 / 700));
}

INSTANTIATE_TEST_SUITE_P(Backends, IntentsTest,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         till::testing::backend_name);

}  // namespace
}  // namespace till::payments::testing
