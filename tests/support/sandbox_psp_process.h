// Test support: a real `till sandbox-psp` child process (docs/sandbox-psp.md), for the
// processor's own tests and for connector tests that need a processor across a network
// boundary.
//
//   SandboxPspProcess psp("psk_test_a", "adm_a");            // JSON wire, temporary data dir
//   ASSERT_TRUE(psp.started()) << psp.captured_stderr();
//   account.base_url = psp.base_url();                       // http://127.0.0.1:PORT
//   psp.set_faults(R"({"drop_response_permille": 1000, "operations": ["authorize"]})");
//   ... psp.kill9(); psp.restart();                          // same port, same books
//   boost::json::array all = psp.charges();                  // what the processor holds
#pragma once

#include <boost/json/array.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/till_process.h"

namespace till::testing {

class SandboxPspProcess {
 public:
  // Starts `till sandbox-psp --listen 127.0.0.1:0 ...` and waits (up to 30 s) for its
  // "listening" line. `data_dir` defaults to a temporary directory removed with this object.
  // `extra_args` are appended (e.g. {"--name", "psp-a", "--log-level", "warn"}).
  SandboxPspProcess(std::string api_key, std::string admin_token, std::string webhook_url = "",
                    std::string webhook_secret = "", std::string wire = "json",
                    std::optional<std::string> data_dir = std::nullopt,
                    std::vector<std::string> extra_args = {});
  ~SandboxPspProcess();  // SIGKILLs the process if still running
  SandboxPspProcess(const SandboxPspProcess&) = delete;
  SandboxPspProcess& operator=(const SandboxPspProcess&) = delete;

  bool started() const { return port_ != 0 && running_; }
  std::uint16_t port() const { return port_; }
  std::string base_url() const;  // http://127.0.0.1:PORT
  const std::string& data_dir() const { return data_dir_; }
  const std::string& api_key() const { return api_key_; }
  const std::string& admin_token() const { return admin_token_; }

  // SIGKILL and reap: nothing is flushed or finished, as in a crash.
  void kill9();
  // SIGTERM; the exit status, or nullopt when it did not exit within `timeout`.
  std::optional<int> terminate(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Starts the process again on the same data dir and the same port (callers' base URLs stay
  // valid). False when it did not come up.
  bool restart();

  // POST /admin/faults with `faults_json`; returns the HTTP status (0: no answer).
  int set_faults(const std::string& faults_json);
  int clear_faults();  // DELETE /admin/faults
  // Every authorization the processor holds, oldest first (GET /charges, all pages).
  boost::json::array charges();
  // GET /settlements/<date>.csv; nullopt unless 200.
  std::optional<std::string> settlement_csv(const std::string& date);

  // One request with the API key in the JSON wire's form (Authorization: Bearer) and, for a
  // POST, the Idempotency-Key `key`. nullopt when the connection closed unanswered.
  std::optional<HttpResponse> json_call(const std::string& method, const std::string& target,
                                        const std::string& body = "", const std::string& key = "");
  // One ISO message (POST /iso/v1/messages, X-Acquirer-Key, X-Message-Id `message_id`).
  std::optional<HttpResponse> iso_call(const std::string& message_json,
                                       const std::string& message_id);
  // One request with the admin token.
  std::optional<HttpResponse> admin_call(const std::string& method, const std::string& target,
                                         const std::string& body = "");

  std::string captured_stdout() const;
  std::string captured_stderr() const;

 private:
  bool launch(std::uint16_t port);

  TempDir temp_;
  std::string api_key_;
  std::string admin_token_;
  std::string webhook_url_;
  std::string webhook_secret_;
  std::string wire_;
  std::string data_dir_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<TillProcess> process_;
  std::uint16_t port_ = 0;
  bool running_ = false;
  // Output of earlier runs (before restart), so a failure shows the whole history.
  std::string earlier_stdout_;
  std::string earlier_stderr_;
};

}  // namespace till::testing
