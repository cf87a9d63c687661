// routing/metrics.h — routing's Prometheus metrics, read at scrape time.
#pragma once

#include "base/clock.h"
#include "obs/metrics.h"
#include "routing/breakers.h"
#include "routing/success_rates.h"

namespace till::routing {

// till_routing_breaker_state{connector} (0 closed, 1 open, 2 half-open; one series per tracked
// connector, so at most BreakerOptions::connectors_max), till_routing_breaker_openings_total
// and till_routing_success_rate_keys. Everything passed must outlive the registry.
void add_routing_metrics(obs::MetricsRegistry& registry, const Breakers& breakers,
                         const SuccessRates& rates, const Clock& clock);

}  // namespace till::routing
