// The dispatcher against real receivers (Till's HTTP server on loopback) and a real database
// of each dialect: delivery with verifiable signatures, retries, a slow endpoint not starving
// a fast one, disabling after the retry window, the address rules at send time, secret
// rolls, and two dispatchers sharing one queue.
#include "events/dispatcher.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "base/clock.h"
#include "base/ids.h"
#include "events/delivery_store.h"
#include "events/endpoint_store.h"
#include "events/event_store.h"
#include "events/signature.h"
#include "events_fixture.h"
#include "support/test_database.h"
#include "support/till_process.h"
#include "test_receiver.h"

namespace till::events {
namespace {

using namespace std::chrono_literals;
using store::Connection;
using store::Dialect;
using testing::TestReceiver;

constexpr auto kWait = 30s;

DispatcherOptions fast_options() {
  DispatcherOptions options;
  options.timeout_ms = 2000;
  options.lease_ms = 4000;
  options.retry_initial_ms = 50;
  options.retry_interval_max_ms = 200;
  options.poll_interval_ms = 5;
  options.sweep_interval_ms = 100;
  return options;
}

class DispatcherTest : public testing::EventsDatabaseTest {
 protected:
  Endpoint add_endpoint(const std::string& url, std::vector<std::string> types = {"*"},
                        bool livemode = false, const std::string& merchant = "acct_a") {
    Endpoint endpoint;
    endpoint.id = new_id("we", SystemClock::instance());
    endpoint.merchant_id = merchant;
    endpoint.livemode = livemode;
    endpoint.created = SystemClock::instance().now_unix_ms() / 1000 - 1;
    endpoint.url = url;
    endpoint.enabled_events = std::move(types);
    endpoint.secret = new_endpoint_secret();
    transact([&](Connection& c) { ASSERT_TRUE(insert_endpoint(c, endpoint)); });
    return endpoint;
  }

  std::vector<std::string> add_events(std::size_t count,
                                      const std::string& type = "charge.succeeded",
                                      bool livemode = false,
                                      const std::string& merchant = "acct_a") {
    std::vector<EventRecord> records;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) {
      EventDraft draft;
      draft.type = type;
      draft.merchant_id = merchant;
      draft.livemode = livemode;
      draft.object =
          boost::json::object{{"id", new_id("ch", SystemClock::instance())}, {"object", "charge"}};
      records.push_back(make_event(draft, SystemClock::instance()));
      ids.push_back(records.back().id);
    }
    transact([&](Connection& c) { ASSERT_TRUE(insert_events(c, records)); });
    return ids;
  }

  std::vector<AttemptRow> attempts_of_endpoint(const std::string& endpoint_id) {
    std::vector<AttemptRow> rows;
    transact([&](Connection& c) {
      rows = *list_attempts(c, AttemptQuery{"", endpoint_id, 0, 100});
    });
    return rows;
  }

  std::unique_ptr<Dispatcher> start(DispatcherOptions options = fast_options()) {
    auto dispatcher = std::make_unique<Dispatcher>(*database_, SystemClock::instance(), metrics_,
                                                   std::move(options));
    dispatcher->start();
    return dispatcher;
  }

