// api/router.h — maps (method, path) to a handler.
//
// Patterns are literal segments and `{name}` captures: `/v1/customers/{id}`. Each route also
// says where its handler runs: on the I/O threads (cheap, never blocks: /healthz, /metrics) or
// on the blocking pool (anything that touches the database or the network). The route's
// pattern is its metrics label, so label cardinality is bounded by the route table.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"

namespace till::api {

enum class Execution { io_thread, blocking };

using Handler = std::function<Response(Request& request)>;

struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segments;  // split pattern; "{x}" segments capture
  Execution execution;
  Handler handler;
  std::size_t index;  // position in the table, for per-route metrics
};

struct RouteMatch {
  const Route* route;
  std::vector<std::pair<std::string_view, std::string_view>> params;
};

class Router {
 public:
  static constexpr std::size_t kRouteCountMax = 512;
  static constexpr std::size_t kPathSegmentCountMax = 16;

  // Patterns must start with '/', be unique per method (asserted: the table is code).
  void add(std::string_view method, std::string_view pattern, Execution execution, Handler handler);

  // Exact method match; HEAD falls back to GET. nullopt when nothing matches.
  std::optional<RouteMatch> match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace till::api
