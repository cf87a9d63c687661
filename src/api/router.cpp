#include "api/router.h"

#include <cassert>

namespace till::api {

namespace {

// Splits "/a/b/c" into {"a","b","c"}. A trailing slash yields an empty last segment, so
// "/v1/customers/" does not match "/v1/customers". Returns false past the segment limit.
bool split_path(std::string_view path, std::vector<std::string_view>& segments) {
  if (path.empty() || path.front() != '/') return false;
  std::size_t start = 1;
  while (true) {
    if (segments.size() == Router::kPathSegmentCountMax) return false;
    const std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(start));
      return true;
    }
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

bool is_capture(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string_view method, std::string_view pattern, Execution execution,
                 Handler handler) {
  assert(routes_.size() < kRouteCountMax);
  assert(handler);
  std::vector<std::string_view> parts;
  const bool split_ok = split_path(pattern, parts);
  assert(split_ok);
  (void)split_ok;
  Route route{std::string(method), std::string(pattern), {},
              execution,           std::move(handler),   routes_.size()};
  for (auto part : parts) route.segments.emplace_back(part);
  for ([[maybe_unused]] const Route& existing : routes_) {
    assert(!(existing.method == route.method && existing.pattern == route.pattern));
  }
  routes_.push_back(std::move(route));
}

std::optional<RouteMatch> Router::match(std::string_view method, std::string_view path) const {
  std::vector<std::string_view> parts;
  if (!split_path(path, parts)) return std::nullopt;
  const std::string_view effective_method = method == "HEAD" ? std::string_view("GET") : method;
  for (const Route& route : routes_) {
    if (route.method != effective_method || route.segments.size() != parts.size()) continue;
    RouteMatch match{&route, {}};
    bool matched = true;
    for (std::size_t i = 0; i < parts.size() && matched; ++i) {
      const std::string& segment = route.segments[i];
      if (is_capture(segment)) {
        if (parts[i].empty()) {
          matched = false;
        } else {
          match.params.emplace_back(std::string_view(segment).substr(1, segment.size() - 2),
                                    parts[i]);
        }
      } else {
        matched = segment == parts[i];
      }
    }
    if (matched) return match;
  }
  return std::nullopt;
}

}  // namespace till::api
