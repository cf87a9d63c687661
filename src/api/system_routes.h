// api/system_routes.h — the operational endpoints every Till process serves:
// /healthz (the process is up), /readyz (it can do useful work: database reachable, schema
// current) and /metrics (Prometheus text format).
#pragma once

#include <functional>

#include "api/router.h"
#include "base/result.h"
#include "obs/metrics.h"

namespace till::api {

// Returns success when the process can serve traffic, or an error saying why not. Runs on
// the blocking pool (it may query the database).
using ReadinessCheck = std::function<Result<void>()>;

void add_system_routes(Router& router, obs::MetricsRegistry& registry, ReadinessCheck readiness);

}  // namespace till::api
