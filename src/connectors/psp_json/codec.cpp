#include "connectors/psp_json/codec.h"

#include <boost/json/serialize.hpp>

namespace till::connectors::psp_json {

namespace {

using boost::json::object;

// The authorization object (docs/sandbox-psp.md), the fields Till reads.
struct Authorization {
  std::string id;
  ProcessorStatus status = ProcessorStatus::none;
  std::string status_text;
  std::string idempotency_key;
  std::string decline_code;
  std::int64_t amount = 0;
  std::int64_t captured_amount = 0;
  std::int64_t refunded_amount = 0;
};

Expected<Authorization, std::string> read_authorization(const object& fields) {
  Authorization authorization;
  auto id = required_string(fields, "id");
  if (!id) return unexpected(id.error());
  if (!is_reference(*id)) return unexpected(std::string("field id is not a well-formed id"));
  authorization.id = std::move(*id);
  auto status = required_string(fields, "status");
  if (!status) return unexpected(status.error());
  const std::optional<ProcessorStatus> parsed = parse_processor_status(*status);
  if (!parsed) return unexpected("field status has an unknown value: " + scrub(*status));
  authorization.status = *parsed;
  authorization.status_text = std::move(*status);
  auto amount = required_amount(fields, "amount");
  if (!amount) return unexpected(amount.error());
  authorization.amount = *amount;
  auto captured = optional_amount(fields, "captured_amount");
  if (!captured) return unexpected(captured.error());
  authorization.captured_amount = *captured;
  auto refunded = optional_amount(fields, "refunded_amount");
  if (!refunded) return unexpected(refunded.error());
  authorization.refunded_amount = *refunded;
  auto key = optional_string(fields, "idempotency_key");
  if (!key) return unexpected(key.error());
  authorization.idempotency_key = std::move(*key);
  auto decline_code = optional_string(fields, "decline_code");
  if (!decline_code) return unexpected(decline_code.error());
  authorization.decline_code = std::move(*decline_code);
  return authorization;
}

// The state a successful answer to each operation leaves the authorization in.
bool reached(Operation operation, ProcessorStatus status) {
  switch (operation) {
    case Operation::authorize:
    case Operation::inquiry:
      return status != ProcessorStatus::declined && status != ProcessorStatus::none;
    case Operation::capture:
      // A replayed capture of a charge refunded since still answers what the capture did.
      return status == ProcessorStatus::captured || status == ProcessorStatus::refunded;
    case Operation::void_authorization:
      return status == ProcessorStatus::voided;
    case Operation::refund:
      return status == ProcessorStatus::refunded;
  }
  return false;
}

ProcessorResult from_authorization(Operation operation, const Authorization& authorization) {
  ProcessorResult result;
  if (authorization.status == ProcessorStatus::declined &&
      (operation == Operation::authorize || operation == Operation::inquiry)) {
    result = declined_result(authorization.decline_code,
                             find_decline_by_code(authorization.decline_code),
                             authorization.decline_code);
  } else if (reached(operation, authorization.status)) {
    result.outcome = Outcome::approved;
  } else {
    // The processor answered, and the operation did not take effect (a capture answered with
    // a voided authorization): a refusal, not a card decline, so no decline code.
    result.outcome = Outcome::declined;
    result.soft = false;
    result.message = std::string(to_string(operation)) + " answered with status " +
                     scrub(authorization.status_text);
  }
  result.status = authorization.status;
  result.processor_reference = authorization.id;
  result.amount = authorization.amount;
  result.captured_amount = authorization.captured_amount;
  result.refunded_amount = authorization.refunded_amount;
  return result;
}

ProcessorResult unreadable(int status, const std::string& problem) {
  return unknown_result("processor answered " + std::to_string(status) +
                        " with a body Till cannot read: " + problem);
}

// {"id": "rf_…", "object": "refund", "authorization", "amount", "status": "succeeded"}
ProcessorResult decode_refund(int status, const object& fields) {
  auto id = required_string(fields, "id");
  if (!id) return unreadable(status, id.error());
  if (!is_reference(*id)) return unreadable(status, "field id is not a well-formed id");
  auto amount = required_amount(fields, "amount");
  if (!amount) return unreadable(status, amount.error());
  auto refund_status = required_string(fields, "status");
  if (!refund_status) return unreadable(status, refund_status.error());
  ProcessorResult result;
  if (*refund_status == "succeeded") {
    result.outcome = Outcome::approved;
    result.status = ProcessorStatus::refunded;
  } else if (*refund_status == "failed") {
    result.outcome = Outcome::declined;
    result.message = "refund failed at the processor";
  } else {
    result = unknown_result("refund status " + scrub(*refund_status));
  }
  result.processor_reference = std::move(*id);
  result.amount = *amount;
  result.refunded_amount = *amount;
  return result;
}

// {"found": true, "authorization": {…}} or {"found": false, "cancelled": true}
ProcessorResult decode_inquiry(int status, const object& fields) {
  const boost::json::value* found = fields.if_contains("found");
  if (found == nullptr || !found->is_bool()) return unreadable(status, "field found is missing");
  if (found->get_bool()) {
    const boost::json::value* authorization = fields.if_contains("authorization");
    if (authorization == nullptr || !authorization->is_object()) {
      return unreadable(status, "field authorization is missing");
    }
    auto read = read_authorization(authorization->get_object());
    if (!read) return unreadable(status, "authorization: " + read.error());
    return from_authorization(Operation::inquiry, *read);
  }
  const boost::json::value* cancelled = fields.if_contains("cancelled");
  if (cancelled != nullptr && cancelled->is_bool() && cancelled->get_bool()) {
    ProcessorResult closed = not_processed_result(
        "processor holds nothing under this key and has cancelled it: a late request with it "
        "will be refused");
    closed.key_closed = true;
    return closed;
  }
  // Not found but not closed either: a request in flight could still land.
  return unknown_result("processor found nothing under this key but did not cancel it");
}

}  // namespace

Expected<WireRequest, std::string> encode_authorize(const AuthorizeRequest& request) {
  if (request.amount <= 0) return unexpected(std::string("amount must be positive"));
  if (!is_card_number(request.card.number)) {
    return unexpected(std::string("card number must be 12 to 19 digits"));
  }
  object card{{"number", request.card.number},
              {"exp_month", request.card.exp_month},
              {"exp_year", request.card.exp_year}};
  object body{{"amount", request.amount},
              {"currency", request.currency},
              {"capture", request.capture},
              {"reference", request.reference},
              {"card", std::move(card)},
              {"three_d_secure", object{{"authenticated", request.card.authenticated}}}};
  return WireRequest{HttpMethod::post, "/v1/authorizations", boost::json::serialize(body)};
}

Expected<WireRequest, std::string> encode_capture(const FollowUpRequest& request) {
  if (!is_reference(request.processor_reference)) {
    return unexpected(std::string("processor reference is malformed"));
  }
  if (request.amount < 0) return unexpected(std::string("amount must not be negative"));
  object body;
  if (request.amount > 0) body["amount"] = request.amount;  // absent: capture all
  return WireRequest{HttpMethod::post,
                     "/v1/authorizations/" + request.processor_reference + "/capture",
                     boost::json::serialize(body)};
}

Expected<WireRequest, std::string> encode_void(const FollowUpRequest& request) {
  if (!is_reference(request.processor_reference)) {
    return unexpected(std::string("processor reference is malformed"));
  }
  return WireRequest{HttpMethod::post,
                     "/v1/authorizations/" + request.processor_reference + "/void", "{}"};
}

Expected<WireRequest, std::string> encode_refund(const FollowUpRequest& request) {
  if (!is_reference(request.processor_reference)) {
    return unexpected(std::string("processor reference is malformed"));
  }
  if (request.amount <= 0) return unexpected(std::string("refund amount must be positive"));
  object body{{"amount", request.amount}};
  return WireRequest{HttpMethod::post,
                     "/v1/authorizations/" + request.processor_reference + "/refunds",
                     boost::json::serialize(body)};
}

Expected<WireRequest, std::string> encode_inquiry(std::string_view idempotency_key) {
  if (!is_idempotency_key(idempotency_key)) {
    return unexpected(std::string("idempotency key is malformed"));
  }
  object body{{"idempotency_key", idempotency_key}};
  return WireRequest{HttpMethod::post, "/v1/inquiries", boost::json::serialize(body)};
}

ProcessorResult decode_response(Operation operation, int status, std::string_view body) {
  if (status < 200 || status > 299) {
    // {"error": {"code": "...", "message": "..."}}, read leniently: the status decides.
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
  switch (operation) {
    case Operation::refund:
      return decode_refund(status, *parsed);
    case Operation::inquiry:
      return decode_inquiry(status, *parsed);
    case Operation::authorize:
    case Operation::capture:
    case Operation::void_authorization:
      break;
  }
  auto authorization = read_authorization(*parsed);
  if (!authorization) return unreadable(status, authorization.error());
  return from_authorization(operation, *authorization);
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
  auto event = parse_json_object(body);
  if (!event) return malformed(event.error());
  auto id = required_string(*event, "id");
  if (!id) return malformed(id.error());
  if (!is_reference(*id)) return malformed("field id is not a well-formed id");
  auto type = required_string(*event, "type");
  if (!type) return malformed(type.error());
  if (type->rfind("authorization.", 0) != 0) return malformed("field type is not authorization.*");
  if (auto created = required_amount(*event, "created"); !created)
    return malformed(created.error());
  const boost::json::value* data = event->if_contains("data");
  if (data == nullptr || !data->is_object()) return malformed("field data is missing");
  auto authorization = read_authorization(data->get_object());
  if (!authorization) return malformed("data: " + authorization.error());

  WebhookUpdate update;
  update.event_id = std::move(*id);
  update.idempotency_key = std::move(authorization->idempotency_key);
  update.processor_reference = std::move(authorization->id);
  update.status = authorization->status;
  update.amount = authorization->amount;
  update.captured_amount = authorization->captured_amount;
  update.refunded_amount = authorization->refunded_amount;
  if (update.status == ProcessorStatus::declined) {
    const ProcessorResult decline = declined_result(
        authorization->decline_code, find_decline_by_code(authorization->decline_code),
        authorization->decline_code);
    update.raw_code = decline.raw_code;
    update.decline_code = decline.decline_code;
  }
  return update;
}

}  // namespace till::connectors::psp_json
