// api/http_metrics.h — request counts and latency histograms by route, method and status.
//
// Lookups on the hot path are lock-free: each (route, status) pair's metric handles are
// created once and cached in an atomic slot; later requests read the slot.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/router.h"
#include "obs/metrics.h"

namespace till::api {

class HttpMetrics {
 public:
  HttpMetrics(obs::MetricsRegistry& registry, const Router& router);
  ~HttpMetrics();
  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  // `route` is nullptr for requests that matched no route (label route="unmatched").
  void record(const Route* route, std::string_view method, unsigned status,
              std::int64_t latency_ns);
  obs::Gauge& in_flight() { return in_flight_; }
  obs::Counter& connections_rejected() { return connections_rejected_; }

 private:
  static constexpr unsigned kStatusMin = 100;
  static constexpr unsigned kStatusMax = 599;
  struct Handles {
    obs::Counter* requests;
    obs::Histogram* latency;
  };
  struct RouteSlots {
    std::string route_label;
    std::string method_label;
    std::array<std::atomic<Handles*>, kStatusMax - kStatusMin + 1> by_status{};
  };

  Handles* create_handles(RouteSlots& slots, unsigned status);

  obs::MetricsRegistry& registry_;
  std::vector<std::unique_ptr<RouteSlots>>
      routes_;  // one per route, then one per method for unmatched
  std::mutex create_mutex_;
  std::vector<std::unique_ptr<Handles>> owned_handles_;
  obs::Gauge& in_flight_;
  obs::Counter& connections_rejected_;
};

}  // namespace till::api
