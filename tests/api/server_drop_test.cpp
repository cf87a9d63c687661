// api::Server with Response::drop_connection: the handler runs to completion, then the
// connection closes without a byte of answer (the sandbox processor's "drop_response" fault).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "api/server.h"

namespace till::api {
namespace {

// Sends one request on a fresh connection and returns everything the server wrote before it
// closed the connection (empty when it answered nothing).
std::string exchange(std::uint16_t port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string received;
  char buffer[4096];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;  // closed (or the timeout, which the caller notices as no answer)
    received.append(buffer, static_cast<std::size_t>(n));
    if (received.find("\r\n\r\n") != std::string::npos &&
        received.find("Connection: close") == std::string::npos) {
      break;  // a keep-alive answer: the server will not close; the head is enough here
    }
  }
  close(fd);
  return received;
}

TEST(ServerDropConnection, HandlerRunsThenTheConnectionClosesUnanswered) {
  std::atomic<int> handled{0};
  Router router;
  router.add("POST", "/drop", Execution::blocking, [&](Request&) {
    handled.fetch_add(1);
    Response response = json_response(200, R"({"done":true})");
    response.drop_connection = true;
    return response;
  });
  router.add("GET", "/ok", Execution::io_thread,
             [](Request&) { return json_response(200, R"({"ok":true})"); });
  obs::MetricsRegistry registry;
  ServerOptions options;
  options.listen_port = 0;
  options.io_threads = 1;
  options.blocking_threads = 2;
  options.handle_signals = false;
  Server server(options, router, registry);
  const auto port = server.bind();
  ASSERT_TRUE(port);
  std::thread runner([&] { server.run(); });

  const std::string dropped =
      exchange(*port, "POST /drop HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(dropped, "");
  EXPECT_EQ(handled.load(), 1);
  // The server keeps serving other connections normally.
  const std::string answered = exchange(*port, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(answered.rfind("HTTP/1.1 200", 0), 0u) << answered;

  server.stop();
  runner.join();
}

}  // namespace
}  // namespace till::api
