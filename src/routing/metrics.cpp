#include "routing/metrics.h"

namespace till::routing {

void add_routing_metrics(obs::MetricsRegistry& registry, const Breakers& breakers,
                         const SuccessRates& rates, const Clock& clock) {
  registry.add_collector([&breakers, &rates, &clock](std::string& out) {
    const std::int64_t now_ms = clock.now_unix_ms();
    out +=
        "# HELP till_routing_breaker_state Circuit breaker per connector account: 0 closed, "
        "1 open, 2 half-open.\n# TYPE till_routing_breaker_state gauge\n";
    for (const auto& [connector, state] : breakers.states(now_ms)) {
      out += "till_routing_breaker_state" + obs::render_labels({{"connector", connector}}) + " " +
             std::to_string(static_cast<int>(state)) + "\n";
    }
    out +=
        "# HELP till_routing_breaker_openings_total Times a connector's breaker opened.\n"
        "# TYPE till_routing_breaker_openings_total counter\n"
        "till_routing_breaker_openings_total " +
        std::to_string(breakers.openings()) + "\n";
    out +=
        "# HELP till_routing_success_rate_keys (connector, dimension value) pairs whose "
        "authorization rate is tracked.\n# TYPE till_routing_success_rate_keys gauge\n"
        "till_routing_success_rate_keys " +
        std::to_string(rates.key_count()) + "\n";
  });
}

}  // namespace till::routing
