#include "sandbox_psp/webhooks.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <memory>
#include <optional>

#include "obs/log.h"
#include "sandbox_psp/processor.h"

namespace till::sandbox_psp {

namespace {

// The receiver's answer body is read and thrown away; reading it keeps the connection usable.
std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

// Called by libcurl while a transfer runs: a non-zero answer aborts it (shutdown).
int abort_if_stopping(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct HeaderListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

std::int64_t retry_delay_ms(const WebhookOptions& options, std::int64_t attempts) {
  assert(attempts >= 1);
  std::int64_t delay = options.retry_initial_ms;
  for (std::int64_t i = 1; i < attempts && delay < options.retry_max_ms; ++i) delay *= 2;
  return std::min(delay, options.retry_max_ms);
}

WebhookDeliverer::WebhookDeliverer(store::Database& database, const Clock& clock,
                                   WebhookOptions options)
    : database_(database), clock_(clock), options_(std::move(options)) {
  assert(!options_.url.empty() && !options_.secret.empty());
}

WebhookDeliverer::~WebhookDeliverer() { stop(); }

void WebhookDeliverer::start() {
  assert(!thread_.joinable());
  thread_ = std::thread([this] { run(); });
}

void WebhookDeliverer::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

void WebhookDeliverer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  abort_transfer_.store(true);
  wake_.notify_all();
  // The signal thread and the main thread may both stop: one joins, the other waits for it.
  std::lock_guard join_lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

void WebhookDeliverer::run() {
  while (true) {
    const std::int64_t attempted = deliver_due();
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    if (attempted > 0) continue;  // a full batch may mean more are due
    // Sleep until the earliest retry is due, a new notification arrives, or the idle poll.
    std::int64_t wait_ms = options_.idle_poll_ms;
    lock.unlock();
    std::optional<std::int64_t> next;
    auto looked = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
      auto due = next_event_due(connection);
      if (!due) return Unexpected(std::move(due).error());
      next = *due;
      return {};
    });
    if (looked && next) {
      wait_ms = std::clamp<std::int64_t>(*next - clock_.now_unix_ms(), 0, options_.idle_poll_ms);
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [this] { return stopping_ || notified_; });
    notified_ = false;
    if (stopping_) return;
  }
}

std::int64_t WebhookDeliverer::deliver_due() {
  std::vector<OutboxRow> rows;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto due = due_events(connection, clock_.now_unix_ms(), kDeliveriesPerBatchMax);
    if (!due) return Unexpected(std::move(due).error());
    rows = std::move(*due);
    return {};
  });
  if (!read) {
    obs::warn("webhook outbox unreadable", {{"error", read.error().message}});
    return 0;
  }
  for (const OutboxRow& row : rows) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    const auto [status, error] = post(row.body);
    // Plain variables for the lambda below: capturing a structured binding is C++20, which
    // clang 14 (the fuzz and tidy compiler) does not implement.
    const auto status_code = status;
    const auto& message = error;
    const bool delivered = status >= 200 && status < 300;
    if (!delivered && abort_transfer_.load()) break;  // cut short by stop(): not an attempt
    const std::int64_t attempts = row.attempts + 1;
    const bool give_up = !delivered && attempts >= kAttemptsMax;
    const std::int64_t next =
        clock_.now_unix_ms() + (delivered || give_up ? 0 : retry_delay_ms(options_, attempts));
    auto recorded =
        database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
          return record_attempt(connection, row.seq, delivered, give_up, next, status_code,
                                message);
        });
    if (!recorded) {
      obs::warn("webhook attempt not recorded",
                {{"event", row.id}, {"error", recorded.error().message}});
    }
    if (!delivered) {
      obs::info(give_up ? "webhook given up" : "webhook attempt failed",
                {{"event", row.id}, {"attempt", attempts}, {"status", status}, {"error", error}});
    }
  }
  return static_cast<std::int64_t>(rows.size());
}

std::pair<long, std::string> WebhookDeliverer::post(const std::string& body) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return {0, "curl_easy_init failed"};
  const std::string signature =
      "Psp-Signature: " + psp_signature(options_.secret, clock_.now_unix_s(), body);
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  list = curl_slist_append(list, signature.c_str());
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, HeaderListDeleter> headers(list);
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // never a proxy from the environment
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &discard);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer.data());
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &abort_if_stopping);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &abort_transfer_);
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    return {0, error_buffer[0] != '\0' ? std::string(error_buffer.data())
                                       : std::string(curl_easy_strerror(code))};
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return {status, ""};
  return {status, "HTTP " + std::to_string(status)};
}

}  // namespace till::sandbox_psp
