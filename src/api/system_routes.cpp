#include "api/system_routes.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace till::api {

void add_system_routes(Router& router, obs::MetricsRegistry& registry, ReadinessCheck readiness) {
  router.add("GET", "/healthz", Execution::io_thread,
             [](Request&) { return json_response(200, R"({"status":"ok"})"); });

  router.add("GET", "/readyz", Execution::blocking, [readiness = std::move(readiness)](Request&) {
    const Result<void> ready = readiness ? readiness() : Result<void>{};
    boost::json::object body;
    if (ready) {
      body["status"] = "ready";
      return json_response(200, boost::json::serialize(body));
    }
    body["status"] = "unavailable";
    body["code"] = ready.error().code;
    body["reason"] = ready.error().message;
    return json_response(503, boost::json::serialize(body));
  });

  router.add("GET", "/metrics", Execution::io_thread, [&registry](Request&) {
    return text_response(200, "text/plain; version=0.0.4; charset=utf-8", registry.render());
  });
}

}  // namespace till::api
