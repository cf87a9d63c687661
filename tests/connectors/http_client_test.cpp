// The connectors' HTTP client against real local servers: answers, the four ways a call can
// fail (and which of them may have reached the processor), keep-alive reuse from one and
// from many threads, the response cap, redirects and proxies ignored, traceparent.
#include "connectors/http_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "local_server.h"

namespace till::connectors {

[[maybe_unused]] static void PrintTo(HttpOutcome outcome, std::ostream* out) {
  *out << to_string(outcome);
}

namespace {

using std::chrono::milliseconds;
using testing::LocalServer;
using testing::ReceivedRequest;
using testing::Reply;

HttpRequest post(const std::string& url, std::string body = "{}") {
  HttpRequest request;
  request.url = url;
  request.body = std::move(body);
  request.timeout = milliseconds(5000);
  return request;
}

Reply ok(const ReceivedRequest&) { return Reply::json(200, R"({"ok":true})"); }

TEST(HttpClient, PostsJsonWithHeadersAndReadsTheAnswer) {
  LocalServer server([](const ReceivedRequest& request) {
    return Reply::json(201, "{\"echo\":" + request.body + "}");
  });
  server.start();
  HttpClient client;
  HttpRequest request = post(server.url() + "/v1/things?x=1", R"({"a":1})");
  request.headers = {{"Authorization", "Bearer k"}, {"Idempotency-Key", "key_1"}};
  const HttpResult result = client.send(request);
  ASSERT_EQ(result.outcome, HttpOutcome::response) << result.error;
  EXPECT_EQ(result.status, 201);
  EXPECT_EQ(result.body, R"({"echo":{"a":1}})");
  EXPECT_FALSE(result.truncated);
  EXPECT_TRUE(result.new_connection);
  EXPECT_GT(result.elapsed.count(), 0);

  const auto received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].target, "/v1/things?x=1");
  EXPECT_EQ(received[0].header("content-type"), "application/json");
  EXPECT_EQ(received[0].header("authorization"), "Bearer k");
  EXPECT_EQ(received[0].header("idempotency-key"), "key_1");
  EXPECT_EQ(received[0].header("expect"), "");
  EXPECT_EQ(received[0].header("user-agent"), "Till-Connectors/1.0");
  EXPECT_EQ(received[0].header("traceparent"), result.traceparent);
}

TEST(HttpClient, Get) {
  LocalServer server(ok);
  server.start();
  HttpClient client;
  HttpRequest request;
  request.method = HttpMethod::get;
  request.url = server.url() + "/v1/authorizations/auth_1";
  const HttpResult result = client.send(request);
  ASSERT_EQ(result.outcome, HttpOutcome::response) << result.error;
  EXPECT_EQ(server.requests().at(0).method, "GET");
  EXPECT_EQ(server.requests().at(0).body, "");
  // A handle used for a POST, then a GET, then a POST again keeps each method straight.
  ASSERT_EQ(client.send(post(server.url() + "/p")).outcome, HttpOutcome::response);
  ASSERT_EQ(client.send(request).outcome, HttpOutcome::response);
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[1].method, "POST");
  EXPECT_EQ(received[2].method, "GET");
}

TEST(HttpClient, TraceparentIsStartedWhenAbsentOrMalformedAndPropagatedWhenValid) {
  LocalServer server(ok);
  server.start();
  HttpClient client;
  HttpRequest request = post(server.url() + "/");
  const HttpResult started = client.send(request);
  EXPECT_TRUE(is_valid_traceparent(started.traceparent)) << started.traceparent;
  EXPECT_EQ(started.traceparent.substr(0, 3), "00-");
  EXPECT_EQ(started.traceparent.size(), 55u);

  request.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_EQ(client.send(request).traceparent, request.traceparent);

  request.traceparent = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";  // zero id
  const HttpResult replaced = client.send(request);
  EXPECT_NE(replaced.traceparent, request.traceparent);
  EXPECT_TRUE(is_valid_traceparent(replaced.traceparent));

  const auto received = server.requests();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0].header("traceparent"), started.traceparent);
  EXPECT_EQ(received[1].header("traceparent"),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(received[2].header("traceparent"), replaced.traceparent);
  // Two new traces differ.
  EXPECT_NE(new_traceparent(), new_traceparent());
}

