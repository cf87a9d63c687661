// The events module's stores on both backends: events and their outbox rows, fan-out to
// endpoints, leased claims, settling attempts, endpoint health, resend and retention.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "base/clock.h"
#include "base/ids.h"
#include "events/catalog.h"
#include "events/delivery_store.h"
#include "events/endpoint_store.h"
#include "events/event_store.h"
#include "events/signature.h"
#include "events_fixture.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::events {
namespace {

using store::Connection;
using store::Dialect;

constexpr std::int64_t kStartMs = 1'790'000'000'000;

class EventStoreTest : public testing::EventsDatabaseTest {
 protected:
  std::int64_t count(const std::string& sql) {
    std::int64_t n = -1;
    transact([&](Connection& c) { n = c.query_one<std::int64_t>(sql)->value_or(-1); });
    return n;
  }

  std::int64_t outbox_size() {
    std::int64_t events = -1;
    transact([&](Connection& c) { events = backlog(c)->outbox_events; });
    return events;
  }

  EventRecord event(const std::string& type, const std::string& merchant = "acct_a",
                    bool livemode = false) {
    EventDraft draft;
    draft.type = type;
    draft.merchant_id = merchant;
    draft.livemode = livemode;
    draft.object = boost::json::object{{"id", "ch_1"}, {"object", "charge"}};
    draft.request_id = "req_1";
    return make_event(draft, clock_);
  }

  void insert(const std::vector<EventRecord>& events) {
    transact([&](Connection& c) { ASSERT_TRUE(insert_events(c, events)); });
  }

  Endpoint endpoint(std::vector<std::string> types, const std::string& merchant = "acct_a",
                    bool livemode = false) {
    Endpoint e;
    e.id = new_id("we", clock_);
    e.merchant_id = merchant;
    e.livemode = livemode;
    e.created = clock_.now_unix_ms() / 1000;
    e.url = "http://127.0.0.1:9/hook";
    e.enabled_events = std::move(types);
    e.secret = new_endpoint_secret();
    transact([&](Connection& c) { ASSERT_TRUE(insert_endpoint(c, e)); });
    return e;
  }

  FanOutResult fan_out_all() {
    FanOutResult result;
    transact([&](Connection& c) {
      auto done = fan_out(c, kFanOutBatchMax, clock_.now_unix_ms());
      ASSERT_TRUE(done) << done.error().message;
      result = *done;
    });
    return result;
  }

