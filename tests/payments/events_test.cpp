// Events of the merchant API on both backends: each flow announces Stripe's events, in order,
// in the same transaction as its change (with their outbox rows); replays, refusals and
// rolled-back units announce nothing; a unit announces each object's net change. The
// derivation rules no route reaches yet are checked on announcements() directly.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "events/catalog.h"
#include "events/event_store.h"
#include "payments/movements.h"
#include "payments/unit.h"
#include "payments_fixture.h"

namespace till::payments::testing {
namespace {

using boost::json::object;
using Types = std::vector<std::string>;

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

class EventsTest : public PaymentsFixture {
 protected:
  // The merchant's events, oldest first, parsed.
  std::vector<object> events() {
    std::vector<object> out;
    auto read = database_->read([&](store::Connection& connection) -> store::StoreResult<void> {
      events::EventQuery query;
      query.merchant_id = merchant_id_;
      query.limit = 100;
      while (true) {
        auto page = events::list_events(connection, query);
        if (!page) return unexpected(page.error());
        EXPECT_TRUE(page->has_value());
        for (const events::EventRecord& record : (*page)->events) {
          out.push_back(boost::json::parse(record.body_text).as_object());
        }
        if (!(*page)->has_more) break;
        query.starting_after = (*page)->events.back().id;
      }
      return {};
    });
    EXPECT_TRUE(read) << read.error().message;
    std::reverse(out.begin(), out.end());
    return out;
  }

  static Types types_of(const std::vector<object>& list) {
    Types out;
    for (const object& event : list) out.emplace_back(event.at("type").as_string());
    return out;
  }

  // The events announced since `seen` earlier ones (marks them seen).
  std::vector<object> fresh(std::size_t& seen) {
    std::vector<object> all = events();
    EXPECT_GE(all.size(), seen);
    std::vector<object> out(all.begin() + static_cast<std::ptrdiff_t>(std::min(seen, all.size())),
                            all.end());
    seen = all.size();
    return out;
  }
  Types fresh_types(std::size_t& seen) { return types_of(fresh(seen)); }

  static const object& data_object(const object& event) {
    return event.at("data").at("object").as_object();
  }
  static const object& previous(const object& event) {
    return event.at("data").at("previous_attributes").as_object();
  }

  ApiReply pay(std::int64_t amount, const std::string& method, const std::string& extra = "") {
    return post("/v1/payment_intents", "amount=" + std::to_string(amount) +
                                           "&currency=usd&confirm=true&payment_method=" + method +
                                           extra);
  }

  // Runs `work` as a housekeeping-like unit (no request) on the ledger's committer.
  ledger::LedgerResult<void> run_unit(const std::function<store::StoreResult<void>(Unit&)>& work,
                                      EventOrigin origin = {}) {
    return ledger_->run([&](ledger::GroupTransaction& transaction) -> store::StoreResult<void> {
      Unit unit(transaction, clock_, origin);
      if (auto done = work(unit); !done) return done;
      auto written = unit.write_events();
      if (!written) return unexpected(written.error());
      return {};
    });
  }

  std::optional<ObjectRow> stored(const std::string& id) {
    std::optional<ObjectRow> row;
    auto read = database_->read([&](store::Connection& connection) -> store::StoreResult<void> {
      auto found = select_object(connection, id);
      if (!found) return unexpected(found.error());
      row = std::move(*found);
      return {};
    });
    EXPECT_TRUE(read);
    return row;
  }
};

TEST_P(EventsTest, EveryEventHasStripesShapeAndItsOutboxRow) {
  const ApiReply intent = post("/v1/payment_intents", "amount=2000&currency=usd");
  ASSERT_EQ(intent.status, 200u);
  const std::vector<object> all = events();
  ASSERT_EQ(all.size(), 1u);
  const object& event = all[0];
  std::set<std::string> keys;
  for (const auto& field : event) keys.emplace(field.key());
  EXPECT_EQ(keys, (std::set<std::string>{"id", "object", "api_version", "created", "data",
                                         "livemode", "pending_webhooks", "request", "type"}));
  EXPECT_EQ(std::string(event.at("id").as_string()).rfind("evt_", 0), 0u);
  EXPECT_EQ(event.at("object").as_string(), "event");
  EXPECT_EQ(event.at("api_version").as_string(), events::kApiVersion);
  EXPECT_EQ(event.at("created").as_int64(), clock_.now_unix_ms() / 1000);
  EXPECT_EQ(event.at("livemode").as_bool(), false);
  EXPECT_EQ(event.at("pending_webhooks").as_int64(), 0);
  EXPECT_EQ(event.at("type").as_string(), "payment_intent.created");
  EXPECT_EQ(data_object(event), intent.body);  // the object exactly as the API answered it
  EXPECT_FALSE(event.at("data").as_object().contains("previous_attributes"));
  EXPECT_EQ(event.at("request").at("id").as_string(), "req_test");
  EXPECT_TRUE(event.at("request").at("idempotency_key").is_null());

  // Stored with its object id, readable by id, and queued for delivery.
  auto read = database_->read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = events::select_event(connection, std::string(event.at("id").as_string()));
    EXPECT_TRUE(found && *found);
    if (found && *found) {
      EXPECT_EQ((*found)->object_id, intent.text("id"));
      EXPECT_EQ((*found)->type, "payment_intent.created");
    }
    return {};
  });
  ASSERT_TRUE(read);
  EXPECT_EQ(outbox_size(), 1);
  pay(1000, "pm_card_visa");
  EXPECT_EQ(count("events"), 4);
  EXPECT_EQ(outbox_size(), 4);
}

