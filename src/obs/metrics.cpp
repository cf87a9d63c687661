#include "obs/metrics.h"

#include <cassert>
#include <cinttypes>
#include <cstdio>

namespace till::obs {

namespace {

std::string_view type_name(int type) {
  switch (type) {
    case 0:
      return "counter";
    case 1:
      return "gauge";
    default:
      return "histogram";
  }
}

// Prometheus HELP text escaping: backslash and newline.
void append_help(std::string& out, std::string_view name, std::string_view help, int type) {
  out.append("# HELP ").append(name).push_back(' ');
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  out.append("\n# TYPE ").append(name).push_back(' ');
  out.append(type_name(type)).push_back('\n');
}

// Seconds with nanosecond precision, from integer nanoseconds, without floating point.
void append_seconds(std::string& out, std::int64_t ns) {
  char buffer[48];
  const bool negative = ns < 0;
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  std::snprintf(buffer, sizeof buffer, "%s%" PRIu64 ".%09" PRIu64, negative ? "-" : "",
                magnitude / 1'000'000'000u, magnitude % 1'000'000'000u);
  out.append(buffer);
}

// Adds `extra` label (le=...) to an already-rendered label set.
std::string with_label(const std::string& rendered, std::string_view key, std::string_view value) {
  std::string out;
  if (rendered.empty()) {
    out.append("{");
  } else {
    out.append(rendered, 0, rendered.size() - 1).push_back(',');
  }
  out.append(key).append("=\"").append(value).append("\"}");
  return out;
}

bool is_valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

}  // namespace

Histogram::Histogram(std::vector<std::int64_t> upper_bounds_ns)
    : upper_bounds_ns_(std::move(upper_bounds_ns)),
      buckets_(new std::atomic<std::uint64_t>[upper_bounds_ns_.size() + 1]) {
  assert(!upper_bounds_ns_.empty() && upper_bounds_ns_.size() <= kBucketCountMax);
  for (std::size_t i = 1; i < upper_bounds_ns_.size(); ++i) {
    assert(upper_bounds_ns_[i - 1] < upper_bounds_ns_[i]);  // strictly increasing
  }
  for (std::size_t i = 0; i <= upper_bounds_ns_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe_ns(std::int64_t duration_ns) {
  if (duration_ns < 0) duration_ns = 0;  // a clock step must not corrupt the sum
  std::size_t index = 0;
  while (index < upper_bounds_ns_.size() && duration_ns > upper_bounds_ns_[index]) ++index;
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(duration_ns), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Histogram::bucket_count(std::size_t index) const {
  assert(index <= upper_bounds_ns_.size());
  return buckets_[index].load(std::memory_order_relaxed);
}

std::vector<std::int64_t> default_latency_buckets_ns() {
  constexpr std::int64_t kMs = 1'000'000;
  return {kMs / 2,   1 * kMs,   2 * kMs,   5 * kMs,    10 * kMs,   25 * kMs,   50 * kMs,
          100 * kMs, 250 * kMs, 500 * kMs, 1000 * kMs, 2500 * kMs, 5000 * kMs, 10000 * kMs};
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out.push_back(',');
    first = false;
    out.append(key).append("=\"");
    for (char c : value) {
      if (c == '\\') {
        out.append("\\\\");
      } else if (c == '"') {
        out.append("\\\"");
      } else if (c == '\n') {
        out.append("\\n");
      } else {
        out.push_back(c);
      }
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, Type type,
                                                 std::string_view help) {
  assert(is_valid_metric_name(name));
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{type, std::string(help), {}, {}, {}}).first;
  }
  assert(it->second.type == type);  // one name, one type
  return it->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, Type::counter, help).counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, Type::gauge, help).gauges[render_labels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const Labels& labels,
                                      const std::vector<std::int64_t>& upper_bounds_ns) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, Type::histogram, help).histograms[render_labels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(upper_bounds_ns);
  assert(slot->upper_bounds_ns() == upper_bounds_ns);
  return *slot;
}

void MetricsRegistry::add_collector(std::function<void(std::string& out)> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::render() const {
  std::string out;
  out.reserve(16 * 1024);
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    append_help(out, name, family.help, static_cast<int>(family.type));
    for (const auto& [labels, counter] : family.counters) {
      out.append(name).append(labels).push_back(' ');
      out.append(std::to_string(counter->value())).push_back('\n');
    }
    for (const auto& [labels, gauge] : family.gauges) {
      out.append(name).append(labels).push_back(' ');
      out.append(std::to_string(gauge->value())).push_back('\n');
    }
    for (const auto& [labels, histogram] : family.histograms) {
      std::uint64_t cumulative = 0;
      const auto& bounds = histogram->upper_bounds_ns();
      for (std::size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += histogram->bucket_count(i);
        std::string le;
        if (i < bounds.size()) {
          append_seconds(le, bounds[i]);
        } else {
          le = "+Inf";
        }
        out.append(name).append("_bucket").append(with_label(labels, "le", le)).push_back(' ');
        out.append(std::to_string(cumulative)).push_back('\n');
      }
      out.append(name).append("_sum").append(labels).push_back(' ');
      append_seconds(out, static_cast<std::int64_t>(histogram->sum_ns()));
      out.push_back('\n');
      out.append(name).append("_count").append(labels).push_back(' ');
      out.append(std::to_string(cumulative)).push_back('\n');
    }
  }
  for (const auto& collector : collectors_) collector(out);
  return out;
}

}  // namespace till::obs
