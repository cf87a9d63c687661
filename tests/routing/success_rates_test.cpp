// SuccessRates: per-mille rates over a sliding window, the prior below min_samples, keys kept
// apart, bounded memory, and many threads at once.
#include "routing/success_rates.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace till::routing {
namespace {

constexpr std::int64_t kNowMs = 1'790'000'000'000;

TEST(SuccessRatesTest, PermilleOverTheWindow) {
  SuccessRates rates(SuccessRateOptions{});
  for (int i = 0; i < 30; ++i) rates.record("ca_a", "", i % 3 != 0, kNowMs + i * 1000);
  const RateSnapshot snapshot = rates.rate("ca_a", "", kNowMs + 30'000);
  EXPECT_EQ(snapshot.samples, 30);
  EXPECT_EQ(snapshot.approved, 20);
  EXPECT_EQ(snapshot.permille, 666);  // integer division, rounded down
  EXPECT_FALSE(snapshot.prior);
}

TEST(SuccessRatesTest, FewSamplesGiveThePrior) {
  SuccessRateOptions options;
  options.min_samples = 10;
  options.prior_permille = 900;
  SuccessRates rates(options);
  RateSnapshot snapshot = rates.rate("ca_new", "", kNowMs);
  EXPECT_TRUE(snapshot.prior);
  EXPECT_EQ(snapshot.permille, 900);
  EXPECT_EQ(snapshot.samples, 0);
  for (int i = 0; i < 9; ++i) rates.record("ca_new", "", false, kNowMs);
  snapshot = rates.rate("ca_new", "", kNowMs);
  EXPECT_TRUE(snapshot.prior);
  EXPECT_EQ(snapshot.samples, 9);
  rates.record("ca_new", "", false, kNowMs);
  snapshot = rates.rate("ca_new", "", kNowMs);
  EXPECT_FALSE(snapshot.prior);
  EXPECT_EQ(snapshot.permille, 0);
}

TEST(SuccessRatesTest, OldBucketsExpire) {
  SuccessRateOptions options;
  options.window_ms = 60'000;
  options.bucket_count = 6;  // 10 s buckets
  options.min_samples = 1;
  SuccessRates rates(options);
  const std::int64_t start = kNowMs;  // on a bucket boundary
  for (int i = 0; i < 10; ++i) rates.record("ca_a", "", false, start);
  for (int i = 0; i < 10; ++i) rates.record("ca_a", "", true, start + 30'000);
  EXPECT_EQ(rates.rate("ca_a", "", start + 59'999).samples, 20);
  // The first bucket leaves the window once six newer buckets have begun.
  EXPECT_EQ(rates.rate("ca_a", "", start + 60'000).samples, 10);
  EXPECT_EQ(rates.rate("ca_a", "", start + 60'000).permille, 1000);
  EXPECT_EQ(rates.rate("ca_a", "", start + 90'000).samples, 0);
  // A slot reused after the window counts only its new outcomes.
  rates.record("ca_a", "", false, start + 120'000);
  EXPECT_EQ(rates.rate("ca_a", "", start + 120'000).samples, 1);
  // An outcome older than what its slot now holds (the clock stepped back) is dropped.
  rates.record("ca_a", "", true, start);
  EXPECT_EQ(rates.rate("ca_a", "", start + 120'000).samples, 1);
}

TEST(SuccessRatesTest, KeysAreConnectorAndDimension) {
  SuccessRates rates(SuccessRateOptions{});
  rates.record("ca_a", "currency=usd", true, kNowMs);
  rates.record("ca_a", "currency=eur", false, kNowMs);
  rates.record("ca_b", "currency=usd", false, kNowMs);
  EXPECT_EQ(rates.rate("ca_a", "currency=usd", kNowMs).approved, 1);
  EXPECT_EQ(rates.rate("ca_a", "currency=eur", kNowMs).approved, 0);
  EXPECT_EQ(rates.rate("ca_a", "currency=eur", kNowMs).samples, 1);
  EXPECT_EQ(rates.rate("ca_a", "", kNowMs).samples, 0);
  EXPECT_EQ(rates.key_count(), 3u);
}

TEST(SuccessRatesTest, MemoryIsBoundedByEvictingTheOldest) {
  SuccessRateOptions options;
  options.keys_max = 100;
  SuccessRates rates(options);
  for (int i = 0; i < 1000; ++i) rates.record("ca_" + std::to_string(i), "", true, kNowMs);
  EXPECT_EQ(rates.key_count(), 100u);
  EXPECT_EQ(rates.evictions(), 900u);
  EXPECT_EQ(rates.rate("ca_0", "", kNowMs).samples, 0);    // forgotten
  EXPECT_EQ(rates.rate("ca_999", "", kNowMs).samples, 1);  // kept
  // Recording again makes a key the most recent: it survives the next evictions.
  rates.record("ca_900", "", true, kNowMs);
  for (int i = 1000; i < 1099; ++i) rates.record("ca_" + std::to_string(i), "", true, kNowMs);
  EXPECT_EQ(rates.rate("ca_900", "", kNowMs).samples, 2);
  EXPECT_EQ(rates.rate("ca_901", "", kNowMs).samples, 0);
}

TEST(SuccessRatesTest, OptionsAreValidated) {
  EXPECT_TRUE(validate(SuccessRateOptions{}));
  SuccessRateOptions options;
  options.window_ms = 1001;
  EXPECT_FALSE(validate(options));
  options = {};
  options.prior_permille = 1001;
  EXPECT_FALSE(validate(options));
  options = {};
  options.keys_max = 0;
  EXPECT_FALSE(validate(options));
}

TEST(SuccessRatesTest, ThreadSafe) {
  SuccessRates rates(SuccessRateOptions{});
  constexpr int kThreads = 8;
  constexpr int kRecords = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&rates, t] {
      for (int i = 0; i < kRecords; ++i) {
        rates.record("ca_a", "", i % 2 == 0, kNowMs);
        rates.record("ca_" + std::to_string(t), "", true, kNowMs);
        (void)rates.rate("ca_a", "", kNowMs);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const RateSnapshot snapshot = rates.rate("ca_a", "", kNowMs);
  EXPECT_EQ(snapshot.samples, kThreads * kRecords);
  EXPECT_EQ(snapshot.permille, 500);
}

}  // namespace
}  // namespace till::routing
