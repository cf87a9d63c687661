#include "payments/processor_followups.h"

#include "base/digest.h"
#include "obs/log.h"
#include "payments/attempts.h"
#include "payments/movements.h"
#include "payments/orchestration.h"

namespace till::payments {

namespace {

std::string_view operation_name(FollowUp operation) {
  switch (operation) {
    case FollowUp::capture:
      return "capture";
    case FollowUp::void_authorization:
      return "void";
    case FollowUp::refund:
      return "refund";
  }
  return "follow_up";
}

// Same charge, operation, amount and client key → same processor key: a retry repeats the
// call instead of making a second one. Without an Idempotency-Key the request id keeps
// distinct requests distinct (a retry without a key cannot be told from a new request).
std::string follow_up_key(const Call& call, const ObjectRow& charge, FollowUp operation,
                          std::int64_t amount) {
  const std::string request = call.idempotency_key.empty() ? "req:" + call.request.request_id
                                                           : "key:" + call.idempotency_key;
  const std::string material = charge.id + "|" + std::string(operation_name(operation)) + "|" +
                               std::to_string(amount) + "|" + request;
  return "fu_" + sha256_hex(material).substr(0, 40);
}

Reply processor_error(unsigned status, std::string code, std::string message) {
  api::ApiError error;
  error.status = status;
  error.type = status == 402 ? "card_error" : "api_error";
  error.code = std::move(code);
  error.message = std::move(message);
  return fail(error);
}

}  // namespace

bool routed_charge(const ObjectRow& charge) {
  return !text_of(charge.internal, "connector_account").empty();
}

std::optional<Reply> follow_up_at_processor(Services& services, const Call& call,
                                            const ObjectRow& charge, FollowUp operation,
                                            std::int64_t amount) {
  if (!routed_charge(charge)) return std::nullopt;
  if (services.orchestrator == nullptr) {
    return processor_error(503, "processor_unavailable",
                           "This charge was made through a processor, and processor routing is "
                           "not enabled on this server.");
  }
  const std::string account_id = text_of(charge.internal, "connector_account");
  auto account = services.orchestrator->account_by_id(account_id);
  if (!account) return unavailable(call, account.error().message);
  if (*account == nullptr) {
    return processor_error(503, "processor_unavailable",
                           "The connector account of this charge no longer exists.");
  }
  // The processor's reference of the authorization, from the attempt that made the charge.
  std::optional<Attempt> attempt;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto found = find_attempt(connection, text_of(charge.internal, "attempt"));
        if (!found) return unexpected(found.error());
        attempt = std::move(*found);
        return {};
      });
  if (!read) return unavailable(call, read.error().message);
  if (!attempt || attempt->processor_reference.empty()) {
    return unavailable(call, "routed charge " + charge.id + " has no processor reference");
  }
  connectors::FollowUpRequest request;
  request.context.idempotency_key = follow_up_key(call, charge, operation, amount);
  request.context.traceparent = std::string(call.request.header("traceparent"));
  request.processor_reference = attempt->processor_reference;
  request.amount = amount;
  request.currency = text_of(charge.body, "currency");
  connectors::Connector& connector = *(*account)->connector;
  const connectors::ProcessorResult result =
      operation == FollowUp::capture              ? connector.capture(request)
      : operation == FollowUp::void_authorization ? connector.void_authorization(request)
                                                  : connector.refund(request);
  obs::info("processor follow-up", {{"request_id", call.request.request_id},
                                    {"charge", charge.id},
                                    {"operation", operation_name(operation)},
                                    {"outcome", connectors::to_string(result.outcome)},
                                    {"latency_us", result.latency.count()}});
  switch (result.outcome) {
    case connectors::Outcome::approved:
      return std::nullopt;
    case connectors::Outcome::declined:
      return processor_error(402, "processor_declined",
                             "The processor refused to " + std::string(operation_name(operation)) +
                                 " this charge: " + result.message);
    case connectors::Outcome::not_processed:
      return processor_error(503, "processor_unavailable",
                             "The processor could not be reached or refused the request before "
                             "processing it; nothing changed. Retry the request.");
    case connectors::Outcome::unknown:
      return processor_error(503, "processor_timeout",
                             "The processor did not answer; it may or may not have carried out "
                             "the " +
                                 std::string(operation_name(operation)) +
                                 ". Retry with the same Idempotency-Key: the processor will "
                                 "carry it out once.");
  }
  return std::nullopt;
}

}  // namespace till::payments
