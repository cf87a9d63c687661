// Webhooks (signed, retried, both formats), /charges pagination and the settlement report,
// against a real `till sandbox-psp` process.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <set>

#include "psp_fixture.h"
#include "sandbox_psp/books.h"
#include "sandbox_psp/webhooks.h"
#include "support/till_process.h"

namespace till::sandbox_psp::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "pwhsec_test_a";

boost::json::object body_of(const Delivery& delivery) {
  return boost::json::parse(delivery.body).as_object();
}

TEST(Webhooks, JsonEventsAreSignedAndRetriedUntilAccepted) {
  WebhookReceiver receiver(kSecret);
  receiver.fail_first(2);  // the first two attempts (of whatever event) answer 500
  auto psp = start_psp(receiver.url(), kSecret, "json");
  ASSERT_TRUE(psp->started()) << psp->captured_stderr();

  const auto a =
      parse(psp->json_call("POST", "/v1/authorizations", authorization_body(kVisa, 2500), "wh-1"));
  ASSERT_EQ(str(a, "status"), "authorized");
  ASSERT_EQ(psp->json_call("POST", "/v1/authorizations/" + str(a, "id") + "/capture", "{}", "wh-2")
                ->status,
            200);
  ASSERT_TRUE(receiver.wait_accepted(2, 15s)) << psp->captured_stderr();
  std::set<std::string> types;
  std::set<std::string> ids;
  for (const Delivery& delivery : receiver.deliveries()) {
    EXPECT_TRUE(delivery.signature_ok) << delivery.signature;
    const auto event = body_of(delivery);
    EXPECT_TRUE(str(event, "id").starts_with("pevt_"));
    EXPECT_GT(num(event, "created"), 1'700'000'000);
    EXPECT_EQ(str(event.at("data").as_object(), "id"), str(a, "id"));
    types.insert(str(event, "type"));
    ids.insert(str(event, "id"));
  }
  EXPECT_EQ(receiver.deliveries().size(), 4u);  // two failures, two deliveries
  EXPECT_EQ(ids.size(), 2u);                    // retries carry the same event id
  EXPECT_EQ(types, (std::set<std::string>{"authorization.authorized", "authorization.captured"}));
  // Idempotent replays do not announce anything again.
  psp->json_call("POST", "/v1/authorizations", authorization_body(kVisa, 2500), "wh-1");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(receiver.accepted().size(), 2u);
}

TEST(Webhooks, IsoAdvicesAndDeliveryAfterARestart) {
  WebhookReceiver receiver(kSecret);
  receiver.fail_first(1000);  // nobody is listening yet, as far as the processor can tell
  auto psp = start_psp(receiver.url(), kSecret, "iso8583");
  ASSERT_TRUE(psp->started()) << psp->captured_stderr();
  const auto declined = parse(psp->iso_call(iso_purchase(kInsufficientFunds), "wh-iso-1"));
  ASSERT_EQ(str(declined, "39"), "51");
  // A refund on a JSON-created authorization is announced in the instance's (ISO) format too.
  const auto sale = parse(psp->json_call("POST", "/v1/authorizations",
                                         authorization_body(kVisa, 1000, true, "eur"), "wh-iso-2"));
  ASSERT_EQ(psp->json_call("POST", "/v1/authorizations/" + str(sale, "id") + "/refunds",
                           R"({"amount": 400})", "wh-iso-3")
                ->status,
            200);
  // Wait for at least one failed attempt, crash, and come back: the outbox survives.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (receiver.deliveries().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_FALSE(receiver.deliveries().empty());
  psp->kill9();
  receiver.fail_first(0);
  ASSERT_TRUE(psp->restart());
  ASSERT_TRUE(receiver.wait_accepted(3, 20s)) << psp->captured_stderr();
  std::map<std::string, boost::json::object> by_status;
  for (const Delivery& delivery : receiver.accepted()) {
    EXPECT_TRUE(delivery.signature_ok);
    const auto advice = body_of(delivery);
    EXPECT_EQ(str(advice, "mti"), "0620");
    EXPECT_TRUE(str(advice, "event_id").starts_with("pevt_"));
    by_status[str(advice, "status")] = advice;
  }
  ASSERT_TRUE(by_status.contains("declined"));
  EXPECT_EQ(str(by_status["declined"], "39"), "51");
  EXPECT_EQ(str(by_status["declined"], "message_id"), "wh-iso-1");
  EXPECT_EQ(str(by_status["declined"], "4"), "000000002000");
  EXPECT_EQ(str(by_status["declined"], "49"), "840");
  EXPECT_EQ(str(by_status["declined"], "44"), "pi_iso");
  EXPECT_EQ(str(by_status["declined"], "37"), str(declined, "37"));
  ASSERT_TRUE(by_status.contains("captured"));
  EXPECT_EQ(str(by_status["captured"], "49"), "978");
  ASSERT_TRUE(by_status.contains("partially_refunded"));
  EXPECT_EQ(str(by_status["partially_refunded"], "refunded_amount"), "000000000400");
}

TEST(Webhooks, RetriesCarryTheSameEventWithBackOff) {
  WebhookReceiver receiver(kSecret);
  receiver.fail_first(1'000'000);
  auto psp = start_psp(receiver.url(), kSecret, "json");
  ASSERT_TRUE(psp->started());
  psp->json_call("POST", "/v1/authorizations", authorization_body(kGenericDecline), "wh-fail");
  // Back-off 0.25 s doubling: ten attempts take about 2 minutes; check the first few are spaced
  // out and carry the same event.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (receiver.deliveries().size() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  const auto attempts = receiver.deliveries();
  ASSERT_GE(attempts.size(), 4u);
  EXPECT_LT(attempts.size(), 10u);  // spaced out: 0.25 + 0.5 + 1 + 2 + 4 s ...
  for (const Delivery& attempt : attempts) {
    EXPECT_EQ(str(body_of(attempt), "id"), str(body_of(attempts[0]), "id"));
    EXPECT_EQ(str(body_of(attempt), "type"), "authorization.declined");
  }
}

// A receiver that never answers (a socket that listens and never reads) must not hold up a
// shutdown: the attempt in flight is aborted, not waited out.
TEST(Webhooks, ShutdownAbortsAnAttemptInFlight) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/hook";
  auto psp = start_psp(url, kSecret, "json");
  ASSERT_TRUE(psp->started()) << psp->captured_stderr();
  ASSERT_EQ(
      psp->json_call("POST", "/v1/authorizations", authorization_body(kVisa), "wh-stuck")->status,
      200);
  std::this_thread::sleep_for(300ms);  // the attempt is now waiting for an answer
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(psp->terminate(20s), 0) << psp->captured_stderr();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  close(listener);
}