TEST_P(EventsTest, CreateWithoutConfirmAnnouncesOnlyTheCreation) {
  std::size_t seen = 0;
  ASSERT_EQ(post("/v1/payment_intents", "amount=2000&currency=usd").status, 200u);
  EXPECT_EQ(fresh_types(seen), Types{"payment_intent.created"});
  // With a payment method it is requires_confirmation: still nothing but the creation (the
  // test card's new payment method is not attached to anyone, so it announces nothing).
  const ApiReply ready =
      post("/v1/payment_intents", "amount=2000&currency=usd&payment_method=pm_card_visa");
  ASSERT_EQ(ready.text("status"), "requires_confirmation");
  const std::vector<object> created = fresh(seen);
  ASSERT_EQ(types_of(created), Types{"payment_intent.created"});
  EXPECT_EQ(data_object(created[0]).at("status").as_string(), "requires_confirmation");
}

TEST_P(EventsTest, CreateAndConfirmWithAutomaticCaptureAnnouncesCreatedChargeSucceeded) {
  const ApiReply intent = pay(2000, "pm_card_visa");
  ASSERT_EQ(intent.status, 200u);
  const std::vector<object> all = events();
  ASSERT_EQ(types_of(all),
            (Types{"payment_intent.created", "charge.succeeded", "payment_intent.succeeded"}));
  // One committed state per unit: both intent events show it as the request left it.
  EXPECT_EQ(data_object(all[0]), intent.body);
  EXPECT_EQ(data_object(all[2]), intent.body);
  const object& charge = data_object(all[1]);
  EXPECT_EQ(charge.at("id").as_string(), intent.text("latest_charge"));
  EXPECT_EQ(charge.at("captured").as_bool(), true);
  EXPECT_EQ(charge.at("amount_captured").as_int64(), 2000);
  // These events were made off the committer around the rows' serialised bodies: the same
  // shape as any other.
  for (const object& event : all) {
    EXPECT_EQ(event.size(), 9u);
    EXPECT_EQ(event.at("data").as_object().size(), 1u);  // no previous_attributes
    EXPECT_EQ(event.at("request").at("id").as_string(), "req_test");
  }
  auto read = database_->read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = events::select_event(connection, std::string(all[1].at("id").as_string()));
    EXPECT_TRUE(found && *found && (*found)->object_id == intent.text("latest_charge"));
    return {};
  });
  ASSERT_TRUE(read);
}

TEST_P(EventsTest, ConfirmingAnExistingIntentAnnouncesTheChargeAndTheStatusWithPrevious) {
  const ApiReply created =
      post("/v1/payment_intents", "amount=2000&currency=usd&payment_method=pm_card_visa");
  std::size_t seen = events().size();
  const ApiReply confirmed = post("/v1/payment_intents/" + created.text("id") + "/confirm", "");
  ASSERT_EQ(confirmed.status, 200u);
  const std::vector<object> after = fresh(seen);
  ASSERT_EQ(types_of(after), (Types{"charge.succeeded", "payment_intent.succeeded"}));
  const object& was = previous(after[1]);
  EXPECT_EQ(was.at("status").as_string(), "requires_confirmation");
  EXPECT_EQ(was.at("amount_received").as_int64(), 0);
  EXPECT_TRUE(was.at("latest_charge").is_null());
  EXPECT_FALSE(was.contains("amount"));  // unchanged fields are not listed
  EXPECT_EQ(data_object(after[1]), confirmed.body);
}

