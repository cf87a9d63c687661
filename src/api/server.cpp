// The only translation unit that includes Boost.Beast/Asio (see api/http.h for why).
#include "api/server.h"

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cassert>
#include <chrono>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/errors.h"
#include "api/http_metrics.h"
#include "base/clock.h"
#include "base/ids.h"
#include "obs/log.h"

namespace till::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;

namespace {

constexpr std::size_t kFirstReadBytesMax = 4096;
constexpr auto kShutdownPollInterval = std::chrono::milliseconds(10);

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One client connection. Shared between its coroutine and the shutdown path, which closes it
// if it is idle; all access happens on the connection's own single-threaded io_context.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool idle = true;  // waiting for the first byte of a request
  std::string remote_address;
};

BeastResponse to_beast(const Response& response, unsigned version, bool keep_alive,
                       const std::string& request_id, bool head_only) {
  BeastResponse out{static_cast<http::status>(response.status), version};
  out.set(http::field::server, "till");
  out.set(http::field::content_type, response.content_type);
  out.set("Request-Id", request_id);
  for (const auto& [name, value] : response.headers) out.set(name, value);
  out.keep_alive(keep_alive);
  out.body() = response.body;
  out.prepare_payload();
  if (head_only) out.body().clear();  // Content-Length keeps the GET body's size
  return out;
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router, obs::MetricsRegistry& registry)
      : options_(std::move(options)),
        router_(router),
        metrics_(registry, router),
        io_threads_(options_.io_threads > 0
                        ? options_.io_threads
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
        io_contexts_(make_io_contexts(io_threads_)),
        io_context_(*io_contexts_.front()),
        blocking_pool_(static_cast<std::size_t>(std::max(1, options_.blocking_threads))),
        acceptor_(io_context_),
        signals_(io_context_),
        shutdown_timer_(io_context_) {
    assert(options_.header_limit_bytes > 0 && options_.body_limit_bytes > 0);
    assert(options_.connections_max > 0);
  }

  ~Impl() { blocking_pool_.join(); }

  Result<std::uint16_t> bind() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(options_.listen_host, ec);
    if (ec) {
      return fail("listen_address_invalid",
                  "cannot listen on '" + options_.listen_host + "': not an IP address");
    }
    const tcp::endpoint endpoint(address, options_.listen_port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return fail("listen_failed", "cannot listen on " + options_.listen_host + ":" +
                                       std::to_string(options_.listen_port) + ": " + ec.message());
    }
    // Signals are taken over here, not in run(): callers announce the port as soon as bind()
    // returns, and a SIGINT/SIGTERM sent on seeing that must already find the handler (asio
    // keeps a signal that arrives before run() and delivers it then), not kill the process.
    if (options_.handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
    }
    return acceptor_.local_endpoint().port();
  }

  void run() {
    assert(acceptor_.is_open());
    if (options_.handle_signals) wait_for_signal();
    asio::co_spawn(io_context_, accept_loop(), asio::detached);
    // Each I/O thread runs its own io_context: a connection lives on one thread, so its
    // coroutine needs no strand and its data stays in one core's cache. The guards keep
    // contexts with no connections yet from returning; stop_all() ends them.
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& context : io_contexts_) guards.push_back(asio::make_work_guard(*context));
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < io_contexts_.size(); ++i) {
      threads.emplace_back([context = io_contexts_[i].get()] { context->run(); });
    }
    io_context_.run();
    for (auto& thread : threads) thread.join();
    blocking_pool_.join();  // blocking work (commits) finishes before run() returns
    obs::info("server stopped", {{"connections_open", connections_open_.load()}});
  }

  static std::vector<std::unique_ptr<asio::io_context>> make_io_contexts(int count) {
    assert(count > 0);
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    contexts.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
    return contexts;
  }

  // Round-robin placement of new connections over the I/O threads.
  asio::io_context& next_io_context() {
    asio::io_context& context = *io_contexts_[next_io_context_index_];
    next_io_context_index_ = (next_io_context_index_ + 1) % io_contexts_.size();
    return context;
  }

  void stop_all() {
    for (auto& context : io_contexts_) context->stop();
  }

  void stop() {
    asio::post(io_context_, [this] { begin_shutdown("stop requested"); });
  }

 private:
  void wait_for_signal() {
    signals_.async_wait([this](const beast::error_code& ec, int signal_number) {
      if (ec) return;
      if (stopping_) {
        obs::warn("second signal: stopping without waiting for in-flight requests",
                  {{"signal", signal_number}});
        stop_all();
        return;
      }
      begin_shutdown(signal_number == SIGINT ? "SIGINT" : "SIGTERM");
      wait_for_signal();
    });
  }

  void begin_shutdown(std::string_view reason) {
    if (stopping_.exchange(true)) return;
    obs::info("shutting down", {{"reason", reason},
                                {"connections_open", connections_open_.load()},
                                {"grace_ms", options_.shutdown_grace_ms}});
    beast::error_code ignored;
    acceptor_.close(ignored);
    close_idle_connections();
    shutdown_deadline_ =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
    poll_drained();
  }

  void close_idle_connections() {
    std::lock_guard lock(connections_mutex_);
    for (const auto& [key, weak] : connections_) {
      if (auto connection = weak.lock()) {
        asio::post(connection->stream.get_executor(), [connection] {
          if (connection->idle) {
            beast::error_code ignored;
            connection->stream.socket().close(ignored);
          }
        });
      }
    }
  }

  void poll_drained() {
    if (connections_open_.load() == 0 || std::chrono::steady_clock::now() >= shutdown_deadline_) {
      if (connections_open_.load() > 0) {
        obs::warn("grace period over; closing connections with requests in flight",
                  {{"connections_open", connections_open_.load()}});
      }
      stop_all();
      return;
    }
    shutdown_timer_.expires_after(kShutdownPollInterval);
    shutdown_timer_.async_wait([this](const beast::error_code& ec) {
      if (!ec) poll_drained();
    });
  }

  asio::awaitable<void> accept_loop() {
    while (!stopping_) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(
          next_io_context(), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) break;
        // EMFILE and friends: log, pause briefly so a full fd table does not spin the CPU.
        obs::warn("accept failed", {{"error", ec.message()}});
        asio::steady_timer pause(io_context_, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (connections_open_.load() >= options_.connections_max) {
        metrics_.connections_rejected().increment();
        socket.close(ec);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto connection = std::make_shared<Connection>(std::move(socket));
      const auto remote = connection->stream.socket().remote_endpoint(ec);
      if (!ec) connection->remote_address = remote.address().to_string();
      register_connection(connection);
      asio::co_spawn(connection->stream.get_executor(), serve_connection(connection),
                     asio::detached);
    }
  }

  void register_connection(const std::shared_ptr<Connection>& connection) {
    connections_open_.fetch_add(1);
    std::lock_guard lock(connections_mutex_);
    connections_.emplace(connection.get(), connection);
  }

  void unregister_connection(const Connection* connection) {
    {
      std::lock_guard lock(connections_mutex_);
      connections_.erase(connection);
    }
    connections_open_.fetch_sub(1);
  }

  asio::awaitable<void> serve_connection(std::shared_ptr<Connection> connection) {
    beast::flat_buffer buffer;
    while (!stopping_ || !connection->idle) {
      if (!co_await wait_for_request(*connection, buffer)) break;
      const bool keep_going = co_await serve_one_request(*connection, buffer);
      connection->idle = true;
      if (!keep_going) break;
    }
    beast::error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    connection->stream.socket().close(ignored);
    unregister_connection(connection.get());
  }

  // Waits up to the idle timeout for the first byte of the next request. Separating this wait
  // from reading the head lets idle keep-alive connections live long while a client that
  // starts a request must finish its head within header_timeout (the slow-loris defence).
  asio::awaitable<bool> wait_for_request(Connection& connection, beast::flat_buffer& buffer) {
    if (buffer.size() > 0) {
      connection.idle = false;  // pipelined bytes already buffered
      co_return true;
    }
    if (stopping_) co_return false;
    connection.idle = true;
    connection.stream.expires_after(std::chrono::milliseconds(options_.idle_timeout_ms));
    beast::error_code ec;
    const std::size_t bytes = co_await connection.stream.async_read_some(
        buffer.prepare(kFirstReadBytesMax), asio::redirect_error(asio::use_awaitable, ec));
    connection.idle = false;
    if (ec) co_return false;  // closed by the peer, idle timeout or shutdown
    buffer.commit(bytes);
    co_return true;
  }

  // Reads, handles and answers one request. Returns whether the connection stays open.
  asio::awaitable<bool> serve_one_request(Connection& connection, beast::flat_buffer& buffer) {
    const std::string request_id = new_id("req", SystemClock::instance());
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.header_limit_bytes));
    parser.body_limit(options_.body_limit_bytes);

    beast::error_code ec;
    connection.stream.expires_after(std::chrono::milliseconds(options_.header_timeout_ms));
    co_await http::async_read_header(connection.stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      if (iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        co_await http::async_write(connection.stream, go_on,
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!ec) {
        connection.stream.expires_after(std::chrono::milliseconds(options_.body_timeout_ms));
        co_await http::async_read(connection.stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    if (ec) {
      if (co_await answer_read_error(connection, ec, request_id))
        co_await drain_before_close(connection);
      co_return false;
    }

    BeastRequest beast_request = parser.release();
    const std::int64_t started_ns = steady_now_ns();
    metrics_.in_flight().add(1);
    Request request = to_request(beast_request, request_id, connection.remote_address);
    const auto match = router_.match(request.method, request.path);
    const Route* route = match ? match->route : nullptr;
    if (match) request.path_params = match->params;
    Response response = co_await dispatch(route, request);
    if (response.drop_connection) {
      // Nothing is written: the caller closes the socket (see Response::drop_connection).
      metrics_.in_flight().add(-1);
      metrics_.record(route, request.method, response.status, steady_now_ns() - started_ns);
      obs::info("http request dropped unanswered",
                {{"request_id", request.request_id}, {"path", request.path}});
      co_return false;
    }
    const bool keep_alive = beast_request.keep_alive() && !stopping_;
    BeastResponse beast_response = to_beast(response, beast_request.version(), keep_alive,
                                            request_id, request.method == "HEAD");
    // Recorded before the write, so a client that has our response can already see the
    // request in /metrics (and a slow reader does not inflate handler latency).
    const std::int64_t latency_ns = steady_now_ns() - started_ns;
    metrics_.in_flight().add(-1);
    metrics_.record(route, request.method, response.status, latency_ns);
    connection.stream.expires_after(std::chrono::milliseconds(options_.write_timeout_ms));
    co_await http::async_write(connection.stream, beast_response,
                               asio::redirect_error(asio::use_awaitable, ec));
    log_request(request, route, response.status, latency_ns, ec);
    co_return !ec && keep_alive;
  }

  static Request to_request(const BeastRequest& beast_request, const std::string& request_id,
                            const std::string& remote_address) {
    Request request;
    request.method = beast_request.method_string();
    request.target = beast_request.target();
    const auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string_view::npos) request.query = request.target.substr(question + 1);
    request.body = beast_request.body();
    request.headers.reserve(16);
    for (const auto& field : beast_request) {
      request.headers.emplace_back(field.name_string(), field.value());
    }
    request.request_id = request_id;
    request.remote_address = remote_address;
    return request;
  }

  asio::awaitable<Response> dispatch(const Route* route, Request& request) {
    if (route == nullptr) co_return error_response(unrecognized_url(request.method, request.path));
    if (route->execution == Execution::io_thread) co_return invoke(*route, request);
    // Blocking work runs on its own pool; the coroutine resumes on the connection's thread.
    co_return co_await asio::co_spawn(
        blocking_pool_,
        [route, &request]() -> asio::awaitable<Response> { co_return invoke(*route, request); },
        asio::use_awaitable);
  }

  // Handlers return expected failures as responses; an exception is a bug. The server answers
  // 500 and keeps serving others.
  static Response invoke(const Route& route, Request& request) {
    try {
      return route.handler(request);
    } catch (const std::exception& exception) {
      obs::error("handler threw", {{"request_id", request.request_id},
                                   {"route", route.pattern},
                                   {"exception", exception.what()}});
    } catch (...) {
      obs::error("handler threw a non-standard exception",
                 {{"request_id", request.request_id}, {"route", route.pattern}});
    }
    return error_response(internal_error());
  }

  // After an error answer the client may still be sending (a 413 body). Closing a socket with
  // unread input makes the kernel send RST, which can destroy our answer before the client
  // reads it; so stop sending, then read and discard for a bounded time and size, then close.
  asio::awaitable<void> drain_before_close(Connection& connection) {
    constexpr std::size_t kDrainBytesMax = 1024 * 1024;
    constexpr auto kDrainTime = std::chrono::milliseconds(1000);
    beast::error_code ec;
    connection.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    connection.stream.expires_after(kDrainTime);
    std::array<char, 4096> discard{};
    std::size_t drained = 0;
    while (!ec && drained < kDrainBytesMax) {
      drained += co_await connection.stream.async_read_some(
          asio::buffer(discard), asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Answers what can be answered after a failed read (431, 413, 400) and logs the rest.
  // Returns whether an answer was sent.
  asio::awaitable<bool> answer_read_error(Connection& connection,
                                          const beast::error_code& read_error,
                                          const std::string& request_id) {
    std::optional<ApiError> answer;
    if (read_error == http::error::header_limit) {
      answer = headers_too_large(options_.header_limit_bytes);
    } else if (read_error == http::error::body_limit) {
      answer = body_too_large(options_.body_limit_bytes);
    } else if (read_error.category() == beast::error_code(http::error::header_limit).category() &&
               read_error != http::error::end_of_stream &&
               read_error != http::error::partial_message) {
      answer = malformed_request(read_error.message());
    }
    if (!answer) {
      if (read_error == beast::error::timeout) {
        obs::info("connection closed: request not received in time",
                  {{"request_id", request_id}, {"remote", connection.remote_address}});
      }
      co_return false;
    }
    const Response response = error_response(*answer);
    BeastResponse beast_response = to_beast(response, 11, false, request_id, false);
    metrics_.record(nullptr, "other", response.status, 0);
    beast::error_code ec;
    connection.stream.expires_after(std::chrono::milliseconds(options_.write_timeout_ms));
    co_await http::async_write(connection.stream, beast_response,
                               asio::redirect_error(asio::use_awaitable, ec));
    obs::info("request rejected", {{"request_id", request_id},
                                   {"status", response.status},
                                   {"code", answer->code},
                                   {"remote", connection.remote_address}});
    co_return !ec;
  }

  static void log_request(const Request& request, const Route* route, unsigned status,
                          std::int64_t latency_ns, const beast::error_code& write_error) {
    // The path is logged without its query string (it may carry personal data); headers and
    // bodies are never logged. Checked first: building the fields allocates, per request.
    if (!obs::log_enabled(obs::LogLevel::info)) return;
    const double latency_ms = static_cast<double>(latency_ns) / 1e6;
    obs::info("http request", {{"request_id", request.request_id},
                               {"method", request.method},
                               {"path", request.path},
                               {"route", route != nullptr ? std::string_view(route->pattern)
                                                          : std::string_view("unmatched")},
                               {"status", status},
                               {"latency_ms", latency_ms},
                               {"remote", request.remote_address},
                               {"write_error", write_error ? write_error.message() : ""}});
  }

  ServerOptions options_;
  const Router& router_;
  HttpMetrics metrics_;
  int io_threads_;
  std::vector<std::unique_ptr<asio::io_context>> io_contexts_;
  asio::io_context& io_context_;           // the first one: acceptor, signals, shutdown timer
  std::size_t next_io_context_index_ = 0;  // used by the accept loop only
  asio::thread_pool blocking_pool_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer shutdown_timer_;
  std::chrono::steady_clock::time_point shutdown_deadline_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_open_{0};
  std::mutex connections_mutex_;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> connections_;
};

Server::Server(ServerOptions options, const Router& router, obs::MetricsRegistry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), router, registry)) {}

Server::~Server() = default;

Result<std::uint16_t> Server::bind() { return impl_->bind(); }

void Server::run() { impl_->run(); }

void Server::stop() { impl_->stop(); }

}  // namespace till::api
