// `till sandbox-psp`: the simulated card processor as its own process (docs/sandbox-psp.md).
//
// Signals are taken here rather than by api::Server: a request may be sleeping in an injected
// hang (30 s by default) on the blocking pool, and the server's drain would wait for it. On
// SIGTERM/SIGINT the processor first cuts those waits short (they answer 503), then the
// server drains as usual. A second signal exits at once.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "api/server.h"
#include "base/clock.h"
#include "cli/commands.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "sandbox_psp/sandbox_psp.h"

namespace till::cli {

namespace {

constexpr int kBlockingThreads = 64;  // requests may sleep in injected hangs; keep room
constexpr std::size_t kBodyLimitBytes = 64 * 1024;
constexpr std::int64_t kShutdownGraceMs = 5'000;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "till sandbox-psp: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int run_sandbox_psp(const SandboxPspFlags& flags) {
  const auto level = obs::parse_log_level(flags.log_level);
  if (!level) return usage_error("--log-level must be trace, debug, info, warn or error");
  obs::init_logging(*level);
  const auto wire = sandbox_psp::parse_wire(flags.wire);
  if (!wire) return usage_error("--wire must be json or iso8583");
  const auto listen = config::parse_listen_address(flags.listen);
  if (!listen) return usage_error("--listen: " + listen.error().message);

  sandbox_psp::PspOptions options;
  options.data_dir = flags.data_dir;
  options.api_key = flags.api_key;
  options.admin_token = flags.admin_token;
  options.webhook_url = flags.webhook_url;
  options.webhook_secret = flags.webhook_secret;
  options.wire = *wire;
  options.name = flags.name;
  if (auto problem = sandbox_psp::validate(options)) return usage_error(*problem);

  // Every thread started from here on (database, server, deliverer) inherits this mask, so
  // SIGINT/SIGTERM reach only the sigwait below; one sent early stays pending until then.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  obs::MetricsRegistry registry;
  auto psp = sandbox_psp::SandboxPsp::open(options, SystemClock::instance(), registry);
  if (!psp) {
    std::fprintf(stderr, "till sandbox-psp: %s\n", psp.error().message.c_str());
    return kExitFailure;
  }
  api::Router router;
  (*psp)->add_routes(router);

  api::ServerOptions server_options;
  server_options.listen_host = listen->first;
  server_options.listen_port = listen->second;
  server_options.io_threads = 2;
  server_options.blocking_threads = kBlockingThreads;
  server_options.body_limit_bytes = kBodyLimitBytes;
  server_options.shutdown_grace_ms = kShutdownGraceMs;
  server_options.handle_signals = false;
  api::Server server(server_options, router, registry);
  const auto port = server.bind();
  if (!port) {
    std::fprintf(stderr, "till sandbox-psp: %s\n", port.error().message.c_str());
    return kExitFailure;
  }

  std::atomic<bool> finished{false};
  std::thread signal_waiter([&] {
    int signal_number = 0;
    bool first = true;
    while (sigwait(&stop_signals, &signal_number) == 0) {
      if (finished.load()) return;  // woken by main to end this thread
      if (!first) {
        obs::warn("second signal: stopping at once", {{"signal", signal_number}});
        std::_Exit(kExitFailure);
      }
      first = false;
      obs::info("shutting down", {{"signal", signal_number}, {"psp", options.name}});
      server.stop();       // returns at once; the server drains on its own threads
      (*psp)->shutdown();  // cuts injected waits short, stops the webhook sender
    }
  });

  (*psp)->start();
  obs::info("sandbox-psp started", {{"psp", options.name},
                                    {"port", static_cast<std::int64_t>(*port)},
                                    {"wire", sandbox_psp::to_string(*wire)},
                                    {"webhooks", !options.webhook_url.empty()}});
  std::printf("sandbox-psp listening on http://%s:%u\n", listen->first.c_str(),
              static_cast<unsigned>(*port));
  std::fflush(stdout);
  server.run();
  (*psp)->shutdown();
  finished.store(true);
  pthread_kill(signal_waiter.native_handle(), SIGTERM);  // consumed by its sigwait
  signal_waiter.join();
  return kExitOk;
}

}  // namespace till::cli
