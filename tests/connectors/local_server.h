// A scripted HTTP/1.1 server on 127.0.0.1 for the connectors' tests: every request is
// answered by a handler that can reply, close without a word, hang, or send half an answer —
// what a real server hides and what the HTTP client must tell apart. Counts accepted
// connections (keep-alive reuse) and keeps every request (headers, body) for inspection.
// One thread per connection; fine for tests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace till::connectors::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::size_t connection = 0;           // 1 for the first connection accepted, 2, ...
  std::size_t index_on_connection = 0;  // 1 for a connection's first request, 2, ...
  std::string header(const std::string& lower_name) const {
    const auto found = headers.find(lower_name);
    return found == headers.end() ? std::string() : found->second;
  }
};

struct Reply {
  enum class Kind { respond, close, hang, raw_then_close };
  Kind kind = Kind::respond;
  std::string bytes;  // respond: a whole response; raw_then_close: what to send before closing

  static Reply json(int status, const std::string& body) {
    Reply reply;
    reply.bytes =
        "HTTP/1.1 " + std::to_string(status) +
        " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    return reply;
  }
  static Reply close() { return Reply{Kind::close, ""}; }
  static Reply hang() { return Reply{Kind::hang, ""}; }
  static Reply raw_then_close(std::string bytes) {
    return Reply{Kind::raw_then_close, std::move(bytes)};
  }
};

class LocalServer {
 public:
  using Handler = std::function<Reply(const ReceivedRequest&)>;

  explicit LocalServer(Handler handler, int backlog = 128) : handler_(std::move(handler)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listen_fd_, backlog);
    socklen_t length = sizeof address;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }

  // Every connection is closed as soon as it is accepted, before reading anything.
  void close_on_accept() { close_on_accept_ = true; }

  // Starts accepting (a server that never accepts is a full-backlog test).
  void start() {
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~LocalServer() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = write(stop_fd_, &one, sizeof one);
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(connection_threads_);
    }
    for (std::thread& thread : threads) thread.join();
    close(listen_fd_);
    close(stop_fd_);
  }

  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::size_t connections_accepted() const { return accepted_.load(); }
  std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  // Waits until `fd` is readable or the server stops; false when stopping.
  bool wait_readable(int fd) const {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    while (true) {
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents != 0) return false;
      if (fds[0].revents != 0) return true;
    }
  }

  void accept_loop() {
    while (wait_readable(listen_fd_)) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const std::size_t connection = ++accepted_;
      if (close_on_accept_) {
        close(fd);
        continue;
      }
      std::lock_guard lock(mutex_);
      connection_threads_.emplace_back([this, fd, connection] { serve(fd, connection); });
    }
  }

  // Reads one request (Content-Length framed). nullopt on close or stop.
  std::optional<ReceivedRequest> read_request(int fd, std::string& buffer) const {
    std::size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more(fd, buffer)) return std::nullopt;
    }
    ReceivedRequest request;
    const std::string head = buffer.substr(0, head_end);
    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const std::size_t space1 = request_line.find(' ');
    const std::size_t space2 = request_line.find(' ', space1 + 1);
    request.method = request_line.substr(0, space1);
    request.target = request_line.substr(space1 + 1, space2 - space1 - 1);
    while (line_end != std::string::npos && line_end < head.size()) {
      const std::size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(
          line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        request.headers[name] = value;
      }
      line_end = next;
    }
    std::size_t length = 0;
    if (const auto found = request.headers.find("content-length"); found != request.headers.end()) {
      length = std::stoul(found->second);
    }
    while (buffer.size() < head_end + 4 + length) {
      if (!read_more(fd, buffer)) return std::nullopt;
    }
    request.body = buffer.substr(head_end + 4, length);
    buffer.erase(0, head_end + 4 + length);
    return request;
  }

  bool read_more(int fd, std::string& buffer) const {
    if (!wait_readable(fd)) return false;
    char chunk[16384];
    const ssize_t got = recv(fd, chunk, sizeof chunk, 0);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(got));
    return true;
  }

  void serve(int fd, std::size_t connection) {
    std::string buffer;
    std::size_t index = 0;
    while (auto request = read_request(fd, buffer)) {
      request->connection = connection;
      request->index_on_connection = ++index;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(*request);
      }
      const Reply reply = handler_(*request);
      if (reply.kind == Reply::Kind::close) break;
      if (reply.kind == Reply::Kind::hang) {
        // Hold the connection open, unanswered, until the client gives up or the server stops.
        char sink[4096];
        while (wait_readable(fd) && recv(fd, sink, sizeof sink, 0) > 0) {
        }
        break;
      }
      send_all(fd, reply.bytes);
      if (reply.kind == Reply::Kind::raw_then_close) break;
    }
    close(fd);
  }

  static void send_all(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  std::uint16_t port_ = 0;
  bool close_on_accept_ = false;
  std::atomic<std::size_t> accepted_{0};
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::thread> connection_threads_;
  std::thread acceptor_;
};

// A port on 127.0.0.1 nobody listens on (bound, then closed: refused while it stays free).
inline std::uint16_t refused_port() {
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

}  // namespace till::connectors::testing