TEST(HttpClient, TraceparentValidation) {
  EXPECT_TRUE(is_valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
  EXPECT_FALSE(is_valid_traceparent(""));
  EXPECT_FALSE(is_valid_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(is_valid_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(is_valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  EXPECT_FALSE(is_valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
  EXPECT_FALSE(is_valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"));
  EXPECT_FALSE(is_valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7\r\n1"));
}

TEST(HttpClient, RefusedPortIsConnectFailedNothingSent) {
  HttpClient client;
  const HttpResult result =
      client.send(post("http://127.0.0.1:" + std::to_string(testing::refused_port()) + "/"));
  EXPECT_EQ(result.outcome, HttpOutcome::connect_failed);
  EXPECT_FALSE(may_have_been_processed(result.outcome));
  EXPECT_NE(result.error.find("nothing sent"), std::string::npos) << result.error;
}

TEST(HttpClient, UnresolvableHostIsConnectFailed) {
  HttpClient client;
  const HttpResult result = client.send(post("http://no-such-host.invalid/"));
  EXPECT_EQ(result.outcome, HttpOutcome::connect_failed) << result.error;
}

TEST(HttpClient, ListenerThatAcceptsAndClosesIsNoAnswer) {
  LocalServer server(ok);
  server.close_on_accept();
  server.start();
  HttpClient client;
  const HttpResult result = client.send(post(server.url() + "/"));
  // The connection was made and the request written (or being written) when the peer closed:
  // the processor may have read it.
  EXPECT_EQ(result.outcome, HttpOutcome::no_answer) << result.error;
  EXPECT_TRUE(may_have_been_processed(result.outcome));
}

TEST(HttpClient, RequestReadThenConnectionClosedIsNoAnswer) {
  LocalServer server([](const ReceivedRequest&) { return Reply::close(); });
  server.start();
  HttpClient client;
  const HttpResult result = client.send(post(server.url() + "/"));
  EXPECT_EQ(result.outcome, HttpOutcome::no_answer) << result.error;
  EXPECT_EQ(server.requests().size(), 1u);  // it did arrive
}

TEST(HttpClient, HalfAnAnswerIsNoAnswer) {
  LocalServer server([](const ReceivedRequest&) {
    return Reply::raw_then_close(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":");
  });
  server.start();
  HttpClient client;
  const HttpResult result = client.send(post(server.url() + "/"));
  EXPECT_EQ(result.outcome, HttpOutcome::no_answer) << result.error;
  EXPECT_EQ(result.body, "");
}

TEST(HttpClient, HeadCutShortIsNoAnswer) {
  LocalServer server([](const ReceivedRequest&) { return Reply::raw_then_close("HTTP/1.1 2"); });
  server.start();
  HttpClient client;
  EXPECT_EQ(client.send(post(server.url() + "/")).outcome, HttpOutcome::no_answer);
}

TEST(HttpClient, ServerThatNeverAnswersIsTimeout) {
  LocalServer server([](const ReceivedRequest&) { return Reply::hang(); });
  server.start();
  HttpClient client;
  HttpRequest request = post(server.url() + "/");
  request.timeout = milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const HttpResult result = client.send(request);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.outcome, HttpOutcome::timeout) << result.error;
  EXPECT_TRUE(may_have_been_processed(result.outcome));
  EXPECT_GE(took, milliseconds(290));
  EXPECT_LT(took, milliseconds(3000));
}

TEST(HttpClient, ConnectThatNeverCompletesIsConnectFailed) {
  // A listener that never accepts, its accept queue filled: further SYNs are dropped, so the
  // handshake never completes and nothing can be sent.
  LocalServer server(ok, /*backlog=*/0);
  std::vector<int> fillers;
  for (int i = 0; i < 8; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(server.port());
    connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(milliseconds(100));
  HttpClient client;
  HttpRequest request = post(server.url() + "/");
  request.timeout = milliseconds(2000);
  request.connect_timeout = milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const HttpResult result = client.send(request);
  EXPECT_EQ(result.outcome, HttpOutcome::connect_failed) << result.error;
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1500));
  for (int fd : fillers) close(fd);
}

TEST(HttpClient, StatusesAreAnswersRedirectsNotFollowed) {
  LocalServer server([](const ReceivedRequest& request) {
    if (request.target == "/redirect") {
      return Reply{Reply::Kind::respond,
                   "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"};
    }
    return Reply::json(503, R"({"error":{"code":"service_unavailable"}})");
  });
  server.start();
  HttpClient client;
  const HttpResult redirect = client.send(post(server.url() + "/redirect"));
  ASSERT_EQ(redirect.outcome, HttpOutcome::response);
  EXPECT_EQ(redirect.status, 302);
  const HttpResult unavailable = client.send(post(server.url() + "/x"));
  ASSERT_EQ(unavailable.outcome, HttpOutcome::response);
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(server.requests().size(), 2u);  // /elsewhere never requested
}

TEST(HttpClient, BodyOverTheCapIsCutAndMarked) {
  LocalServer server([](const ReceivedRequest&) {
    return Reply::json(200, "\"" + std::string(3000, 'x') + "\"");
  });
  server.start();
  HttpClientOptions options;
  options.response_bytes_max = 1000;
  HttpClient client(options);
  const HttpResult result = client.send(post(server.url() + "/"));
  ASSERT_EQ(result.outcome, HttpOutcome::response) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.body.size(), 1000u);
}

TEST(HttpClient, DefaultCapIsOneMebibyte) {
  EXPECT_EQ(HttpClientOptions{}.response_bytes_max, 1024u * 1024u);
}

TEST(HttpClient, ManySequentialCallsReuseOneConnection) {
  LocalServer server(ok);
  server.start();
  HttpClient client;
  for (int i = 0; i < 50; ++i) {
    const HttpResult result = client.send(post(server.url() + "/"));
    ASSERT_EQ(result.outcome, HttpOutcome::response) << result.error;
    EXPECT_EQ(result.new_connection, i == 0);
  }
  EXPECT_EQ(server.connections_accepted(), 1u);
  EXPECT_EQ(client.idle_handles(), 1u);
}

TEST(HttpClient, ManyThreadsReuseAFewConnections) {
  LocalServer server(ok);
  server.start();
  HttpClient client;
  constexpr int kThreads = 8;
  constexpr int kCallsEach = 25;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsEach; ++i) {
        if (client.send(post(server.url() + "/")).outcome == HttpOutcome::response) ++answered;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(answered.load(), kThreads * kCallsEach);
  // At most one connection per thread that ran at the same time, whatever the call count.
  EXPECT_LE(server.connections_accepted(), static_cast<std::size_t>(kThreads));
  EXPECT_GE(server.connections_accepted(), 1u);
}

TEST(HttpClient, PoolsAreKeptPerOrigin) {
  LocalServer a(ok);
  LocalServer b(ok);
  a.start();
  b.start();
  HttpClient client;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(client.send(post(a.url() + "/")).outcome, HttpOutcome::response);
    ASSERT_EQ(client.send(post(b.url() + "/")).outcome, HttpOutcome::response);
  }
  EXPECT_EQ(a.connections_accepted(), 1u);
  EXPECT_EQ(b.connections_accepted(), 1u);
}

TEST(HttpClient, ProxyFromTheEnvironmentIsIgnored) {
  LocalServer server(ok);
  server.start();
  const std::string proxy = "http://127.0.0.1:" + std::to_string(testing::refused_port());
  setenv("http_proxy", proxy.c_str(), 1);
  setenv("HTTP_PROXY", proxy.c_str(), 1);
  setenv("ALL_PROXY", proxy.c_str(), 1);
  HttpClient client;
  const HttpResult result = client.send(post(server.url() + "/"));
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  unsetenv("ALL_PROXY");
  EXPECT_EQ(result.outcome, HttpOutcome::response) << result.error;
}

TEST(HttpClient, InvalidRequestsAreRefusedBeforeSending) {
  LocalServer server(ok);
  server.start();
  HttpClient client;
  auto outcome_of = [&](HttpRequest request) { return client.send(request); };

  EXPECT_EQ(outcome_of(post("ftp://127.0.0.1/")).outcome, HttpOutcome::invalid);
  EXPECT_EQ(outcome_of(post("http://user:pw@127.0.0.1/")).outcome, HttpOutcome::invalid);
  EXPECT_EQ(outcome_of(post(server.url() + "/a b")).outcome, HttpOutcome::invalid);
  HttpRequest injected = post(server.url() + "/");
  injected.headers = {{"X-Key", "a\r\nX-Evil: 1"}};
  const HttpResult refused = outcome_of(injected);
  EXPECT_EQ(refused.outcome, HttpOutcome::invalid);
  EXPECT_EQ(refused.error.find("Evil"), std::string::npos) << "never quote a header value";
  HttpRequest owned = post(server.url() + "/");
  owned.headers = {{"Content-Length", "5"}};
  EXPECT_EQ(outcome_of(owned).outcome, HttpOutcome::invalid);
  HttpRequest get_with_body = post(server.url() + "/");
  get_with_body.method = HttpMethod::get;
  EXPECT_EQ(outcome_of(get_with_body).outcome, HttpOutcome::invalid);
  HttpRequest no_timeout = post(server.url() + "/");
  no_timeout.timeout = milliseconds(0);
  EXPECT_EQ(outcome_of(no_timeout).outcome, HttpOutcome::invalid);
  EXPECT_FALSE(may_have_been_processed(HttpOutcome::invalid));
  EXPECT_EQ(server.connections_accepted(), 0u);
}

TEST(HttpClient, EmptyHeaderValueIsSent) {
  LocalServer server(ok);
  server.start();
  HttpClient client;
  HttpRequest request = post(server.url() + "/");
  request.headers = {{"X-Empty", ""}};
  ASSERT_EQ(client.send(request).outcome, HttpOutcome::response);
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].headers.count("x-empty"), 1u);
}

TEST(HttpClient, ASilentResendIsCounted) {
  // A kept-alive connection dies unanswered under the second request: libcurl re-sends it on
  // a new connection by itself. The result must say the request went out twice.
  LocalServer server([](const ReceivedRequest& request) {
    if (request.index_on_connection == 2) return Reply::close();
    return Reply::json(200, "{}");
  });
  server.start();
  HttpClient client;
  const HttpResult first = client.send(post(server.url() + "/"));
  ASSERT_EQ(first.outcome, HttpOutcome::response) << first.error;
  EXPECT_EQ(first.transmissions, 1);
  const HttpResult second = client.send(post(server.url() + "/", R"({"n":2})"));
  ASSERT_EQ(second.outcome, HttpOutcome::response) << second.error;
  EXPECT_EQ(second.transmissions, 2);
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[1].body, R"({"n":2})");
  EXPECT_EQ(received[2].body, R"({"n":2})");  // the same request again, on connection 2
  EXPECT_EQ(received[2].connection, 2u);
}

TEST(HttpClient, NothingSentIsZeroTransmissions) {
  HttpClient client;
  const HttpResult refused =
      client.send(post("http://127.0.0.1:" + std::to_string(testing::refused_port()) + "/"));
  EXPECT_EQ(refused.transmissions, 0);
  EXPECT_EQ(client.send(post("ftp://x/")).transmissions, 0);
}

TEST(HttpClient, AConnectionTheServerClosedIsReplacedTransparently) {
  // The server answers and closes after each request (Connection: close): the next call must
  // open a new connection rather than fail on the dead one.
  LocalServer server([](const ReceivedRequest&) {
    return Reply::raw_then_close(
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
  });
  server.start();
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    const HttpResult result = client.send(post(server.url() + "/"));
    ASSERT_EQ(result.outcome, HttpOutcome::response) << result.error;
    EXPECT_TRUE(result.new_connection);
  }
  EXPECT_EQ(server.connections_accepted(), 3u);
}

}  // namespace
}  // namespace till::connectors