  obs::MetricsRegistry metrics_;
};

TEST(DispatcherOptions, ValidateNamesTheBadOption) {
  EXPECT_FALSE(validate(DispatcherOptions{}).has_value());
  DispatcherOptions options;
  options.lease_ms = options.timeout_ms;
  EXPECT_NE(validate(options)->find("webhooks.lease_ms"), std::string::npos);
  options = DispatcherOptions{};
  options.endpoint_concurrency = 0;
  EXPECT_NE(validate(options)->find("webhooks.endpoint_concurrency"), std::string::npos);
  options = DispatcherOptions{};
  options.retry_window_ms = 1;
  EXPECT_NE(validate(options)->find("webhooks.retry_window_ms"), std::string::npos);
}

TEST_P(DispatcherTest, DeliversEverySubscribedEventSignedWithPendingWebhooks) {
  TestReceiver everything;
  TestReceiver refunds_only;
  const Endpoint all = add_endpoint(everything.url());
  const Endpoint some = add_endpoint(refunds_only.url(), {"charge.refunded"});
  everything.set_secrets({all.secret});
  refunds_only.set_secrets({some.secret});
  auto succeeded = add_events(40, "charge.succeeded");
  auto refunded = add_events(10, "charge.refunded");
  add_events(5, "charge.succeeded", false, "acct_other");  // another merchant's
  auto dispatcher = start();
  ASSERT_TRUE(everything.wait_delivered(50, kWait));
  ASSERT_TRUE(refunds_only.wait_delivered(10, kWait));
  dispatcher->stop();
  EXPECT_EQ(everything.delivered().size(), 50u);
  EXPECT_EQ(refunds_only.delivered().size(), 10u);
  EXPECT_EQ(everything.bad_signatures(), 0u);
  EXPECT_EQ(refunds_only.bad_signatures(), 0u);
  EXPECT_EQ(everything.received().size(), 50u);  // no duplicates without failures
  for (const auto& received : refunds_only.received()) {
    const auto body = boost::json::parse(received.body).as_object();
    EXPECT_EQ(body.at("type"), "charge.refunded");
    EXPECT_EQ(body.at("pending_webhooks"), 2);  // refunds go to both endpoints
  }
  EXPECT_EQ(everything.overlaps(), 0u);
  const auto stats = dispatcher->stats();
  EXPECT_EQ(stats.succeeded, 60u);
  EXPECT_EQ(stats.lost_leases, 0u);
  std::int64_t pending = -1;
  transact([&](Connection& c) {
    pending = c.query_one<std::int64_t>(
                   "SELECT COUNT(*) FROM webhook_deliveries WHERE state <> 'succeeded'")
                  ->value_or(-1);
  });
  EXPECT_EQ(pending, 0);
}

TEST_P(DispatcherTest, FailedAttemptsAreRetriedUntilTheEventArrives) {
  TestReceiver receiver;
  const Endpoint endpoint = add_endpoint(receiver.url());
  receiver.set_secrets({endpoint.secret});
  receiver.fail_first(3);
  auto ids = add_events(5);
  auto dispatcher = start();
  ASSERT_TRUE(receiver.wait_delivered(5, kWait));
  dispatcher->stop();
  EXPECT_EQ(receiver.received().size(), 20u);  // 3 failures + 1 success each
  const auto rows = attempts_of_endpoint(endpoint.id);
  ASSERT_EQ(rows.size(), 20u);
  std::size_t failed = 0;
  for (const AttemptRow& row : rows) {
    if (row.outcome == "http_error") {
      ++failed;
      EXPECT_EQ(row.status_code, 500);
      EXPECT_EQ(row.response_excerpt, "try again later");
    }
  }
  EXPECT_EQ(failed, 15u);
}

TEST_P(DispatcherTest, ASlowEndpointDoesNotHoldUpAFastOne) {
  TestReceiver slow;
  TestReceiver fast;
  slow.set_delay(300ms);
  const Endpoint slow_endpoint = add_endpoint(slow.url());
  const Endpoint fast_endpoint = add_endpoint(fast.url());
  slow.set_secrets({slow_endpoint.secret});
  fast.set_secrets({fast_endpoint.secret});
  add_events(200);
  DispatcherOptions options = fast_options();
  options.endpoint_concurrency = 4;
  auto dispatcher = start(options);
  // The fast endpoint gets all 200 while the slow one, 4 at a time at 300 ms, has had at most
  // a fraction of its share.
  ASSERT_TRUE(fast.wait_delivered(200, kWait));
  EXPECT_LT(slow.delivered().size(), 150u);
  EXPECT_EQ(slow.overlaps(), 0u);
  dispatcher->stop();
}

TEST_P(DispatcherTest, AnEndpointFailingForTheWholeWindowIsDisabledAndItsDeliveriesFail) {
  TestReceiver receiver;
  receiver.set_status(503);
  const Endpoint endpoint = add_endpoint(receiver.url());
  receiver.set_secrets({endpoint.secret});
  add_events(3);
  DispatcherOptions options = fast_options();
  options.retry_window_ms = 400;
  auto dispatcher = start(options);
  std::optional<Endpoint> after;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    transact([&](Connection& c) { after = *select_endpoint(c, endpoint.id); });
    if (after && after->status == "disabled") break;
    std::this_thread::sleep_for(20ms);
  }
  dispatcher->stop();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, "disabled");
  EXPECT_NE(after->disabled_reason.find("http_error (HTTP 503)"), std::string::npos)
      << after->disabled_reason;
  EXPECT_TRUE(after->disabled_at_ms.has_value());
  EXPECT_EQ(dispatcher->stats().endpoints_disabled, 1u);
  EXPECT_TRUE(receiver.delivered().empty());
}

