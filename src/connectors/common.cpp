#include "connectors/common.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cassert>

#include "connectors/psp_signature.h"
#include "obs/log.h"

namespace till::connectors {

namespace {

constexpr std::size_t kCardDigitsMin = 12;
constexpr std::size_t kCardDigitsMax = 19;
constexpr std::size_t kDeclineCodeBytesMax = 64;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// [a-z_], as Stripe's decline codes are.
bool is_code_like(std::string_view text) {
  if (text.empty() || text.size() > kDeclineCodeBytesMax) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

std::string field_error(std::string_view key, std::string_view problem) {
  return "field " + std::string(key) + " " + std::string(problem);
}

}  // namespace

std::string_view to_string(Operation operation) {
  switch (operation) {
    case Operation::authorize:
      return "authorize";
    case Operation::capture:
      return "capture";
    case Operation::void_authorization:
      return "void";
    case Operation::refund:
      return "refund";
    case Operation::inquiry:
      return "inquiry";
  }
  assert(false && "unknown Operation");
  return "authorize";
}

ProcessorResult not_processed_result(std::string message) {
  ProcessorResult result;
  result.outcome = Outcome::not_processed;
  result.status = ProcessorStatus::none;
  result.message = std::move(message);
  return result;
}

ProcessorResult unknown_result(std::string message) {
  ProcessorResult result;
  result.outcome = Outcome::unknown;
  result.message = std::move(message);
  return result;
}

ProcessorResult declined_result(const std::string& raw_code, const DeclineRule* rule,
                                std::string_view decline_code_fallback) {
  ProcessorResult result;
  result.outcome = Outcome::declined;
  result.status = ProcessorStatus::declined;
  if (rule != nullptr) {
    result.soft = rule->soft;
    result.decline_code = std::string(rule->decline_code);
    result.message = std::string(rule->message);
  } else {
    result.soft = false;
    result.decline_code = is_code_like(decline_code_fallback) ? std::string(decline_code_fallback)
                                                              : std::string(kGenericDecline);
    result.message = "declined with a code Till does not know: treated as hard";
  }
  result.raw_code = scrub(raw_code);
  return result;
}

bool admit_signed_webhook(std::string_view body, const std::map<std::string, std::string>& headers,
                          std::string_view webhook_secret, std::int64_t now_unix_seconds,
                          WebhookRejection& rejection) {
  if (body.size() > kWebhookBodyBytesMax) {
    rejection.reason = "body too large";
    return false;
  }
  const std::string_view signature = find_header(headers, kPspSignatureHeader).value_or("");
  return verify_psp_signature(signature, body, webhook_secret, now_unix_seconds,
                              kWebhookToleranceSeconds, rejection.reason);
}

ProcessorResult require_closed_key(ProcessorResult result) {
  if (result.outcome == Outcome::not_processed && !result.key_closed) {
    result.outcome = Outcome::unknown;
    result.message = "inquiry learned nothing: " + result.message;
  }
  return result;
}

ProcessorResult result_for_transport(const HttpResult& http) {
  switch (http.outcome) {
    case HttpOutcome::connect_failed:
    case HttpOutcome::invalid:
      return not_processed_result(scrub(http.error));
    case HttpOutcome::timeout:
    case HttpOutcome::no_answer:
      return unknown_result(scrub(http.error));
    case HttpOutcome::response:
      break;
  }
  assert(false && "result_for_transport called with a response");
  return unknown_result("internal: a response passed as a transport failure");
}

ProcessorResult account_for_resends(const HttpResult& http, ProcessorResult result) {
  if (http.transmissions > 1 && result.outcome == Outcome::not_processed) {
    result.outcome = Outcome::unknown;
    result.key_closed = false;
    result.message = "the request was sent " + std::to_string(http.transmissions) +
                     " times (a kept-alive connection died unanswered) and this answer covers "
                     "only the last: " +
                     result.message;
  }
  return result;
}

ProcessorResult result_for_error_status(int status, std::string_view error_code,
                                        std::string_view error_message) {
  std::string detail = "processor answered " + std::to_string(status);
  if (!error_code.empty()) detail += " " + scrub(error_code);
  if (!error_message.empty()) detail += ": " + scrub(error_message);
  // 4xx: refused before processing. Every 5xx is unknown, even a 503 that says "nothing was
  // processed": it answers this transmission, and libcurl may have sent the request before on
  // a reused connection that died unanswered — the chaos test caught a processor charging the
  // first transmission and answering the second with a 503. The resolve that follows an
  // unknown asks about the key, which covers every transmission.
  if (status >= 400 && status <= 499) {
    ProcessorResult result = not_processed_result(std::move(detail));
    result.raw_code = scrub(error_code);
    return result;
  }
  ProcessorResult result = unknown_result(std::move(detail));
  result.raw_code = scrub(error_code);
  return result;
}

std::string scrub(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMessageBytesMax));
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_digit(text[i])) {
      // A run of digits with single spaces or dashes between them, as a card number is written.
      std::size_t end = i;
      std::size_t digits = 0;
      std::size_t last_digit_end = i;
      while (end < text.size()) {
        if (is_digit(text[end])) {
          ++digits;
          last_digit_end = end + 1;
        } else if (!((text[end] == ' ' || text[end] == '-') && end + 1 < text.size() &&
                     is_digit(text[end + 1]))) {
          break;
        }
        ++end;
      }
      if (digits >= kCardDigitsMin) {
        out += "[redacted]";
      } else {
        out.append(text.substr(i, last_digit_end - i));
      }
      i = last_digit_end;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c < 0x20 || c == 0x7f ? ' ' : text[i]);
    ++i;
  }
  obs::redact_secrets(out);
  if (out.size() > kMessageBytesMax) {
    out.resize(kMessageBytesMax);
    // Do not leave half a UTF-8 sequence at the cut.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();
    out += "...";
  }
  return out;
}

