// libFuzzer target for what the connectors read from processors (src/connectors/): both
// wires' response decoders, for every operation and an HTTP status taken from the input, and
// both webhook parsers — once behind a valid signature (so the body parser is reached) and
// once with the input as the Psp-Signature header itself.
//
// Beyond not crashing:
//   - the HTTP status decides first: a 4xx is not_processed, any other non-2xx unknown;
//     soft only on a decline, key_closed only with not_processed;
//   - no message, raw code or decline code carries a run of 12 or more digits (a card
//     number), whatever the processor sent;
//   - a parsed webhook names its event and authorization with well-formed ids.
//
// Build (clang): see `make fuzz`.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/common.h"
#include "connectors/psp_iso8583/codec.h"
#include "connectors/psp_json/codec.h"
#include "connectors/psp_signature.h"

namespace {

using till::connectors::Operation;
using till::connectors::Outcome;
using till::connectors::ProcessorResult;

constexpr std::string_view kSecret = "pwhsec_fuzz";
constexpr std::int64_t kNow = 1'790'000'000;
constexpr Operation kOperations[] = {Operation::authorize, Operation::capture,
                                     Operation::void_authorization, Operation::refund,
                                     Operation::inquiry};

bool has_card_like_digits(std::string_view text) {
  std::size_t run = 0;
  for (char c : text) {
    run = c >= '0' && c <= '9' ? run + 1 : 0;
    if (run >= 12) return true;
  }
  return false;
}

void check_result(const ProcessorResult& result, int status) {
  if (has_card_like_digits(result.message) || has_card_like_digits(result.raw_code) ||
      has_card_like_digits(result.decline_code)) {
    std::abort();
  }
  // 4xx: refused before processing.
  const bool refused = status >= 400 && status <= 499;
  if (refused && result.outcome != Outcome::not_processed) std::abort();
  if ((status < 200 || status > 299) && !refused && result.outcome != Outcome::unknown) {
    std::abort();
  }
  if (result.key_closed && result.outcome != Outcome::not_processed) std::abort();
  if (result.soft && result.outcome != Outcome::declined) std::abort();
}

// What the ISO decoder compares an answer with: one message per operation.
const till::connectors::psp_iso8583::IsoMessage& sent_for(Operation operation) {
  using namespace till::connectors;
  static const std::array<psp_iso8583::IsoMessage, 5> messages = [] {
    AuthorizeRequest authorize;
    authorize.context.idempotency_key = "pa_fuzz";
    authorize.amount = 2000;
    authorize.currency = "usd";
    authorize.reference = "pi_fuzz";
    authorize.card.number = "4242424242424242";
    authorize.card.exp_month = 12;
    authorize.card.exp_year = 2030;
    FollowUpRequest follow_up;
    follow_up.context.idempotency_key = "op_fuzz";
    follow_up.processor_reference = "RRN000000001";
    follow_up.amount = 1000;
    follow_up.currency = "usd";
    return std::array<psp_iso8583::IsoMessage, 5>{
        *psp_iso8583::encode_authorize(authorize), *psp_iso8583::encode_capture(follow_up),
        *psp_iso8583::encode_void(follow_up), *psp_iso8583::encode_refund(follow_up),
        *psp_iso8583::encode_inquiry("pa_fuzz", "inq_fuzz")};
  }();
  return messages[static_cast<std::size_t>(operation)];
}

void check_update(const std::optional<till::connectors::WebhookUpdate>& update,
                  const till::connectors::WebhookRejection& rejection) {
  if (!update) {
    if (rejection.reason.empty()) std::abort();
    return;
  }
  if (!till::connectors::is_reference(update->event_id) ||
      !till::connectors::is_reference(update->processor_reference) ||
      has_card_like_digits(update->raw_code) || has_card_like_digits(update->decline_code)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace connectors = till::connectors;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The status: 200 mostly (the bodies are what is interesting), else from the first byte.
  const int statuses[] = {200, size > 0 ? 100 + data[0] * 2 : 503};
  for (const int status : statuses) {
    for (const Operation operation : kOperations) {
      check_result(connectors::psp_json::decode_response(operation, status, input), status);
      check_result(
          connectors::psp_iso8583::decode_response(operation, sent_for(operation), status, input),
          status);
    }
  }

  std::map<std::string, std::string> headers{
      {"Psp-Signature", connectors::psp_signature(kSecret, kNow, input)}};
  connectors::WebhookRejection rejection;
  check_update(connectors::psp_json::parse_webhook(input, headers, kSecret, kNow, rejection),
               rejection);
  rejection = {};
  check_update(connectors::psp_iso8583::parse_webhook(input, headers, kSecret, kNow, rejection),
               rejection);

  // The input as the signature header: parsed without crashing, and never verifying a body
  // it was not made for (that would take forging the HMAC).
  std::string reason;
  if (connectors::verify_psp_signature(input, "{}", kSecret, kNow,
                                       connectors::kWebhookToleranceSeconds, reason)) {
    std::abort();
  }
  if (reason.empty()) std::abort();
  return 0;
}
