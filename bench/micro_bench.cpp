// Hot-path micro-benchmarks: things every request does. Run: make bench
#include <benchmark/benchmark.h>

#include "api/router.h"
#include "base/clock.h"
#include "base/ids.h"
#include "obs/log.h"
#include "obs/metrics.h"

namespace {

void BM_NewId(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(till::new_id("req", till::SystemClock::instance()));
}
BENCHMARK(BM_NewId);

void BM_FormatLogLine(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(till::obs::format_log_line(
        "2026-11-25T17:46:08.123Z", till::obs::LogLevel::info, "http request",
        {{"request_id", "req_0Q3vKk7a2bF9xYwZ1mN4pR"},
         {"method", "GET"},
         {"path", "/v1/payment_intents/pi_0Q3vKk7a2bF9xYwZ1mN4pR"},
         {"route", "/v1/payment_intents/{id}"},
         {"status", 200},
         {"latency_ms", 0.734},
         {"remote", "127.0.0.1"}}));
  }
}
BENCHMARK(BM_FormatLogLine);

void BM_HistogramObserve(benchmark::State& state) {
  till::obs::MetricsRegistry registry;
  auto& histogram =
      registry.histogram("x_seconds", "x", {}, till::obs::default_latency_buckets_ns());
  std::int64_t value = 0;
  for (auto _ : state) histogram.observe_ns(value += 997);
}
BENCHMARK(BM_HistogramObserve);

void BM_RouterMatch(benchmark::State& state) {
  till::api::Router router;
  const char* resources[] = {"customers", "payment_intents",  "payment_methods",
                             "charges",   "refunds",          "balance_transactions",
                             "events",    "webhook_endpoints"};
  auto handler = [](till::api::Request&) { return till::api::Response{}; };
  for (const char* resource : resources) {
    const std::string base = std::string("/v1/") + resource;
    router.add("GET", base, till::api::Execution::blocking, handler);
    router.add("POST", base, till::api::Execution::blocking, handler);
    router.add("GET", base + "/{id}", till::api::Execution::blocking, handler);
    router.add("POST", base + "/{id}", till::api::Execution::blocking, handler);
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        router.match("POST", "/v1/webhook_endpoints/we_0Q3vKk7a2bF9xYwZ1mN4pR"));
  }
}
BENCHMARK(BM_RouterMatch);

}  // namespace

BENCHMARK_MAIN();