bool is_reference(std::string_view text) {
  if (text.empty() || text.size() > kReferenceBytesMax) return false;
  for (char c : text) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_card_number(std::string_view text) {
  if (text.size() < kCardDigitsMin || text.size() > kCardDigitsMax) return false;
  for (char c : text) {
    if (!is_digit(c)) return false;
  }
  return true;
}

bool is_idempotency_key(std::string_view text) {
  if (text.empty() || text.size() > kIdempotencyKeyBytesMax) return false;
  for (char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::optional<std::string_view> find_header(const std::map<std::string, std::string>& headers,
                                            std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<ProcessorStatus> parse_processor_status(std::string_view text) {
  if (text == "authorized") return ProcessorStatus::authorized;
  if (text == "captured") return ProcessorStatus::captured;
  if (text == "declined") return ProcessorStatus::declined;
  if (text == "voided") return ProcessorStatus::voided;
  if (text == "refunded" || text == "partially_refunded") return ProcessorStatus::refunded;
  return std::nullopt;
}

HttpRequest processor_request(const AccountConfig& account, const CallContext& context,
                              HttpMethod method, std::string_view path, std::string body) {
  HttpRequest request;
  request.method = method;
  std::string_view base = account.base_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  request.url.reserve(base.size() + path.size());
  request.url.append(base).append(path);
  request.body = std::move(body);
  request.traceparent = context.traceparent;
  request.timeout = account.timeout;
  request.connect_timeout = std::min(account.timeout, kConnectTimeoutMax);
  return request;
}

ProcessorResult send_processor_call(
    HttpClient& http, const CallContext& context, Expected<HttpRequest, std::string> request,
    const std::function<ProcessorResult(const HttpResult&)>& decode) {
  const auto started = std::chrono::steady_clock::now();
  ProcessorResult result;
  if (!is_idempotency_key(context.idempotency_key)) {
    result = not_processed_result("idempotency key is missing or malformed (nothing sent)");
  } else if (!request) {
    result = not_processed_result(request.error() + " (nothing sent)");
  } else {
    const HttpResult answer = http.send(*request);
    if (answer.outcome != HttpOutcome::response) {
      result = result_for_transport(answer);
    } else if (answer.truncated && answer.status >= 200 && answer.status <= 299) {
      result = unknown_result("processor's answer exceeded the size limit");
    } else {
      result = account_for_resends(answer, decode(answer));
    }
  }
  result.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  return result;
}

Expected<boost::json::object, std::string> parse_json_object(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kJsonDepthMax;
  boost::system::error_code error;
  boost::json::value parsed = boost::json::parse(text, error, {}, options);
  if (error) return unexpected("not JSON: " + error.message());
  if (!parsed.is_object()) return unexpected(std::string("not a JSON object"));
  return std::move(parsed.get_object());
}

Expected<std::string, std::string> required_string(const boost::json::object& object,
                                                   std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return unexpected(field_error(key, "is missing"));
  if (!value->is_string()) return unexpected(field_error(key, "is not a string"));
  if (value->get_string().empty()) return unexpected(field_error(key, "is empty"));
  return std::string(value->get_string());
}

Expected<std::string, std::string> optional_string(const boost::json::object& object,
                                                   std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return unexpected(field_error(key, "is not a string"));
  return std::string(value->get_string());
}

Expected<std::int64_t, std::string> required_amount(const boost::json::object& object,
                                                    std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return unexpected(field_error(key, "is missing"));
  if (value->is_int64() && value->get_int64() >= 0) return value->get_int64();
  if (value->is_uint64()) return unexpected(field_error(key, "is out of range"));
  return unexpected(field_error(key, "is not a non-negative integer"));
}

Expected<std::int64_t, std::string> optional_amount(const boost::json::object& object,
                                                    std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::int64_t{0};
  return required_amount(object, key);
}

}  // namespace till::connectors
