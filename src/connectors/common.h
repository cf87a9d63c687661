// connectors/common.h — what the wire connectors share: building results, the rules that map
// a transport failure or an HTTP error status to an Outcome, strict JSON field readers, and
// scrubbing processor text before it becomes a message.
//
// Internal to the module: payments codes against connector.h and registry.h only.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "connectors/connector.h"
#include "connectors/declines.h"
#include "connectors/http_client.h"

namespace till::connectors {

enum class Operation : std::uint8_t { authorize, capture, void_authorization, refund, inquiry };
std::string_view to_string(Operation operation);

inline constexpr std::int64_t kWebhookToleranceSeconds = 300;
inline constexpr std::size_t kWebhookBodyBytesMax = 64 * 1024;
inline constexpr std::size_t kMessageBytesMax = 300;  // processor text quoted in a message
inline constexpr std::size_t kReferenceBytesMax = 64;
inline constexpr std::size_t kIdempotencyKeyBytesMax = 255;
inline constexpr int kJsonDepthMax = 16;
// A connect that takes longer than this is abandoned as "nothing sent", leaving the rest of
// the account's timeout unused: failing over early beats waiting on a dead address.
inline constexpr std::chrono::milliseconds kConnectTimeoutMax{3000};

ProcessorResult not_processed_result(std::string message);
ProcessorResult unknown_result(std::string message);
// A decline: `rule` from the table, or nullptr for a code the table lacks (then hard, and
// Stripe's code is `decline_code_fallback` when that is a plausible code, else
// generic_decline).
ProcessorResult declined_result(const std::string& raw_code, const DeclineRule* rule,
                                std::string_view decline_code_fallback);

// A resolve's result as the Connector contract allows it: not_processed only with a closed key
// (the processor said nothing exists and nothing will); anything else it could not learn is
// unknown — an inquiry that found no processor says nothing about the request it asks about.
ProcessorResult require_closed_key(ProcessorResult result);

// A call that got no HTTP response: connect_failed and invalid → not_processed (nothing was
// sent), timeout and no_answer → unknown.
ProcessorResult result_for_transport(const HttpResult& http);
// `result` as decoded from an answer, unless the request was transmitted more than once
// (http_client.h): then a not_processed speaks only for the last transmission, and the
// processor may have acted on an earlier one, so it becomes unknown.
ProcessorResult account_for_resends(const HttpResult& http, ProcessorResult result);

// A non-2xx answer. 4xx: refused before processing → not_processed (409
// idempotency_key_cancelled included: an inquiry closed the key, nothing was charged).
// 5xx, 1xx, 3xx: unknown.
ProcessorResult result_for_error_status(int status, std::string_view error_code,
                                        std::string_view error_message);

// Processor text made safe for a message: control characters become spaces, any run of 12
// or more digits (spaces and dashes allowed between them: a card number) is masked, then the
// log module's secret redaction runs, and the result is cut at kMessageBytesMax.
std::string scrub(std::string_view text);

// A processor reference or id that may go into a URL path: [A-Za-z0-9_-], 1..64 bytes.
bool is_reference(std::string_view text);
// A card number as a processor takes it: 12..19 ASCII digits.
bool is_card_number(std::string_view text);
// An idempotency key fit for a header: 1..255 printable ASCII characters.
bool is_idempotency_key(std::string_view text);

// Case-insensitive header lookup (callers pass names as received or lower-cased).
std::optional<std::string_view> find_header(const std::map<std::string, std::string>& headers,
                                            std::string_view name);

// The first step of every processor webhook: within kWebhookBodyBytesMax, and signed
// (Psp-Signature) with `webhook_secret` within kWebhookToleranceSeconds of `now_unix_seconds`.
// False with `rejection.reason` set otherwise.
bool admit_signed_webhook(std::string_view body, const std::map<std::string, std::string>& headers,
                          std::string_view webhook_secret, std::int64_t now_unix_seconds,
                          WebhookRejection& rejection);

// "authorized", "captured", "declined", "voided", "refunded", "partially_refunded".
std::optional<ProcessorStatus> parse_processor_status(std::string_view text);

// The HTTP request for one processor call: the account's base URL (a trailing slash
// dropped) + `path`, its timeout (connect capped at kConnectTimeoutMax), the caller's
// traceparent. The caller adds its credentials and idempotency headers.
HttpRequest processor_request(const AccountConfig& account, const CallContext& context,
                              HttpMethod method, std::string_view path, std::string body);

// One processor call as every wire connector makes it. A malformed idempotency key or a
// request that could not be encoded (`request` holds why) is not_processed, nothing sent.
// Otherwise `request` is sent: a transport failure or a 2xx answer cut at the size limit is
// classified here, any other answer is decoded by `decode` and then accounted for re-sends.
// The result carries the whole call's latency.
ProcessorResult send_processor_call(
    HttpClient& http, const CallContext& context, Expected<HttpRequest, std::string> request,
    const std::function<ProcessorResult(const HttpResult&)>& decode);

// Strict JSON reading: every failure names the field.
Expected<boost::json::object, std::string> parse_json_object(std::string_view text);
Expected<std::string, std::string> required_string(const boost::json::object& object,
                                                   std::string_view key);
// An absent or null key is "" (nullopt-free for the common optional string case).
Expected<std::string, std::string> optional_string(const boost::json::object& object,
                                                   std::string_view key);
// A non-negative integer (JSON number without fraction or exponent beyond int64).
Expected<std::int64_t, std::string> required_amount(const boost::json::object& object,
                                                    std::string_view key);
Expected<std::int64_t, std::string> optional_amount(const boost::json::object& object,
                                                    std::string_view key);

}  // namespace till::connectors