TEST_P(EventsTest, ManualCaptureAnnouncesCapturableThenCapturedAndSucceeded) {
  std::size_t seen = 0;
  const ApiReply held = pay(2000, "pm_card_visa", "&capture_method=manual");
  ASSERT_EQ(held.text("status"), "requires_capture");
  EXPECT_EQ(fresh_types(seen), (Types{"payment_intent.created", "charge.succeeded",
                                      "payment_intent.amount_capturable_updated"}));
  const ApiReply captured = post("/v1/payment_intents/" + held.text("id") + "/capture", "");
  ASSERT_EQ(captured.status, 200u);
  const std::vector<object> after = fresh(seen);
  ASSERT_EQ(types_of(after), (Types{"charge.captured", "payment_intent.succeeded"}));
  EXPECT_EQ(previous(after[0]).at("captured").as_bool(), false);
  EXPECT_EQ(data_object(after[0]).at("amount_captured").as_int64(), 2000);
  EXPECT_EQ(previous(after[1]).at("status").as_string(), "requires_capture");
  EXPECT_EQ(previous(after[1]).at("amount_capturable").as_int64(), 2000);
  EXPECT_EQ(data_object(after[1]), captured.body);
}

TEST_P(EventsTest, PartialCaptureAnnouncesTheCapturedAmount) {
  const ApiReply held = pay(2000, "pm_card_visa", "&capture_method=manual");
  std::size_t seen = events().size();
  const ApiReply captured =
      post("/v1/payment_intents/" + held.text("id") + "/capture", "amount_to_capture=1500");
  ASSERT_EQ(captured.status, 200u);
  const std::vector<object> after = fresh(seen);
  ASSERT_EQ(types_of(after), (Types{"charge.captured", "payment_intent.succeeded"}));
  EXPECT_EQ(data_object(after[0]).at("amount_captured").as_int64(), 1500);
  EXPECT_EQ(data_object(after[1]).at("amount_received").as_int64(), 1500);
}

TEST_P(EventsTest, ThreeDSecureRequiresActionThenAuthenticationSucceedsOrFails) {
  std::size_t seen = 0;
  const ApiReply intent = pay(700, "pm_card_threeDSecure2Required");
  ASSERT_EQ(intent.text("status"), "requires_action");
  const std::vector<object> created = fresh(seen);
  ASSERT_EQ(types_of(created), (Types{"payment_intent.created", "payment_intent.requires_action"}));
  EXPECT_EQ(data_object(created[1]).at("next_action").at("type").as_string(), "redirect_to_url");
  const std::string helper = "/v1/test_helpers/payment_intents/";
  ASSERT_EQ(post(helper + intent.text("id") + "/authenticate", "outcome=succeed").status, 200u);
  const std::vector<object> done = fresh(seen);
  ASSERT_EQ(types_of(done), (Types{"charge.succeeded", "payment_intent.succeeded"}));
  EXPECT_EQ(previous(done[1]).at("status").as_string(), "requires_action");

  const ApiReply second = pay(800, "pm_card_threeDSecure2Required");
  fresh(seen);
  ASSERT_EQ(post(helper + second.text("id") + "/authenticate", "outcome=fail").status, 200u);
  const std::vector<object> failed = fresh(seen);
  ASSERT_EQ(types_of(failed), Types{"payment_intent.payment_failed"});
  EXPECT_EQ(data_object(failed[0]).at("last_payment_error").at("code").as_string(),
            "payment_intent_authentication_failure");
  EXPECT_TRUE(previous(failed[0]).at("last_payment_error").is_null());
}

