// sandbox_psp/faults.h — fault injection: the instance's current faults and the per-request
// draw.
//
// Faults live in memory only (a restarted instance starts without faults) and are replaced as
// a whole by POST /admin/faults. Draws use a std::mt19937_64 seeded from the CSPRNG, or from
// the faults' `seed` so a test can replay a sequence; this is test behaviour, not money, so a
// fast predictable generator is the right tool.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "base/result.h"

namespace till::sandbox_psp {

// The processor calls faults apply to (`operations`). `lookup` (GET of an authorization or
// transaction) is this implementation's addition to the documented five.
enum class Operation : std::uint8_t { authorize, capture, void_, refund, inquiry, lookup };
constexpr std::size_t kOperationCount = 6;
std::string_view to_string(Operation operation);

constexpr std::int64_t kPermilleMax = 1000;
constexpr std::int64_t kFaultDelayMsMax = 10 * 60 * 1000;  // any single wait
constexpr std::int64_t kHangMsDefault = 30'000;

enum class LatencyDistribution : std::uint8_t { none, fixed, uniform, exponential };

struct FaultConfig {
  LatencyDistribution distribution = LatencyDistribution::none;
  std::int64_t min_ms = 0;
  std::int64_t max_ms = 0;
  std::int64_t mean_ms = 0;
  std::int64_t error_permille = 0;
  std::int64_t timeout_permille = 0;
  std::int64_t hang_ms = kHangMsDefault;
  std::int64_t drop_response_permille = 0;
  std::int64_t decline_permille = 0;
  bool down = false;
  bool operations[kOperationCount] = {true, true, true, true, true, true};
  std::optional<std::uint64_t> seed;
};

// What happens to one request.
struct FaultPlan {
  bool unavailable = false;  // answer 503 before doing anything (down, error_permille)
  std::int64_t latency_ms = 0;
  std::int64_t hang_ms = 0;  // timeout_permille: wait this long, then process
  bool drop_response = false;
  bool soft_decline = false;  // authorizations only
};

// A field error from parsing faults: `param` names the offending field.
struct FaultError {
  std::string param;
  std::string message;
};

// Parses a POST /admin/faults body; absent fields take their defaults.
Expected<FaultConfig, FaultError> parse_faults(const boost::json::value& body);
boost::json::object faults_to_json(const FaultConfig& config);

class FaultInjector {
 public:
  FaultInjector();
  // Replaces the faults (and reseeds from `seed` when given).
  void set(const FaultConfig& config);
  FaultConfig get() const;
  FaultPlan draw(Operation operation);

 private:
  bool chance(std::int64_t permille);  // under mutex_
  std::int64_t latency();              // under mutex_

  mutable std::mutex mutex_;
  FaultConfig config_;
  std::mt19937_64 random_;
};

}  // namespace till::sandbox_psp
