// api/server.h — Till's HTTP/1.1 server (Boost.Beast on C++20 coroutines).
//
// Owns the listening socket, the I/O threads and the blocking pool. Enforces the limits every
// public server needs: request-head and body size (431 / 413), a deadline for the request head
// (slow-loris), for the body, for idle keep-alive connections, and a cap on open connections.
// Graceful shutdown on SIGTERM/SIGINT: stop accepting, close idle connections, let in-flight
// requests finish (up to the grace period), then return from run(). Every response carries
// `Request-Id`; every request is counted in metrics and logged as one JSON line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/router.h"
#include "base/result.h"
#include "obs/metrics.h"

namespace till::api {

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 4242;  // 0 = any free port; bind() returns the one chosen
  int io_threads = 0;                // 0 = one per core
  int blocking_threads = 8;          // database and outbound work
  std::size_t header_limit_bytes = 16 * 1024;
  std::size_t body_limit_bytes = 1024 * 1024;
  std::int64_t header_timeout_ms = 10'000;
  std::int64_t body_timeout_ms = 30'000;
  std::int64_t idle_timeout_ms = 60'000;
  std::int64_t write_timeout_ms = 30'000;
  std::int64_t shutdown_grace_ms = 30'000;
  std::size_t connections_max = 16'384;
  bool handle_signals = true;  // SIGINT/SIGTERM start a graceful shutdown
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, obs::MetricsRegistry& registry);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the listening socket. Returns the bound port, or an error naming the address.
  Result<std::uint16_t> bind();
  // Serves until stop() or a signal, then drains in-flight requests. Call after bind().
  void run();
  // Starts a graceful shutdown; safe from any thread.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace till::api
