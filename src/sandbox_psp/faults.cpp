#include "sandbox_psp/faults.h"

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cmath>
#include <limits>

#include "base/random.h"

namespace till::sandbox_psp {

namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, kOperationCount> kOperationNames = {
    "authorize", "capture", "void", "refund", "inquiry", "lookup"};

Unexpected<FaultError> field_error(std::string param, std::string message) {
  return Unexpected<FaultError>(FaultError{std::move(param), std::move(message)});
}

std::optional<std::int64_t> as_integer(const json::value& value) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64() &&
      value.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(value.get_uint64());
  }
  return std::nullopt;
}

Expected<std::int64_t, FaultError> bounded(const json::value& value, const std::string& param,
                                           std::int64_t max) {
  const auto number = as_integer(value);
  if (!number || *number < 0 || *number > max) {
    return field_error(param, param + " must be an integer between 0 and " + std::to_string(max));
  }
  return *number;
}

std::string_view distribution_name(LatencyDistribution distribution) {
  switch (distribution) {
    case LatencyDistribution::none:
      return "none";
    case LatencyDistribution::fixed:
      return "fixed";
    case LatencyDistribution::uniform:
      return "uniform";
    case LatencyDistribution::exponential:
      return "exponential";
  }
  return "none";
}

Expected<void, FaultError> parse_latency(const json::value& value, FaultConfig& config) {
  if (!value.is_object()) return field_error("latency", "latency must be an object");
  for (const auto& [key, field] : value.get_object()) {
    const std::string param = "latency." + std::string(key);
    if (key == "distribution") {
      const json::string* name = field.if_string();
      if (name == nullptr) return field_error(param, param + " must be a string");
      if (*name == "none") {
        config.distribution = LatencyDistribution::none;
      } else if (*name == "fixed") {
        config.distribution = LatencyDistribution::fixed;
      } else if (*name == "uniform") {
        config.distribution = LatencyDistribution::uniform;
      } else if (*name == "exponential") {
        config.distribution = LatencyDistribution::exponential;
      } else {
        return field_error(param, param + " must be fixed, uniform, exponential or none");
      }
    } else if (key == "min_ms" || key == "max_ms" || key == "mean_ms") {
      auto ms = bounded(field, param, kFaultDelayMsMax);
      if (!ms) return Unexpected<FaultError>(ms.error());
      (key == "min_ms" ? config.min_ms : key == "max_ms" ? config.max_ms : config.mean_ms) = *ms;
    } else {
      return field_error(param, "unknown field " + param);
    }
  }
  if (config.distribution == LatencyDistribution::uniform && config.max_ms < config.min_ms) {
    return field_error("latency.max_ms", "latency.max_ms must not be below latency.min_ms");
  }
  return {};
}

Expected<void, FaultError> parse_operations(const json::value& value, FaultConfig& config) {
  const json::array* list = value.if_array();
  if (list == nullptr) return field_error("operations", "operations must be an array of names");
  for (bool& enabled : config.operations) enabled = false;
  for (const json::value& item : *list) {
    const json::string* name = item.if_string();
    bool known = false;
    for (std::size_t i = 0; name != nullptr && i < kOperationCount; ++i) {
      if (*name == kOperationNames[i]) {
        config.operations[i] = true;
        known = true;
      }
    }
    if (!known) {
      return field_error("operations",
                         "operations may name authorize, capture, void, refund, inquiry, lookup");
    }
  }
  return {};
}

}  // namespace

std::string_view to_string(Operation operation) {
  return kOperationNames[static_cast<std::size_t>(operation)];
}

Expected<FaultConfig, FaultError> parse_faults(const json::value& body) {
  if (!body.is_object()) return field_error("", "the body must be a JSON object of faults");
  FaultConfig config;
  for (const auto& [key, field] : body.get_object()) {
    const std::string param(key);
    Expected<std::int64_t, FaultError> number = std::int64_t{0};
    if (key == "latency") {
      if (auto parsed = parse_latency(field, config); !parsed) return Unexpected(parsed.error());
    } else if (key == "operations") {
      if (auto parsed = parse_operations(field, config); !parsed) {
        return Unexpected(parsed.error());
      }
    } else if (key == "down") {
      if (!field.is_bool()) return field_error(param, "down must be true or false");
      config.down = field.get_bool();
    } else if (key == "seed") {
      if (field.is_uint64()) {
        config.seed = field.get_uint64();
      } else if (field.is_int64() && field.get_int64() >= 0) {
        config.seed = static_cast<std::uint64_t>(field.get_int64());
      } else {
        return field_error(param, "seed must be a non-negative integer");
      }
    } else if (key == "hang_ms") {
      number = bounded(field, param, kFaultDelayMsMax);
      if (!number) return Unexpected(number.error());
      config.hang_ms = *number;
    } else if (key == "error_permille" || key == "timeout_permille" ||
               key == "drop_response_permille" || key == "decline_permille") {
      number = bounded(field, param, kPermilleMax);
      if (!number) return Unexpected(number.error());
      (key == "error_permille"     ? config.error_permille
       : key == "timeout_permille" ? config.timeout_permille
       : key == "decline_permille" ? config.decline_permille
                                   : config.drop_response_permille) = *number;
    } else {
      return field_error(param, "unknown field " + param);
    }
  }
  return config;
}

