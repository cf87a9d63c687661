// obs/metrics.h — Prometheus metrics: counters, gauges, histograms and their text exposition.
//
// Metrics are registered once (under a mutex) and then updated lock-free through the returned
// reference, which stays valid for the registry's lifetime — hot paths keep the reference and
// never look a metric up per event. render() produces the Prometheus text format 0.0.4.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace till::obs {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void increment(std::uint64_t delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void add(std::int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// A histogram of durations. Observations are in nanoseconds (integers, no float on the hot
// path); exposition is in seconds, as Prometheus convention asks.
class Histogram {
 public:
  static constexpr std::size_t kBucketCountMax = 32;
  explicit Histogram(std::vector<std::int64_t> upper_bounds_ns);

  void observe_ns(std::int64_t duration_ns);
  const std::vector<std::int64_t>& upper_bounds_ns() const { return upper_bounds_ns_; }
  std::uint64_t bucket_count(std::size_t index) const;  // non-cumulative
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  std::uint64_t sum_ns() const { return sum_ns_.load(std::memory_order_relaxed); }

 private:
  std::vector<std::int64_t> upper_bounds_ns_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // one per bound, plus +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Latency buckets for HTTP requests and database work: 0.5 ms .. 10 s.
std::vector<std::int64_t> default_latency_buckets_ns();

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Get-or-create. The same name must always be used with the same type and help text
  // (asserted). Names follow Prometheus conventions (counters end in _total).
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels,
                       const std::vector<std::int64_t>& upper_bounds_ns);

  // A collector appends complete exposition text (with # HELP / # TYPE) at render time, for
  // values read on demand (process statistics).
  void add_collector(std::function<void(std::string& out)> collector);

  std::string render() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Family {
    Type type;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // key: rendered label set
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(std::string_view name, Type type, std::string_view help);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<std::function<void(std::string&)>> collectors_;
};

// Renders `{a="1",b="2"}` with Prometheus label-value escaping; "" for no labels.
std::string render_labels(const Labels& labels);

// Registers process_* metrics (CPU seconds, resident and virtual memory, open and max fds,
// start time) read from /proc at scrape time, and till_build_info.
void register_process_metrics(MetricsRegistry& registry, std::string_view version,
                              std::string_view commit);

}  // namespace till::obs
