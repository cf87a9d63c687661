// Breakers: opening on errors and on slow calls, min_requests, open time, half-open probes
// (limited, closing, re-opening), declines, lost probes, bounded memory, threads.
#include "routing/breakers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace till::routing {
namespace {

constexpr std::int64_t kNowMs = 1'790'000'000'000;

BreakerOptions small_options() {
  BreakerOptions options;
  options.window_ms = 60'000;
  options.bucket_count = 12;
  options.min_requests = 10;
  options.error_permille = 500;
  options.slow_call_ms = 2000;
  options.slow_permille = 800;
  options.open_ms = 30'000;
  options.half_open_probes = 3;
  return options;
}

class BreakersTest : public ::testing::Test {
 protected:
  void calls(int count, bool failure, std::int64_t latency_ms = 10, std::int64_t at = kNowMs) {
    for (int i = 0; i < count; ++i) breakers_.record("ca_a", failure, latency_ms, at);
  }
  BreakerState state(std::int64_t at = kNowMs) { return breakers_.state("ca_a", at); }
  // Opens the breaker at kNowMs; it turns half-open at kNowMs + open_ms.
  void open_it() {
    calls(10, true);
    ASSERT_EQ(state(), BreakerState::open);
  }

  Breakers breakers_{small_options()};
  const std::int64_t half_open_at_ = kNowMs + small_options().open_ms;
};

TEST_F(BreakersTest, UnknownConnectorIsClosed) {
  EXPECT_EQ(state(), BreakerState::closed);
  EXPECT_TRUE(breakers_.allow("ca_never", kNowMs));
  EXPECT_TRUE(breakers_.would_allow("ca_never", kNowMs));
}

TEST_F(BreakersTest, OpensWhenErrorsReachTheThreshold) {
  calls(5, false);
  calls(4, true);
  EXPECT_EQ(state(), BreakerState::closed);  // 9 calls: below min_requests
  calls(1, true);                            // 5 of 10 = 500 permille
  EXPECT_EQ(state(), BreakerState::open);
  EXPECT_FALSE(breakers_.allow("ca_a", kNowMs));
  EXPECT_FALSE(breakers_.would_allow("ca_a", kNowMs + 29'999));
  EXPECT_EQ(breakers_.openings(), 1u);
}

TEST_F(BreakersTest, StaysClosedBelowTheErrorRate) {
  calls(60, false);
  calls(59, true);  // 59 of 119 < 500 permille
  EXPECT_EQ(state(), BreakerState::closed);
}

TEST_F(BreakersTest, StaysClosedBelowMinRequests) {
  calls(9, true);  // every call failed, but only nine
  EXPECT_EQ(state(), BreakerState::closed);
  EXPECT_TRUE(breakers_.allow("ca_a", kNowMs));
}

TEST_F(BreakersTest, DeclinesAreNotFailures) {
  calls(100, false);  // a processor declining everything is up: failure=false
  EXPECT_EQ(state(), BreakerState::closed);
}

TEST_F(BreakersTest, OpensOnSlowCalls) {
  calls(2, false, 10);
  calls(7, false, 2000);
  EXPECT_EQ(state(), BreakerState::closed);  // 9 calls
  calls(1, false, 5000);                     // 8 of 10 slow = 800 permille
  EXPECT_EQ(state(), BreakerState::open);
}

TEST_F(BreakersTest, WindowForgetsOldFailures) {
  calls(9, true, 10, kNowMs);
  calls(1, true, 10, kNowMs + 60'000);  // the first nine have left the window
  EXPECT_EQ(state(kNowMs + 60'000), BreakerState::closed);
}

TEST_F(BreakersTest, HalfOpenAfterOpenTimeWithLimitedProbes) {
  open_it();
  EXPECT_EQ(state(half_open_at_ - 1), BreakerState::open);
  EXPECT_EQ(state(half_open_at_), BreakerState::half_open);
  EXPECT_TRUE(breakers_.would_allow("ca_a", half_open_at_));
  EXPECT_TRUE(breakers_.allow("ca_a", half_open_at_));
  EXPECT_TRUE(breakers_.allow("ca_a", half_open_at_));
  EXPECT_TRUE(breakers_.allow("ca_a", half_open_at_));
  EXPECT_FALSE(breakers_.would_allow("ca_a", half_open_at_));
  EXPECT_FALSE(breakers_.allow("ca_a", half_open_at_ + 1));  // three probes, no more
  EXPECT_EQ(state(half_open_at_ + 1), BreakerState::half_open);
}

TEST_F(BreakersTest, ClosesAfterSuccessfulProbes) {
  open_it();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(breakers_.allow("ca_a", half_open_at_));
  calls(2, false, 10, half_open_at_ + 5);
  EXPECT_EQ(state(half_open_at_ + 5), BreakerState::half_open);
  calls(1, false, 10, half_open_at_ + 5);
  EXPECT_EQ(state(half_open_at_ + 5), BreakerState::closed);
  EXPECT_TRUE(breakers_.allow("ca_a", half_open_at_ + 6));
  // Closed with an empty window: the failures from before do not count again.
  calls(9, true, 10, half_open_at_ + 6);
  EXPECT_EQ(state(half_open_at_ + 6), BreakerState::closed);
}

TEST_F(BreakersTest, ReopensOnAFailedProbe) {
  open_it();
  ASSERT_TRUE(breakers_.allow("ca_a", half_open_at_));
  ASSERT_TRUE(breakers_.allow("ca_a", half_open_at_));
  calls(1, false, 10, half_open_at_ + 1);
  calls(1, true, 10, half_open_at_ + 2);
  EXPECT_EQ(state(half_open_at_ + 2), BreakerState::open);
  EXPECT_FALSE(breakers_.allow("ca_a", half_open_at_ + 3));
  EXPECT_EQ(breakers_.openings(), 2u);
  // Open for another open_ms from the failed probe.
  const std::int64_t again = half_open_at_ + 2 + small_options().open_ms;
  EXPECT_EQ(state(again - 1), BreakerState::open);
  EXPECT_EQ(state(again), BreakerState::half_open);
}

TEST_F(BreakersTest, ASlowProbeCountsAsFailed) {
  open_it();
  ASSERT_TRUE(breakers_.allow("ca_a", half_open_at_));
  calls(1, false, 2500, half_open_at_ + 1);
  EXPECT_EQ(state(half_open_at_ + 1), BreakerState::open);
}

TEST_F(BreakersTest, OutcomesWhileOpenAndUnaskedSuccessesAreIgnored) {
  open_it();
  calls(5, false, 10, kNowMs + 1);  // calls let through before it opened
  EXPECT_EQ(state(kNowMs + 1), BreakerState::open);
  // In half-open, successes beyond the probes handed out do not close it.
  ASSERT_TRUE(breakers_.allow("ca_a", half_open_at_));
  calls(3, false, 10, half_open_at_ + 1);
  EXPECT_EQ(state(half_open_at_ + 1), BreakerState::half_open);
}

TEST_F(BreakersTest, LostProbesAreReleasedAfterOpenTime) {
  open_it();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(breakers_.allow("ca_a", half_open_at_));
  EXPECT_FALSE(breakers_.allow("ca_a", half_open_at_ + 29'999));
  // No outcome ever came back: after open_ms the slots are free again.
  EXPECT_TRUE(breakers_.would_allow("ca_a", half_open_at_ + 30'000));
  EXPECT_TRUE(breakers_.allow("ca_a", half_open_at_ + 30'000));
}

TEST_F(BreakersTest, StatesForMetrics) {
  open_it();
  breakers_.record("ca_b", false, 10, kNowMs);
  const auto states = breakers_.states(kNowMs);
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].first, "ca_b");  // most recently recorded first
  EXPECT_EQ(static_cast<int>(states[0].second), 0);
  EXPECT_EQ(states[1].first, "ca_a");
  EXPECT_EQ(static_cast<int>(states[1].second), 1);
  EXPECT_EQ(static_cast<int>(breakers_.states(half_open_at_)[1].second), 2);
  EXPECT_EQ(to_string(BreakerState::half_open), "half_open");
}

TEST(BreakersBoundsTest, TracksAtMostConnectorsMax) {
  BreakerOptions options = small_options();
  options.connectors_max = 10;
  Breakers breakers(options);
  for (int i = 0; i < 100; ++i) breakers.record("ca_" + std::to_string(i), false, 1, kNowMs);
  EXPECT_EQ(breakers.states(kNowMs).size(), 10u);
}

TEST(BreakersBoundsTest, OptionsAreValidated) {
  EXPECT_TRUE(validate(BreakerOptions{}));
  BreakerOptions options;
  options.error_permille = 0;
  EXPECT_FALSE(validate(options));
  options = {};
  options.half_open_probes = 0;
  EXPECT_FALSE(validate(options));
  options = {};
  options.window_ms = 1000;
  options.bucket_count = 7;
  EXPECT_FALSE(validate(options));
}

TEST(BreakersBoundsTest, HalfOpenProbesAreLimitedAcrossThreads) {
  Breakers breakers(small_options());
  for (int i = 0; i < 10; ++i) breakers.record("ca_a", true, 1, kNowMs);
  const std::int64_t later = kNowMs + small_options().open_ms;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) allowed += breakers.allow("ca_a", later) ? 1 : 0;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 3);
}

}  // namespace
}  // namespace till::routing
