// Shared helpers of the sandbox processor's process tests: test cards, request builders and a
// webhook receiver (Till's own api::Server) that checks Psp-Signature.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/server.h"
#include "obs/log.h"
#include "sandbox_psp/processor.h"
#include "support/poll.h"
#include "support/sandbox_psp_process.h"

namespace till::sandbox_psp::testing {

using till::testing::HttpResponse;
using till::testing::SandboxPspProcess;

inline constexpr const char* kApiKey = "psk_test_a";
inline constexpr const char* kAdminToken = "adm_a";

inline constexpr const char* kVisa = "4242424242424242";
inline constexpr const char* kGenericDecline = "4000000000000002";
inline constexpr const char* kInsufficientFunds = "4000000000009995";
inline constexpr const char* kExpiredCard = "4000000000000069";
inline constexpr const char* kStolenCard = "4000000000009979";
inline constexpr const char* kLostCard = "4000000000009987";
inline constexpr const char* kProcessingError = "4000000000000119";
inline constexpr const char* kNeeds3ds = "4000002500003155";
inline constexpr const char* kNotLuhn = "4242424242424241";

// A quiet instance (warn level) with the test credentials.
inline std::unique_ptr<SandboxPspProcess> start_psp(std::string webhook_url = "",
                                                    std::string webhook_secret = "",
                                                    std::string wire = "json",
                                                    std::optional<std::string> data_dir = {}) {
  return std::make_unique<SandboxPspProcess>(
      kApiKey, kAdminToken, std::move(webhook_url), std::move(webhook_secret), std::move(wire),
      std::move(data_dir), std::vector<std::string>{"--log-level", "warn"});
}

inline boost::json::object parse(const std::optional<HttpResponse>& response) {
  EXPECT_TRUE(response.has_value());
  if (!response) return {};
  boost::system::error_code failure;
  auto value = boost::json::parse(response->body, failure);
  EXPECT_FALSE(failure) << response->body;
  if (failure || !value.is_object()) return {};
  return value.as_object();
}

inline std::string str(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->as_string());
}

inline std::int64_t num(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_int64()) return -1;
  return value->as_int64();
}

inline std::string error_code(const std::optional<HttpResponse>& response) {
  const auto body = parse(response);
  const auto* error = body.if_contains("error");
  return error != nullptr && error->is_object() ? str(error->as_object(), "code") : "";
}

inline std::string error_param(const std::optional<HttpResponse>& response) {
  const auto body = parse(response);
  const auto* error = body.if_contains("error");
  return error != nullptr && error->is_object() ? str(error->as_object(), "param") : "";
}

inline std::string authorization_body(const std::string& number, std::int64_t amount = 2000,
                                      bool capture = false, const std::string& currency = "usd",
                                      int exp_year = 2040, bool authenticated = false) {
  boost::json::object card{
      {"number", number}, {"exp_month", 12}, {"exp_year", exp_year}, {"cvc", "123"}};
  boost::json::object body{{"amount", amount},
                           {"currency", currency},
                           {"capture", capture},
                           {"reference", "pi_test"},
                           {"card", std::move(card)}};
  if (authenticated) body["three_d_secure"] = boost::json::object{{"authenticated", true}};
  return boost::json::serialize(body);
}

// An ISO purchase message (0100, or 0200 with capture).
inline std::string iso_purchase(const std::string& pan,
                                const std::string& amount12 = "000000002000", bool capture = false,
                                const std::string& currency = "840",
                                const std::string& stan = "000001") {
  boost::json::object message{{"mti", capture ? "0200" : "0100"},
                              {"2", pan},
                              {"3", "000000"},
                              {"4", amount12},
                              {"11", stan},
                              {"14", "4012"},
                              {"44", "pi_iso"},
                              {"49", currency}};
  return boost::json::serialize(message);
}

inline std::string iso_follow_up(const std::string& mti, const std::string& rrn,
                                 const std::string& amount12 = "",
                                 const std::string& processing_code = "",
                                 const std::string& stan = "000002") {
  boost::json::object message{{"mti", mti}, {"11", stan}, {"37", rrn}};
  if (!amount12.empty()) message["4"] = amount12;
  if (!processing_code.empty()) message["3"] = processing_code;
  return boost::json::serialize(message);
}

struct Delivery {
  std::string body;
  std::string signature;
  bool signature_ok = false;
  int answered = 200;
};

// Receives webhooks on 127.0.0.1; answers 500 to the first `fail_first` attempts overall.
class WebhookReceiver {
 public:
  explicit WebhookReceiver(std::string secret) : secret_(std::move(secret)) {
    obs::init_logging(obs::LogLevel::warn);
    router_.add("POST", "/hook", api::Execution::blocking,
                [this](api::Request& request) { return receive(request); });
    api::ServerOptions options;
    options.listen_port = 0;
    options.io_threads = 1;
    options.blocking_threads = 4;
    options.handle_signals = false;
    server_ = std::make_unique<api::Server>(options, router_, registry_);
    if (auto port = server_->bind()) port_ = *port;
    thread_ = std::thread([this] { server_->run(); });
  }
  ~WebhookReceiver() {
    server_->stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void fail_first(int n) { fail_first_ = n; }

  std::vector<Delivery> deliveries() {
    std::lock_guard lock(mutex_);
    return deliveries_;
  }
  std::vector<Delivery> accepted() {
    std::vector<Delivery> out;
    for (const Delivery& d : deliveries()) {
      if (d.answered == 200) out.push_back(d);
    }
    return out;
  }
  bool wait_accepted(std::size_t count, std::chrono::milliseconds timeout) {
    return ::till::testing::poll_until([&] { return accepted().size() >= count; }, timeout);
  }

 private:
  api::Response receive(api::Request& request) {
    Delivery delivery;
    delivery.body = std::string(request.body);
    delivery.signature = std::string(request.header("Psp-Signature"));
    // t=<stamp>,v1=<hex HMAC-SHA256(secret, "<stamp>.<body>")>
    const std::size_t comma = delivery.signature.find(",v1=");
    if (delivery.signature.starts_with("t=") && comma != std::string::npos) {
      const std::string stamp = delivery.signature.substr(2, comma - 2);
      delivery.signature_ok = delivery.signature.substr(comma + 4) ==
                              hmac_sha256_hex(secret_, stamp + "." + delivery.body);
    }
    std::lock_guard lock(mutex_);
    delivery.answered = attempts_++ < fail_first_ ? 500 : 200;
    deliveries_.push_back(delivery);
    return api::text_response(static_cast<unsigned>(delivery.answered), "text/plain", "ok");
  }

  std::string secret_;
  api::Router router_;
  obs::MetricsRegistry registry_;
  std::unique_ptr<api::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<Delivery> deliveries_;
  int attempts_ = 0;
  std::atomic<int> fail_first_{0};
};

}  // namespace till::sandbox_psp::testing
