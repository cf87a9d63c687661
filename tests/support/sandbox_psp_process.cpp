#include "support/sandbox_psp_process.h"

#include <signal.h>

#include <boost/json/parse.hpp>
#include <regex>
#include <thread>

namespace till::testing {

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr int kChargesPagesMax = 1000;

}  // namespace

SandboxPspProcess::SandboxPspProcess(std::string api_key, std::string admin_token,
                                     std::string webhook_url, std::string webhook_secret,
                                     std::string wire, std::optional<std::string> data_dir,
                                     std::vector<std::string> extra_args)
    : api_key_(std::move(api_key)),
      admin_token_(std::move(admin_token)),
      webhook_url_(std::move(webhook_url)),
      webhook_secret_(std::move(webhook_secret)),
      wire_(std::move(wire)),
      data_dir_(data_dir.value_or(temp_.path() + "/psp")),
      extra_args_(std::move(extra_args)) {
  launch(0);
}

SandboxPspProcess::~SandboxPspProcess() = default;  // TillProcess SIGKILLs a live child

std::string SandboxPspProcess::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

bool SandboxPspProcess::launch(std::uint16_t port) {
  std::vector<std::string> args = {"sandbox-psp",
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port),
                                   "--data-dir",
                                   data_dir_,
                                   "--api-key",
                                   api_key_,
                                   "--admin-token",
                                   admin_token_,
                                   "--wire",
                                   wire_};
  if (!webhook_url_.empty()) {
    args.insert(args.end(), {"--webhook-url", webhook_url_});
  }
  if (!webhook_secret_.empty()) {
    args.insert(args.end(), {"--webhook-secret", webhook_secret_});
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<TillProcess>(args);
  running_ = true;
  const std::regex listening(R"(sandbox-psp listening on http://127\.0\.0\.1:(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    const std::string out = process_->captured_stdout();
    if (std::regex_search(out, match, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
      return true;
    }
    if (process_->wait_exit(std::chrono::milliseconds(0))) {
      running_ = false;  // exited (start-up failure): captured_stderr() says why
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void SandboxPspProcess::kill9() {
  if (!process_ || !running_) return;
  process_->send_signal(SIGKILL);
  process_->wait_exit(std::chrono::seconds(10));
  running_ = false;
}

std::optional<int> SandboxPspProcess::terminate(std::chrono::milliseconds timeout) {
  if (!process_ || !running_) return std::nullopt;
  process_->send_signal(SIGTERM);
  const auto status = process_->wait_exit(timeout);
  if (status) running_ = false;
  return status;
}

bool SandboxPspProcess::restart() {
  if (running_) kill9();
  if (process_) {
    earlier_stdout_ += process_->captured_stdout();
    earlier_stderr_ += process_->captured_stderr();
  }
  const std::uint16_t port = port_;
  port_ = 0;
  return launch(port);
}

int SandboxPspProcess::set_faults(const std::string& faults_json) {
  const auto response = admin_call("POST", "/admin/faults", faults_json);
  return response ? response->status : 0;
}

int SandboxPspProcess::clear_faults() {
  const auto response = admin_call("DELETE", "/admin/faults");
  return response ? response->status : 0;
}

boost::json::array SandboxPspProcess::charges() {
  boost::json::array all;
  std::string after;
  for (int page = 0; page < kChargesPagesMax; ++page) {
    const auto response =
        admin_call("GET", after.empty() ? "/charges" : "/charges?starting_after=" + after);
    if (!response || response->status != 200) break;
    const boost::json::object body = boost::json::parse(response->body).as_object();
    const boost::json::array& data = body.at("data").as_array();
    for (const auto& item : data) all.push_back(item);
    if (!body.at("has_more").as_bool() || data.empty()) break;
    after = std::string(data.back().as_object().at("id").as_string());
  }
  return all;
}

std::optional<std::string> SandboxPspProcess::settlement_csv(const std::string& date) {
  const auto response = admin_call("GET", "/settlements/" + date + ".csv");
  if (!response || response->status != 200) return std::nullopt;
  return response->body;
}

std::optional<HttpResponse> SandboxPspProcess::json_call(const std::string& method,
                                                         const std::string& target,
                                                         const std::string& body,
                                                         const std::string& key) {
  std::string headers = "Authorization: Bearer " + api_key_ + "\r\n";
  if (!key.empty()) headers += "Idempotency-Key: " + key + "\r\n";
  if (!body.empty()) headers += "Content-Type: application/json\r\n";
  return http_request(port_, method, target, headers, body);
}

std::optional<HttpResponse> SandboxPspProcess::iso_call(const std::string& message_json,
                                                        const std::string& message_id) {
  std::string headers = "X-Acquirer-Key: " + api_key_ + "\r\n";
  if (!message_id.empty()) headers += "X-Message-Id: " + message_id + "\r\n";
  headers += "Content-Type: application/json\r\n";
  return http_request(port_, "POST", "/iso/v1/messages", headers, message_json);
}

std::optional<HttpResponse> SandboxPspProcess::admin_call(const std::string& method,
                                                          const std::string& target,
                                                          const std::string& body) {
  std::string headers = "Authorization: Bearer " + admin_token_ + "\r\n";
  if (!body.empty()) headers += "Content-Type: application/json\r\n";
  return http_request(port_, method, target, headers, body);
}

std::string SandboxPspProcess::captured_stdout() const {
  return earlier_stdout_ + (process_ ? process_->captured_stdout() : "");
}

std::string SandboxPspProcess::captured_stderr() const {
  return earlier_stderr_ + (process_ ? process_->captured_stderr() : "");
}

}  // namespace till::testing
