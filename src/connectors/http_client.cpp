// connectors/http_client.cpp — curl_easy_perform over pooled handles, and the rule that turns
// libcurl's result into "nothing sent" or "may have been processed".
#include "connectors/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/http_header.h"
#include "base/random.h"

namespace till::connectors {

namespace {

constexpr long kMaxConnectsPerHandle = 4;  // idle connections one handle keeps
// Connections idle longer than this are not reused: a processor's load balancer may have
// dropped them already, and a request on a dead connection costs a silent re-send.
constexpr long kConnectionMaxAgeIdleS = 30;
constexpr long kKeepAliveIdleS = 30;
constexpr long kKeepAliveIntervalS = 15;
constexpr std::size_t kUserAgentBytesMax = 256;
constexpr std::size_t kTraceIdBytes = 16;
constexpr std::size_t kSpanIdBytes = 8;

std::once_flag curl_initialized;

void initialize_curl_once() {
  std::call_once(curl_initialized, [] {
    // Start-up failure: nothing can be sent without it.
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

template <class Value>
void set_fixed(CURL* easy, CURLoption option, Value value) {
  if (curl_easy_setopt(easy, option, value) != CURLE_OK) {
    throw std::runtime_error("curl_easy_setopt failed for option " + std::to_string(option));
  }
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool is_client_owned(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kOwned = {
      "content-type", "content-length", "transfer-encoding", "host",
      "connection",   "expect",         "traceparent"};
  return std::any_of(kOwned.begin(), kOwned.end(),
                     [&](std::string_view owned) { return iequals(name, owned); });
}

// scheme://authority, lower-cased: the key under which idle handles (and their connections)
// wait. Only a hint for reuse: curl itself decides whether a kept connection fits.
std::string origin_of(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const std::size_t authority_end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin(url.substr(0, authority_end));
  for (char& c : origin) c = lower(c);
  return origin;
}

// Nothing here quotes the URL or a header value: a message may reach logs.
std::optional<std::string> refusal(const HttpRequest& request) {
  const std::string_view url = request.url;
  if (!istarts_with(url, "http://") && !istarts_with(url, "https://")) {
    return "URL scheme must be http or https";
  }
  if (url.size() > kHttpUrlBytesMax) return "URL too long";
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "URL contains a space or a control character";
    }
  }
  const std::string origin = origin_of(url);
  if (origin.find('@') != std::string::npos) return "URL must not carry user info";
  if (origin.size() <= url.find("://") + 3) return "URL has no host";
  if (request.method == HttpMethod::get && !request.body.empty()) return "GET with a body";
  if (request.body.size() > kHttpBodyBytesMax) return "request body too large";
  if (request.timeout.count() < 1 || request.timeout > kHttpTimeoutMax) {
    return "timeout out of range";
  }
  if (request.connect_timeout.count() < 1) return "connect timeout out of range";
  if (request.headers.size() > kHttpHeadersMax) return "too many headers";
  std::size_t header_bytes = 0;
  for (std::size_t i = 0; i < request.headers.size(); ++i) {
    const auto& [name, value] = request.headers[i];
    header_bytes += name.size() + value.size();
    if (!is_header_name(name) || !is_header_value(value)) {
      return "header #" + std::to_string(i) + " is malformed";
    }
    if (is_client_owned(name)) return "header " + name + " is set by the client";
  }
  if (header_bytes > kHttpHeaderBytesMax) return "headers too large";
  return std::nullopt;
}

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

std::string random_hex(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<std::uint8_t, kTraceIdBytes> raw{};
  assert(bytes <= raw.size());
  std::string hex;
  // An all-zero id is invalid (W3C); with 64+ random bits this loop runs once.
  do {
    random_bytes(std::span<std::uint8_t>(raw.data(), bytes));
    hex.clear();
    for (std::size_t i = 0; i < bytes; ++i) {
      hex.push_back(kHex[raw[i] >> 4]);
      hex.push_back(kHex[raw[i] & 0x0f]);
    }
  } while (all_zero(hex));
  return hex;
}

// What one call needs from the callbacks.
struct CallState {
  std::string* body = nullptr;
  std::size_t body_max = 0;
  bool truncated = false;
  // Times the pre-request callback ran: the request was handed to a connection this often
  // (more than once when libcurl re-sent it after a reused connection died unanswered).
  int transmissions = 0;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& state = *static_cast<CallState*>(user);
  const std::size_t bytes = size * count;
  assert(state.body->size() <= state.body_max);
  const std::size_t room = state.body_max - state.body->size();
  const std::size_t taken = std::min(bytes, room);
  state.body->append(data, taken);
  // Returning less than `bytes` makes curl abort with CURLE_WRITE_ERROR; the status line was
  // already read, so the result is still a response (marked truncated).
  if (taken < bytes) state.truncated = true;
  return taken;
}

// Runs once a connection is established or reused, right before the request is written.
int on_prerequest(void* user, char*, char*, int, int) {
  ++static_cast<CallState*>(user)->transmissions;
  return CURL_PREREQFUNC_OK;
}

struct Handle {
  CURL* easy = nullptr;
  std::array<char, CURL_ERROR_SIZE> error{};
};

}  // namespace

std::string_view to_string(HttpOutcome outcome) {
  switch (outcome) {
    case HttpOutcome::response:
      return "response";
    case HttpOutcome::connect_failed:
      return "connect_failed";
    case HttpOutcome::timeout:
      return "timeout";
    case HttpOutcome::no_answer:
      return "no_answer";
    case HttpOutcome::invalid:
      return "invalid";
  }
  assert(false && "unknown HttpOutcome");
  return "invalid";
}

bool is_valid_traceparent(std::string_view value) {
  // 00-<32>-<16>-<2>: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
  if (value.size() != 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') {
    return false;
  }
  const std::string_view version = value.substr(0, 2);
  const std::string_view trace_id = value.substr(3, 32);
  const std::string_view parent_id = value.substr(36, 16);
  const std::string_view flags = value.substr(53, 2);
  return version == "00" && is_lower_hex(trace_id) && is_lower_hex(parent_id) &&
         is_lower_hex(flags) && !all_zero(trace_id) && !all_zero(parent_id);
}

std::string new_traceparent() {
  return "00-" + random_hex(kTraceIdBytes) + "-" + random_hex(kSpanIdBytes) + "-01";
}

class HttpClient::Impl {
 public:
  explicit Impl(HttpClientOptions options) : options_(std::move(options)) {
    assert(options_.response_bytes_max >= 1);
    assert(options_.user_agent.size() <= kUserAgentBytesMax &&
           is_header_value(options_.user_agent));
    initialize_curl_once();
  }

  ~Impl() {
    for (auto& [origin, handles] : idle_) {
      for (Handle* handle : handles) close(handle);
    }
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  HttpResult send(const HttpRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    HttpResult result;
    result.traceparent =
        is_valid_traceparent(request.traceparent) ? request.traceparent : new_traceparent();
    if (auto refused = refusal(request)) {
      result.outcome = HttpOutcome::invalid;
      result.error = std::move(*refused);
      return result;
    }
    const std::string origin = origin_of(request.url);
    Handle* handle = acquire(origin);
    perform(*handle, request, result);
    release(origin, handle);
    result.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    return result;
  }

  std::size_t idle_handles() const {
    std::lock_guard lock(mutex_);
    return idle_count_;
  }

 private:
  Handle* acquire(const std::string& origin) {
    {
      std::lock_guard lock(mutex_);
      const auto found = idle_.find(origin);
      if (found != idle_.end() && !found->second.empty()) {
        // Most recently used first: its connection is the likeliest to be alive.
        Handle* handle = found->second.back();
        found->second.pop_back();
        --idle_count_;
        return handle;
      }
    }
    return open();
  }

  void release(const std::string& origin, Handle* handle) {
    {
      std::lock_guard lock(mutex_);
      std::vector<Handle*>& handles = idle_[origin];
      if (handles.size() < options_.idle_handles_per_origin_max &&
          idle_count_ < options_.idle_handles_max) {
        handles.push_back(handle);
        ++idle_count_;
        return;
      }
    }
    close(handle);
  }

  Handle* open() const {
    auto handle = std::make_unique<Handle>();
    handle->easy = curl_easy_init();
    if (handle->easy == nullptr) throw std::runtime_error("curl_easy_init failed");
    CURL* easy = handle->easy;
    set_fixed(easy, CURLOPT_ERRORBUFFER, handle->error.data());
    set_fixed(easy, CURLOPT_NOSIGNAL, 1L);
    set_fixed(easy, CURLOPT_FOLLOWLOCATION, 0L);
    set_fixed(easy, CURLOPT_PROXY, "");  // never a proxy from the environment
    set_fixed(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    set_fixed(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    set_fixed(easy, CURLOPT_TCP_NODELAY, 1L);
    set_fixed(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    set_fixed(easy, CURLOPT_TCP_KEEPIDLE, kKeepAliveIdleS);
    set_fixed(easy, CURLOPT_TCP_KEEPINTVL, kKeepAliveIntervalS);
    set_fixed(easy, CURLOPT_MAXCONNECTS, kMaxConnectsPerHandle);
    set_fixed(easy, CURLOPT_MAXAGE_CONN, kConnectionMaxAgeIdleS);
    set_fixed(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    set_fixed(easy, CURLOPT_WRITEFUNCTION, &on_body);
    set_fixed(easy, CURLOPT_PREREQFUNCTION, &on_prerequest);
    return handle.release();
  }

  static void close(Handle* handle) {
    curl_easy_cleanup(handle->easy);
    delete handle;
  }

  void perform(Handle& handle, const HttpRequest& request, HttpResult& result) const {
    CURL* easy = handle.easy;
    CallState state;
    state.body = &result.body;
    state.body_max = options_.response_bytes_max;
    handle.error[0] = '\0';

    curl_slist* headers = nullptr;
    const std::string traceparent_line = "traceparent: " + result.traceparent;
    std::vector<std::string> lines;
    lines.reserve(request.headers.size());
    for (const auto& [name, value] : request.headers) {
      // curl drops "Name:" followed by only blanks; "Name;" is its spelling of an empty value.
      const bool blank = value.find_first_not_of(" \t") == std::string::npos;
      lines.push_back(blank ? name + ";" : name + ": " + value);
    }
    headers = curl_slist_append(headers, traceparent_line.c_str());
    // "Expect:" with nothing after it removes curl's Expect: 100-continue (a wasted round trip).
    headers = curl_slist_append(headers, "Expect:");
    if (request.method == HttpMethod::post) {
      headers = curl_slist_append(headers, "Content-Type: application/json");
    }
    for (const std::string& line : lines) headers = curl_slist_append(headers, line.c_str());
    if (headers == nullptr) throw std::bad_alloc();

    const long timeout_ms = static_cast<long>(request.timeout.count());
    const long connect_ms =
        static_cast<long>(std::min(request.connect_timeout, request.timeout).count());
    bool set = curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str()) == CURLE_OK &&
               curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
               curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
               curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) == CURLE_OK &&
               curl_easy_setopt(easy, CURLOPT_WRITEDATA, &state) == CURLE_OK &&
               curl_easy_setopt(easy, CURLOPT_PREREQDATA, &state) == CURLE_OK;
    if (request.method == HttpMethod::get) {
      set = set && curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    } else {
      set = set && curl_easy_setopt(easy, CURLOPT_POST, 1L) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size())) == CURLE_OK &&
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data()) == CURLE_OK;
    }
    CURLcode code = CURLE_FAILED_INIT;
    if (set) code = curl_easy_perform(easy);
    // The handle goes back to the pool: it must not keep pointers into this call's buffers.
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, nullptr);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, nullptr);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, nullptr);
    curl_slist_free_all(headers);

