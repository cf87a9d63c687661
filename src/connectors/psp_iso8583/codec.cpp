#include "connectors/psp_iso8583/codec.h"

#include <boost/json/serialize.hpp>
#include <cstdio>

#include "base/digest.h"
#include "money/currency.h"

namespace till::connectors::psp_iso8583 {

namespace {

using boost::json::object;

constexpr std::uint32_t kStanModulus = 1'000'000;
constexpr int kExpiryYearMin = 2000;
constexpr int kExpiryYearMax = 2099;

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The answer's MTI: the request's + 10 ("0100" → "0110"); "" for a malformed one.
std::string answer_mti(std::string_view mti) {
  if (mti.size() != 4 || !all_digits(mti)) return {};
  int value = 0;
  for (char c : mti) value = value * 10 + (c - '0');
  char text[8];
  std::snprintf(text, sizeof text, "%04d", (value + 10) % 10'000);
  return text;
}

ProcessorResult unreadable(int status, const std::string& problem) {
  return unknown_result("processor answered " + std::to_string(status) +
                        " with a message Till cannot read: " + problem);
}

// An amount field: 12 digits as a string (the wire's form); a JSON integer is accepted too.
Expected<std::int64_t, std::string> amount_field(const object& fields, std::string_view key,
                                                 bool required) {
  const boost::json::value* value = fields.if_contains(key);
  if (value == nullptr || value->is_null()) {
    if (required) return unexpected("field " + std::string(key) + " is missing");
    return std::int64_t{0};
  }
  if (value->is_string()) {
    if (const auto parsed = parse_amount(value->get_string())) return *parsed;
  } else if (value->is_int64() && value->get_int64() >= 0) {
    return value->get_int64();
  }
  return unexpected("field " + std::string(key) + " is not an amount");
}

Expected<std::string, std::string> string_field(const object& fields, std::string_view key,
                                                bool required) {
  if (required) return required_string(fields, key);
  return optional_string(fields, key);
}

// The fields capture, void and refund share: MTI, STAN, the original's reference (37),
// amount (4) and currency (49) when given. Returns the STAN.
Expected<std::string, std::string> follow_up_common(const FollowUpRequest& request, object& body,
                                                    std::string_view mti) {
  if (!is_reference(request.processor_reference)) {
    return unexpected(std::string("processor reference is malformed"));
  }
  if (request.amount < 0) return unexpected(std::string("amount must not be negative"));
  std::string stan = stan_for(request.context.idempotency_key);
  body["mti"] = mti;
  body["11"] = stan;
  body["37"] = request.processor_reference;
  if (request.amount > 0) {
    const auto amount = format_amount(request.amount);
    if (!amount) return unexpected(std::string("amount exceeds 12 digits"));
    body["4"] = *amount;
  }
  if (!request.currency.empty()) {
    const auto currency = numeric_currency(request.currency);
    if (!currency) return unexpected(std::string("currency has no ISO 4217 numeric code"));
    body["49"] = *currency;
  }
  return stan;
}

}  // namespace

std::string stan_for(std::string_view idempotency_key) {
  const auto digest = sha256(idempotency_key);
  const std::uint32_t value = (static_cast<std::uint32_t>(digest[0]) << 24) |
                              (static_cast<std::uint32_t>(digest[1]) << 16) |
                              (static_cast<std::uint32_t>(digest[2]) << 8) |
                              static_cast<std::uint32_t>(digest[3]);
  char text[8];
  std::snprintf(text, sizeof text, "%06u", value % kStanModulus);
  return text;
}

std::optional<std::string> format_amount(std::int64_t amount) {
  if (amount < 0 || amount > kIsoAmountMax) return std::nullopt;
  const std::string digits = std::to_string(amount);
  return std::string(kIsoAmountDigits - digits.size(), '0') + digits;
}

std::optional<std::int64_t> parse_amount(std::string_view digits) {
  if (digits.size() != kIsoAmountDigits || !all_digits(digits)) return std::nullopt;
  std::int64_t value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

std::optional<std::string> numeric_currency(std::string_view alpha) {
  if (alpha.size() != 3) return std::nullopt;
  const money::Currency* currency = money::find_currency(alpha);
  if (currency == nullptr || currency->kind != money::CurrencyKind::fiat ||
      currency->numeric_code == 0 || currency->numeric_code > 999) {
    return std::nullopt;
  }
  char text[8];
  std::snprintf(text, sizeof text, "%03u", static_cast<unsigned>(currency->numeric_code));
  return text;
}

std::optional<std::string> alpha_currency(std::string_view numeric) {
  if (numeric.size() != 3 || !all_digits(numeric)) return std::nullopt;
  const int code = (numeric[0] - '0') * 100 + (numeric[1] - '0') * 10 + (numeric[2] - '0');
  for (const money::Currency& currency : money::all_currencies()) {
    if (currency.kind == money::CurrencyKind::fiat && currency.numeric_code == code) {
      std::string alpha(currency.code);
      for (char& c : alpha) c = static_cast<char>(c - 'A' + 'a');
      return alpha;
    }
  }
  return std::nullopt;
}

std::optional<std::string> expiry_yymm(int exp_month, int exp_year) {
  if (exp_month < 1 || exp_month > 12 || exp_year < kExpiryYearMin || exp_year > kExpiryYearMax) {
    return std::nullopt;
  }
  char text[8];
  std::snprintf(text, sizeof text, "%02d%02d", exp_year % 100, exp_month);
  return text;
}

Expected<IsoMessage, std::string> encode_authorize(const AuthorizeRequest& request) {
  if (!is_card_number(request.card.number)) {
    return unexpected(std::string("card number must be 12 to 19 digits"));
  }
  if (request.amount <= 0) return unexpected(std::string("amount must be positive"));
  const auto amount = format_amount(request.amount);
  if (!amount) return unexpected(std::string("amount exceeds 12 digits"));
  const auto currency = numeric_currency(request.currency);
  if (!currency) return unexpected(std::string("currency has no ISO 4217 numeric code"));
  const auto expiry = expiry_yymm(request.card.exp_month, request.card.exp_year);
  if (!expiry) return unexpected(std::string("card expiry is not a month of 2000-2099"));
  IsoMessage message;
  message.mti = std::string(request.capture ? kMtiFinancial : kMtiAuthorization);
  message.stan = stan_for(request.context.idempotency_key);
  object body{{"mti", message.mti},
              {"2", request.card.number},
              {"3", kProcessingPurchase},
              {"4", *amount},
              {"11", message.stan},
              {"14", *expiry},
              {"44", request.reference},
              {"49", *currency},
              {"3ds", request.card.authenticated}};
  message.body = boost::json::serialize(body);
  return message;
}

Expected<IsoMessage, std::string> encode_capture(const FollowUpRequest& request) {
  object body;
  auto stan = follow_up_common(request, body, kMtiCompletion);
  if (!stan) return unexpected(stan.error());
  return IsoMessage{std::string(kMtiCompletion), std::move(*stan), boost::json::serialize(body)};
}

Expected<IsoMessage, std::string> encode_void(const FollowUpRequest& request) {
  object body;
  auto stan = follow_up_common(request, body, kMtiReversal);
  if (!stan) return unexpected(stan.error());
  return IsoMessage{std::string(kMtiReversal), std::move(*stan), boost::json::serialize(body)};
}

Expected<IsoMessage, std::string> encode_refund(const FollowUpRequest& request) {
  if (request.amount <= 0) return unexpected(std::string("refund amount must be positive"));
  object body;
  auto stan = follow_up_common(request, body, kMtiFinancial);
  if (!stan) return unexpected(stan.error());
  body["3"] = kProcessingRefund;
  return IsoMessage{std::string(kMtiFinancial), std::move(*stan), boost::json::serialize(body)};
}

Expected<IsoMessage, std::string> encode_inquiry(std::string_view original_message_id,
                                                 std::string_view message_id) {
  if (!is_idempotency_key(original_message_id)) {
    return unexpected(std::string("idempotency key is malformed"));
  }
  IsoMessage message;
  message.mti = std::string(kMtiInquiry);
  message.stan = stan_for(message_id);
  object body{{"mti", message.mti}, {"11", message.stan}, {"90", original_message_id}};
  message.body = boost::json::serialize(body);
  return message;
}

ProcessorResult decode_response(Operation operation, const IsoMessage& sent, int status,
                                std::string_view body) {
  if (status < 200 || status > 299) {
    // {"error": {"code", "message"}} as on the JSON wire, read leniently: the status decides.
    std::string code;
    std::string message;
    if (auto parsed = parse_json_object(body)) {
      if (const auto* error = parsed->if_contains("error");
          error != nullptr && error->is_object()) {
        if (auto text = optional_string(error->get_object(), "code")) code = std::move(*text);
        if (auto text = optional_string(error->get_object(), "message")) message = std::move(*text);
      }
    }
    return result_for_error_status(status, code, message);
  }
  auto parsed = parse_json_object(body);
  if (!parsed) return unreadable(status, parsed.error());
  const object& fields = *parsed;
  auto mti = required_string(fields, "mti");
  if (!mti) return unreadable(status, mti.error());
  if (*mti != answer_mti(sent.mti)) {
    return unreadable(status, "answer MTI " + scrub(*mti) + " does not match request " + sent.mti);
  }
  auto stan = optional_string(fields, "11");
  if (!stan) return unreadable(status, stan.error());
  if (!stan->empty() && *stan != sent.stan) {
    return unreadable(status, "answer STAN does not match the request's");
  }
  auto code = required_string(fields, "39");
  if (!code) return unreadable(status, code.error());
  auto reference = optional_string(fields, "37");
  if (!reference) return unreadable(status, reference.error());
  if (!reference->empty() && !is_reference(*reference)) {
    return unreadable(status, "field 37 is not a well-formed reference");
  }
  auto amount = amount_field(fields, "4", false);
  if (!amount) return unreadable(status, amount.error());
  auto captured = amount_field(fields, "captured_amount", false);
  if (!captured) return unreadable(status, captured.error());
  auto refunded = amount_field(fields, "refunded_amount", false);
  if (!refunded) return unreadable(status, refunded.error());
  auto status_text = string_field(fields, "status",
                                  operation == Operation::inquiry && *code != kIsoUnableToLocate);
  if (!status_text) return unreadable(status, status_text.error());
  std::optional<ProcessorStatus> processor_status;
  if (!status_text->empty()) {
    processor_status = parse_processor_status(*status_text);
    if (!processor_status) {
      return unreadable(status, "field status has an unknown value: " + scrub(*status_text));
    }
  }

  if (*code == kIsoUnableToLocate) {
    ProcessorResult result =
        operation == Operation::inquiry
            ? not_processed_result(
                  "processor holds nothing under this message id and has cancelled it (39=25): "
                  "a late message with it will be refused")
            : not_processed_result("processor could not locate the original transaction (39=25)");
    result.raw_code = *code;
    result.key_closed = operation == Operation::inquiry;
    return result;
  }

  ProcessorResult result;
  const bool approved_code = *code == kIsoApproved;
  const bool declined_status = processor_status == ProcessorStatus::declined;
  if (!approved_code || declined_status) {
    result = declined_result(*code, find_decline_by_iso(*code), "");
    if (operation != Operation::authorize && operation != Operation::inquiry) {
      result.decline_code.clear();  // a refused follow-up is not a card decline
    }
  } else {
    result.outcome = Outcome::approved;
    result.raw_code = *code;
  }
  // The state the answer leaves the authorization in: the processor's when it says, else
  // what an approval of this message means.
  if (processor_status) {
    result.status = *processor_status;
  } else if (result.outcome == Outcome::approved) {
    switch (operation) {
      case Operation::authorize:
        result.status =
            sent.mti == kMtiFinancial ? ProcessorStatus::captured : ProcessorStatus::authorized;
        break;
      case Operation::capture:
        result.status = ProcessorStatus::captured;
        break;
      case Operation::void_authorization:
        result.status = ProcessorStatus::voided;
        break;
      case Operation::refund:
        result.status = ProcessorStatus::refunded;
        break;
      case Operation::inquiry:
        break;  // status is required there
    }
  }
  if (result.outcome == Outcome::approved &&
      (operation == Operation::authorize || operation == Operation::inquiry) &&
      reference->empty()) {
    return unreadable(status, "field 37 is missing from an approval");
  }
  result.processor_reference = std::move(*reference);
  result.amount = *amount;
  result.captured_amount = *captured;
  result.refunded_amount = *refunded;
  // Without the processor's totals, what this message did is the best known.
  if (result.outcome == Outcome::approved && !fields.contains("captured_amount")) {
    if (result.status == ProcessorStatus::captured) result.captured_amount = *amount;
  }
  if (result.outcome == Outcome::approved && !fields.contains("refunded_amount") &&
      operation == Operation::refund) {
    result.refunded_amount = *amount;
  }
  return result;
}

std::optional<WebhookUpdate> parse_webhook(std::string_view body,
                                           const std::map<std::string, std::string>& headers,
                                           std::string_view webhook_secret,
                                           std::int64_t now_unix_seconds,
                                           WebhookRejection& rejection) {
  if (!admit_signed_webhook(body, headers, webhook_secret, now_unix_seconds, rejection)) {
    return std::nullopt;
  }
  auto malformed = [&](const std::string& problem) {
    rejection.reason = "malformed body: " + problem;
    return std::nullopt;
  };
  auto advice = parse_json_object(body);
  if (!advice) return malformed(advice.error());
  auto mti = required_string(*advice, "mti");
  if (!mti) return malformed(mti.error());
  if (*mti != kMtiAdvice) return malformed("field mti is not " + std::string(kMtiAdvice));
  auto event_id = required_string(*advice, "event_id");
  if (!event_id) return malformed(event_id.error());
  if (!is_reference(*event_id)) return malformed("field event_id is not a well-formed id");
  auto reference = required_string(*advice, "37");
  if (!reference) return malformed(reference.error());
  if (!is_reference(*reference)) return malformed("field 37 is not a well-formed reference");
  auto code = required_string(*advice, "39");
  if (!code) return malformed(code.error());
  auto amount = amount_field(*advice, "4", true);
  if (!amount) return malformed(amount.error());
  auto currency = required_string(*advice, "49");
  if (!currency) return malformed(currency.error());
  if (!alpha_currency(*currency)) return malformed("field 49 is not an ISO 4217 numeric code");
  auto status = required_string(*advice, "status");
  if (!status) return malformed(status.error());
  const std::optional<ProcessorStatus> processor_status = parse_processor_status(*status);
  if (!processor_status) return malformed("field status has an unknown value");
  auto message_id = required_string(*advice, "message_id");
  if (!message_id) return malformed(message_id.error());
  if (!is_idempotency_key(*message_id)) return malformed("field message_id is malformed");
  auto captured = amount_field(*advice, "captured_amount", false);
  if (!captured) return malformed(captured.error());
  auto refunded = amount_field(*advice, "refunded_amount", false);
  if (!refunded) return malformed(refunded.error());

  WebhookUpdate update;
  update.event_id = std::move(*event_id);
  update.idempotency_key = std::move(*message_id);
  update.processor_reference = std::move(*reference);
  update.status = *processor_status;
  update.raw_code = scrub(*code);
  update.amount = *amount;
  update.captured_amount = *captured;
  update.refunded_amount = *refunded;
  if (update.status == ProcessorStatus::declined) {
    update.decline_code = declined_result(*code, find_decline_by_iso(*code), "").decline_code;
  }
  return update;
}

}  // namespace till::connectors::psp_iso8583
