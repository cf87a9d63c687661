// connectors/psp_json/codec.h — the JSON REST wire of docs/sandbox-psp.md, as pure functions:
// requests to bytes, answers and webhooks to Till's vocabulary. No I/O here, so every mapping
// is unit-tested and fuzzed directly; psp_json.cpp adds the HTTP calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "connectors/common.h"
#include "connectors/connector.h"
#include "connectors/http_client.h"

namespace till::connectors::psp_json {

// One call to make: method, path below the account's base URL, JSON body.
struct WireRequest {
  HttpMethod method = HttpMethod::post;
  std::string path;
  std::string body;
};

// Encoders. An error means the request cannot be sent as asked (a malformed reference, a
// card number that is not 12-19 digits); its text never contains card data.
Expected<WireRequest, std::string> encode_authorize(const AuthorizeRequest& request);
Expected<WireRequest, std::string> encode_capture(const FollowUpRequest& request);
Expected<WireRequest, std::string> encode_void(const FollowUpRequest& request);
Expected<WireRequest, std::string> encode_refund(const FollowUpRequest& request);
Expected<WireRequest, std::string> encode_inquiry(std::string_view idempotency_key);

// Maps the processor's answer to `operation` (any HTTP status, the body as received).
ProcessorResult decode_response(Operation operation, int status, std::string_view body);

// Verifies the Psp-Signature (kWebhookToleranceSeconds) and parses the event strictly.
std::optional<WebhookUpdate> parse_webhook(std::string_view body,
                                           const std::map<std::string, std::string>& headers,
                                           std::string_view webhook_secret,
                                           std::int64_t now_unix_seconds,
                                           WebhookRejection& rejection);

}  // namespace till::connectors::psp_json
