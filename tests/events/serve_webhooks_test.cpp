// Webhooks through the real `till serve`: the merchant API announces changes, the endpoint API
// refuses what it must, and the crash test — kill -9 while thousands of events are pending
// and being delivered, restart, and every event still arrives, with duplicates only for the
// attempts that were in flight at the crash.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <thread>

#include "support/http_client.h"
#include "store/store.h"
#include "support/postgres_server.h"
#include "support/till_process.h"
#include "test_receiver.h"

namespace till::events {
namespace {

using namespace std::chrono_literals;
using testing::TestReceiver;
using till::testing::CommandResult;
using till::testing::http_request;
using till::testing::run_till;
using till::testing::TempDir;
using till::testing::TillServer;

constexpr int kConcurrency = 16;

// Settings that make retries and lease take-overs happen within a test's patience.
std::vector<std::pair<std::string, std::string>> fast_webhooks() {
  return {{"TILL_WEBHOOKS_RETRY_INITIAL_MS", "50"},
          {"TILL_WEBHOOKS_RETRY_INTERVAL_MAX_MS", "200"},
          {"TILL_WEBHOOKS_TIMEOUT_MS", "1000"},
          {"TILL_WEBHOOKS_LEASE_MS", "2500"},
          {"TILL_WEBHOOKS_SWEEP_INTERVAL_MS", "100"},
          {"TILL_WEBHOOKS_POLL_INTERVAL_MS", "5"},
          {"TILL_WEBHOOKS_ENDPOINT_CONCURRENCY", std::to_string(kConcurrency)}};
}

boost::json::object parse(const std::string& text) {
  boost::system::error_code failure;
  auto value = boost::json::parse(text, failure);
  return failure || !value.is_object() ? boost::json::object{} : value.as_object();
}

class ServeWebhooks : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_till({"migrate", "--data-dir", data_.path()}).exit_status, 0);
    const CommandResult created = run_till(
        {"admin", "merchant", "create", "--name", "Hooks", "--json", "--data-dir", data_.path()});
    ASSERT_EQ(created.exit_status, 0) << created.err;
    key_ = std::string(parse(created.out).at("secret_key").as_string());
    merchant_id_ = std::string(parse(created.out).at("merchant_id").as_string());
  }

  std::unique_ptr<TillServer> serve() {
    auto server =
        std::make_unique<TillServer>(std::vector<std::string>{}, fast_webhooks(), data_.path());
    EXPECT_TRUE(server->started()) << server->captured_stderr();
    return server;
  }

  std::optional<till::testing::HttpResponse> call(const TillServer& server, std::string_view method,
                                                  std::string_view target,
                                                  std::string_view form = "") {
    const std::string headers =
        "Authorization: Bearer " + key_ + "\r\nContent-Type: application/x-www-form-urlencoded\r\n";
    return http_request(server.port(), method, target, headers, form);
  }

  // Every event id of the merchant, through the API's pagination.
  std::set<std::string> all_event_ids(const TillServer& server) {
    std::set<std::string> ids;
    std::string cursor;
    while (true) {
      auto page =
          call(server, "GET",
               "/v1/events?limit=100" + (cursor.empty() ? "" : "&starting_after=" + cursor));
      EXPECT_TRUE(page && page->status == 200);
      if (!page || page->status != 200) return ids;
      const auto body = parse(page->body);
      for (const auto& event : body.at("data").as_array()) {
        cursor = std::string(event.at("id").as_string());
        ids.insert(cursor);
      }
      if (!body.at("has_more").as_bool()) return ids;
    }
  }

  TempDir data_;
  std::string key_;
  std::string merchant_id_;
};

TEST_F(ServeWebhooks, ThePaymentsApiAnnouncesChangesToASubscribedEndpoint) {
  TestReceiver receiver;
  auto server = serve();
  auto created = call(*server, "POST", "/v1/webhook_endpoints",
                      "url=" + receiver.url() +
                          "&enabled_events[]=payment_intent.succeeded&enabled_events[]="
                          "charge.succeeded&enabled_events[]=payment_intent.created");
  ASSERT_TRUE(created && created->status == 200) << (created ? created->body : "");
  const auto endpoint = parse(created->body);
  const std::string secret(endpoint.at("secret").as_string());
  EXPECT_TRUE(secret.starts_with("whsec_"));
  receiver.set_secrets({secret});
  auto paid = call(*server, "POST", "/v1/payment_intents",
                   "amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true");
  ASSERT_TRUE(paid && paid->status == 200) << (paid ? paid->body : "");
  ASSERT_TRUE(receiver.wait_delivered(3, 20s));
  std::set<std::string> types;
  for (const auto& received : receiver.received()) types.insert(received.type);
  EXPECT_EQ(types, (std::set<std::string>{"payment_intent.created", "charge.succeeded",
                                          "payment_intent.succeeded"}));
  EXPECT_EQ(receiver.bad_signatures(), 0u);
  // The retrieve never shows the secret again.
  auto fetched =
      call(*server, "GET", "/v1/webhook_endpoints/" + std::string(endpoint.at("id").as_string()));
  ASSERT_TRUE(fetched && fetched->status == 200);
  EXPECT_FALSE(parse(fetched->body).contains("secret"));
}