    long connects = 0;
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
    result.new_connection = connects > 0;
    classify(handle, code, state, request, result);
  }

  static void classify(const Handle& handle, CURLcode code, const CallState& state,
                       const HttpRequest& request, HttpResult& result) {
    result.transmissions = state.transmissions;
    const std::string detail =
        handle.error[0] != '\0' ? std::string(handle.error.data()) : curl_easy_strerror(code);
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && state.truncated)) {
      long status = 0;
      curl_easy_getinfo(handle.easy, CURLINFO_RESPONSE_CODE, &status);
      result.outcome = HttpOutcome::response;
      result.status = static_cast<int>(status);
      result.truncated = state.truncated;
      if (state.truncated) result.error = "response body cut at the size limit";
      return;
    }
    result.body.clear();
    if (state.transmissions == 0) {
      // No connection was ever ready to carry the request: nothing left this process.
      result.outcome = HttpOutcome::connect_failed;
      result.error = code == CURLE_OPERATION_TIMEDOUT
                         ? "connect timed out (nothing sent): " + detail
                         : "could not connect (nothing sent): " + detail;
      return;
    }
    if (code == CURLE_OPERATION_TIMEDOUT) {
      result.outcome = HttpOutcome::timeout;
      result.error = "no answer within " + std::to_string(request.timeout.count()) +
                     " ms (request sent): " + detail;
      return;
    }
    // GOT_NOTHING, RECV_ERROR, PARTIAL_FILE, SEND_ERROR, WEIRD_SERVER_REPLY, a failed re-send
    // after a dead reused connection (COULDNT_CONNECT)...: all after the request may have left.
    result.outcome = HttpOutcome::no_answer;
    result.error = "connection failed before a complete answer (request sent): " + detail;
  }

  HttpClientOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<Handle*>> idle_;
  std::size_t idle_count_ = 0;
};

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

HttpResult HttpClient::send(const HttpRequest& request) { return impl_->send(request); }

std::size_t HttpClient::idle_handles() const { return impl_->idle_handles(); }

std::shared_ptr<HttpClient> shared_http_client() {
  static const std::shared_ptr<HttpClient> client = std::make_shared<HttpClient>();
  return client;
}

}  // namespace till::connectors