// The deliverer in process, with a fast back-off: ten attempts, then the row is failed.
TEST(Webhooks, DeliveryGivesUpAfterTenAttempts) {
  WebhookReceiver receiver(kSecret);
  receiver.fail_first(1'000'000);
  till::testing::TempDir dir;
  store::StoreOptions options;
  options.data_dir = dir.path();
  auto database = store::open_database(options);
  ASSERT_TRUE(database) << database.error().message;
  ASSERT_TRUE(prepare_schema(**database));
  ASSERT_TRUE((*database)->transact([](store::Connection& connection) {
    return enqueue_event(connection, "pevt_1", "auth_1", "authorization.declined", "{}", 0);
  }));
  WebhookOptions webhook;
  webhook.url = receiver.url();
  webhook.secret = kSecret;
  webhook.retry_initial_ms = 1;
  webhook.retry_max_ms = 4;
  WebhookDeliverer deliverer(**database, SystemClock::instance(), webhook);
  deliverer.start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string state;
  std::int64_t attempts = 0;
  while (state != "failed" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    ASSERT_TRUE((*database)->read([&](store::Connection& connection) -> store::StoreResult<void> {
      return connection.query("SELECT state, attempts FROM webhook_outbox", {},
                              [&](const store::Row& row) {
                                state = row.get<std::string>(0);
                                attempts = row.get<std::int64_t>(1);
                              });
    }));
  }
  deliverer.stop();
  EXPECT_EQ(state, "failed");
  EXPECT_EQ(attempts, kAttemptsMax);
  EXPECT_EQ(receiver.deliveries().size(), static_cast<std::size_t>(kAttemptsMax));
}

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &parts);
  return text;
}