TEST_P(EventsTest, DeclinedCardsAnnounceChargeFailedAndPaymentFailedEachTime) {
  std::size_t seen = 0;
  const ApiReply declined = pay(1000, "pm_card_chargeDeclined");
  ASSERT_EQ(declined.status, 402u);
  const std::vector<object> first = fresh(seen);
  ASSERT_EQ(types_of(first),
            (Types{"payment_intent.created", "charge.failed", "payment_intent.payment_failed"}));
  EXPECT_EQ(data_object(first[1]).at("failure_code").as_string(), "card_declined");
  EXPECT_EQ(data_object(first[2]).at("status").as_string(), "requires_payment_method");
  EXPECT_EQ(data_object(first[2]).at("last_payment_error").at("decline_code").as_string(),
            "generic_decline");
  // Declined again on the same intent: the status stays, the error is new.
  const std::string id(declined.error().at("payment_intent").at("id").as_string());
  const ApiReply again =
      post("/v1/payment_intents/" + id + "/confirm", "payment_method=pm_card_chargeDeclined");
  ASSERT_EQ(again.status, 402u);
  const std::vector<object> second = fresh(seen);
  ASSERT_EQ(types_of(second), (Types{"charge.failed", "payment_intent.payment_failed"}));
  EXPECT_TRUE(previous(second[1]).contains("last_payment_error"));
  EXPECT_FALSE(previous(second[1]).contains("status"));
  // Then paid: the error is cleared and the intent succeeds.
  ASSERT_EQ(post("/v1/payment_intents/" + id + "/confirm", "payment_method=pm_card_visa").status,
            200u);
  EXPECT_EQ(fresh_types(seen), (Types{"charge.succeeded", "payment_intent.succeeded"}));
}

TEST_P(EventsTest, CancelAnnouncesCanceledAndReleasesAnUncapturedCharge) {
  std::size_t seen = 0;
  const ApiReply open = post("/v1/payment_intents", "amount=2000&currency=usd");
  fresh(seen);
  ASSERT_EQ(post("/v1/payment_intents/" + open.text("id") + "/cancel",
                 "cancellation_reason=requested_by_customer")
                .status,
            200u);
  const std::vector<object> canceled = fresh(seen);
  ASSERT_EQ(types_of(canceled), Types{"payment_intent.canceled"});
  EXPECT_EQ(previous(canceled[0]).at("status").as_string(), "requires_payment_method");
  EXPECT_EQ(data_object(canceled[0]).at("cancellation_reason").as_string(),
            "requested_by_customer");

  const ApiReply held = pay(900, "pm_card_visa", "&capture_method=manual");
  fresh(seen);
  ASSERT_EQ(post("/v1/payment_intents/" + held.text("id") + "/cancel", "").status, 200u);
  const std::vector<object> released = fresh(seen);
  ASSERT_EQ(types_of(released), (Types{"charge.refunded", "payment_intent.canceled"}));
  EXPECT_EQ(data_object(released[0]).at("amount_refunded").as_int64(), 900);
}

TEST_P(EventsTest, RefundsAnnounceRefundCreatedAndChargeRefunded) {
  const ApiReply paid = pay(3000, "pm_card_visa");
  const std::string charge = paid.text("latest_charge");
  std::size_t seen = events().size();
  const ApiReply partial = post("/v1/refunds", "charge=" + charge + "&amount=1000");
  ASSERT_EQ(partial.status, 200u) << boost::json::serialize(partial.body);
  const std::vector<object> first = fresh(seen);
  ASSERT_EQ(types_of(first), (Types{"refund.created", "charge.refunded"}));
  EXPECT_EQ(data_object(first[0]), partial.body);
  EXPECT_EQ(previous(first[1]).at("amount_refunded").as_int64(), 0);
  EXPECT_EQ(data_object(first[1]).at("amount_refunded").as_int64(), 1000);
  EXPECT_FALSE(data_object(first[1]).at("refunded").as_bool());

  const ApiReply rest = post("/v1/refunds", "payment_intent=" + paid.text("id"));
  ASSERT_EQ(rest.status, 200u);
  const std::vector<object> second = fresh(seen);
  ASSERT_EQ(types_of(second), (Types{"refund.created", "charge.refunded"}));
  EXPECT_EQ(previous(second[1]).at("amount_refunded").as_int64(), 1000);
  EXPECT_EQ(previous(second[1]).at("refunded").as_bool(), false);
  EXPECT_EQ(data_object(second[1]).at("refunded").as_bool(), true);

  // Metadata: refund.updated; an update that changes nothing announces nothing.
  ASSERT_EQ(post("/v1/refunds/" + rest.text("id"), "metadata[reason]=late").status, 200u);
  const std::vector<object> updated = fresh(seen);
  ASSERT_EQ(types_of(updated), Types{"refund.updated"});
  EXPECT_EQ(previous(updated[0]).at("metadata").as_object(), object());
  ASSERT_EQ(post("/v1/refunds/" + rest.text("id"), "metadata[reason]=late").status, 200u);
  EXPECT_EQ(fresh_types(seen), Types{});
}

