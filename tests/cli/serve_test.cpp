// Integration tests: the real `till serve` process, over real sockets.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/till_process.h"

namespace till::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(Serve, HealthzAnswersWithARequestId) {
  TillServer server;
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  const auto response = http_request(server.port(), "GET", "/healthz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"status":"ok"})");
  EXPECT_EQ(response->header("content-type"), "application/json");
  EXPECT_TRUE(std::regex_match(response->header("request-id"), std::regex("req_[0-9A-Za-z]{22}")))
      << response->header("request-id");
  const auto second = http_request(server.port(), "GET", "/healthz");
  ASSERT_TRUE(second);
  EXPECT_NE(second->header("request-id"), response->header("request-id"));
}

TEST(Serve, UnknownRouteIsAStripeShaped404) {
  TillServer server;
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  const auto response = http_request(server.port(), "GET", "/v1/nope?x=1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_FALSE(response->header("request-id").empty());
  const auto body = boost::json::parse(response->body).as_object();
  const auto& error = body.at("error").as_object();
  EXPECT_EQ(error.at("type").as_string(), "invalid_request_error");
  EXPECT_TRUE(contains(std::string(error.at("message").as_string()), "GET: /v1/nope"));
}

TEST(Serve, ReadyzChecksTheDatabase) {
  TillServer server;
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  const auto response = http_request(server.port(), "GET", "/readyz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->body, R"({"status":"ready"})");
}

TEST(Serve, KeepAliveServesManyRequestsOnOneConnection) {
  TillServer server;
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto response = connection.read_response();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200);
  }
  // Pipelined: two requests in one write, two responses in order.
  ASSERT_TRUE(connection.send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(connection.read_response()->status, 200);
  EXPECT_EQ(connection.read_response()->status, 404);
}

TEST(Serve, MetricsAreValidPrometheusTextAndCountRequests) {
  TillServer server;
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  for (int i = 0; i < 3; ++i) http_request(server.port(), "GET", "/healthz");
  http_request(server.port(), "GET", "/does-not-exist");
  const auto response = http_request(server.port(), "GET", "/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(contains(response->header("content-type"), "text/plain; version=0.0.4"));
  const std::string& text = response->body;
  EXPECT_TRUE(
      contains(text, R"(till_http_requests_total{route="/healthz",method="GET",status="200"} 3)"))
      << text;
  EXPECT_TRUE(
      contains(text, R"(till_http_requests_total{route="unmatched",method="GET",status="404"} 1)"));
  EXPECT_TRUE(contains(
      text,
      R"(till_http_request_duration_seconds_bucket{route="/healthz",method="GET",status="200",le="+Inf"} 3)"));
  EXPECT_TRUE(contains(text, "till_http_requests_in_flight 1"));  // the /metrics request itself
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_open_fds", "till_build_info{"}) {
    EXPECT_TRUE(contains(text, name)) << name;
  }
  // The real Prometheus parser and linter must accept it.
  TempDir temp;
  const std::string path = temp.path() + "/metrics.prom";
  std::ofstream(path) << text;
  EXPECT_EQ(std::system(("promtool check metrics < " + path).c_str()), 0) << text;
}

TEST(Serve, OversizedBodyGets413AndTheServerKeepsServing) {
  TillServer server({}, {{"TILL_SERVER_BODY_LIMIT_BYTES", "2048"}});
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  const std::string big(4096, 'a');
  const auto response = http_request(server.port(), "POST", "/v1/customers", "", big);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  const auto body = boost::json::parse(response->body).as_object();
  EXPECT_EQ(body.at("error").at("code").as_string(), "request_too_large");
  EXPECT_EQ(http_request(server.port(), "GET", "/healthz")->status, 200);
}

TEST(Serve, OversizedHeadersGet431AndTheServerKeepsServing) {
  TillServer server({}, {{"TILL_SERVER_HEADER_LIMIT_BYTES", "2048"}});
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  const std::string header = "X-Big: " + std::string(4096, 'b') + "\r\n";
  const auto response = http_request(server.port(), "GET", "/healthz", header);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(http_request(server.port(), "GET", "/healthz")->status, 200);
}

TEST(Serve, MalformedRequestGets400) {
  TillServer server;
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send("NOT HTTP AT ALL\r\n\r\n"));
  const auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(http_request(server.port(), "GET", "/healthz")->status, 200);
}

TEST(Serve, SlowLorisIsCutOffWhileOthersAreServed) {
  TillServer server({}, {{"TILL_SERVER_HEADER_TIMEOUT_MS", "600"}});
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  RawConnection slow(server.port());
  ASSERT_TRUE(slow.send("GET /healthz HTTP/1.1\r\n"));
  const auto started = std::chrono::steady_clock::now();
  bool cut_off = false;
  for (int i = 0; i < 30 && !cut_off; ++i) {
    // Others are served promptly while the slow client dribbles its headers.
    const auto other = http_request(server.port(), "GET", "/healthz");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 200);
    if (!slow.send("X-Drip: " + std::to_string(i) + "\r\n")) cut_off = true;
    if (slow.closed_by_peer_within(100ms)) cut_off = true;
  }
  EXPECT_TRUE(cut_off) << "the slow client was never disconnected";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
}

