// sandbox_psp/webhooks.h — delivers the outbox's notifications to --webhook-url.
//
// One background thread: take due rows from webhook_outbox, POST each (libcurl easy
// interface: one receiver, low volume), signed `Psp-Signature: t=<unix>,v1=<hex HMAC-SHA256(
// secret, "<t>.<body>")>`, and record the attempt. A 2xx delivers; anything else (or no
// answer) retries with exponential back-off until kAttemptsMax attempts, then the row is
// marked failed. Rows survive restarts; a receiver may see a notification more than once (its
// answer lost) and out of order (a retry overtaken by a later change).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "connectors/psp_signature.h"
#include "store/store.h"

namespace till::sandbox_psp {

struct WebhookOptions {
  std::string url;
  std::string secret;
  std::string user_agent;
  std::int64_t timeout_ms = 10'000;
  std::int64_t retry_initial_ms = 250;  // then doubling
  std::int64_t retry_max_ms = 60'000;
  std::int64_t idle_poll_ms = 500;  // a missed wake-up costs at most this
};

constexpr std::int64_t kAttemptsMax = 10;
constexpr std::int64_t kDeliveriesPerBatchMax = 32;

// The header value this processor signs a webhook with: the same scheme its callers verify
// (connectors/psp_signature.h), so one implementation serves both ends.
using connectors::psp_signature;

// Delay before attempt `attempts + 1`, after `attempts` failed ones (>= 1).
std::int64_t retry_delay_ms(const WebhookOptions& options, std::int64_t attempts);

class WebhookDeliverer {
 public:
  WebhookDeliverer(store::Database& database, const Clock& clock, WebhookOptions options);
  ~WebhookDeliverer();
  WebhookDeliverer(const WebhookDeliverer&) = delete;
  WebhookDeliverer& operator=(const WebhookDeliverer&) = delete;

  void start();
  // Something was enqueued: look now rather than at the next poll.
  void notify();
  // Aborts the attempt in flight (it is retried after a restart) and joins. Idempotent and
  // safe from several threads at once.
  void stop();

 private:
  void run();
  // Delivers one batch; returns how many rows it attempted.
  std::int64_t deliver_due();
  // Returns the HTTP status (0 when none arrived) and, on failure, why.
  std::pair<long, std::string> post(const std::string& body);

  store::Database& database_;
  const Clock& clock_;
  const WebhookOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> abort_transfer_{false};  // read by libcurl's progress callback
  std::mutex join_mutex_;
  bool notified_ = false;
  std::thread thread_;
};

}  // namespace till::sandbox_psp