  std::vector<ClaimedDelivery> claim(const std::string& endpoint_id, const std::string& owner,
                                     std::size_t limit = 100) {
    std::vector<ClaimedDelivery> claimed;
    const std::int64_t now = clock_.now_unix_ms();
    transact([&](Connection& c) {
      auto done = claim_deliveries(c, endpoint_id, limit, owner, now, now + 30'000);
      ASSERT_TRUE(done) << done.error().message;
      claimed = *done;
    });
    return claimed;
  }

  AttemptRecord attempt(const ClaimedDelivery& delivery, Settlement settlement,
                        std::int64_t retry_at = 0) {
    AttemptRecord record;
    record.delivery_seq = delivery.seq;
    record.event_id = delivery.event_id;
    record.endpoint_id = delivery.endpoint_id;
    record.attempted_at_ms = clock_.now_unix_ms();
    record.duration_us = 1500;
    record.status_code = settlement == Settlement::succeeded ? 200 : 500;
    record.outcome = settlement == Settlement::succeeded ? "succeeded" : "http_error";
    record.response_excerpt = "ok";
    record.settlement = settlement;
    record.retry_at_ms = retry_at;
    return record;
  }

  std::size_t record(const std::vector<AttemptRecord>& attempts, const std::string& owner) {
    std::size_t settled = 0;
    transact([&](Connection& c) {
      auto done = record_attempts(c, attempts, owner, clock_.now_unix_ms());
      ASSERT_TRUE(done) << done.error().message;
      settled = *done;
    });
    return settled;
  }

  ManualClock clock_{kStartMs};
};

TEST(EventShape, MakeEventHasStripesFields) {
  ManualClock clock(kStartMs);
  EventDraft draft;
  draft.type = "payment_intent.succeeded";
  draft.merchant_id = "acct_x";
  draft.livemode = true;
  draft.object = boost::json::object{{"id", "pi_1"}, {"object", "payment_intent"}};
  draft.previous_attributes = boost::json::object{{"status", "processing"}};
  draft.request_id = "req_9";
  draft.idempotency_key = "key-1";
  const EventRecord event = make_event(draft, clock);
  EXPECT_TRUE(is_valid_id(event.id, "evt"));
  EXPECT_EQ(event.object_id, "pi_1");
  EXPECT_EQ(event.created, kStartMs / 1000);
  const auto body = boost::json::parse(event.body_text).as_object();
  EXPECT_EQ(body.at("id").as_string(), event.id);
  EXPECT_EQ(body.at("object"), "event");
  EXPECT_EQ(body.at("api_version").as_string(), kApiVersion);
  EXPECT_EQ(body.at("created"), kStartMs / 1000);
  EXPECT_EQ(body.at("livemode"), true);
  EXPECT_EQ(body.at("pending_webhooks"), 0);
  EXPECT_EQ(body.at("type"), "payment_intent.succeeded");
  EXPECT_EQ(body.at("data").at("object").at("id"), "pi_1");
  EXPECT_EQ(body.at("data").at("previous_attributes").at("status"), "processing");
  EXPECT_EQ(body.at("request").at("id"), "req_9");
  EXPECT_EQ(body.at("request").at("idempotency_key"), "key-1");

  draft.request_id.clear();
  draft.idempotency_key.clear();
  draft.previous_attributes.reset();
  const auto automatic = boost::json::parse(make_event(draft, clock).body_text).as_object();
  EXPECT_TRUE(automatic.at("request").at("id").is_null());
  EXPECT_TRUE(automatic.at("request").at("idempotency_key").is_null());
  EXPECT_FALSE(automatic.at("data").as_object().contains("previous_attributes"));
}

TEST(EventShape, AnObjectGivenAsTextIsEmbeddedVerbatim) {
  ManualClock clock(kStartMs);
  EventDraft draft;
  draft.type = "charge.succeeded";
  draft.merchant_id = "acct_x";
  draft.object_text =
      R"({"id":"ch_1","object":"charge","metadata":{"note":"\"data\":{\"object\":null"}})";
  draft.object_id = "ch_1";
  const EventRecord event = make_event(draft, clock);
  EXPECT_EQ(event.object_id, "ch_1");
  const auto body = boost::json::parse(event.body_text).as_object();
  EXPECT_EQ(body.at("data").at("object"), boost::json::parse(draft.object_text));
  EXPECT_EQ(body.at("type").as_string(), "charge.succeeded");
  EXPECT_NE(event.body_text.find(draft.object_text), std::string::npos);
}

TEST(EventShape, PreviousAttributesAreTheChangedTopLevelFields) {
  const boost::json::object before{{"status", "requires_capture"},
                                   {"amount_received", 0},
                                   {"metadata", {{"a", "1"}}},
                                   {"gone", "x"},
                                   {"same", 5}};
  const boost::json::object after{{"status", "succeeded"},
                                  {"amount_received", 500},
                                  {"metadata", {{"a", "2"}}},
                                  {"same", 5},
                                  {"new", true}};
  const boost::json::object previous = previous_attributes(before, after);
  EXPECT_EQ(previous.at("status"), "requires_capture");
  EXPECT_EQ(previous.at("amount_received"), 0);
  EXPECT_EQ(previous.at("metadata").at("a"), "1");
  EXPECT_EQ(previous.at("gone"), "x");
  EXPECT_TRUE(previous.at("new").is_null());
  EXPECT_FALSE(previous.contains("same"));
}

TEST(Catalog, TypesAreSortedKnownAndMatchWildcardSubscriptions) {
  const auto types = event_types();
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
  EXPECT_TRUE(is_event_type("charge.refunded"));
  EXPECT_FALSE(is_event_type("charge.refund"));
  EXPECT_TRUE(subscribed({"*"}, "customer.created"));
  EXPECT_TRUE(subscribed({"charge.failed", "customer.created"}, "customer.created"));
  EXPECT_FALSE(subscribed({"charge.failed"}, "customer.created"));
  EXPECT_FALSE(subscribed({}, "customer.created"));
}