TEST_P(EventsTest, CustomersAnnounceCreatedUpdatedDeleted) {
  std::size_t seen = 0;
  const ApiReply customer = post("/v1/customers", "email=a%40example.com");
  ASSERT_EQ(customer.status, 200u);
  const std::vector<object> created = fresh(seen);
  ASSERT_EQ(types_of(created), Types{"customer.created"});
  EXPECT_EQ(data_object(created[0]), customer.body);

  const std::string path = "/v1/customers/" + customer.text("id");
  ASSERT_EQ(post(path, "name=Ada&metadata[tier]=gold").status, 200u);
  const std::vector<object> updated = fresh(seen);
  ASSERT_EQ(types_of(updated), Types{"customer.updated"});
  EXPECT_EQ(previous(updated[0]), (object{{"metadata", object()}, {"name", nullptr}}));
  ASSERT_EQ(post(path, "name=Ada").status, 200u);  // the same again: no change
  EXPECT_EQ(fresh_types(seen), Types{});

  ASSERT_EQ(call("DELETE", path).status, 200u);
  const std::vector<object> deleted = fresh(seen);
  ASSERT_EQ(types_of(deleted), Types{"customer.deleted"});
  EXPECT_EQ(data_object(deleted[0]).at("id").as_string(), customer.text("id"));
  EXPECT_EQ(data_object(deleted[0]).at("name").as_string(), "Ada");
  EXPECT_FALSE(deleted[0].at("data").as_object().contains("previous_attributes"));
}

TEST_P(EventsTest, PaymentMethodsAnnounceAttachedUpdatedDetached) {
  std::size_t seen = 0;
  const ApiReply customer = post("/v1/customers", "");
  fresh(seen);
  // A test id attached on first use: made and attached by one unit, announced as attached.
  const ApiReply attached =
      post("/v1/payment_methods/pm_card_visa/attach", "customer=" + customer.text("id"));
  ASSERT_EQ(attached.status, 200u) << boost::json::serialize(attached.body);
  const std::vector<object> first = fresh(seen);
  ASSERT_EQ(types_of(first), Types{"payment_method.attached"});
  EXPECT_EQ(data_object(first[0]), attached.body);

  const std::string path = "/v1/payment_methods/" + attached.text("id");
  ASSERT_EQ(post(path, "metadata[k]=v").status, 200u);
  EXPECT_EQ(fresh_types(seen), Types{"payment_method.updated"});

  // Detaching the customer's default also updates the customer.
  ASSERT_EQ(post("/v1/customers/" + customer.text("id"),
                 "invoice_settings[default_payment_method]=" + attached.text("id"))
                .status,
            200u);
  EXPECT_EQ(fresh_types(seen), Types{"customer.updated"});
  ASSERT_EQ(post(path + "/detach", "").status, 200u);
  const std::vector<object> detached = fresh(seen);
  ASSERT_EQ(types_of(detached), (Types{"customer.updated", "payment_method.detached"}));
  EXPECT_EQ(previous(detached[1]).at("customer").as_string(), customer.text("id"));
  EXPECT_TRUE(data_object(detached[1]).at("customer").is_null());

  // A payment method made unattached announces nothing.
  ASSERT_EQ(post("/v1/payment_methods",
                 "type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2031")
                .status,
            200u);
  EXPECT_EQ(fresh_types(seen), Types{});
}

TEST_P(EventsTest, CreatingACustomerWithAPaymentMethodAndDeletingItDetachesIt) {
  std::size_t seen = 0;
  const ApiReply customer = post("/v1/customers", "payment_method=pm_card_visa");
  ASSERT_EQ(customer.status, 200u);
  const std::vector<object> created = fresh(seen);
  ASSERT_EQ(types_of(created), (Types{"customer.created", "payment_method.attached"}));
  EXPECT_EQ(data_object(created[1]).at("customer").as_string(), customer.text("id"));
  ASSERT_EQ(call("DELETE", "/v1/customers/" + customer.text("id")).status, 200u);
  EXPECT_EQ(fresh_types(seen), (Types{"payment_method.detached", "customer.deleted"}));
}