TEST_F(ServeWebhooks, LiveEndpointsMustBeHttpsToPublicHosts) {
  const CommandResult issued = run_till({"admin", "key", "issue", "--merchant", merchant_id_,
                                         "--mode", "live", "--json", "--data-dir", data_.path()});
  ASSERT_EQ(issued.exit_status, 0) << issued.err;
  key_ = std::string(parse(issued.out).at("secret_key").as_string());
  auto server = serve();
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"http://example.com/hook", "https"},
      {"https://127.0.0.1/hook", "loopback"},
      {"https://localhost/hook", "this machine"},
      {"https://10.0.0.7/hook", "private_network"},
      {"https://169.254.169.254/latest", "cloud_metadata"},
      {"https://169.254.1.1/hook", "link_local"},
      {"https://[::1]/hook", "loopback"},
      {"https://[fe80::1]/hook", "link_local"},
      {"https://user:pw@example.com/hook", "user name"},
  };
  for (const auto& [url, why] : refused) {
    auto answer =
        call(*server, "POST", "/v1/webhook_endpoints", "url=" + url + "&enabled_events[]=*");
    ASSERT_TRUE(answer) << url;
    EXPECT_EQ(answer->status, 400) << url << " " << answer->body;
    const auto error = parse(answer->body).at("error").as_object();
    EXPECT_EQ(error.at("param"), "url") << url;
    EXPECT_NE(std::string(error.at("message").as_string()).find(why), std::string::npos)
        << url << ": " << error.at("message");
  }
  auto listed = call(*server, "GET", "/v1/webhook_endpoints");
  ASSERT_TRUE(listed && listed->status == 200);
  EXPECT_TRUE(parse(listed->body).at("data").as_array().empty());
  auto allowed = call(*server, "POST", "/v1/webhook_endpoints",
                      "url=https://hooks.example.com/till&enabled_events[]=*");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200) << allowed->body;
}