TEST_P(DispatcherTest, LiveEndpointsNeverReachInternalAddresses) {
  // Written straight into the table, past the API's create-time checks: the send-time check
  // must hold on its own (it is what stops DNS rebinding).
  TestReceiver receiver;
  const std::vector<std::pair<std::string, std::string>> forbidden = {
      {"https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook", "loopback"},
      {"https://localhost:" + std::to_string(receiver.port()) + "/hook", "loopback"},
      {"https://10.1.2.3/hook", "private_network"},
      {"https://192.168.0.10/hook", "private_network"},
      {"https://172.16.5.4/hook", "private_network"},
      {"https://169.254.10.10/hook", "link_local"},
      {"https://169.254.169.254/latest/meta-data", "cloud_metadata"},
      {"https://[::1]:" + std::to_string(receiver.port()) + "/hook", "loopback"},
      {"https://[fd00:ec2::254]/", "cloud_metadata"},
      {"https://[::ffff:127.0.0.1]:" + std::to_string(receiver.port()) + "/hook", "loopback"},
      {"https://100.64.0.1/hook", "shared_cgnat"},
      {"https://0.0.0.0:" + std::to_string(receiver.port()) + "/hook", "unspecified"},
  };
  std::vector<Endpoint> endpoints;
  for (const auto& [url, kind] : forbidden) endpoints.push_back(add_endpoint(url, {"*"}, true));
  add_events(1, "charge.succeeded", true);
  auto dispatcher = start();
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    std::vector<AttemptRow> rows;
    while (rows.empty() && std::chrono::steady_clock::now() < deadline) {
      rows = attempts_of_endpoint(endpoints[i].id);
      if (rows.empty()) std::this_thread::sleep_for(20ms);
    }
    ASSERT_FALSE(rows.empty()) << forbidden[i].first;
    EXPECT_EQ(rows[0].outcome, "blocked_address") << forbidden[i].first;
    EXPECT_NE(rows[0].error.find(forbidden[i].second), std::string::npos)
        << forbidden[i].first << ": " << rows[0].error;
  }
  dispatcher->stop();
  EXPECT_TRUE(receiver.received().empty());
}

TEST_P(DispatcherTest, DuringASecretRollBothSecretsSign) {
  TestReceiver receiver;
  Endpoint endpoint = add_endpoint(receiver.url());
  const std::string old_secret = endpoint.secret;
  endpoint.previous_secret = old_secret;
  endpoint.previous_secret_expires_at_ms = SystemClock::instance().now_unix_ms() + 60'000;
  endpoint.secret = new_endpoint_secret();
  transact([&](Connection& c) { ASSERT_TRUE(update_endpoint(c, endpoint)); });
  receiver.set_secrets({endpoint.secret, old_secret});  // verify() wants one v1 per secret
  add_events(3);
  auto dispatcher = start();
  ASSERT_TRUE(receiver.wait_delivered(3, kWait));
  dispatcher->stop();
  EXPECT_EQ(receiver.bad_signatures(), 0u);
}

TEST_P(DispatcherTest, TwoDispatchersShareTheQueueWithoutOverlappingAttempts) {
  TestReceiver receiver;
  receiver.set_delay(2ms);
  const Endpoint endpoint = add_endpoint(receiver.url());
  receiver.set_secrets({endpoint.secret});
  add_events(600);
  DispatcherOptions first = fast_options();
  first.owner = "first";
  DispatcherOptions second = fast_options();
  second.owner = "second";
  auto one = start(first);
  auto two = start(second);
  ASSERT_TRUE(receiver.wait_delivered(600, kWait));
  one->stop();
  two->stop();
  EXPECT_EQ(receiver.overlaps(), 0u);
  EXPECT_EQ(receiver.received().size(), 600u);  // each exactly once
  EXPECT_EQ(one->stats().lost_leases + two->stats().lost_leases, 0u);
  EXPECT_EQ(one->stats().succeeded + two->stats().succeeded, 600u);
}

INSTANTIATE_TEST_SUITE_P(Backends, DispatcherTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         till::testing::backend_name);

}  // namespace
}  // namespace till::events