TEST(Serve, IdleKeepAliveConnectionsAreClosed) {
  TillServer server({}, {{"TILL_SERVER_IDLE_TIMEOUT_MS", "300"}});
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(connection.read_response());
  EXPECT_TRUE(connection.closed_by_peer_within(2000ms));
}

TEST(Serve, AuthorizationHeadersNeverReachTheLog) {
  TillServer server({"--log-level", "trace"});
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  const std::string bearer = "Authorization: Bearer sk_test_TopSecretValue4242\r\n";
  const std::string basic = "Authorization: Basic c2tfdGVzdF9Ub3BTZWNyZXQ6\r\n";
  http_request(server.port(), "GET", "/healthz", bearer);
  http_request(server.port(), "GET", "/v1/unknown?key=sk_test_TopSecretValue4242", bearer);
  http_request(server.port(), "POST", "/v1/customers", basic, "name=x");
  http_request(server.port(), "GET", "/healthz",
               bearer + "X-Big: " + std::string(20000, 'x') + "\r\n");
  server.send_signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(10s), 0);
  const std::string log = server.captured_stderr();
  EXPECT_TRUE(contains(log, "\"msg\":\"http request\"")) << log;
  EXPECT_FALSE(contains(log, "TopSecretValue4242")) << log;
  EXPECT_FALSE(contains(log, "c2tfdGVzdF9Ub3BTZWNyZXQ6")) << log;
  // Every line is one JSON object carrying the documented fields.
  std::istringstream lines(log);
  std::string line;
  int request_lines = 0;
  while (std::getline(lines, line)) {
    const auto object = boost::json::parse(line).as_object();
    EXPECT_TRUE(object.contains("ts") && object.contains("level") && object.contains("msg"))
        << line;
    if (object.at("msg").as_string() == "http request") {
      ++request_lines;
      for (const char* key : {"request_id", "route", "status", "latency_ms"}) {
        EXPECT_TRUE(object.contains(key)) << key << " missing in " << line;
      }
    }
  }
  EXPECT_EQ(request_lines, 3);
}

TEST(Serve, SigtermFinishesTheRequestInFlightThenExitsZero) {
  TillServer server;
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  RawConnection in_flight(server.port());
  // A URL no route will ever take, so the answer is 404 whatever /v1 serves: what matters is
  // that the request is answered at all.
  ASSERT_TRUE(in_flight.send(
      "POST /in-flight-test HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf."));
  RawConnection idle(server.port());
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.read_response());
  std::this_thread::sleep_for(100ms);

  server.send_signal(SIGTERM);
  EXPECT_TRUE(idle.closed_by_peer_within(2000ms)) << "idle keep-alive connection not closed";
  EXPECT_FALSE(server.wait_exit(300ms).has_value()) << "exited with a request in flight";
  // New connections are refused once shutdown has begun.
  EXPECT_FALSE(http_request(server.port(), "GET", "/healthz").has_value());

  ASSERT_TRUE(in_flight.send("done!"));
  const auto response = in_flight.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_EQ(server.wait_exit(10s), 0);
  EXPECT_TRUE(contains(server.captured_stderr(), "\"msg\":\"server stopped\""));
}

TEST(Serve, SigintExitsZero) {
  TillServer server;
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  server.send_signal(SIGINT);
  EXPECT_EQ(server.wait_exit(10s), 0);
}

TEST(Serve, APortInUseIsAClearStartupError) {
  TillServer first;
  ASSERT_TRUE(first.started()) << first.captured_stderr();
  TempDir data;
  const auto result = run_till({"serve", "--listen", "127.0.0.1:" + std::to_string(first.port()),
                                "--data-dir", data.path()});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_TRUE(contains(result.err, "cannot listen on 127.0.0.1:" + std::to_string(first.port())))
      << result.err;
}

}  // namespace
}  // namespace till::testing