TEST(Signature, MatchesAnIndependentHmacAndSignsWithEverySecret) {
  // Expected value computed with Python's hmac module, independently of OpenSSL.
  EXPECT_EQ(hmac_sha256_hex("whsec_test_secret", "1700000000.{\"id\":\"evt_1\"}"),
            "248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a");
  const std::vector<std::string> one{"whsec_test_secret"};
  EXPECT_EQ(signature_header(1700000000, "{\"id\":\"evt_1\"}", one),
            "t=1700000000,v1=248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a");
  const std::vector<std::string> two{"whsec_new", "whsec_old"};
  const std::string header = signature_header(5, "x", two);
  EXPECT_EQ(header, "t=5,v1=" + hmac_sha256_hex("whsec_new", "5.x") +
                        ",v1=" + hmac_sha256_hex("whsec_old", "5.x"));
  const std::string secret = new_endpoint_secret();
  EXPECT_TRUE(secret.starts_with("whsec_"));
  EXPECT_EQ(secret.size(), 6u + 32u);
  EXPECT_NE(secret, new_endpoint_secret());
}

TEST_P(EventStoreTest, EventsAreStoredWithTheirOutboxRowAndListedNewestFirst) {
  insert({event("customer.created"), event("charge.succeeded"), event("charge.refunded"),
          event("customer.created", "acct_b"), event("customer.created", "acct_a", true)});
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 5);
  EXPECT_EQ(outbox_size(), 5);

  auto list = [&](EventQuery query) {
    std::optional<EventPage> page;
    transact([&](Connection& c) {
      auto listed = list_events(c, query);
      ASSERT_TRUE(listed) << listed.error().message;
      page = std::move(listed).value();
    });
    return page;
  };
  EventQuery all{"acct_a", false, {}, {}, {}, "", "", 10};
  auto page = list(all);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->events.size(), 3u);
  EXPECT_EQ(page->events[0].type, "charge.refunded");
  EXPECT_EQ(page->events[2].type, "customer.created");
  EXPECT_FALSE(page->has_more);

  EventQuery charges = all;
  charges.types = {"charge.*"};
  page = list(charges);
  ASSERT_EQ(page->events.size(), 2u);
  charges.types = {"charge.succeeded", "customer.created"};
  EXPECT_EQ(list(charges)->events.size(), 2u);

  EventQuery paged = all;
  paged.limit = 2;
  page = list(paged);
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_TRUE(page->has_more);
  paged.starting_after = page->events[1].id;
  auto rest = list(paged);
  ASSERT_EQ(rest->events.size(), 1u);
  EXPECT_EQ(rest->events[0].type, "customer.created");
  paged.starting_after.clear();
  paged.ending_before = rest->events[0].id;
  EXPECT_EQ(list(paged)->events.size(), 2u);

  EventQuery foreign = all;
  foreign.starting_after = "evt_nope";
  EXPECT_FALSE(list(foreign).has_value());

  EventQuery later = all;
  later.created_gte = kStartMs / 1000 + 1;
  EXPECT_TRUE(list(later)->events.empty());
}

TEST_P(EventStoreTest, FanOutMatchesSubscriptionsOwnersAndEndpointAge) {
  const Endpoint everything = endpoint({"*"});
  const Endpoint charges = endpoint({"charge.succeeded"});
  endpoint({"*"}, "acct_b");        // another merchant
  endpoint({"*"}, "acct_a", true);  // the same merchant's live mode
  Endpoint disabled = endpoint({"*"});
  disabled.status = "disabled";
  transact([&](Connection& c) { ASSERT_TRUE(update_endpoint(c, disabled)); });
  clock_.advance_ms(2000);
  insert({event("charge.succeeded"), event("customer.created")});
  clock_.advance_ms(2000);
  endpoint({"*"});  // created after the events: gets none of them

  const FanOutResult result = fan_out_all();
  EXPECT_EQ(result.events, 2u);
  EXPECT_EQ(result.deliveries, 3u);
  EXPECT_EQ(result.endpoint_ids.size(), 2u);
  EXPECT_EQ(outbox_size(), 0);
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = '" + everything.id + "'"),
      2);
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = '" + charges.id + "'"), 1);
  EXPECT_EQ(count("SELECT MAX(fanout_count) FROM webhook_deliveries"), 2);
  EXPECT_EQ(fan_out_all().events, 0u);  // nothing twice
}

