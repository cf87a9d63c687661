// Routing's metrics as Prometheus text.
#include "routing/metrics.h"

#include <gtest/gtest.h>

namespace till::routing {
namespace {

TEST(RoutingMetricsTest, BreakerStatesAndCounts) {
  ManualClock clock(1'790'000'000'000);
  Breakers breakers(BreakerOptions{});
  SuccessRates rates(SuccessRateOptions{});
  obs::MetricsRegistry registry;
  add_routing_metrics(registry, breakers, rates, clock);
  for (int i = 0; i < 20; ++i) breakers.record("ca_down", true, 1, clock.now_unix_ms());
  breakers.record("ca_up", false, 1, clock.now_unix_ms());
  rates.record("ca_up", "", true, clock.now_unix_ms());
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE till_routing_breaker_state gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("till_routing_breaker_state{connector=\"ca_down\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("till_routing_breaker_state{connector=\"ca_up\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("till_routing_breaker_openings_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("till_routing_success_rate_keys 1\n"), std::string::npos);
  clock.advance_ms(BreakerOptions{}.open_ms);
  EXPECT_NE(registry.render().find("till_routing_breaker_state{connector=\"ca_down\"} 2\n"),
            std::string::npos);
}

}  // namespace
}  // namespace till::routing
