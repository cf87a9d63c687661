// events/http_sender.cpp — the sender thread: an epoll loop around curl_multi_socket_action,
// a pool of easy handles with their fixed options set once, and the open-socket hook that
// applies the address policy.
#include "events/http_sender.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "base/http_header.h"

namespace till::events {

namespace {

constexpr std::size_t kConnectionsMaxLimit = 65'536;
constexpr std::size_t kUserAgentBytesMax = 256;
constexpr int kEpollEventsMax = 256;
// The loop wakes at least this often even with no timer, as a backstop for a lost wake-up.
constexpr std::int64_t kIdleWaitMsMax = 1'000;
constexpr long kKeepAliveIdleS = 60;
constexpr long kKeepAliveIntervalS = 30;

// Marks a socket as registered with epoll (curl_multi_assign needs a non-null pointer).
char socket_registered_marker = 0;

std::once_flag curl_initialized;

void initialize_curl_once() {
  std::call_once(curl_initialized, [] {
    // Start-up failure: nothing can be sent without it.
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Options fixed at start-up; failing to set one is a bug (or a libcurl without the feature).
template <class Value>
void set_fixed(CURL* easy, CURLoption option, Value value) {
  if (curl_easy_setopt(easy, option, value) != CURLE_OK) {
    throw std::runtime_error("curl_easy_setopt failed for option " + std::to_string(option));
  }
}

template <class Value>
void set_multi(CURLM* multi, CURLMoption option, Value value) {
  if (curl_multi_setopt(multi, option, value) != CURLM_OK) {
    throw std::runtime_error("curl_multi_setopt failed for option " + std::to_string(option));
  }
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char a = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && iequals_prefix(a, b);
}

// Headers that frame the message or that the sender sets itself.
bool is_sender_owned(std::string_view name) {
  static constexpr std::array<std::string_view, 6> kOwned = {
      "content-type", "content-length", "transfer-encoding", "host", "connection", "expect"};
  return std::any_of(kOwned.begin(), kOwned.end(),
                     [&](std::string_view owned) { return iequals(name, owned); });
}

bool is_tls_error(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

std::size_t policy_index(AddressPolicy policy) {
  return policy == AddressPolicy::public_only ? 0 : 1;
}

// One pooled easy handle and the request it is carrying. The handle keeps its fixed options
// for its whole life; the buffers keep their capacity between requests.
struct Transfer {
  CURL* easy = nullptr;
  const SenderOptions* options = nullptr;
  OutboundRequest request;  // owns the URL and body while curl reads them
  std::string header_text;  // "Name: value\0" for every header, in order
  std::vector<std::size_t> header_offsets;
  std::vector<curl_slist> header_nodes;       // point into header_text; curl only reads them
  std::optional<AddressPolicy> share_policy;  // which connection pool the handle is bound to
  std::string excerpt;
  std::size_t received_bytes = 0;
  bool cut = false;
  std::optional<AddressClass> blocked_class;  // set when the policy refused a socket
  std::array<char, INET6_ADDRSTRLEN> blocked_address{};
  std::int64_t started_ns = 0;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  void reset_for(OutboundRequest&& next) {
    request = std::move(next);
    excerpt.clear();
    received_bytes = 0;
    cut = false;
    blocked_class.reset();
    blocked_address[0] = '\0';
    error_buffer[0] = '\0';
  }
};

// curl's write callback: keeps the excerpt and cuts the body at response_bytes_max.
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const SenderOptions& options = *transfer.options;
  const std::size_t bytes = size * count;
  assert(transfer.received_bytes <= options.response_bytes_max);
  const std::size_t room = options.response_bytes_max - transfer.received_bytes;
  const std::size_t taken = std::min(bytes, room);
  const std::size_t excerpt_room = options.excerpt_bytes - transfer.excerpt.size();
  transfer.excerpt.append(data, std::min(taken, excerpt_room));
  transfer.received_bytes += taken;
  // Returning less than `bytes` makes curl abort with CURLE_WRITE_ERROR; the status line was
  // already read, so the result is still a response.
  if (taken < bytes) transfer.cut = true;
  return taken;
}

// Writes the text form of an address the open-socket callback saw (`whole`: its length
// covers the family's sockaddr).
void format_address(const curl_sockaddr& address, bool whole,
                    std::array<char, INET6_ADDRSTRLEN>& out) {
  std::array<char, sizeof(sockaddr_in6)> raw{};
  const void* ip = nullptr;
  if (whole && address.family == AF_INET) {
    std::memcpy(raw.data(), &address.addr, sizeof(sockaddr_in));
    ip = raw.data() + offsetof(sockaddr_in, sin_addr);
  } else if (whole && address.family == AF_INET6) {
    std::memcpy(raw.data(), &address.addr, sizeof(sockaddr_in6));
    ip = raw.data() + offsetof(sockaddr_in6, sin6_addr);
  }
  if (ip == nullptr ||
      inet_ntop(address.family, ip, out.data(), static_cast<socklen_t>(out.size())) == nullptr) {
    constexpr std::string_view kUnknown = "(unknown family)";
    static_assert(kUnknown.size() < INET6_ADDRSTRLEN);
    std::memcpy(out.data(), kUnknown.data(), kUnknown.size());
    out[kUnknown.size()] = '\0';
  }
}

// curl's open-socket callback: the one place every new connection passes, with the address
// it will connect to. Reused connections do not pass here, which is why pools are per policy.
curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  // curl's sockaddr storage is as long as addrlen says, which may exceed `addr`'s type.
  const bool whole = (address->family == AF_INET && address->addrlen >= sizeof(sockaddr_in)) ||
                     (address->family == AF_INET6 && address->addrlen >= sizeof(sockaddr_in6));
  const AddressClass address_class = whole ? classify(&address->addr) : AddressClass::reserved;
  if (!permitted(address_class, transfer.request.policy)) {
    transfer.blocked_class = address_class;
    format_address(*address, whole, transfer.blocked_address);
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

SendResult result_for_refusal(std::uint64_t tag, SendOutcome outcome, std::string error) {
  SendResult result;
  result.tag = tag;
  result.outcome = outcome;
  result.error = std::move(error);
  return result;
}

// Checks what curl would otherwise half-accept; the message never quotes a header value.
std::optional<SendResult> refuse_invalid(const OutboundRequest& request) {
  const std::uint64_t tag = request.tag;
  const std::string_view url = request.url;
  const bool https = iequals_prefix(url, "https://");
  if (!https && !iequals_prefix(url, "http://")) {
    return result_for_refusal(tag, SendOutcome::protocol_refused,
                              "URL scheme must be http or https");
  }
  if (!https && request.https_only) {
    return result_for_refusal(tag, SendOutcome::protocol_refused,
                              "plain http refused: the endpoint requires https");
  }
  if (url.size() > kSenderUrlBytesMax || url.find('\0') != std::string_view::npos) {
    return result_for_refusal(tag, SendOutcome::failed, "URL too long or contains NUL");
  }
  if (request.body.size() > kSenderBodyBytesMax) {
    return result_for_refusal(tag, SendOutcome::failed, "request body too large");
  }
  if (request.timeout_ms < 1 || request.timeout_ms > kSenderTimeoutMsMax) {
    return result_for_refusal(tag, SendOutcome::failed, "timeout_ms out of range");
  }
  if (request.headers.size() > kSenderHeadersMax) {
    return result_for_refusal(tag, SendOutcome::failed, "too many headers");
  }
  std::size_t header_bytes = 0;
  for (std::size_t i = 0; i < request.headers.size(); ++i) {
    const auto& [name, value] = request.headers[i];
    header_bytes += name.size() + value.size();
    if (!is_header_name(name) || !is_header_value(value)) {
      return result_for_refusal(tag, SendOutcome::failed,
                                "header #" + std::to_string(i) + " is malformed");
    }
    if (is_sender_owned(name)) {
      return result_for_refusal(tag, SendOutcome::failed,
                                "header " + name + " is set by the sender");
    }
  }
  if (header_bytes > kSenderHeaderBytesMax) {
    return result_for_refusal(tag, SendOutcome::failed, "headers too large");
  }
  return std::nullopt;
}

// Fills transfer.header_nodes with the fixed headers and the request's, without allocating
// once the buffers have grown to fit.
void build_headers(Transfer& transfer) {
  std::string& text = transfer.header_text;
  text.clear();
  transfer.header_offsets.clear();
  auto add_line = [&](std::string_view line) {
    transfer.header_offsets.push_back(text.size());
    text.append(line).push_back('\0');
  };
  add_line("Content-Type: application/json");
  // "Expect:" with nothing after it removes curl's Expect: 100-continue, which would wait a
  // round trip (or a second) before sending larger bodies.
  add_line("Expect:");
  for (const auto& [name, value] : transfer.request.headers) {
    transfer.header_offsets.push_back(text.size());
    // curl drops "Name:" followed by only blanks; "Name;" is its spelling of an empty value.
    const bool blank = value.find_first_not_of(" \t") == std::string::npos;
    if (blank) {
      text.append(name).append(";").push_back('\0');
    } else {
      text.append(name).append(": ").append(value).push_back('\0');
    }
  }
  // Pointers are taken only now that the text will not move again.
  const std::size_t count = transfer.header_offsets.size();
  transfer.header_nodes.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    transfer.header_nodes[i].data = text.data() + transfer.header_offsets[i];
    transfer.header_nodes[i].next = i + 1 < count ? &transfer.header_nodes[i + 1] : nullptr;
  }
}

}  // namespace

std::string_view to_string(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::response:
      return "response";
    case SendOutcome::timeout:
      return "timeout";
    case SendOutcome::connect_failed:
      return "connect_failed";
    case SendOutcome::blocked_address:
      return "blocked_address";
    case SendOutcome::tls_failed:
      return "tls_failed";
    case SendOutcome::protocol_refused:
      return "protocol_refused";
    case SendOutcome::failed:
      return "failed";
  }
  assert(false && "unknown SendOutcome");
  return "failed";
}

class HttpSender::Impl {
 public:
  explicit Impl(SenderOptions options) : options_(std::move(options)) {
    assert(options_.connections_max >= 1 && options_.connections_max <= kConnectionsMaxLimit);
    assert(options_.excerpt_bytes <= options_.response_bytes_max);
    assert(options_.user_agent.size() <= kUserAgentBytesMax &&
           is_header_value(options_.user_agent));
    initialize_curl_once();
    open_loop();
    open_multi();
    thread_ = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake();
    thread_.join();
    // Order matters: handles leave the multi, the multi goes, then the easy handles (each
    // holds a reference on its share), then the shares with their idle connections.
    curl_multi_cleanup(multi_);
    for (const auto& transfer : transfers_) curl_easy_cleanup(transfer->easy);
    for (CURLSH* share : shares_) curl_share_cleanup(share);
    close(wake_fd_);
    close(epoll_fd_);
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void submit(std::vector<OutboundRequest> requests) {
    if (requests.empty()) return;
    {
      std::lock_guard lock(mutex_);
      assert(queued_.size() + requests.size() <= kSenderQueuedMax);
      for (OutboundRequest& request : requests) queued_.push_back(std::move(request));
      in_flight_ += requests.size();
    }
    wake();
  }

  std::vector<SendResult> take_results(std::chrono::milliseconds wait) {
    std::vector<SendResult> taken;
    std::unique_lock lock(mutex_);
    results_ready_.wait_for(lock, wait, [&] { return !results_.empty(); });
    taken.swap(results_);
    return taken;
  }

  std::size_t in_flight() const {
    std::lock_guard lock(mutex_);
    return in_flight_;
  }

 private:
  void open_loop() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error("epoll/eventfd unavailable");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wake_fd_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
      throw std::runtime_error("epoll_ctl failed for the wake-up descriptor");
    }
  }

  void open_multi() {
    multi_ = curl_multi_init();
    if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
    set_multi(multi_, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    set_multi(multi_, CURLMOPT_SOCKETDATA, this);
    set_multi(multi_, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    set_multi(multi_, CURLMOPT_TIMERDATA, this);
    // Idle connections kept per connection cache (each policy's share has its own).
    set_multi(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.connections_max));
    for (CURLSH*& share : shares_) {
      share = curl_share_init();
      if (share == nullptr ||
          curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
        throw std::runtime_error("curl_share_init failed");
      }
    }
  }

  void wake() {
    const std::uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the thread will wake anyway.
    [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof one);
  }

  Transfer& new_transfer() {
    assert(transfers_.size() < options_.connections_max);
    auto transfer = std::make_unique<Transfer>();
    transfer->options = &options_;
    transfer->easy = curl_easy_init();
    if (transfer->easy == nullptr) throw std::runtime_error("curl_easy_init failed");
    CURL* easy = transfer->easy;
    set_fixed(easy, CURLOPT_PRIVATE, transfer.get());
    set_fixed(easy, CURLOPT_ERRORBUFFER, transfer->error_buffer.data());
    set_fixed(easy, CURLOPT_NOSIGNAL, 1L);
    set_fixed(easy, CURLOPT_FOLLOWLOCATION, 0L);
    set_fixed(easy, CURLOPT_PROXY, "");  // never a proxy from the environment
    set_fixed(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    set_fixed(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    set_fixed(easy, CURLOPT_TCP_KEEPIDLE, kKeepAliveIdleS);
    set_fixed(easy, CURLOPT_TCP_KEEPINTVL, kKeepAliveIntervalS);
    set_fixed(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    set_fixed(easy, CURLOPT_POST, 1L);
    set_fixed(easy, CURLOPT_WRITEFUNCTION, &on_body);
    set_fixed(easy, CURLOPT_WRITEDATA, transfer.get());
    set_fixed(easy, CURLOPT_OPENSOCKETFUNCTION, &on_open_socket);
    set_fixed(easy, CURLOPT_OPENSOCKETDATA, transfer.get());
    transfer->excerpt.reserve(options_.excerpt_bytes);
    transfers_.push_back(std::move(transfer));
    return *transfers_.back();
  }

  // Sets the request's options and adds the handle to the multi; a refusal or a failure to
  // start becomes a result.
  void start(OutboundRequest&& request) {
    if (auto refused = refuse_invalid(request)) {
      finished_.push_back(std::move(*refused));
      return;
    }
    Transfer* free_transfer = nullptr;
    if (idle_.empty()) {
      free_transfer = &new_transfer();
    } else {
      free_transfer = idle_.back();
      idle_.pop_back();
    }
    Transfer& transfer = *free_transfer;
    transfer.reset_for(std::move(request));
    build_headers(transfer);
    CURL* easy = transfer.easy;
    const OutboundRequest& current = transfer.request;
    if (transfer.share_policy != current.policy) {
      set_fixed(easy, CURLOPT_SHARE, shares_[policy_index(current.policy)]);
      transfer.share_policy = current.policy;
    }
    const bool set =
        curl_easy_setopt(easy, CURLOPT_URL, current.url.c_str()) == CURLE_OK &&
        curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR,
                         current.https_only ? "https" : "http,https") == CURLE_OK &&
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(current.body.size())) == CURLE_OK &&
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, current.body.data()) == CURLE_OK &&
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.header_nodes.data()) == CURLE_OK &&
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(current.timeout_ms)) ==
            CURLE_OK &&
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(current.timeout_ms)) ==
            CURLE_OK;
    transfer.started_ns = now_ns();
    if (!set || curl_multi_add_handle(multi_, easy) != CURLM_OK) {
      finished_.push_back(
          result_for_refusal(current.tag, SendOutcome::failed, "could not start the transfer"));
      release(transfer);
      return;
    }
    ++active_;
  }