TEST_P(EventStoreTest, ALeaseKeepsOthersOffUntilItLapses) {
  const Endpoint target = endpoint({"*"});
  clock_.advance_ms(1000);
  insert({event("customer.created"), event("customer.updated"), event("customer.deleted")});
  fan_out_all();
  auto first = claim(target.id, "one", 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(is_valid_id(first[0].event_id, "evt"));
  EXPECT_NE(first[0].event_body.find("customer.created"), std::string::npos);
  auto second = claim(target.id, "two");
  ASSERT_EQ(second.size(), 1u);  // only the one nobody holds
  EXPECT_TRUE(claim(target.id, "three").empty());

  clock_.advance_ms(31'000);  // every lease lapsed: "one" and "two" are presumed dead
  auto taken_over = claim(target.id, "four");
  EXPECT_EQ(taken_over.size(), 3u);
  // The original holder's late result does not overwrite the new holder's lease.
  EXPECT_EQ(record({attempt(first[0], Settlement::succeeded)}, "one"), 0u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_attempts"), 1);  // but it is logged
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'succeeded'"), 0);
}

TEST_P(EventStoreTest, AttemptsSettleSucceededRetryAndFailed) {
  const Endpoint target = endpoint({"*"});
  clock_.advance_ms(1000);
  insert({event("customer.created"), event("customer.updated"), event("customer.deleted")});
  fan_out_all();
  auto claimed = claim(target.id, "me");
  ASSERT_EQ(claimed.size(), 3u);
  const std::int64_t retry_at = clock_.now_unix_ms() + 60'000;
  EXPECT_EQ(record({attempt(claimed[0], Settlement::succeeded),
                    attempt(claimed[1], Settlement::retry, retry_at),
                    attempt(claimed[2], Settlement::failed)},
                   "me"),
            3u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'succeeded'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'failed'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending' AND "
                  "attempt_count = 1 AND lease_until_ms = 0"),
            1);
  EXPECT_TRUE(claim(target.id, "me").empty());  // the retry is not due yet
  std::optional<std::int64_t> next;
  transact([&](Connection& c) { next = *next_due_at(c, target.id); });
  EXPECT_EQ(next, retry_at);
  clock_.set_unix_ms(retry_at);
  auto retried = claim(target.id, "me");
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].attempt_count, 1);

  std::vector<AttemptRow> rows;
  transact([&](Connection& c) {
    rows = *list_attempts(c, AttemptQuery{claimed[0].event_id, "", 0, 10});
  });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status_code, 200);
  EXPECT_EQ(rows[0].dispatcher, "me");
  std::int64_t pending = -1;
  transact([&](Connection& c) {
    const std::vector<std::int64_t> seqs{claimed[0].event_seq, claimed[1].event_seq};
    const auto counts = *pending_webhooks(c, seqs);
    EXPECT_FALSE(counts.contains(claimed[0].event_seq));  // succeeded: nothing pending
    pending = counts.at(claimed[1].event_seq);
  });
  EXPECT_EQ(pending, 1);
}

TEST_P(EventStoreTest, AnEndpointFailingForTheWholeWindowIsDisabledWithAReason) {
  const Endpoint target = endpoint({"*"});
  const std::int64_t window = 3LL * 24 * 3600 * 1000;
  // One health report; `started` is when the failed delivery became due (nullopt: no failure).
  auto report = [&](bool success, std::optional<std::int64_t> started, const char* reason) {
    bool disabled = false;
    transact([&](Connection& c) {
      disabled = *note_endpoint_health(c, target.id, success, started, clock_.now_unix_ms(),
                                       clock_.now_unix_ms() - window, reason);
    });
    return disabled;
  };
  EXPECT_FALSE(report(false, clock_.now_unix_ms() - 1000, "failing"));
  clock_.advance_ms(window / 2);
  EXPECT_FALSE(report(true, std::nullopt, "failing"));           // a success resets the streak
  const std::int64_t streak_start = clock_.now_unix_ms() - 500;  // that delivery was owed since
  EXPECT_FALSE(report(false, streak_start, "failing"));
  clock_.set_unix_ms(streak_start + window - 1);
  EXPECT_FALSE(report(false, clock_.now_unix_ms() - 10, "failing"));  // streak keeps its start
  clock_.advance_ms(1);
  EXPECT_TRUE(report(false, clock_.now_unix_ms() - 10, "every attempt failed"));
  EXPECT_FALSE(report(false, clock_.now_unix_ms(), "again"));  // already disabled
  std::optional<Endpoint> after;
  transact([&](Connection& c) { after = *select_endpoint(c, target.id); });
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, "disabled");
  EXPECT_EQ(after->disabled_reason, "every attempt failed");
  EXPECT_EQ(after->failing_since_ms, streak_start);
  EXPECT_TRUE(after->disabled_at_ms.has_value());
}

