#include "routing/success_rates.h"

#include <cassert>
#include <string>

namespace till::routing {

namespace {

// connector and dimension in one key; connector ids never contain the separator.
std::string key_of(std::string_view connector, std::string_view dimension) {
  std::string key;
  key.reserve(connector.size() + 1 + dimension.size());
  key.append(connector).push_back('\x1f');
  key.append(dimension);
  return key;
}

}  // namespace

Result<void> validate(const SuccessRateOptions& options) {
  if (options.bucket_count < 1 || options.bucket_count > 3600) {
    return fail("option_invalid", "success rates: bucket_count must be 1..3600");
  }
  if (options.window_ms < options.bucket_count || options.window_ms % options.bucket_count != 0) {
    return fail("option_invalid",
                "success rates: window_ms must be a positive multiple of bucket_count");
  }
  if (options.min_samples < 0) return fail("option_invalid", "success rates: min_samples < 0");
  if (options.prior_permille < 0 || options.prior_permille > kPermille) {
    return fail("option_invalid", "success rates: prior_permille must be 0..1000");
  }
  if (options.keys_max < 1) return fail("option_invalid", "success rates: keys_max must be >= 1");
  return {};
}

SuccessRates::SuccessRates(SuccessRateOptions options)
    : options_(options),
      bucket_ms_(options.bucket_count > 0 ? options.window_ms / options.bucket_count : 1),
      windows_(options.keys_max > 0 ? options.keys_max : 1) {
  assert(validate(options_));
}

void SuccessRates::record(std::string_view connector, std::string_view dimension, bool approved,
                          std::int64_t now_ms) {
  assert(now_ms >= 0);
  const std::int64_t epoch = now_ms / bucket_ms_;
  const std::lock_guard lock(mutex_);
  Window& window = windows_.touch(key_of(connector, dimension));
  if (window.buckets.empty())
    window.buckets.resize(static_cast<std::size_t>(options_.bucket_count));
  Bucket& bucket = window.buckets[static_cast<std::size_t>(epoch % options_.bucket_count)];
  if (bucket.epoch > epoch)
    return;  // older than the window its slot now holds (clock stepped back)
  if (bucket.epoch < epoch) bucket = Bucket{epoch, 0, 0};
  bucket.total++;
  if (approved) bucket.approved++;
}

RateSnapshot SuccessRates::rate(std::string_view connector, std::string_view dimension,
                                std::int64_t now_ms) const {
  const std::int64_t oldest = now_ms / bucket_ms_ - options_.bucket_count + 1;
  RateSnapshot snapshot;
  {
    const std::lock_guard lock(mutex_);
    if (const Window* window = windows_.find(key_of(connector, dimension))) {
      for (const Bucket& bucket : window->buckets) {
        if (bucket.epoch < oldest) continue;
        snapshot.samples += bucket.total;
        snapshot.approved += bucket.approved;
      }
    }
  }
  if (snapshot.samples < options_.min_samples || snapshot.samples == 0) {
    snapshot.permille = options_.prior_permille;
    snapshot.prior = true;
  } else {
    snapshot.permille = snapshot.approved * kPermille / snapshot.samples;
  }
  return snapshot;
}

std::size_t SuccessRates::key_count() const {
  const std::lock_guard lock(mutex_);
  return windows_.size();
}

std::size_t SuccessRates::evictions() const {
  const std::lock_guard lock(mutex_);
  return windows_.evictions();
}

}  // namespace till::routing
