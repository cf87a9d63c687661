// The webhook sender against real receivers on 127.0.0.1: statuses and excerpts, redirects
// not followed, timeouts, refused connections, the address policy at connect time (and per
// policy connection pools), https-only, the response cap, many concurrent requests each
// answered once, connection reuse and shutdown with transfers in flight.
//
// Most tests use RawReceiver below, a single-threaded epoll HTTP/1.1 responder, because they
// need what a real server hides: the number of TCP connections accepted, a request that is
// never answered, raw request heads. One test uses Till's own api::Server, so a strict parser
// sees what the sender writes.
//
// DISABLED_Throughput measures requests/s; run it with
//   test_events --gtest_also_run_disabled_tests --gtest_filter='HttpSender.DISABLED_Throughput'
#include "events/http_sender.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/server.h"
#include "obs/metrics.h"

namespace till::events {

// Readable names in failure messages (found by argument-dependent lookup; file-local).
[[maybe_unused]] static void PrintTo(SendOutcome outcome, std::ostream* out) {
  *out << to_string(outcome);
}

namespace {

using std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------
// RawReceiver: answers by path.
//   /status/NNN  NNN with body "status NNN" (3xx also carry Location: /status/200)
//   /echo        200 with the X-Tag request header as body
//   /big         200 with a 1 MiB body
//   /silent      never answers
//   /inspect     200 "ok", and keeps the request head and body for the test to read
//   anything     200 "ok"
// A connection that opens with a TLS handshake record gets a plain-text answer and is
// closed, which is what a TLS client connecting to an HTTP port sees.
class RawReceiver {
 public:
  RawReceiver() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(listen_fd_, 1024), 0);
    socklen_t length = sizeof address;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    watch(listen_fd_, EPOLLIN, EPOLL_CTL_ADD);
    watch(stop_fd_, EPOLLIN, EPOLL_CTL_ADD);
    thread_ = std::thread([this] { run(); });
  }
  ~RawReceiver() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = write(stop_fd_, &one, sizeof one);
    thread_.join();
    for (auto& [fd, connection] : connections_) close(fd);
    close(listen_fd_);
    close(stop_fd_);
    close(epoll_fd_);
  }
  RawReceiver(const RawReceiver&) = delete;
  RawReceiver& operator=(const RawReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::size_t connections_accepted() const { return accepted_.load(); }
  std::size_t requests() const { return requests_.load(); }
  std::vector<std::string> inspected() {
    std::lock_guard lock(mutex_);
    return inspected_;
  }

 private:
  struct Connection {
    std::string in;
    std::string out;
    std::size_t sent = 0;
    bool close_after_write = false;
  };

  void watch(int fd, std::uint32_t events, int operation) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    epoll_ctl(epoll_fd_, operation, fd, &event);
  }

  void run() {
    std::array<epoll_event, 64> events{};
    while (true) {
      const int ready = epoll_wait(epoll_fd_, events.data(), 64, -1);
      for (int i = 0; i < ready; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == stop_fd_) return;
        if (fd == listen_fd_) {
          accept_all();
          continue;
        }
        auto found = connections_.find(fd);
        if (found == connections_.end()) continue;
        if (!serve(fd, found->second)) {
          close(fd);
          connections_.erase(found);
        }
      }
    }
  }

  void accept_all() {
    while (true) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      accepted_.fetch_add(1);
      connections_[fd];
      watch(fd, EPOLLIN, EPOLL_CTL_ADD);
    }
  }

  // False when the connection is done with.
  bool serve(int fd, Connection& connection) {
    std::array<char, 64 * 1024> buffer{};
    while (true) {
      const ssize_t got = recv(fd, buffer.data(), buffer.size(), 0);
      if (got == 0) return false;
      if (got < 0) break;
      connection.in.append(buffer.data(), static_cast<std::size_t>(got));
    }
    if (!connection.in.empty() && connection.in[0] == '\x16') {
      connection.out = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
      connection.close_after_write = true;
      connection.in.clear();
    }
    while (answer_one(connection)) {
    }
    return flush(fd, connection);
  }

  static std::string header_value(std::string_view head, std::string_view name) {
    std::size_t at = 0;
    while ((at = head.find("\r\n", at)) != std::string_view::npos) {
      at += 2;
      const std::size_t colon = head.find(':', at);
      const std::size_t end = head.find("\r\n", at);
      if (colon == std::string_view::npos || colon > end) continue;
      std::string key(head.substr(at, colon - at));
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (key == name) {
        std::string_view value = head.substr(colon + 1, end - colon - 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        return std::string(value);
      }
    }
    return "";
  }

  // Consumes one whole request from `in` and queues its answer; false if none is complete.
  bool answer_one(Connection& connection) {
    const std::size_t head_end = connection.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    const std::string_view head(connection.in.data(), head_end + 2);
    const std::string length_text = header_value(head, "content-length");
    const std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
    if (connection.in.size() < head_end + 4 + length) return false;
    const std::size_t path_start = head.find(' ') + 1;
    const std::string path(head.substr(path_start, head.find(' ', path_start) - path_start));
    requests_.fetch_add(1);

    int status = 200;
    std::string body = "ok";
    std::string extra;
    bool answer = true;
    if (path.starts_with("/status/")) {
      status = std::stoi(path.substr(8));
      body = "status " + std::to_string(status);
      if (status >= 300 && status < 400) extra = "Location: /status/200\r\n";
      if (status == 204 || status == 304) body.clear();  // these never carry a body
    } else if (path == "/echo") {
      body = header_value(head, "x-tag");
    } else if (path == "/big") {
      body.assign(1024 * 1024, 'x');
    } else if (path == "/silent") {
      answer = false;
    } else if (path == "/inspect") {
      std::lock_guard lock(mutex_);
      inspected_.push_back(connection.in.substr(0, head_end + 4 + length));
    }
    connection.in.erase(0, head_end + 4 + length);
    if (answer) {
      connection.out += "HTTP/1.1 " + std::to_string(status) +
                        " X\r\nContent-Type: text/plain\r\n" + extra +
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    return true;
  }

  bool flush(int fd, Connection& connection) {
    while (connection.sent < connection.out.size()) {
      const ssize_t sent = send(fd, connection.out.data() + connection.sent,
                                connection.out.size() - connection.sent, MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno != EAGAIN) return false;
        watch(fd, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
        return true;
      }
      connection.sent += static_cast<std::size_t>(sent);
    }
    connection.out.clear();
    connection.sent = 0;
    watch(fd, EPOLLIN, EPOLL_CTL_MOD);
    return !connection.close_after_write;
  }

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::unordered_map<int, Connection> connections_;  // the receiver thread's
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> requests_{0};
  std::mutex mutex_;
  std::vector<std::string> inspected_;
};

// A port nothing listens on: bound, then closed.
std::uint16_t closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// A request the test receivers accept: plain http to loopback.
OutboundRequest local_request(std::uint64_t tag, std::string url) {
  OutboundRequest request;
  request.tag = tag;
  request.url = std::move(url);
  request.body = R"({"id":"evt_1","object":"event"})";
  request.policy = AddressPolicy::allow_private;
  request.https_only = false;
  request.timeout_ms = 5'000;
  return request;
}

// Waits for `count` results (the test fails if they do not come within a generous bound).
std::vector<SendResult> await_results(HttpSender& sender, std::size_t count) {
  std::vector<SendResult> all;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (all.size() < count && std::chrono::steady_clock::now() < give_up) {
    for (SendResult& result : sender.take_results(milliseconds(200))) {
      all.push_back(std::move(result));
    }
  }
  EXPECT_EQ(all.size(), count);
  return all;
}

SendResult send_one(HttpSender& sender, OutboundRequest request) {
  std::vector<OutboundRequest> batch;
  batch.push_back(std::move(request));
  sender.submit(std::move(batch));
  auto results = await_results(sender, 1);
  return results.empty() ? SendResult{} : results.front();
}

// ---------------------------------------------------------------------------------------

TEST(HttpSender, StatusesAndExcerpts) {
  RawReceiver receiver;
  HttpSender sender({});
  std::vector<OutboundRequest> batch;
  for (int status : {200, 201, 204, 400, 404, 500, 503}) {
    batch.push_back(local_request(static_cast<std::uint64_t>(status),
                                  receiver.url("/status/" + std::to_string(status))));
  }
  sender.submit(std::move(batch));
  for (const SendResult& result : await_results(sender, 7)) {
    EXPECT_EQ(result.outcome, SendOutcome::response) << result.error;
    EXPECT_EQ(result.status_code, static_cast<int>(result.tag));
    const std::string body = result.tag == 204 ? "" : "status " + std::to_string(result.tag);
    EXPECT_EQ(result.body_excerpt, body);
    EXPECT_TRUE(result.error.empty()) << result.error;
    EXPECT_GT(result.duration_ns, 0);
  }
  EXPECT_EQ(sender.in_flight(), 0u);
}

TEST(HttpSender, ExcerptIsTheFirstExcerptBytes) {
  RawReceiver receiver;
  SenderOptions options;
  options.excerpt_bytes = 5;
  HttpSender sender(options);
  const SendResult result = send_one(sender, local_request(1, receiver.url("/status/404")));
  EXPECT_EQ(result.status_code, 404);
  EXPECT_EQ(result.body_excerpt, "statu");
}

TEST(HttpSender, RedirectIsAStatusNotFollowed) {
  RawReceiver receiver;
  HttpSender sender({});
  for (int status : {301, 302, 307, 308}) {
    const SendResult result =
        send_one(sender, local_request(1, receiver.url("/status/" + std::to_string(status))));
    EXPECT_EQ(result.outcome, SendOutcome::response);
    EXPECT_EQ(result.status_code, status);
  }
  EXPECT_EQ(receiver.requests(), 4u);  // Location: /status/200 was never requested
}

TEST(HttpSender, SilentReceiverTimesOut) {
  RawReceiver receiver;
  HttpSender sender({});
  OutboundRequest request = local_request(7, receiver.url("/silent"));
  request.timeout_ms = 300;
  const SendResult result = send_one(sender, std::move(request));
  EXPECT_EQ(result.tag, 7u);
  EXPECT_EQ(result.outcome, SendOutcome::timeout) << result.error;
  EXPECT_EQ(result.status_code, 0);
  EXPECT_FALSE(result.error.empty());
}

TEST(HttpSender, ClosedPortAndUnknownHostFailToConnect) {
  HttpSender sender({});
  const SendResult refused = send_one(
      sender, local_request(1, "http://127.0.0.1:" + std::to_string(closed_port()) + "/hook"));
  EXPECT_EQ(refused.outcome, SendOutcome::connect_failed) << refused.error;
  const SendResult unknown = send_one(sender, local_request(2, "http://no-such-host.invalid/"));
  EXPECT_EQ(unknown.outcome, SendOutcome::connect_failed) << unknown.error;
}

TEST(HttpSender, PublicOnlyRefusesLoopbackAtConnect) {
  RawReceiver receiver;
  HttpSender sender({});
  const std::string port = std::to_string(receiver.port());
  // The literal, a name that resolves to it, and IPv6 spellings of it.
  const std::vector<std::string> urls = {
      "http://127.0.0.1:" + port + "/hook", "http://localhost:" + port + "/hook",
      "http://[::ffff:127.0.0.1]:" + port + "/hook", "http://[::1]:" + port + "/hook"};
  for (const std::string& url : urls) {
    OutboundRequest request = local_request(1, url);
    request.policy = AddressPolicy::public_only;
    const SendResult result = send_one(sender, std::move(request));
    EXPECT_EQ(result.outcome, SendOutcome::blocked_address) << url << ": " << result.error;
    EXPECT_NE(result.error.find("is loopback"), std::string::npos) << result.error;
  }
  const SendResult first = send_one(sender, [&] {
    OutboundRequest request = local_request(1, urls[0]);
    request.policy = AddressPolicy::public_only;
    return request;
  }());
  EXPECT_EQ(first.error, "address 127.0.0.1 is loopback, not permitted by public_only");
  EXPECT_EQ(receiver.connections_accepted(), 0u);
}

TEST(HttpSender, AllowPrivateStillRefusesMetadataAndLinkLocal) {
  HttpSender sender({});
  // Nothing is sent: the open-socket callback refuses before a socket exists.
  const SendResult metadata =
      send_one(sender, local_request(1, "http://169.254.169.254/latest/meta-data/"));
  EXPECT_EQ(metadata.outcome, SendOutcome::blocked_address) << metadata.error;
  EXPECT_EQ(metadata.error,
            "address 169.254.169.254 is cloud_metadata, not permitted by allow_private");
  const SendResult mapped =
      send_one(sender, local_request(2, "http://[::ffff:169.254.169.254]/latest/meta-data/"));
  EXPECT_EQ(mapped.outcome, SendOutcome::blocked_address) << mapped.error;
  EXPECT_NE(mapped.error.find("cloud_metadata"), std::string::npos) << mapped.error;
  const SendResult link_local = send_one(sender, local_request(3, "http://169.254.10.10/"));
  EXPECT_EQ(link_local.outcome, SendOutcome::blocked_address) << link_local.error;
  const SendResult unspecified = send_one(sender, local_request(4, "http://0.0.0.0:1/"));
  EXPECT_EQ(unspecified.outcome, SendOutcome::blocked_address) << unspecified.error;
}

TEST(HttpSender, ConnectionOpenedForAllowPrivateIsNotReusedForPublicOnly) {
  RawReceiver receiver;
  SenderOptions options;
  options.connections_max = 1;  // one easy handle, moved between the two pools
  HttpSender sender(options);
  const std::string url = receiver.url("/echo");

  const SendResult opened = send_one(sender, local_request(1, url));
  EXPECT_EQ(opened.outcome, SendOutcome::response) << opened.error;
  EXPECT_EQ(receiver.connections_accepted(), 1u);

  // Same host, port and handle; a kept-alive connection exists. It must not be used.
  OutboundRequest live = local_request(2, url);
  live.policy = AddressPolicy::public_only;
  const SendResult blocked = send_one(sender, std::move(live));
  EXPECT_EQ(blocked.outcome, SendOutcome::blocked_address) << blocked.error;
  EXPECT_EQ(receiver.requests(), 1u);

  // The allow_private pool still has its connection and reuses it.
  const SendResult reused = send_one(sender, local_request(3, url));
  EXPECT_EQ(reused.outcome, SendOutcome::response) << reused.error;
  EXPECT_EQ(receiver.connections_accepted(), 1u);
  EXPECT_EQ(receiver.requests(), 2u);
}

TEST(HttpSender, HttpsOnlyRefusesPlainHttpAndOtherSchemes) {
  RawReceiver receiver;
  HttpSender sender({});
  OutboundRequest plain = local_request(1, receiver.url("/hook"));
  plain.https_only = true;
  const SendResult refused = send_one(sender, std::move(plain));
  EXPECT_EQ(refused.outcome, SendOutcome::protocol_refused) << refused.error;
  for (const char* url : {"ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/",
                          "127.0.0.1/hook", "HTTPS:/x"}) {
    const SendResult other = send_one(sender, local_request(2, url));
    EXPECT_EQ(other.outcome, SendOutcome::protocol_refused) << url;
  }
  // Upper-case schemes are still http(s).
  const SendResult upper = send_one(
      sender, local_request(3, "HTTP://127.0.0.1:" + std::to_string(receiver.port()) + "/x"));
  EXPECT_EQ(upper.outcome, SendOutcome::response) << upper.error;
  EXPECT_EQ(receiver.requests(), 1u);
}

TEST(HttpSender, TlsHandshakeFailureIsTlsFailed) {
  RawReceiver receiver;  // speaks plain HTTP, so the handshake fails
  HttpSender sender({});
  OutboundRequest request =
      local_request(1, "https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook");
  request.https_only = true;
  const SendResult result = send_one(sender, std::move(request));
  EXPECT_EQ(result.outcome, SendOutcome::tls_failed) << result.error;
  EXPECT_EQ(result.status_code, 0);
}

TEST(HttpSender, LongResponseIsCutButItsStatusReported) {
  RawReceiver receiver;
  SenderOptions options;
  options.response_bytes_max = 64 * 1024;
  HttpSender sender(options);
  const SendResult result = send_one(sender, local_request(1, receiver.url("/big")));
  EXPECT_EQ(result.outcome, SendOutcome::response) << result.error;
  EXPECT_EQ(result.status_code, 200);
  EXPECT_EQ(result.body_excerpt, std::string(256, 'x'));
  EXPECT_NE(result.error.find("cut"), std::string::npos) << result.error;
  // The connection was closed with the cut; the next request opens another and works.
  const SendResult next = send_one(sender, local_request(2, receiver.url("/status/204")));
  EXPECT_EQ(next.status_code, 204);
}

TEST(HttpSender, RequestCarriesBodyAndHeadersAndNoExpect) {
  RawReceiver receiver;
  HttpSender sender({});
  OutboundRequest request = local_request(1, receiver.url("/inspect"));
  request.body = "{\"data\":\"" + std::string(100 * 1024, 'a') + "\"}";  // well past 1 KiB
  request.headers = {{"Stripe-Signature", "t=1,v1=abc"}, {"X-Other", ""}};
  const std::string body = request.body;
  const SendResult result = send_one(sender, std::move(request));
  EXPECT_EQ(result.status_code, 200) << result.error;
  const std::vector<std::string> seen = receiver.inspected();
  ASSERT_EQ(seen.size(), 1u);
  const std::string& raw = seen.front();
  const std::string head = raw.substr(0, raw.find("\r\n\r\n") + 2);
  EXPECT_TRUE(head.starts_with("POST /inspect HTTP/1.1\r\n")) << head;
  EXPECT_NE(head.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nUser-Agent: Till-Webhooks/1.0\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nStripe-Signature: t=1,v1=abc\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nX-Other:\r\n"), std::string::npos) << head;  // empty, still sent
  EXPECT_EQ(head.find("Expect"), std::string::npos) << head;
  EXPECT_EQ(raw.substr(raw.find("\r\n\r\n") + 4), body);
}

TEST(HttpSender, MalformedRequestsFailWithoutBeingSentAndWithoutQuotingHeaders) {
  RawReceiver receiver;
  HttpSender sender({});
  auto with_header = [&](std::uint64_t tag, std::string name, std::string value) {
    OutboundRequest request = local_request(tag, receiver.url("/hook"));
    request.headers.emplace_back(std::move(name), std::move(value));
    return request;
  };
  std::vector<OutboundRequest> batch;
  batch.push_back(with_header(1, "X-Injected", "secret\r\nHost: evil"));
  batch.push_back(with_header(2, "Bad Name", "secret"));
  batch.push_back(with_header(3, "Content-Length", "0"));
  batch.push_back(with_header(4, "", "secret"));
  OutboundRequest no_timeout = local_request(5, receiver.url("/hook"));
  no_timeout.timeout_ms = 0;
  batch.push_back(std::move(no_timeout));
  OutboundRequest long_url = local_request(6, receiver.url("/" + std::string(9000, 'a')));
  batch.push_back(std::move(long_url));
  sender.submit(std::move(batch));
  for (const SendResult& result : await_results(sender, 6)) {
    EXPECT_EQ(result.outcome, SendOutcome::failed) << result.tag;
    EXPECT_EQ(result.error.find("secret"), std::string::npos) << result.error;
    EXPECT_EQ(result.error.find("evil"), std::string::npos) << result.error;
  }
  EXPECT_EQ(receiver.connections_accepted(), 0u);
  EXPECT_EQ(sender.in_flight(), 0u);
}

TEST(HttpSender, ManyConcurrentRequestsAreEachAnsweredOnceWithTheirTags) {
  RawReceiver receiver;
  SenderOptions options;
  options.connections_max = 64;
  HttpSender sender(options);
  constexpr std::size_t kRequests = 2'000;
  constexpr std::size_t kSubmitters = 4;
  // Several threads submit at once (the API is thread-safe) while this one takes results.
  std::vector<std::thread> submitters;
  for (std::size_t s = 0; s < kSubmitters; ++s) {
    submitters.emplace_back([&, s] {
      for (std::size_t first = s; first < kRequests; first += kSubmitters * 50) {
        std::vector<OutboundRequest> batch;
        for (std::size_t tag = first; tag < std::min(first + kSubmitters * 50, kRequests);
             tag += kSubmitters) {
          OutboundRequest request = local_request(tag, receiver.url("/echo"));
          request.headers.emplace_back("X-Tag", std::to_string(tag));
          batch.push_back(std::move(request));
        }
        sender.submit(std::move(batch));
      }
    });
  }
  const std::vector<SendResult> results = await_results(sender, kRequests);
  for (std::thread& submitter : submitters) submitter.join();
  std::map<std::uint64_t, int> seen;
  for (const SendResult& result : results) {
    ++seen[result.tag];
    EXPECT_EQ(result.outcome, SendOutcome::response) << result.error;
    EXPECT_EQ(result.status_code, 200);
    // The body echoes the request's own tag: no answer went to the wrong request.
    EXPECT_EQ(result.body_excerpt, std::to_string(result.tag));
  }
  EXPECT_EQ(seen.size(), kRequests);
  for (const auto& [tag, count] : seen) EXPECT_EQ(count, 1) << tag;
  EXPECT_EQ(receiver.requests(), kRequests);
  EXPECT_LE(receiver.connections_accepted(), 64u);  // at most one per transfer slot
  EXPECT_EQ(sender.in_flight(), 0u);
  EXPECT_TRUE(sender.take_results(milliseconds(0)).empty());
}

TEST(HttpSender, ConnectionsAreReused) {
  RawReceiver receiver;
  HttpSender sender({});
  constexpr std::size_t kRounds = 20;
  constexpr std::size_t kPerRound = 10;
  for (std::size_t round = 0; round < kRounds; ++round) {
    std::vector<OutboundRequest> batch;
    for (std::size_t i = 0; i < kPerRound; ++i) {
      batch.push_back(local_request(round * kPerRound + i, receiver.url("/hook")));
    }
    sender.submit(std::move(batch));
    for (const SendResult& result : await_results(sender, kPerRound)) {
      EXPECT_EQ(result.status_code, 200) << result.error;
    }
  }
  EXPECT_EQ(receiver.requests(), kRounds * kPerRound);
  // Never more connections than transfers at once: every later round reused them.
  EXPECT_LE(receiver.connections_accepted(), kPerRound);
}

TEST(HttpSender, QueuesBeyondConnectionsMax) {
  RawReceiver receiver;
  SenderOptions options;
  options.connections_max = 2;
  HttpSender sender(options);
  std::vector<OutboundRequest> batch;
  for (std::uint64_t tag = 0; tag < 50; ++tag) {
    batch.push_back(local_request(tag, receiver.url("/hook")));
  }
  sender.submit(std::move(batch));
  std::set<std::uint64_t> tags;
  for (const SendResult& result : await_results(sender, 50)) {
    EXPECT_EQ(result.status_code, 200) << result.error;
    tags.insert(result.tag);
  }
  EXPECT_EQ(tags.size(), 50u);
  EXPECT_LE(receiver.connections_accepted(), 2u);
}

TEST(HttpSender, DestroyedWithTransfersInFlight) {
  RawReceiver receiver;
  auto sender = std::make_unique<HttpSender>(SenderOptions{});
  std::vector<OutboundRequest> batch;
  for (std::uint64_t tag = 0; tag < 20; ++tag) {
    batch.push_back(local_request(tag, receiver.url("/silent")));
  }
  sender->submit(std::move(batch));
  EXPECT_EQ(sender->in_flight(), 20u);
  EXPECT_TRUE(sender->take_results(milliseconds(50)).empty());
  sender.reset();  // abandons them: returns promptly, leaks nothing (checked under ASan)
}

std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

TEST(HttpSender, ClosesEverythingItOpens) {
  const std::size_t before = open_descriptors();
  {
    RawReceiver receiver;
    HttpSender sender({});
    std::vector<OutboundRequest> batch;
    for (std::uint64_t tag = 0; tag < 20; ++tag) {
      batch.push_back(local_request(tag, receiver.url(tag % 2 == 0 ? "/hook" : "/silent")));
      batch.back().timeout_ms = 100;
      batch.back().policy = tag % 4 < 2 ? AddressPolicy::allow_private : AddressPolicy::public_only;
    }
    sender.submit(std::move(batch));
    await_results(sender, 20);
  }
  // Kept-alive connections in both pools, the epoll and wake-up descriptors: all closed.
  EXPECT_EQ(open_descriptors(), before);
}

TEST(HttpSender, AgainstTillsOwnServer) {
  api::Router router;
  std::mutex mutex;
  std::vector<std::string> bodies;
  router.add("POST", "/hook/{status}", api::Execution::io_thread, [&](api::Request& request) {
    {
      std::lock_guard lock(mutex);
      bodies.emplace_back(request.body);
    }
    const auto status =
        static_cast<unsigned>(std::stoul(std::string(request.path_param("status"))));
    return api::text_response(status, "text/plain",
                              std::string(request.header("Content-Type")) + " " +
                                  std::string(request.header("Stripe-Signature")));
  });
  obs::MetricsRegistry registry;
  api::ServerOptions server_options;
  server_options.listen_port = 0;
  server_options.io_threads = 1;
  server_options.handle_signals = false;
  api::Server server(server_options, router, registry);
  auto port = server.bind();
  ASSERT_TRUE(port) << port.error().message;
  std::thread serving([&] { server.run(); });

  HttpSender sender({});
  std::vector<OutboundRequest> batch;
  for (int status : {200, 422, 500}) {
    OutboundRequest request = local_request(
        static_cast<std::uint64_t>(status),
        "http://127.0.0.1:" + std::to_string(*port) + "/hook/" + std::to_string(status));
    request.headers.emplace_back("Stripe-Signature", "t=1,v1=00");
    batch.push_back(std::move(request));
  }
  sender.submit(std::move(batch));
  for (const SendResult& result : await_results(sender, 3)) {
    EXPECT_EQ(result.outcome, SendOutcome::response) << result.error;
    EXPECT_EQ(result.status_code, static_cast<int>(result.tag));
    EXPECT_EQ(result.body_excerpt, "application/json t=1,v1=00");
  }
  server.stop();
  serving.join();
  std::lock_guard lock(mutex);
  ASSERT_EQ(bodies.size(), 3u);
  for (const std::string& body : bodies) EXPECT_EQ(body, R"({"id":"evt_1","object":"event"})");
}

// Not a pass/fail test: prints requests/s for a webhook-sized body with 64 transfers at once,
// keeping a few hundred requests queued like the dispatcher does.
TEST(HttpSender, DISABLED_Throughput) {
  RawReceiver receiver;
  SenderOptions options;
  options.connections_max = 64;
  HttpSender sender(options);
  constexpr std::size_t kRequests = 200'000;
  constexpr std::size_t kQueued = 256;
  const std::string body = "{\"id\":\"evt_1\",\"data\":\"" + std::string(1'500 - 24, 'a') + "\"}";
  const std::string url = receiver.url("/hook");
  std::size_t submitted = 0;
  std::size_t done = 0;
  std::size_t ok = 0;
  auto submit_up_to = [&](std::size_t target) {
    std::vector<OutboundRequest> batch;
    while (submitted < std::min(target, kRequests)) {
      OutboundRequest request = local_request(submitted++, url);
      request.body = body;
      request.headers.emplace_back("Stripe-Signature", "t=1,v1=0123456789abcdef");
      batch.push_back(std::move(request));
    }
    if (!batch.empty()) sender.submit(std::move(batch));
  };
  const auto start = std::chrono::steady_clock::now();
  submit_up_to(kQueued);
  while (done < kRequests) {
    for (const SendResult& result : sender.take_results(milliseconds(100))) {
      ++done;
      ok += result.status_code == 200 ? 1 : 0;
    }
    submit_up_to(done + kQueued);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(ok, kRequests);
  std::printf(
      "throughput: %zu POSTs of %zu bytes, 64 transfers at once, %zu connections: "
      "%.0f requests/s (%.2f s)\n",
      kRequests, body.size(), receiver.connections_accepted(),
      static_cast<double>(kRequests) / seconds, seconds);
}

}  // namespace
}  // namespace till::events
