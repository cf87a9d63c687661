// A webhook receiver for tests: Till's own HTTP server on 127.0.0.1 that records every
// delivery, checks its Stripe-Signature against the secrets it is told, and can be made to
// fail or slow down. It also notices two attempts of one event being received at once
// (overlapping), which the leases must prevent.
#pragma once

#include <atomic>
#include <boost/json/parse.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/server.h"
#include "events/signature.h"
#include "obs/log.h"
#include "support/poll.h"

namespace till::events::testing {

struct Received {
  std::string event_id;
  std::string type;
  std::string body;
  bool signature_ok = false;
  int answered = 200;
};

class TestReceiver {
 public:
  TestReceiver() {
    // One log line per received request would drown the test output.
    obs::init_logging(*obs::parse_log_level("warn"));
    router_.add("POST", "/hook", api::Execution::blocking,
                [this](api::Request& request) { return receive(request); });
    api::ServerOptions options;
    options.listen_port = 0;
    options.io_threads = 1;
    options.blocking_threads = 64;
    options.handle_signals = false;
    server_ = std::make_unique<api::Server>(options, router_, registry_);
    auto port = server_->bind();
    if (port) port_ = *port;
    thread_ = std::thread([this] { server_->run(); });
  }
  ~TestReceiver() {
    server_->stop();
    thread_.join();
  }
  TestReceiver(const TestReceiver&) = delete;
  TestReceiver& operator=(const TestReceiver&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::uint16_t port() const { return port_; }

  void set_secrets(std::vector<std::string> secrets) {
    std::lock_guard lock(mutex_);
    secrets_ = std::move(secrets);
  }
  // The first `n` attempts of every event are answered 500.
  void fail_first(int n) { fail_first_ = n; }
  void set_status(int status) { status_ = status; }
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }

  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Events answered 2xx, distinct.
  std::set<std::string> delivered() {
    std::lock_guard lock(mutex_);
    std::set<std::string> ids;
    for (const Received& r : received_) {
      if (r.answered >= 200 && r.answered < 300) ids.insert(r.event_id);
    }
    return ids;
  }
  std::size_t overlaps() const { return overlaps_.load(); }
  std::size_t bad_signatures() {
    std::lock_guard lock(mutex_);
    std::size_t bad = 0;
    for (const Received& r : received_) bad += r.signature_ok ? 0 : 1;
    return bad;
  }

  // Waits until `count` distinct events were answered 2xx, or `timeout` passed.
  bool wait_delivered(std::size_t count, std::chrono::milliseconds timeout) {
    return ::till::testing::poll_until([&] { return delivered().size() >= count; }, timeout);
  }

 private:
  bool verify(std::string_view header, std::string_view body) {
    // t=<stamp>,v1=<hex>[,v1=<hex>...]: every secret we know must have produced one of them.
    const std::size_t comma = header.find(',');
    if (!header.starts_with("t=") || comma == std::string_view::npos) return false;
    const std::string message = std::string(header.substr(2, comma - 2)) + "." + std::string(body);
    std::lock_guard lock(mutex_);
    if (secrets_.empty()) return false;
    for (const std::string& secret : secrets_) {
      if (header.find("v1=" + hmac_sha256_hex(secret, message)) == std::string_view::npos) {
        return false;
      }
    }
    return true;
  }

  api::Response receive(api::Request& request) {
    Received record;
    record.body = std::string(request.body);
    record.signature_ok = verify(request.header("Stripe-Signature"), request.body);
    boost::system::error_code failure;
    auto json = boost::json::parse(record.body, failure);
    if (!failure && json.is_object()) {
      record.event_id = std::string(json.at("id").as_string());
      record.type = std::string(json.at("type").as_string());
    }
    {
      std::lock_guard lock(mutex_);
      if (!in_progress_.insert(record.event_id).second) overlaps_.fetch_add(1);
    }
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
    int status = status_.load();
    {
      std::lock_guard lock(mutex_);
      in_progress_.erase(record.event_id);
      if (attempts_[record.event_id]++ < fail_first_) status = 500;
      record.answered = status;
      received_.push_back(record);
    }
    return api::text_response(static_cast<unsigned>(status), "text/plain",
                              status < 300 ? "thanks" : "try again later");
  }

  api::Router router_;
  obs::MetricsRegistry registry_;
  std::unique_ptr<api::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> secrets_;
  std::vector<Received> received_;
  std::map<std::string, int> attempts_;
  std::set<std::string> in_progress_;
  std::atomic<std::size_t> overlaps_{0};
  std::atomic<int> fail_first_{0};
  std::atomic<int> status_{200};
  std::atomic<std::int64_t> delay_ms_{0};
};

}  // namespace till::events::testing
