// routing/success_rates.h — recent authorization rates per connector account, for
// success-rate routing.
//
// A sliding window (default 5 minutes in 30 buckets of 10 s) of approved / declined outcomes
// per (connector, dimension value): the dimension value is what a success-rate rule keeps
// rates apart by ("currency=eur;card_brand=visa", or "" for one rate per connector; see
// routing.h's dimension_key). Outcomes older than the window are forgotten, so a processor
// that recovers wins traffic back within one window.
//
// Rates are integers per mille (no floating point anywhere in routing). A connector with
// fewer than `min_samples` outcomes in the window is given `prior_permille` (optimistic by
// default), so a new connector — or one that has had no traffic for a window — gets traffic
// until its rate is measured.
//
// Memory is bounded: at most `keys_max` keys, the least recently recorded one forgotten
// first. Thread-safe (one mutex; each call is a few dozen operations).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "routing/lru.h"

namespace till::routing {

constexpr std::int64_t kPermille = 1000;

struct SuccessRateOptions {
  std::int64_t window_ms = 5 * 60 * 1000;
  std::int64_t bucket_count = 30;  // window_ms must be a multiple of it
  std::int64_t min_samples = 20;   // fewer outcomes in the window: the prior counts instead
  std::int64_t prior_permille = kPermille;
  std::size_t keys_max = 10'000;
};

// Says which option is out of range (the constructor asserts this holds).
Result<void> validate(const SuccessRateOptions& options);

struct RateSnapshot {
  std::int64_t permille = 0;  // what routing ranks by: measured, or the prior (see `prior`)
  std::int64_t samples = 0;   // outcomes in the window
  std::int64_t approved = 0;
  bool prior = false;  // samples < min_samples: `permille` is prior_permille, not measured
};

class SuccessRates {
 public:
  explicit SuccessRates(SuccessRateOptions options = {});
  SuccessRates(const SuccessRates&) = delete;
  SuccessRates& operator=(const SuccessRates&) = delete;

  // One authorization outcome: approved, or declined by the processor. Calls that got no
  // answer (timeouts, 5xx) belong to the breakers, not here.
  void record(std::string_view connector, std::string_view dimension, bool approved,
              std::int64_t now_ms);

  RateSnapshot rate(std::string_view connector, std::string_view dimension,
                    std::int64_t now_ms) const;

  std::size_t key_count() const;
  std::size_t evictions() const;
  const SuccessRateOptions& options() const { return options_; }

 private:
  struct Bucket {
    std::int64_t epoch = -1;  // now_ms / bucket width when last written; -1 = never
    std::int64_t approved = 0;
    std::int64_t total = 0;
  };
  struct Window {
    std::vector<Bucket> buckets;
  };

  const SuccessRateOptions options_;
  const std::int64_t bucket_ms_;
  mutable std::mutex mutex_;
  detail::LruMap<Window> windows_;
};

}  // namespace till::routing