TEST_F(ServeWebhooks, OperatorsSeeAttemptsResendEventsAndReadMetrics) {
  const std::string admin_token = "test-admin-token-0123456789abcdef-webhooks";
  TestReceiver receiver;
  receiver.fail_first(1);
  auto server = std::make_unique<TillServer>(
      std::vector<std::string>{},
      [&] {
        auto env = fast_webhooks();
        env.emplace_back("TILL_ADMIN_TOKEN", admin_token);
        return env;
      }(),
      data_.path());
  ASSERT_TRUE(server->started()) << server->captured_stderr();
  auto created = call(*server, "POST", "/v1/webhook_endpoints",
                      "url=" + receiver.url() + "&enabled_events[]=customer.created");
  ASSERT_TRUE(created && created->status == 200);
  const auto endpoint = parse(created->body);
  const std::string endpoint_id(endpoint.at("id").as_string());
  receiver.set_secrets({std::string(endpoint.at("secret").as_string())});
  ASSERT_TRUE(call(*server, "POST", "/v1/customers", "name=Ada"));
  ASSERT_TRUE(receiver.wait_delivered(1, 20s));
  const std::string event_id = receiver.received().back().event_id;

  const std::string admin = "Authorization: Bearer " + admin_token + "\r\n";
  auto admin_get = [&](const std::string& target) {
    return http_request(server->port(), "GET", target, admin);
  };
  // The receiver has answered; the dispatcher records the attempt in its next cycle.
  boost::json::array attempt_list;
  const auto recorded_by = std::chrono::steady_clock::now() + 20s;
  while (attempt_list.size() < 2 && std::chrono::steady_clock::now() < recorded_by) {
    auto attempts = admin_get("/admin/v1/webhook_attempts?event=" + event_id);
    ASSERT_TRUE(attempts && attempts->status == 200) << (attempts ? attempts->body : "");
    attempt_list = parse(attempts->body).at("data").as_array();
    if (attempt_list.size() < 2) std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(attempt_list.size(), 2u);  // newest first: the success, then the 500
  EXPECT_EQ(attempt_list[0].at("outcome"), "succeeded");
  EXPECT_EQ(attempt_list[0].at("status_code"), 200);
  EXPECT_EQ(attempt_list[1].at("outcome"), "http_error");
  EXPECT_EQ(attempt_list[1].at("status_code"), 500);
  EXPECT_EQ(attempt_list[1].at("response_excerpt"), "try again later");
  auto by_endpoint = admin_get("/admin/v1/webhook_attempts?endpoint=" + endpoint_id);
  ASSERT_TRUE(by_endpoint && by_endpoint->status == 200);
  EXPECT_EQ(parse(by_endpoint->body).at("data").as_array().size(), 2u);
  auto neither = admin_get("/admin/v1/webhook_attempts");
  ASSERT_TRUE(neither);
  EXPECT_EQ(neither->status, 400);

  // Resend: delivered again, with the same event id.
  const std::string json = admin + "Content-Type: application/json\r\n";
  auto resent = http_request(server->port(), "POST", "/admin/v1/events/" + event_id + "/resend",
                             json, R"({"endpoint":")" + endpoint_id + R"("})");
  ASSERT_TRUE(resent && resent->status == 200) << (resent ? resent->body : "");
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (receiver.received().size() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(receiver.received().size(), 3u);
  EXPECT_EQ(receiver.received().back().event_id, event_id);
  auto unknown = http_request(server->port(), "POST", "/admin/v1/events/" + event_id + "/resend",
                              json, R"({"endpoint":"we_nope"})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto missing = http_request(server->port(), "POST", "/admin/v1/events/" + event_id + "/resend",
                              json, "{}");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(parse(missing->body).at("error").at("param"), "endpoint");

  auto endpoints = admin_get("/admin/v1/webhook_endpoints?status=enabled");
  ASSERT_TRUE(endpoints && endpoints->status == 200);
  const auto listed = parse(endpoints->body).at("data").as_array();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("merchant").as_string(), merchant_id_);
  EXPECT_TRUE(listed[0].at("disabled_reason").is_null());
  auto backlog = admin_get("/admin/v1/webhook_backlog");
  ASSERT_TRUE(backlog && backlog->status == 200);
  EXPECT_TRUE(parse(backlog->body).contains("pending_deliveries"));
  auto unauthorized = http_request(server->port(), "GET", "/admin/v1/webhook_backlog");
  ASSERT_TRUE(unauthorized);
  EXPECT_EQ(unauthorized->status, 401);

  auto event = call(*server, "GET", "/v1/events/" + event_id);
  ASSERT_TRUE(event && event->status == 200);
  EXPECT_EQ(parse(event->body).at("pending_webhooks"), 0);

  auto metrics = http_request(server->port(), "GET", "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  for (const char* name :
       {"till_webhook_attempts_total{outcome=\"succeeded\"}", "till_webhook_attempts_total{outcome=\"http_error\"}",
        "till_webhook_backlog_deliveries", "till_webhook_outbox_events",
        "till_webhook_oldest_undelivered_seconds", "till_webhook_attempt_duration_seconds_bucket",
        "till_webhook_in_flight", "till_webhook_events_fanned_out_total"}) {
    EXPECT_NE(metrics->body.find(name), std::string::npos) << name;
  }
}

// Several `till serve` processes on one PostgreSQL share the delivery queue: every event is
// delivered, exactly once when nothing fails, and no attempt is ever made twice at once.
TEST(ServeWebhooksPostgres, TwoProcessesShareTheQueueWithoutDoubleDelivery) {
  auto server = till::testing::PostgresServer::shared();
  ASSERT_TRUE(server) << server.error().message;
  auto url = (*server)->create_database("webhooks_two_nodes");
  ASSERT_TRUE(url) << url.error().message;
  ASSERT_EQ(run_till({"migrate", "--database", *url}).exit_status, 0);
  const CommandResult created =
      run_till({"admin", "merchant", "create", "--name", "Nodes", "--json", "--database", *url});
  ASSERT_EQ(created.exit_status, 0) << created.err;
  const std::string key(parse(created.out).at("secret_key").as_string());
  TempDir first_dir;
  TempDir second_dir;
  const std::vector<std::string> args{"--database", *url};
  TillServer first(args, fast_webhooks(), first_dir.path());
  TillServer second(args, fast_webhooks(), second_dir.path());
  ASSERT_TRUE(first.started()) << first.captured_stderr();
  ASSERT_TRUE(second.started()) << second.captured_stderr();
  const std::string headers =
      "Authorization: Bearer " + key + "\r\nContent-Type: application/x-www-form-urlencoded\r\n";

  TestReceiver receiver;
  receiver.set_delay(2ms);
  auto endpoint = http_request(first.port(), "POST", "/v1/webhook_endpoints", headers,
                               "url=" + receiver.url() + "&enabled_events[]=*");
  ASSERT_TRUE(endpoint && endpoint->status == 200) << (endpoint ? endpoint->body : "");
  receiver.set_secrets({std::string(parse(endpoint->body).at("secret").as_string())});

  // Both nodes write events; both deliver.
  constexpr int kCustomersPerNode = 150;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (const TillServer* node : {&first, &second}) {
    writers.emplace_back([&, node] {
      for (int i = 0; i < kCustomersPerNode; ++i) {
        auto answer = http_request(node->port(), "POST", "/v1/customers", headers,
                                   "name=n" + std::to_string(i));
        if (!answer || answer->status != 200) failures.fetch_add(1);
      }
    });
  }
  for (auto& writer : writers) writer.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(receiver.wait_delivered(2 * kCustomersPerNode, 60s))
      << receiver.delivered().size() << " delivered";
  std::this_thread::sleep_for(300ms);  // a late duplicate, if there were one, would arrive now
  EXPECT_EQ(receiver.received().size(), static_cast<std::size_t>(2 * kCustomersPerNode));
  EXPECT_EQ(receiver.overlaps(), 0u);
  EXPECT_EQ(receiver.bad_signatures(), 0u);
  // Both processes took part: the attempt log names two dispatchers.
  store::StoreOptions options;
  options.database_url = *url;
  auto database = store::open_database(options);
  ASSERT_TRUE(database) << database.error().message;
  std::int64_t dispatchers = 0;
  auto read = (*database)->read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto counted = connection.query_one<std::int64_t>(
        "SELECT COUNT(DISTINCT dispatcher) FROM webhook_attempts");
    if (!counted) return unexpected(counted.error());
    dispatchers = counted->value_or(0);
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(dispatchers, 2);
}

TEST_F(ServeWebhooks, KillNineWhileDeliveringLosesNoEvent) {
  TestReceiver receiver;
  receiver.set_delay(15ms);  // ~1,000 deliveries/s at 16 in flight: thousands stay pending
  auto server = serve();
  auto created = call(*server, "POST", "/v1/webhook_endpoints",
                      "url=" + receiver.url() + "&enabled_events[]=*");
  ASSERT_TRUE(created && created->status == 200);
  receiver.set_secrets({std::string(parse(created->body).at("secret").as_string())});

  constexpr int kWriters = 8;
  constexpr int kCustomersEach = 400;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kCustomersEach; ++i) {
        auto answer = call(*server, "POST", "/v1/customers",
                           "name=c" + std::to_string(w) + "_" + std::to_string(i));
        if (!answer || answer->status != 200) failures.fetch_add(1);
      }
    });
  }
  for (auto& writer : writers) writer.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(receiver.wait_delivered(300, 20s));
  server->send_signal(SIGKILL);
  server->wait_exit(10s);
  const std::size_t before_restart = receiver.delivered().size();
  EXPECT_LT(before_restart, static_cast<std::size_t>(kWriters * kCustomersEach))
      << "the crash came too late to test anything";

  auto restarted = serve();
  const std::set<std::string> events = all_event_ids(*restarted);
  EXPECT_EQ(events.size(), static_cast<std::size_t>(kWriters * kCustomersEach));
  ASSERT_TRUE(receiver.wait_delivered(events.size(), 120s))
      << receiver.delivered().size() << " of " << events.size() << " delivered";
  const std::set<std::string> delivered = receiver.delivered();
  for (const std::string& id : events) EXPECT_TRUE(delivered.contains(id)) << id;
  // Duplicates are attempts that reached the receiver but whose outcome died with the
  // process: at most what one process has in flight to one endpoint.
  const std::size_t duplicates = receiver.received().size() - delivered.size();
  EXPECT_LE(duplicates, static_cast<std::size_t>(kConcurrency));
  EXPECT_EQ(receiver.overlaps(), 0u);
  EXPECT_EQ(receiver.bad_signatures(), 0u);
}

}  // namespace
}  // namespace till::events