TEST(Admin, ChargesArePagedOldestFirst) {
  auto psp = start_psp();
  ASSERT_TRUE(psp->started());
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    const auto a =
        parse(psp->json_call("POST", "/v1/authorizations", authorization_body(kVisa, 100 + i),
                             "page-" + std::to_string(i)));
    ids.push_back(str(a, "id"));
  }
  auto page = parse(psp->admin_call("GET", "/charges?limit=10"));
  ASSERT_EQ(page.at("data").as_array().size(), 10u);
  EXPECT_TRUE(page.at("has_more").as_bool());
  const auto& first = page.at("data").as_array()[0].as_object();
  EXPECT_EQ(str(first, "id"), ids[0]);
  EXPECT_EQ(str(first, "idempotency_key"), "page-0");
  EXPECT_EQ(str(first, "reference"), "pi_test");
  EXPECT_EQ(str(first, "status"), "authorized");
  EXPECT_EQ(num(first, "amount"), 100);
  EXPECT_EQ(num(first, "captured_amount"), 0);
  EXPECT_EQ(num(first, "refunded_amount"), 0);
  EXPECT_EQ(str(first, "currency"), "usd");
  EXPECT_GT(num(first, "created"), 0);
  page = parse(psp->admin_call("GET", "/charges?limit=10&starting_after=" + ids[19]));
  ASSERT_EQ(page.at("data").as_array().size(), 5u);
  EXPECT_FALSE(page.at("has_more").as_bool());
  EXPECT_EQ(str(page.at("data").as_array()[0].as_object(), "id"), ids[20]);
  const auto all = psp->charges();
  ASSERT_EQ(all.size(), 25u);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(str(all[i].as_object(), "id"), ids[i]);

  EXPECT_EQ(psp->admin_call("GET", "/charges?limit=1001")->status, 400);
  EXPECT_EQ(psp->admin_call("GET", "/charges?limit=0")->status, 400);
  EXPECT_EQ(error_param(psp->admin_call("GET", "/charges?starting_after=auth_nope")),
            "starting_after");
  EXPECT_EQ(till::testing::http_request(psp->port(), "GET", "/charges")->status, 401);
}

TEST(Admin, SettlementReportHasChargesAndRefundsWithFees) {
  auto psp = start_psp();
  ASSERT_TRUE(psp->started());
  const auto sale = parse(
      psp->json_call("POST", "/v1/authorizations", authorization_body(kVisa, 2000, true), "st-1"));
  const auto auth = parse(psp->json_call("POST", "/v1/authorizations",
                                         authorization_body(kVisa, 1500, false, "eur"), "st-2"));
  ASSERT_EQ(psp->json_call("POST", "/v1/authorizations/" + str(auth, "id") + "/capture",
                           R"({"amount": 500})", "st-3")
                ->status,
            200);
  ASSERT_EQ(psp->json_call("POST", "/v1/authorizations/" + str(sale, "id") + "/refunds",
                           R"({"amount": 700})", "st-4")
                ->status,
            200);
  // Neither a declined nor an uncaptured authorization settles.
  psp->json_call("POST", "/v1/authorizations", authorization_body(kGenericDecline), "st-5");
  psp->json_call("POST", "/v1/authorizations", authorization_body(kVisa), "st-6");

  const std::string day = today_utc();
  const auto csv = psp->settlement_csv(day);
  ASSERT_TRUE(csv);
  EXPECT_EQ(*csv, "processor_reference,type,amount,fee,currency,booked_date\n" + str(sale, "id") +
                      ",charge,2000,88,usd," + day + "\n" + str(auth, "id") +
                      ",charge,500,44,eur," + day + "\n" + str(sale, "id") + ",refund,-700,0,usd," +
                      day + "\n");
  EXPECT_EQ(*psp->settlement_csv("2001-01-01"),
            "processor_reference,type,amount,fee,currency,booked_date\n");
  EXPECT_EQ(psp->admin_call("GET", "/settlements/2001-02-30.csv")->status, 404);
  EXPECT_EQ(psp->admin_call("GET", "/settlements/today.csv")->status, 404);
  const auto no_token =
      till::testing::http_request(psp->port(), "GET", "/settlements/" + day + ".csv");
  EXPECT_EQ(no_token->status, 401);
}

}  // namespace
}  // namespace till::sandbox_psp::testing
