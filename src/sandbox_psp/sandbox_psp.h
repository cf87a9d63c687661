// sandbox_psp/sandbox_psp.h — the simulated card processor behind `till sandbox-psp`.
//
// What this module owns
//   A card processor as Till's connectors meet a real one, across a network boundary: its own
//   SQLite books (<data-dir>/till.db, synced commits: an answered call is durable), its own
//   credentials, idempotency on every POST, inquiries that close an idempotency key so a late
//   request can never charge, two wire formats (JSON REST and an ISO-8583-style message API),
//   signed webhooks from an outbox, inspection and settlement reports, and fault injection.
//   docs/sandbox-psp.md is the contract; this module implements it.
//
// How to use it
//   Open it, add its routes to an api::Router served by an api::Server, start() the webhook
//   deliverer, and shutdown() before the server drains (a request waiting in an injected hang
//   or latency then answers 503 at once instead of holding the shutdown). Card numbers never
//   reach the books or the logs: an authorization keeps brand + last 4; the CVC is checked
//   for shape and dropped.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/router.h"
#include "base/clock.h"
#include "base/result.h"
#include "obs/metrics.h"

namespace till::sandbox_psp {

// Both wires are always served; this is the format of the webhooks an instance sends (and of
// the references in its settlement report).
enum class Wire { json, iso8583 };
std::optional<Wire> parse_wire(std::string_view text);
std::string_view to_string(Wire wire);

struct PspOptions {
  std::string data_dir;        // the SQLite file is <data_dir>/till.db
  std::string api_key;         // processor calls: Bearer (JSON), X-Acquirer-Key (ISO)
  std::string admin_token;     // /charges, /settlements, /admin/faults
  std::string webhook_url;     // empty: no webhooks
  std::string webhook_secret;  // required with webhook_url
  Wire wire = Wire::json;
  std::string name = "sandbox-psp";  // in logs and the webhooks' User-Agent
};

// The options' problems, each naming its flag; empty when valid.
std::optional<std::string> validate(const PspOptions& options);

class SandboxPsp {
 public:
  // Opens (creates) the books. Fails with the reason when the data dir is unusable.
  static Result<std::unique_ptr<SandboxPsp>> open(const PspOptions& options, const Clock& clock,
                                                  obs::MetricsRegistry& registry);
  ~SandboxPsp();
  SandboxPsp(const SandboxPsp&) = delete;
  SandboxPsp& operator=(const SandboxPsp&) = delete;

  // The processor's routes (both wires, admin and inspection; every one on the blocking pool)
  // and /healthz, /readyz, /metrics. The router must not outlive this object.
  void add_routes(api::Router& router);
  // Starts the webhook deliverer (a no-op without a webhook URL).
  void start();
  // Wakes requests waiting in injected delays (they answer 503) and stops the deliverer.
  // Idempotent.
  void shutdown();

  class Impl;

 private:
  explicit SandboxPsp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace till::sandbox_psp
