// connectors/http_client.h — the blocking HTTP client connectors use to call processors.
//
// Callers are the payments blocking pool (up to 128 threads), each making one call at a time
// and waiting for it. Easy handles are pooled per origin (scheme://host:port) and reused, and
// each keeps its connection alive, so steady traffic to one processor runs over a few
// long-lived connections instead of a TCP (and TLS) handshake per call. Handles are never
// shared between threads at the same time: libcurl does not support one connection cache
// used by concurrent threads.
//
// What a caller must be able to tell apart is whether the processor may have acted:
//   - response:       an HTTP status arrived (any status);
//   - connect_failed: nothing was sent (refused, unreachable, name not resolved, connect
//                     timeout, TLS handshake failed): the processor cannot have acted;
//   - timeout:        the request was (at least partly) sent and the answer did not come in
//                     time: it may have acted;
//   - no_answer:      the request was sent and the connection closed or broke before a whole
//                     answer arrived (libcurl's GOT_NOTHING, RECV_ERROR, PARTIAL_FILE,
//                     SEND_ERROR, ...): the dropped-response case, it may have acted;
//   - invalid:        the request was refused here, before any connection (bad URL, a
//                     header with CR/LF): nothing was sent.
// The line between connect_failed and the rest is drawn by libcurl's pre-request callback,
// which runs once a connection is established (or reused) and the request is about to be
// written: whatever fails after it may have reached the processor, whatever libcurl error
// code it carries.
//
// libcurl silently re-sends a request on a fresh connection when a reused one dies before any
// answer byte, and nothing turns that off. The processor may have acted on the first
// transmission, so an answer then speaks for the last transmission only: `transmissions`
// counts them, and a caller must not take "nothing was processed" from an answer that came
// after a re-send (connectors turn it into unknown). Processors deduplicate by idempotency
// key, so the re-send itself never charges twice.
//
// Also: no redirects (a 3xx is just a status), no proxy from the environment, http(s) only,
// no content decoding, the response body read is capped (`truncated` says so), and every
// request carries a W3C `traceparent`: the caller's when well-formed, else a new one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace till::connectors {

enum class HttpMethod : std::uint8_t { get, post };

struct HttpRequest {
  HttpMethod method = HttpMethod::post;
  std::string url;  // http:// or https://, no user info
  // Extra headers. Content-Type: application/json is added for a POST; Host, Content-Length,
  // Connection, Transfer-Encoding, Expect and traceparent are the client's own.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;         // POST only: JSON
  std::string traceparent;  // the caller's W3C trace context; "" or malformed = start one
  std::chrono::milliseconds timeout{5000};          // whole call, connect included
  std::chrono::milliseconds connect_timeout{3000};  // capped at `timeout`
};

enum class HttpOutcome : std::uint8_t { response, connect_failed, timeout, no_answer, invalid };
std::string_view to_string(HttpOutcome outcome);

// True when the processor may have acted on the request (it was sent, or may have been).
inline bool may_have_been_processed(HttpOutcome outcome) {
  return outcome == HttpOutcome::response || outcome == HttpOutcome::timeout ||
         outcome == HttpOutcome::no_answer;
}

struct HttpResult {
  HttpOutcome outcome = HttpOutcome::invalid;
  int status = 0;          // outcome response
  std::string body;        // outcome response: up to HttpClientOptions::response_bytes_max
  bool truncated = false;  // the body was longer than the cap and was cut there
  // For operators: what failed ("connection refused", "timed out after 5000 ms"). Never
  // contains header values or the request body.
  std::string error;
  std::string traceparent;  // the value sent
  std::chrono::microseconds elapsed{0};
  bool new_connection = false;  // this call opened a connection (not a reused one)
  // Times the request was handed to a connection: 0 when nothing was sent, 2+ when libcurl
  // re-sent it after a kept-alive connection died unanswered (see the header comment).
  int transmissions = 0;
};

struct HttpClientOptions {
  std::size_t response_bytes_max = 1024 * 1024;
  // Idle easy handles (each with its kept-alive connections) kept per origin and in all.
  // Above these a returned handle is closed.
  std::size_t idle_handles_per_origin_max = 128;
  std::size_t idle_handles_max = 512;
  std::string user_agent = "Till-Connectors/1.0";
};

// Limits on a request; beyond them it is `invalid` without being sent.
inline constexpr std::size_t kHttpUrlBytesMax = 8 * 1024;
inline constexpr std::size_t kHttpBodyBytesMax = 1024 * 1024;
inline constexpr std::size_t kHttpHeadersMax = 32;
inline constexpr std::size_t kHttpHeaderBytesMax = 16 * 1024;  // extra headers, together
inline constexpr std::chrono::milliseconds kHttpTimeoutMax{10 * 60 * 1000};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  // Closes every idle handle and its connections. No call may be running.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Blocks until the answer, a failure or the timeout. Thread-safe.
  HttpResult send(const HttpRequest& request);

  std::size_t idle_handles() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The process-wide client connectors use unless given another: one pool for every account,
// so connections to a processor are reused across calls and across connector objects.
std::shared_ptr<HttpClient> shared_http_client();

// W3C Trace Context (https://www.w3.org/TR/trace-context/), version 00:
// "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", lower case, ids not all zero.
bool is_valid_traceparent(std::string_view value);
// A new trace: random 16-byte trace id and 8-byte span id (base/random.h), flags 01.
std::string new_traceparent();

}  // namespace till::connectors