TEST_P(EventsTest, ReleasedFundsAnnounceTheBalanceOncePerMerchantWithoutARequest) {
  pay(2000, "pm_card_visa");
  pay(500, "pm_card_visa");
  const std::string other_key = new_merchant_key();
  ASSERT_EQ(call("POST", "/v1/payment_intents",
                 "amount=700&currency=usd&confirm=true&payment_method=pm_card_visa", "", other_key)
                .status,
            200u);
  std::size_t seen = events().size();
  const std::int64_t stored_before = count("events");
  clock_.advance_ms(2 * kDayMs + 1000);
  auto done = api_->housekeeping(100);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->funds_released, 3u);
  const std::vector<object> released = fresh(seen);  // the first merchant's only
  ASSERT_EQ(types_of(released), Types{"balance.available"});
  const object& event = released[0];
  EXPECT_TRUE(event.at("request").at("id").is_null());
  EXPECT_TRUE(event.at("request").at("idempotency_key").is_null());
  const object& balance = data_object(event);
  EXPECT_EQ(balance, get("/v1/balance").body);  // what GET /v1/balance answers now
  EXPECT_EQ(balance.at("available").at(0).at("amount").as_int64(), 2500);
  EXPECT_EQ(balance.at("pending").at(0).at("amount").as_int64(), 0);
  EXPECT_EQ(count("events"), stored_before + 2);  // and one for the other merchant
  auto again = api_->housekeeping(100);
  ASSERT_TRUE(again);
  EXPECT_EQ(fresh_types(seen), Types{});
  expect_ledger_verified();
}

TEST_P(EventsTest, LapsedAuthorizationsAreCanceledWithoutARequest) {
  const ApiReply held = pay(1000, "pm_card_visa", "&capture_method=manual");
  std::size_t seen = events().size();
  clock_.advance_ms(7 * kDayMs + 1000);
  auto done = api_->housekeeping(100);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->authorizations_canceled, 1u);
  const std::vector<object> lapsed = fresh(seen);
  ASSERT_EQ(types_of(lapsed), (Types{"charge.refunded", "payment_intent.canceled"}));
  for (const object& event : lapsed) {
    EXPECT_TRUE(event.at("request").at("id").is_null());
    EXPECT_TRUE(event.at("request").at("idempotency_key").is_null());
  }
  EXPECT_EQ(data_object(lapsed[1]).at("cancellation_reason").as_string(), "automatic");
  EXPECT_EQ(data_object(lapsed[1]).at("id").as_string(), held.text("id"));
}

