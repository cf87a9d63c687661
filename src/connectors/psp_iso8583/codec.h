// connectors/psp_iso8583/codec.h — the ISO-8583-style wire of docs/sandbox-psp.md, as pure
// functions: a JSON object keyed by data-element numbers, one message per POST to
// /iso/v1/messages, the answer's MTI the request's + 10.
//
// Every message is a deterministic function of the request and its idempotency key (the STAN,
// field 11, is derived from the key), because the processor replays an answer only for a
// byte-identical request under the same X-Message-Id and refuses a different one with 409.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "connectors/common.h"
#include "connectors/connector.h"

namespace till::connectors::psp_iso8583 {

inline constexpr std::string_view kMessagesPath = "/iso/v1/messages";
inline constexpr std::size_t kIsoAmountDigits = 12;
inline constexpr std::int64_t kIsoAmountMax = 999'999'999'999;  // 12 digits

// Message type indicators.
inline constexpr std::string_view kMtiAuthorization = "0100";
inline constexpr std::string_view kMtiFinancial = "0200";   // authorize + capture, or refund
inline constexpr std::string_view kMtiCompletion = "0220";  // capture
inline constexpr std::string_view kMtiReversal = "0400";    // void
inline constexpr std::string_view kMtiInquiry = "0420";     // reversal of an unknown message
inline constexpr std::string_view kMtiAdvice = "0620";      // webhook
inline constexpr std::string_view kProcessingPurchase = "000000";
inline constexpr std::string_view kProcessingRefund = "200000";

struct IsoMessage {
  std::string mti;
  std::string stan;  // field 11, expected back in the answer
  std::string body;  // the JSON object
};

Expected<IsoMessage, std::string> encode_authorize(const AuthorizeRequest& request);
Expected<IsoMessage, std::string> encode_capture(const FollowUpRequest& request);
Expected<IsoMessage, std::string> encode_void(const FollowUpRequest& request);
Expected<IsoMessage, std::string> encode_refund(const FollowUpRequest& request);
// A 0420 naming `original_message_id` (field 90); `message_id` is the 0420's own X-Message-Id.
Expected<IsoMessage, std::string> encode_inquiry(std::string_view original_message_id,
                                                 std::string_view message_id);

// Field helpers, exposed for tests.
std::string stan_for(std::string_view idempotency_key);         // 6 digits
std::optional<std::string> format_amount(std::int64_t amount);  // 12 digits, zero-padded
std::optional<std::int64_t> parse_amount(std::string_view digits);
std::optional<std::string> numeric_currency(std::string_view alpha);  // "usd" → "840"
std::optional<std::string> alpha_currency(std::string_view numeric);  // "840" → "usd"
std::optional<std::string> expiry_yymm(int exp_month, int exp_year);  // 12, 2030 → "3012"

// Maps the answer to `sent` (any HTTP status, the body as received).
ProcessorResult decode_response(Operation operation, const IsoMessage& sent, int status,
                                std::string_view body);

// Verifies the Psp-Signature (kWebhookToleranceSeconds) and parses a 0620 advice strictly.
std::optional<WebhookUpdate> parse_webhook(std::string_view body,
                                           const std::map<std::string, std::string>& headers,
                                           std::string_view webhook_secret,
                                           std::int64_t now_unix_seconds,
                                           WebhookRejection& rejection);

}  // namespace till::connectors::psp_iso8583
