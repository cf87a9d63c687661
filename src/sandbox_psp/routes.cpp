#include "sandbox_psp/routes.h"

#include <openssl/crypto.h>

#include <boost/json/parse.hpp>
#include <chrono>

#include "base/digest.h"
#include "obs/log.h"
#include "sandbox_psp/formats.h"

namespace till::sandbox_psp {

namespace json = boost::json;

bool Sleeper::sleep_for(std::int64_t ms) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

void Sleeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

bool Sleeper::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

api::Response error_response(unsigned status, std::string_view code, std::string_view message,
                             std::string_view param) {
  return api::json_response(status, error_body(code, message, param));
}

api::Response answer_response(const Answer& answer) {
  api::Response response = api::json_response(answer.status, answer.body);
  if (answer.replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

api::Response store_failure(const store::StoreError& error) {
  obs::error("sandbox processor: database failure",
             {{"kind", store::to_string(error.kind)}, {"error", error.message}});
  return error_response(500, "internal_error",
                        "the processor could not read or write its books; the request may not "
                        "have been processed (ask again under the same key)");
}

std::optional<api::Response> check_credential(std::string_view presented,
                                              const std::string& expected, std::string_view what) {
  // Digests have equal lengths, so the comparison's time says nothing about the secret.
  const auto a = sha256(presented);
  const auto b = sha256(expected);
  if (!presented.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0) return std::nullopt;
  return error_response(
      401, "unauthorized",
      presented.empty() ? "missing " + std::string(what) : "invalid " + std::string(what));
}

std::string_view bearer_token(const api::Request& request) {
  const std::string_view header = request.header("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size() || !api::iequals(header.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  return header.substr(kScheme.size());
}

Expected<std::string, api::Response> idempotency_key(const api::Request& request,
                                                     std::string_view header) {
  const std::string_view key = request.header(header);
  const std::string name(header);
  if (key.empty()) {
    return unexpected(
        error_response(400, "parameter_missing", "every POST needs a " + name + " header", name));
  }
  bool printable = key.size() <= kIdempotencyKeyBytesMax;
  for (const char c : key) printable = printable && c > 0x20 && c < 0x7f;
  if (!printable) {
    return unexpected(
        error_response(400, "parameter_invalid",
                       name + " must be 1 to 255 printable ASCII characters without spaces", name));
  }
  return std::string(key);
}

Expected<FaultPlan, api::Response> admit(RouteContext& context, Operation operation) {
  const FaultPlan plan = context.faults.draw(operation);
  const auto unavailable = [] {
    return unexpected(error_response(503, "service_unavailable",
                                     "the processor is unavailable; nothing was processed"));
  };
  if (plan.unavailable) return unavailable();
  if (plan.latency_ms > 0 && !context.sleeper.sleep_for(plan.latency_ms)) return unavailable();
  if (plan.hang_ms > 0 && !context.sleeper.sleep_for(plan.hang_ms)) return unavailable();
  return plan;
}

api::Response deliver(api::Response response, const FaultPlan& plan) {
  response.drop_connection = plan.drop_response;
  return response;
}

Expected<json::object, api::Response> parse_object(std::string_view body, bool empty_is_object) {
  if (body.empty() && empty_is_object) return json::object();
  boost::system::error_code failure;
  json::value value = json::parse(body, failure);
  if (failure || !value.is_object()) {
    return unexpected(error_response(400, "body_invalid", "the body must be a JSON object"));
  }
  return std::move(value.get_object());
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    std::string value;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        value.push_back(' ');
      } else if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 &&
                 hex(raw[i + 2]) >= 0) {
        value.push_back(static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2])));
        i += 2;
      } else {
        value.push_back(raw[i]);
      }
    }
    return value;
  }
  return std::nullopt;
}

FieldReader::FieldReader(const json::object& object, std::string prefix,
                         std::initializer_list<std::string_view> known)
    : object_(object), prefix_(std::move(prefix)) {
  for (const auto& [key, value] : object_) {
    bool is_known = false;
    for (const std::string_view name : known) is_known = is_known || key == name;
    if (!is_known) {
      fail("parameter_unknown", key, "unknown field " + param(key));
      return;
    }
  }
}

std::string FieldReader::param(std::string_view name) const {
  return prefix_.empty() ? std::string(name) : prefix_ + "." + std::string(name);
}

void FieldReader::fail(std::string code, std::string_view name, std::string message) {
  if (error_) return;
  error_ = Problem{std::move(code), param(name), std::move(message)};
}

void FieldReader::invalid(std::string_view name, std::string message) {
  fail("parameter_invalid", name, std::move(message));
}

api::Response FieldReader::error() const {
  return error_response(400, error_->code, error_->message, error_->param);
}

const json::value* FieldReader::find(std::string_view name, bool required) {
  if (error_) return nullptr;
  const json::value* value = object_.if_contains(name);
  if (value == nullptr || value->is_null()) {
    if (required) fail("parameter_missing", name, param(name) + " is required");
    return nullptr;
  }
  return value;
}

std::optional<std::int64_t> FieldReader::integer(std::string_view name, bool required,
                                                 std::int64_t min, std::int64_t max) {
  const json::value* value = find(name, required);
  if (value == nullptr) return std::nullopt;
  std::optional<std::int64_t> number;
  if (value->is_int64()) number = value->get_int64();
  if (!number || *number < min || *number > max) {
    invalid(name, param(name) + " must be an integer from " + std::to_string(min) + " to " +
                      std::to_string(max));
    return std::nullopt;
  }
  return number;
}

std::optional<std::string> FieldReader::string(std::string_view name, bool required,
                                               std::size_t bytes_max) {
  const json::value* value = find(name, required);
  if (value == nullptr) return std::nullopt;
  const json::string* text = value->if_string();
  if (text == nullptr || text->empty() || text->size() > bytes_max) {
    invalid(name,
            param(name) + " must be a string of 1 to " + std::to_string(bytes_max) + " bytes");
    return std::nullopt;
  }
  return std::string(*text);
}

std::optional<bool> FieldReader::boolean(std::string_view name, bool required) {
  const json::value* value = find(name, required);
  if (value == nullptr) return std::nullopt;
  if (!value->is_bool()) {
    invalid(name, param(name) + " must be true or false");
    return std::nullopt;
  }
  return value->get_bool();
}

const json::object* FieldReader::object(std::string_view name, bool required) {
  const json::value* value = find(name, required);
  if (value == nullptr) return nullptr;
  if (!value->is_object()) {
    invalid(name, param(name) + " must be an object");
    return nullptr;
  }
  return &value->get_object();
}

}  // namespace till::sandbox_psp