  SendOutcome outcome_for(CURLcode code, const Transfer& transfer) const {
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && transfer.cut)) {
      return SendOutcome::response;
    }
    if (code == CURLE_OPERATION_TIMEDOUT) return SendOutcome::timeout;
    if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST) {
      return transfer.blocked_class ? SendOutcome::blocked_address : SendOutcome::connect_failed;
    }
    if (is_tls_error(code)) return SendOutcome::tls_failed;
    if (code == CURLE_UNSUPPORTED_PROTOCOL) return SendOutcome::protocol_refused;
    return SendOutcome::failed;
  }

  void finish(CURL* easy, CURLcode code) {
    char* private_data = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &private_data);
    auto* transfer = reinterpret_cast<Transfer*>(private_data);
    assert(transfer != nullptr && transfer->easy == easy);
    curl_multi_remove_handle(multi_, easy);
    assert(active_ > 0);
    --active_;

    SendResult result;
    result.tag = transfer->request.tag;
    result.duration_ns = now_ns() - transfer->started_ns;
    result.outcome = outcome_for(code, *transfer);
    if (result.outcome == SendOutcome::response) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      result.status_code = static_cast<int>(status);
      result.body_excerpt = transfer->excerpt;
      if (transfer->cut) {
        result.error = "response body longer than " + std::to_string(options_.response_bytes_max) +
                       " bytes: cut there";
      }
    } else if (result.outcome == SendOutcome::blocked_address) {
      result.error = std::string("address ") + transfer->blocked_address.data() + " is " +
                     std::string(to_string(*transfer->blocked_class)) + ", not permitted by " +
                     std::string(to_string(transfer->request.policy));
    } else {
      result.error = transfer->error_buffer[0] != '\0' ? transfer->error_buffer.data()
                                                       : curl_easy_strerror(code);
    }
    finished_.push_back(std::move(result));
    release(*transfer);
  }

  void release(Transfer& transfer) {
    // The body (a signed payload, possibly large) is not kept while the handle waits.
    transfer.request = OutboundRequest{};
    idle_.push_back(&transfer);
  }

  // Moves queued requests into free transfer slots. False once stopping.
  bool admit() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
      const std::size_t room = options_.connections_max - active_;
      const std::size_t count = std::min(room, queued_.size());
      for (std::size_t i = 0; i < count; ++i) {
        admitted_.push_back(std::move(queued_.front()));
        queued_.pop_front();
      }
    }
    for (OutboundRequest& request : admitted_) start(std::move(request));
    admitted_.clear();
    return true;
  }

  void collect_done() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      // Read before finish(): the message is freed when its handle leaves the multi.
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      finish(easy, code);
    }
  }

  void publish() {
    if (finished_.empty()) return;
    {
      std::lock_guard lock(mutex_);
      assert(in_flight_ >= finished_.size());
      in_flight_ -= finished_.size();
      if (results_.empty()) {
        results_.swap(finished_);
      } else {
        std::move(finished_.begin(), finished_.end(), std::back_inserter(results_));
      }
    }
    finished_.clear();
    results_ready_.notify_all();
  }

  int wait_ms() const {
    if (timer_deadline_ns_ < 0) return static_cast<int>(kIdleWaitMsMax);
    const std::int64_t left_ns = timer_deadline_ns_ - now_ns();
    if (left_ns <= 0) return 0;
    const std::int64_t left_ms = (left_ns + 999'999) / 1'000'000;  // rounded up: no busy loop
    return static_cast<int>(std::min(left_ms, kIdleWaitMsMax));
  }

  void socket_action(curl_socket_t socket, int flags) {
    int running = 0;
    curl_multi_socket_action(multi_, socket, flags, &running);
  }

  void run() {
    // SIGPIPE from a write to a closed connection would kill the process; on this thread it
    // stays blocked and the write fails with EPIPE instead.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

    std::array<epoll_event, kEpollEventsMax> events{};
    while (admit()) {
      publish();  // requests refused before sending: their results are ready now
      const int ready = epoll_wait(epoll_fd_, events.data(), kEpollEventsMax, wait_ms());
      if (ready < 0 && errno != EINTR) std::abort();  // only a bug makes epoll_wait fail
      for (int i = 0; i < ready; ++i) {
        const epoll_event& event = events[static_cast<std::size_t>(i)];
        if (event.data.fd == wake_fd_) {
          std::uint64_t count = 0;
          [[maybe_unused]] const ssize_t read_bytes = read(wake_fd_, &count, sizeof count);
          continue;
        }
        int flags = 0;
        if ((event.events & EPOLLIN) != 0) flags |= CURL_CSELECT_IN;
        if ((event.events & EPOLLOUT) != 0) flags |= CURL_CSELECT_OUT;
        if ((event.events & (EPOLLERR | EPOLLHUP)) != 0) flags |= CURL_CSELECT_ERR;
        socket_action(event.data.fd, flags);
      }
      if (timer_deadline_ns_ >= 0 && now_ns() >= timer_deadline_ns_) {
        timer_deadline_ns_ = -1;  // curl sets the next one during the call if it needs one
        socket_action(CURL_SOCKET_TIMEOUT, 0);
      }
      collect_done();
      publish();
    }
    for (const auto& transfer : transfers_) curl_multi_remove_handle(multi_, transfer->easy);
  }

  // curl's socket callback: keeps epoll's interest in step with what curl waits for.
  static int on_socket(CURL*, curl_socket_t socket, int what, void* user, void* socket_data) {
    auto& self = *static_cast<Impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(self.epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);  // may be closed already
      return 0;
    }
    epoll_event event{};
    event.data.fd = socket;
    if ((what & CURL_POLL_IN) != 0) event.events |= EPOLLIN;
    if ((what & CURL_POLL_OUT) != 0) event.events |= EPOLLOUT;
    const int first = socket_data == nullptr ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(self.epoll_fd_, first, socket, &event) != 0) {
      // A descriptor number curl reused, or one it closed before telling us: try the other.
      const int second = first == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
      if (epoll_ctl(self.epoll_fd_, second, socket, &event) != 0) return -1;
    }
    if (socket_data == nullptr) curl_multi_assign(self.multi_, socket, &socket_registered_marker);
    return 0;
  }

  static int on_timer(CURLM*, long timeout_ms, void* user) {
    auto& self = *static_cast<Impl*>(user);
    self.timer_deadline_ns_ =
        timeout_ms < 0 ? -1 : now_ns() + static_cast<std::int64_t>(timeout_ms) * 1'000'000;
    return 0;
  }

  const SenderOptions options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  CURLM* multi_ = nullptr;
  std::array<CURLSH*, 2> shares_{};  // connection caches, indexed by policy_index()

  // The sender thread's own.
  std::vector<std::unique_ptr<Transfer>> transfers_;  // at most connections_max
  std::vector<Transfer*> idle_;
  std::size_t active_ = 0;
  std::int64_t timer_deadline_ns_ = -1;
  std::vector<OutboundRequest> admitted_;
  std::vector<SendResult> finished_;

  // Shared with callers, under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable results_ready_;
  std::deque<OutboundRequest> queued_;
  std::vector<SendResult> results_;
  std::size_t in_flight_ = 0;
  bool stopping_ = false;

  std::thread thread_;
};

HttpSender::HttpSender(SenderOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpSender::~HttpSender() = default;

void HttpSender::submit(std::vector<OutboundRequest> requests) {
  impl_->submit(std::move(requests));
}

std::vector<SendResult> HttpSender::take_results(std::chrono::milliseconds wait) {
  return impl_->take_results(wait);
}

std::size_t HttpSender::in_flight() const { return impl_->in_flight(); }

}  // namespace till::events
