#include "obs/metrics.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace till::obs {
namespace {

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(Metrics, CountersAndGaugesRender) {
  MetricsRegistry registry;
  registry.counter("jobs_total", "Jobs done.", {{"kind", "a"}}).increment(3);
  registry.counter("jobs_total", "Jobs done.", {{"kind", "b"}}).increment();
  registry.gauge("queue_depth", "Items queued.").set(-2);
  const std::string text = registry.render();
  EXPECT_TRUE(contains(text, "# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\n"));
  EXPECT_TRUE(contains(text, "jobs_total{kind=\"a\"} 3\n"));
  EXPECT_TRUE(contains(text, "jobs_total{kind=\"b\"} 1\n"));
  EXPECT_TRUE(contains(text, "queue_depth -2\n"));
}

TEST(Metrics, SameNameAndLabelsIsTheSameMetric) {
  MetricsRegistry registry;
  Counter& first = registry.counter("x_total", "x", {{"a", "1"}});
  Counter& second = registry.counter("x_total", "x", {{"a", "1"}});
  EXPECT_EQ(&first, &second);
}

TEST(Metrics, HistogramBucketsAreCumulativeAndInSeconds) {
  MetricsRegistry registry;
  Histogram& histogram =
      registry.histogram("op_duration_seconds", "Op time.", {{"op", "x"}}, {1'000'000, 10'000'000});
  histogram.observe_ns(500'000);     // 0.5 ms -> le 0.001
  histogram.observe_ns(1'000'000);   // exactly on the bound -> le 0.001
  histogram.observe_ns(5'000'000);   // -> le 0.01
  histogram.observe_ns(50'000'000);  // -> +Inf
  const std::string text = registry.render();
  EXPECT_TRUE(contains(text, "op_duration_seconds_bucket{op=\"x\",le=\"0.001000000\"} 2\n"))
      << text;
  EXPECT_TRUE(contains(text, "op_duration_seconds_bucket{op=\"x\",le=\"0.010000000\"} 3\n"));
  EXPECT_TRUE(contains(text, "op_duration_seconds_bucket{op=\"x\",le=\"+Inf\"} 4\n"));
  EXPECT_TRUE(contains(text, "op_duration_seconds_sum{op=\"x\"} 0.056500000\n"));
  EXPECT_TRUE(contains(text, "op_duration_seconds_count{op=\"x\"} 4\n"));
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(render_labels({{"path", "a\"b\\c\nd"}}), "{path=\"a\\\"b\\\\c\\nd\"}");
  EXPECT_EQ(render_labels({}), "");
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry registry;
  Counter& counter = registry.counter("hits_total", "Hits.");
  Histogram& histogram =
      registry.histogram("lat_seconds", "Latency.", {}, default_latency_buckets_ns());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100'000; ++i) {
        counter.increment();
        histogram.observe_ns(i);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), 400'000u);
  EXPECT_EQ(histogram.count(), 400'000u);
}

TEST(Metrics, ProcessMetricsArePresent) {
  MetricsRegistry registry;
  register_process_metrics(registry, "1.2.3", "abc");
  const std::string text = registry.render();
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_virtual_memory_bytes ", "process_open_fds ", "process_max_fds ",
                           "process_start_time_seconds "}) {
    EXPECT_TRUE(contains(text, name)) << name;
  }
  EXPECT_TRUE(contains(text, "till_build_info{version=\"1.2.3\",commit=\"abc\""));
}

// The exposition must satisfy the real Prometheus parser and linter.
TEST(Metrics, PromtoolAcceptsTheExposition) {
  MetricsRegistry registry;
  registry.counter("till_things_total", "Things.", {{"kind", "a\"quoted\""}}).increment();
  registry.histogram("till_op_duration_seconds", "Op.", {{"op", "x"}}, default_latency_buckets_ns())
      .observe_ns(1234);
  register_process_metrics(registry, "0.1.0", "abc");
  const std::string path = ::testing::TempDir() + "metrics_test.prom";
  std::ofstream(path) << registry.render();
  const std::string command = "promtool check metrics < " + path + " 2>&1";
  const int status = std::system(command.c_str());
  EXPECT_EQ(status, 0) << "promtool rejected:\n" << registry.render();
}

}  // namespace
}  // namespace till::obs