TEST_P(EventStoreTest, ResendMakesADeliveryDueAgainOrCreatesIt) {
  const Endpoint target = endpoint({"*"});
  clock_.advance_ms(1000);
  insert({event("customer.created")});
  fan_out_all();
  auto claimed = claim(target.id, "me");
  ASSERT_EQ(claimed.size(), 1u);
  record({attempt(claimed[0], Settlement::succeeded)}, "me");
  const Endpoint late = endpoint({"charge.failed"});  // never had it
  bool done = false;
  transact([&](Connection& c) {
    done = *resend(c, claimed[0].event_id, target.id, clock_.now_unix_ms());
  });
  EXPECT_TRUE(done);
  transact([&](Connection& c) {
    done = *resend(c, claimed[0].event_id, late.id, clock_.now_unix_ms());
  });
  EXPECT_TRUE(done);
  transact([&](Connection& c) { done = *resend(c, "evt_missing", late.id, clock_.now_unix_ms()); });
  EXPECT_FALSE(done);
  EXPECT_EQ(claim(target.id, "me").size(), 1u);
  EXPECT_EQ(claim(late.id, "me").size(), 1u);
}

TEST_P(EventStoreTest, PurgeRemovesEventsPastRetentionWithTheirDeliveries) {
  const Endpoint target = endpoint({"*"});
  clock_.advance_ms(1000);
  insert({event("customer.created"), event("customer.updated")});
  fan_out_all();
  auto claimed = claim(target.id, "me");
  record({attempt(claimed[0], Settlement::succeeded)}, "me");
  clock_.advance_ms(kEventRetentionSeconds * 1000);
  insert({event("customer.deleted")});  // recent: stays
  std::int64_t purged = 0;
  transact([&](Connection& c) {
    purged = *purge_events(c, clock_.now_unix_ms() / 1000 - kEventRetentionSeconds + 1, 100);
  });
  EXPECT_EQ(purged, 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_attempts"), 0);
  EXPECT_EQ(outbox_size(), 1);
}

TEST_P(EventStoreTest, EventsAfterAPurgeOfEverythingAreStillFannedOut) {
  // On SQLite the outbox is a cursor over seq: seqs must never be reused below it.
  endpoint({"*"});
  clock_.advance_ms(1000);
  insert({event("customer.created"), event("customer.updated")});
  EXPECT_EQ(fan_out_all().events, 2u);
  transact(
      [&](Connection& c) { ASSERT_EQ(*purge_events(c, clock_.now_unix_ms() / 1000 + 1, 100), 2); });
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 0);
  insert({event("customer.deleted")});
  EXPECT_EQ(outbox_size(), 1);
  const FanOutResult result = fan_out_all();
  EXPECT_EQ(result.events, 1u);
  EXPECT_EQ(result.deliveries, 1u);
}

TEST_P(EventStoreTest, EndpointsRoundTripAndListPerOwner) {
  Endpoint first = endpoint({"*"});
  first.description = "orders";
  first.metadata = boost::json::object{{"team", "ops"}};
  first.previous_secret = "whsec_old";
  first.previous_secret_expires_at_ms = clock_.now_unix_ms() + 1000;
  transact([&](Connection& c) { ASSERT_TRUE(update_endpoint(c, first)); });
  endpoint({"charge.failed"});
  endpoint({"*"}, "acct_b");
  std::optional<Endpoint> read;
  transact([&](Connection& c) { read = *select_endpoint(c, first.id); });
  ASSERT_TRUE(read);
  EXPECT_EQ(read->description, "orders");
  EXPECT_EQ(read->metadata.at("team"), "ops");
  EXPECT_EQ(read->signing_secrets(clock_.now_unix_ms()).size(), 2u);
  EXPECT_EQ(read->signing_secrets(clock_.now_unix_ms() + 1000).size(), 1u);
  const auto object = endpoint_object(*read);
  EXPECT_EQ(object.at("object"), "webhook_endpoint");
  EXPECT_FALSE(object.contains("secret"));
  EXPECT_EQ(object.at("enabled_events").as_array().size(), 1u);

  std::optional<EndpointPage> page;
  transact([&](Connection& c) {
    page = *list_endpoints(c, EndpointQuery{"acct_a", false, "", "", "", 10});
  });
  ASSERT_TRUE(page);
  EXPECT_EQ(page->endpoints.size(), 2u);
  std::int64_t n = 0;
  transact([&](Connection& c) { n = *count_endpoints(c, "acct_a", false); });
  EXPECT_EQ(n, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         till::testing::backend_name);

}  // namespace
}  // namespace till::events