TEST_P(EventsTest, EventsNameTheRequestAndItsIdempotencyKeyAndReplaysAnnounceNothing) {
  const std::string body = "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa";
  const ApiReply first = post("/v1/payment_intents", body, "order-42");
  ASSERT_EQ(first.status, 200u);
  const std::vector<object> all = events();
  ASSERT_EQ(all.size(), 3u);
  for (const object& event : all) {
    EXPECT_EQ(event.at("request").at("id").as_string(), "req_test");
    EXPECT_EQ(event.at("request").at("idempotency_key").as_string(), "order-42");
  }
  const ApiReply replay = post("/v1/payment_intents", body, "order-42");
  EXPECT_EQ(replay.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(replay.text("id"), first.text("id"));
  EXPECT_EQ(count("events"), 3);
  EXPECT_EQ(outbox_size(), 3);
  // A mismatch is refused before anything runs.
  EXPECT_EQ(post("/v1/payment_intents", "amount=1&currency=usd", "order-42").status, 400u);
  EXPECT_EQ(count("events"), 3);
}

TEST_P(EventsTest, RefusedRequestsAnnounceNothing) {
  const ApiReply held = pay(2000, "pm_card_visa", "&capture_method=manual");
  const ApiReply paid = pay(1000, "pm_card_visa");
  const std::int64_t before = count("events");
  // Refused before the unit: bad parameters.
  EXPECT_EQ(post("/v1/payment_intents", "amount=-5&currency=usd").status, 400u);
  EXPECT_EQ(post("/v1/customers", "email=not-an-email").status, 400u);
  // Refused inside the unit, having written nothing.
  EXPECT_EQ(
      post("/v1/payment_intents/" + held.text("id") + "/capture", "amount_to_capture=5000").status,
      400u);
  EXPECT_EQ(post("/v1/refunds", "charge=" + paid.text("latest_charge") + "&amount=5000").status,
            400u);
  EXPECT_EQ(post("/v1/payment_intents", "amount=2000&currency=usd&customer=cus_missing").status,
            400u);
  EXPECT_EQ(post("/v1/payment_intents/" + paid.text("id") + "/cancel", "").status, 400u);
  EXPECT_EQ(count("events"), before);
  EXPECT_EQ(outbox_size(), before);
}

TEST_P(EventsTest, AUnitThatFailsAnnouncesNothing) {
  const ApiReply customer = post("/v1/customers", "");
  const std::int64_t before = count("events");
  const std::string snapshot = state_snapshot();
  auto ran = run_unit([&](Unit& unit) -> store::StoreResult<void> {
    auto row = select_object(unit.connection(), customer.text("id"));
    if (!row) return unexpected(row.error());
    (*row)->body["name"] = "Never";
    if (auto saved = unit.update(**row); !saved) return saved;
    auto written = unit.write_events();  // written, then rolled back with the unit
    if (!written) return unexpected(written.error());
    EXPECT_EQ(*written, 1u);
    return store::store_fail(store::ErrorKind::other, "the unit fails after its writes");
  });
  EXPECT_FALSE(ran);
  EXPECT_EQ(count("events"), before);
  EXPECT_EQ(outbox_size(), before);
  EXPECT_EQ(state_snapshot(), snapshot);
  EXPECT_TRUE(get("/v1/customers/" + customer.text("id")).body.at("name").is_null());
}

// The net change of a unit: write_events is called by run_unit after `work`.
TEST_P(EventsTest, AUnitAnnouncesEachObjectsNetChangeOnce) {
  const ApiReply customer = post("/v1/customers", "");
  std::size_t seen = events().size();
  // Two updates: one event, from the stored state to the last.
  ASSERT_TRUE(run_unit(
      [&](Unit& unit) -> store::StoreResult<void> {
        auto row = select_object(unit.connection(), customer.text("id"));
        if (!row) return unexpected(row.error());
        (*row)->body["name"] = "First";
        if (auto saved = unit.update(**row); !saved) return saved;
        (*row)->body["name"] = "Second";
        (*row)->body["phone"] = "+15550100";
        return unit.update(**row);
      },
      EventOrigin{"req_unit", "key-1"}));
  const std::vector<object> twice = fresh(seen);
  ASSERT_EQ(types_of(twice), Types{"customer.updated"});
  EXPECT_EQ(previous(twice[0]), (object{{"name", nullptr}, {"phone", nullptr}}));
  EXPECT_EQ(data_object(twice[0]).at("name").as_string(), "Second");
  EXPECT_EQ(twice[0].at("request").at("id").as_string(), "req_unit");
  EXPECT_EQ(twice[0].at("request").at("idempotency_key").as_string(), "key-1");

  // Written back unchanged: nothing.
  ASSERT_TRUE(run_unit([&](Unit& unit) -> store::StoreResult<void> {
    auto row = select_object(unit.connection(), customer.text("id"));
    if (!row) return unexpected(row.error());
    (*row)->body["name"] = "Changed";
    if (auto saved = unit.update(**row); !saved) return saved;
    (*row)->body["name"] = "Second";
    return unit.update(**row);
  }));
  EXPECT_EQ(fresh_types(seen), Types{});

  // Inserted with its events prepared, then written again: announced from its last state.
  const ApiReply other = post("/v1/customers", "");
  fresh(seen);
  ObjectRow method;
  method.id = "pm_unit_test";
  method.kind = "payment_method";
  method.merchant_id = merchant_id_;
  method.created = clock_.now_unix_ms() / 1000;
  method.type = "card";
  method.body = object{{"id", method.id}, {"object", "payment_method"}, {"customer", nullptr}};
  const ObjectRow* rows[] = {&method};
  const PreparedEvents prepared = prepare_insert_events(rows, clock_, EventOrigin{});
  EXPECT_TRUE(prepared.events.empty());  // an unattached payment method announces nothing
  ASSERT_TRUE(run_unit([&](Unit& unit) -> store::StoreResult<void> {
    const NewObject objects[] = {{&method, ""}};
    if (auto saved = unit.insert_all(objects, &prepared); !saved) return saved;
    ObjectRow attached = method;
    attached.customer_id = other.text("id");
    attached.body["customer"] = other.text("id");
    return unit.update(attached);
  }));
  const std::vector<object> made = fresh(seen);
  ASSERT_EQ(types_of(made), Types{"payment_method.attached"});
  EXPECT_EQ(data_object(made[0]).at("customer").as_string(), other.text("id"));
  EXPECT_FALSE(made[0].at("data").as_object().contains("previous_attributes"));
}

TEST_P(EventsTest, AChargeChangedOtherwiseAnnouncesChargeUpdated) {
  const ApiReply paid = pay(2000, "pm_card_visa");
  std::size_t seen = events().size();
  ASSERT_TRUE(run_unit([&](Unit& unit) -> store::StoreResult<void> {
    auto row = select_object(unit.connection(), paid.text("latest_charge"));
    if (!row) return unexpected(row.error());
    (*row)->body["description"] = "Order 42";
    return unit.update(**row);
  }));
  const std::vector<object> updated = fresh(seen);
  ASSERT_EQ(types_of(updated), Types{"charge.updated"});
  EXPECT_EQ(previous(updated[0]), (object{{"description", nullptr}}));
  EXPECT_EQ(data_object(updated[0]).at("description").as_string(), "Order 42");
}

INSTANTIATE_TEST_SUITE_P(Backends, EventsTest,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         till::testing::backend_name);

// ---- The rules, without a database ----------------------------------------------------

Types announced(std::string_view kind, const object* before, const object& after,
                bool deleted = false) {
  Types out;
  for (const Announcement& announcement : announcements(kind, before, after, deleted)) {
    EXPECT_TRUE(events::is_event_type(announcement.type)) << announcement.type;
    out.emplace_back(announcement.type);
  }
  return out;
}

object intent(std::string_view status, std::int64_t capturable = 0) {
  return object{{"id", "pi_1"},
                {"status", status},
                {"amount_capturable", capturable},
                {"last_payment_error", nullptr},
                {"metadata", object()}};
}

TEST(AnnouncementsTest, PaymentIntentStatuses) {
  EXPECT_EQ(announced("payment_intent", nullptr, intent("requires_payment_method")),
            Types{"payment_intent.created"});
  EXPECT_EQ(announced("payment_intent", nullptr, intent("processing")),
            (Types{"payment_intent.created", "payment_intent.processing"}));
  const object confirming = intent("requires_confirmation");
  EXPECT_EQ(announced("payment_intent", &confirming, intent("processing")),
            Types{"payment_intent.processing"});
  EXPECT_EQ(announced("payment_intent", &confirming, intent("requires_action")),
            Types{"payment_intent.requires_action"});
  EXPECT_EQ(announced("payment_intent", &confirming, intent("requires_payment_method")), Types{});
  const object held = intent("requires_capture", 1000);
  EXPECT_EQ(announced("payment_intent", &held, intent("requires_capture", 400)),
            Types{"payment_intent.amount_capturable_updated"});
  object described = held;
  described["metadata"] = object{{"k", "v"}};
  EXPECT_EQ(announced("payment_intent", &held, described), Types{});  // no .updated
  // An earlier failure still on the intent is no new failure.
  object failed = intent("requires_payment_method");
  failed["last_payment_error"] = object{{"code", "card_declined"}};
  object retried = failed;
  retried["status"] = "requires_confirmation";
  EXPECT_EQ(announced("payment_intent", &retried, failed), Types{});
  object declined_again = failed;
  declined_again["last_payment_error"] = object{{"code", "expired_card"}};
  EXPECT_EQ(announced("payment_intent", &failed, declined_again),
            Types{"payment_intent.payment_failed"});
}

TEST(AnnouncementsTest, ChargesRefundsCustomersPaymentMethods) {
  const object pending{{"status", "pending"}, {"captured", false}, {"amount_refunded", 0}};
  EXPECT_EQ(announced("charge", nullptr, pending), Types{});
  object both = pending;
  both["captured"] = true;
  both["amount_refunded"] = 100;
  EXPECT_EQ(announced("charge", &pending, both), (Types{"charge.captured", "charge.refunded"}));

  const object refund{{"status", "pending"}, {"metadata", object()}};
  object failed = refund;
  failed["status"] = "failed";
  EXPECT_EQ(announced("refund", nullptr, failed), (Types{"refund.created", "refund.failed"}));
  EXPECT_EQ(announced("refund", &refund, failed), Types{"refund.failed"});
  object succeeded = refund;
  succeeded["status"] = "succeeded";
  EXPECT_EQ(announced("refund", &refund, succeeded), Types{"refund.updated"});

  const object customer{{"name", nullptr}};
  EXPECT_EQ(announced("customer", &customer, customer, true), Types{"customer.deleted"});
  EXPECT_EQ(announced("customer", &customer, customer, false), Types{});

  const object to_a{{"customer", "cus_a"}};
  const object to_b{{"customer", "cus_b"}};
  EXPECT_EQ(announced("payment_method", &to_a, to_b), Types{"payment_method.updated"});
  EXPECT_EQ(announced("balance_transaction", nullptr, object{{"status", "pending"}}), Types{});
  EXPECT_FALSE(announces_changes("balance_transaction"));
}

}  // namespace
}  // namespace till::payments::testing
