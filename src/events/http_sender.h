// events/http_sender.h — concurrent outbound HTTP POSTs for webhook delivery (libcurl multi).
//
// One background thread drives one CURLM with the socket interface (epoll), so the cost of a
// wake-up is the sockets that are ready, not the number of transfers. Easy handles are pooled
// and keep their fixed options; connections are kept alive and reused (HTTP/1.1).
//
// Safety for merchant-chosen URLs:
//   - every socket's address is classified just before it connects (address_guard.h) and
//     refused unless the request's AddressPolicy permits it; checking the connected address,
//     not the name, defeats DNS rebinding;
//   - connections are pooled per policy (one CURLSH connection cache each), so a connection
//     opened for an allow_private (test-mode) request is never reused by a public_only one;
//   - no redirects (a 3xx is just a status), no proxy from the environment, http(s) only
//     (https only when `https_only`), no content decoding (the body is counted as it comes,
//     so a compressed bomb cannot inflate), and the response body read is capped.
//
// Results come back in completion order, each exactly once, tagged with the caller's tag.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/address_guard.h"

namespace till::events {

struct OutboundRequest {
  std::uint64_t tag = 0;  // the caller's identifier, echoed in the result
  std::string url;        // http:// or https:// (anything else is protocol_refused)
  std::string body;       // POSTed as Content-Type: application/json
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  AddressPolicy policy = AddressPolicy::public_only;
  bool https_only = true;            // live mode: refuse plain http
  std::int64_t timeout_ms = 10'000;  // whole transfer, connect included
};

enum class SendOutcome {
  response,          // an HTTP status arrived (any status, 3xx and 5xx included)
  timeout,           // timeout_ms passed first
  connect_failed,    // name not resolved, connection refused or unreachable
  blocked_address,   // the policy refused an address and no other connected; `error` names it
  tls_failed,        // handshake or certificate verification failed
  protocol_refused,  // not http(s), or http for an https_only request
  failed,            // anything else, including a request refused before sending
};

std::string_view to_string(SendOutcome outcome);

struct SendResult {
  std::uint64_t tag = 0;
  SendOutcome outcome = SendOutcome::failed;
  int status_code = 0;       // the HTTP status when outcome is response, else 0
  std::string body_excerpt;  // first SenderOptions::excerpt_bytes of the response body
  // For operators, e.g. "address 10.0.0.1 is private_network". Never contains the request
  // body or header values.
  std::string error;
  std::int64_t duration_ns = 0;  // from the transfer's start (not its wait in the queue)
};

struct SenderOptions {
  // Transfers running at once (more wait in a queue), and idle connections kept per policy.
  std::size_t connections_max = 256;
  // Read at most this much of a response body: a longer one is cut off there (the
  // connection is closed) and still reported as outcome response with its status; `error`
  // says it was cut.
  std::size_t response_bytes_max = 64 * 1024;
  std::size_t excerpt_bytes = 256;  // at most response_bytes_max
  std::string user_agent = "Till-Webhooks/1.0";
};

// Limits on what a request may carry; a request beyond them fails without being sent.
inline constexpr std::size_t kSenderUrlBytesMax = 8 * 1024;
inline constexpr std::size_t kSenderBodyBytesMax = 16 * 1024 * 1024;
inline constexpr std::size_t kSenderHeadersMax = 32;
inline constexpr std::size_t kSenderHeaderBytesMax = 16 * 1024;  // extra headers, together
inline constexpr std::int64_t kSenderTimeoutMsMax = 10 * 60 * 1000;
// Requests waiting for a transfer slot. The caller bounds its own backlog far below this;
// reaching it is a bug in the caller (asserted), not a load condition.
inline constexpr std::size_t kSenderQueuedMax = 1'000'000;

class HttpSender {
 public:
  // Starts the thread. Options are asserted (connections_max in 1..65536, excerpt_bytes <=
  // response_bytes_max, a user agent without control characters).
  explicit HttpSender(SenderOptions options);
  // Stops the thread; transfers in flight or queued are abandoned without results.
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  // Queues the requests and wakes the thread; never waits for I/O.
  void submit(std::vector<OutboundRequest> requests);
  // Waits up to `wait` for at least one result, then returns every result ready (possibly
  // none).
  std::vector<SendResult> take_results(std::chrono::milliseconds wait);
  // Requests submitted whose results are not yet ready (queued or being sent).
  std::size_t in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace till::events
