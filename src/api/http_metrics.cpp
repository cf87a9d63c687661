#include "api/http_metrics.h"

#include <cassert>

namespace till::api {

namespace {
// Methods tracked separately for unmatched requests; anything else is "other", so a client
// inventing methods cannot grow the label set.
constexpr std::array<std::string_view, 7> kUnmatchedMethods = {"GET",    "POST", "PUT",  "PATCH",
                                                               "DELETE", "HEAD", "other"};
}  // namespace

HttpMetrics::HttpMetrics(obs::MetricsRegistry& registry, const Router& router)
    : registry_(registry),
      in_flight_(
          registry.gauge("till_http_requests_in_flight", "HTTP requests being handled right now.")),
      connections_rejected_(registry.counter(
          "till_http_connections_rejected_total",
          "Connections closed at accept because the connection limit was reached.")) {
  for (const Route& route : router.routes()) {
    auto slots = std::make_unique<RouteSlots>();
    slots->route_label = route.pattern;
    slots->method_label = route.method;
    routes_.push_back(std::move(slots));
  }
  for (std::string_view method : kUnmatchedMethods) {
    auto slots = std::make_unique<RouteSlots>();
    slots->route_label = "unmatched";
    slots->method_label = std::string(method);
    routes_.push_back(std::move(slots));
  }
}

HttpMetrics::~HttpMetrics() = default;

HttpMetrics::Handles* HttpMetrics::create_handles(RouteSlots& slots, unsigned status) {
  std::lock_guard lock(create_mutex_);
  auto& slot = slots.by_status[status - kStatusMin];
  if (Handles* existing = slot.load(std::memory_order_acquire)) return existing;
  const obs::Labels labels = {{"route", slots.route_label},
                              {"method", slots.method_label},
                              {"status", std::to_string(status)}};
  auto handles = std::make_unique<Handles>();
  handles->requests =
      &registry_.counter("till_http_requests_total", "HTTP requests served.", labels);
  handles->latency =
      &registry_.histogram("till_http_request_duration_seconds",
                           "Time from a complete request to its response being ready to send.",
                           labels, obs::default_latency_buckets_ns());
  Handles* raw = handles.get();
  owned_handles_.push_back(std::move(handles));
  slot.store(raw, std::memory_order_release);
  return raw;
}

void HttpMetrics::record(const Route* route, std::string_view method, unsigned status,
                         std::int64_t latency_ns) {
  if (status < kStatusMin || status > kStatusMax) status = 500;
  std::size_t index;
  if (route != nullptr) {
    assert(route->index < routes_.size() - kUnmatchedMethods.size());
    index = route->index;
  } else {
    std::size_t method_index = kUnmatchedMethods.size() - 1;
    for (std::size_t i = 0; i + 1 < kUnmatchedMethods.size(); ++i) {
      if (kUnmatchedMethods[i] == method) method_index = i;
    }
    index = routes_.size() - kUnmatchedMethods.size() + method_index;
  }
  RouteSlots& slots = *routes_[index];
  Handles* handles = slots.by_status[status - kStatusMin].load(std::memory_order_acquire);
  if (handles == nullptr) handles = create_handles(slots, status);
  handles->requests->increment();
  handles->latency->observe_ns(latency_ns);
}

}  // namespace till::api
