#include "admin/ledger_errors.h"

#include <array>

namespace till::admin {

namespace {

constexpr std::string_view kInvalid = "invalid_request_error";
constexpr std::string_view kIdempotency = "idempotency_error";
constexpr std::string_view kApi = "api_error";

// 400: the request is wrong and will stay wrong. 409: the request was fine but conflicts with
// the ledger's current state (funds, a hold already resolved); it may succeed once the state
// changes, and it is not a card decline, so not Stripe's 402. 429/503: retry later.
constexpr std::array kTable = std::to_array<LedgerErrorMapping>({
    {"account_not_found", 404, kInvalid, "resource_missing", true},
    {"entry_not_found", 404, kInvalid, "resource_missing", true},
    {"hold_not_found", 404, kInvalid, "resource_missing", true},
    {"currency_invalid", 400, kInvalid, "currency_invalid", false},
    {"owner_invalid", 400, kInvalid, "owner_invalid", false},
    {"name_invalid", 400, kInvalid, "name_invalid", false},
    {"flags_invalid", 400, kInvalid, "flags_invalid", false},
    {"metadata_invalid", 400, kInvalid, "metadata_invalid", false},
    {"description_too_long", 400, kInvalid, "description_too_long", false},
    {"idempotency_key_too_long", 400, kInvalid, "idempotency_key_too_long", false},
    {"amount_invalid", 400, kInvalid, "amount_invalid", false},
    {"amount_overflow", 400, kInvalid, "amount_overflow", false},
    {"postings_count_invalid", 400, kInvalid, "postings_count_invalid", false},
    {"entry_unbalanced", 400, kInvalid, "entry_unbalanced", false},
    {"pending_postings_invalid", 400, kInvalid, "pending_postings_invalid", false},
    {"expires_at_in_past", 400, kInvalid, "expires_at_in_past", false},
    {"postings_not_allowed", 400, kInvalid, "postings_not_allowed", false},
    {"post_amount_not_allowed", 400, kInvalid, "post_amount_not_allowed", false},
    {"post_amount_invalid", 400, kInvalid, "post_amount_invalid", false},
    {"kind_invalid", 400, kInvalid, "kind_invalid", false},
    {"entry_not_reversible", 400, kInvalid, "entry_not_reversible", false},
    {"batch_size_invalid", 400, kInvalid, "batch_size_invalid", false},
    {"limit_invalid", 400, kInvalid, "limit_invalid", false},
    {"cursor_invalid", 400, kInvalid, "cursor_invalid", false},
    {"insufficient_funds", 409, kInvalid, "insufficient_funds", false},
    {"hold_already_resolved", 409, kInvalid, "hold_already_resolved", false},
    {"hold_expired", 409, kInvalid, "hold_expired", false},
    {"entry_already_reversed", 409, kInvalid, "entry_already_reversed", false},
    {"idempotency_key_reused", 400, kIdempotency, "idempotency_key_reused", false},
    {"ledger_overloaded", 429, kApi, "ledger_overloaded", false},
    {"ledger_unavailable", 503, kApi, "ledger_unavailable", false},
    {"ledger_stopping", 503, kApi, "ledger_unavailable", false},
});

// The ledger names a hold's expiry "expires_at"; the admin API's field is
// "expires_at_unix_ms", and `param` must name what the client sent.
std::string client_param(const std::string& field) {
  constexpr std::string_view ledger_name = "expires_at";
  const bool whole = field == ledger_name;
  const bool nested = field.ends_with("." + std::string(ledger_name));
  return whole || nested ? field + "_unix_ms" : field;
}

std::string generic_message(unsigned status) {
  if (status == 429) return "The ledger has too many writes waiting. Retry shortly.";
  return "The ledger is unavailable. Retry shortly; if it persists, check the server's log "
         "for this request's Request-Id.";
}

}  // namespace

std::span<const LedgerErrorMapping> ledger_error_table() { return kTable; }

const LedgerErrorMapping* find_ledger_error(std::string_view code) {
  for (const LedgerErrorMapping& row : kTable) {
    if (row.ledger_code == code) return &row;
  }
  return nullptr;
}

api::ApiError to_api_error(const ledger::LedgerError& error) {
  const LedgerErrorMapping* row = find_ledger_error(error.code);
  if (row == nullptr) return api::internal_error();
  api::ApiError out;
  out.status = row->status;
  if (row->not_found && error.field != "id") out.status = 400;
  out.type = std::string(row->type);
  out.code = std::string(row->api_code);
  out.message =
      out.status >= 500 || out.status == 429 ? generic_message(out.status) : error.message;
  out.param = client_param(error.field);
  return out;
}

}  // namespace till::admin
