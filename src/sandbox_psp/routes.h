// sandbox_psp/routes.h — what every route of the sandbox processor shares: credentials,
// idempotency keys, fault admission, strict JSON field reading and answers; and the three
// route sets (JSON wire, ISO wire, admin).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/router.h"
#include "sandbox_psp/faults.h"
#include "sandbox_psp/processor.h"

namespace till::sandbox_psp {

constexpr std::size_t kIdempotencyKeyBytesMax = 255;
constexpr std::size_t kReferenceBytesMax = 255;
constexpr std::int64_t kChargesPageMax = 1000;

// Waits that shutdown() cuts short: injected latency and hangs must not hold the process.
class Sleeper {
 public:
  // False when cut short by stop().
  bool sleep_for(std::int64_t ms);
  void stop();
  bool stopping();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

struct RouteContext {
  Processor& processor;
  FaultInjector& faults;
  Sleeper& sleeper;
  const PspOptions& options;
};

api::Response error_response(unsigned status, std::string_view code, std::string_view message,
                             std::string_view param = {});
api::Response answer_response(const Answer& answer);
api::Response store_failure(const store::StoreError& error);

// 401 unless `presented` is exactly `expected` (compared in constant time).
std::optional<api::Response> check_credential(std::string_view presented,
                                              const std::string& expected, std::string_view what);
// The credential of an `Authorization: Bearer <token>` header (empty when absent).
std::string_view bearer_token(const api::Request& request);

// The request's idempotency key from `header`, or a 400 naming the header.
Expected<std::string, api::Response> idempotency_key(const api::Request& request,
                                                     std::string_view header);

// Draws the request's faults and waits out its latency and hang. A response here (503) ends
// the request before anything is done.
Expected<FaultPlan, api::Response> admit(RouteContext& context, Operation operation);
// Applies drop_response to a finished answer.
api::Response deliver(api::Response response, const FaultPlan& plan);

// The body as a JSON object (an empty body is `{}` when `empty_is_object`), or a 400.
Expected<boost::json::object, api::Response> parse_object(std::string_view body,
                                                          bool empty_is_object);

// Percent-decoded value of `name` in a query string; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// Reads fields of one JSON object strictly: unknown fields, wrong types and values out of
// range are errors naming the field (`card.exp_month`). The first error wins.
class FieldReader {
 public:
  FieldReader(const boost::json::object& object, std::string prefix,
              std::initializer_list<std::string_view> known);
  std::optional<std::int64_t> integer(std::string_view name, bool required, std::int64_t min,
                                      std::int64_t max);
  std::optional<std::string> string(std::string_view name, bool required, std::size_t bytes_max);
  std::optional<bool> boolean(std::string_view name, bool required);
  const boost::json::object* object(std::string_view name, bool required);
  // Reports a problem found by the caller (a value of the right type that is still wrong).
  void invalid(std::string_view name, std::string message);
  bool ok() const { return !error_; }
  // A 400 naming the first problem; call only when !ok().
  api::Response error() const;
  std::string param(std::string_view name) const;

 private:
  const boost::json::value* find(std::string_view name, bool required);
  void fail(std::string code, std::string_view name, std::string message);

  const boost::json::object& object_;
  std::string prefix_;
  struct Problem {
    std::string code;
    std::string param;
    std::string message;
  };
  std::optional<Problem> error_;
};

void add_json_routes(api::Router& router, RouteContext& context);
void add_iso_routes(api::Router& router, RouteContext& context);
void add_admin_routes(api::Router& router, RouteContext& context);

}  // namespace till::sandbox_psp