json::object faults_to_json(const FaultConfig& config) {
  json::object latency;
  latency["distribution"] = distribution_name(config.distribution);
  latency["min_ms"] = config.min_ms;
  latency["max_ms"] = config.max_ms;
  latency["mean_ms"] = config.mean_ms;
  json::array operations;
  for (std::size_t i = 0; i < kOperationCount; ++i) {
    if (config.operations[i]) operations.emplace_back(kOperationNames[i]);
  }
  json::object out;
  out["latency"] = std::move(latency);
  out["error_permille"] = config.error_permille;
  out["timeout_permille"] = config.timeout_permille;
  out["hang_ms"] = config.hang_ms;
  out["drop_response_permille"] = config.drop_response_permille;
  out["decline_permille"] = config.decline_permille;
  out["down"] = config.down;
  out["operations"] = std::move(operations);
  if (config.seed) {
    out["seed"] = *config.seed;
  } else {
    out["seed"] = nullptr;
  }
  return out;
}

FaultInjector::FaultInjector() {
  std::uint64_t seed = 0;
  random_bytes({reinterpret_cast<std::uint8_t*>(&seed), sizeof seed});
  random_.seed(seed);
}

void FaultInjector::set(const FaultConfig& config) {
  std::lock_guard lock(mutex_);
  config_ = config;
  if (config.seed) random_.seed(*config.seed);
}

FaultConfig FaultInjector::get() const {
  std::lock_guard lock(mutex_);
  return config_;
}

bool FaultInjector::chance(std::int64_t permille) {
  if (permille <= 0) return false;
  if (permille >= kPermilleMax) return true;
  std::uniform_int_distribution<std::int64_t> draw(0, kPermilleMax - 1);
  return draw(random_) < permille;
}

std::int64_t FaultInjector::latency() {
  switch (config_.distribution) {
    case LatencyDistribution::none:
      return 0;
    case LatencyDistribution::fixed:
      return config_.mean_ms > 0 ? config_.mean_ms : config_.min_ms;
    case LatencyDistribution::uniform: {
      std::uniform_int_distribution<std::int64_t> draw(config_.min_ms, config_.max_ms);
      return draw(random_);
    }
    case LatencyDistribution::exponential: {
      // min_ms + an exponential delay of mean mean_ms, capped at max_ms when that is set.
      // Floating point is fine here: this is a delay, not money.
      std::int64_t delay = config_.min_ms;
      if (config_.mean_ms > 0) {
        std::exponential_distribution<double> draw(1.0 / static_cast<double>(config_.mean_ms));
        const double extra = std::min(draw(random_), static_cast<double>(kFaultDelayMsMax));
        delay += static_cast<std::int64_t>(std::llround(extra));
      }
      if (config_.max_ms > 0) delay = std::min(delay, config_.max_ms);
      return std::min(delay, kFaultDelayMsMax);
    }
  }
  return 0;
}

FaultPlan FaultInjector::draw(Operation operation) {
  std::lock_guard lock(mutex_);
  FaultPlan plan;
  if (config_.down) {
    plan.unavailable = true;  // down is every processor call, whatever `operations` says
    return plan;
  }
  if (!config_.operations[static_cast<std::size_t>(operation)]) return plan;
  if (chance(config_.error_permille)) {
    plan.unavailable = true;
    return plan;
  }
  plan.latency_ms = latency();
  if (chance(config_.timeout_permille)) plan.hang_ms = config_.hang_ms;
  plan.drop_response = chance(config_.drop_response_permille);
  plan.soft_decline = operation == Operation::authorize && chance(config_.decline_permille);
  return plan;
}

}  // namespace till::sandbox_psp
