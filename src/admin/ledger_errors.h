// admin/ledger_errors.h — how each LedgerError code reaches an admin API client (internal to
// admin; exposed so tests walk the table case by case).
//
// One row per code the ledger can return; a code without a row is a bug in this table and
// answers 500 (and is logged), so a new ledger failure cannot silently become a 400.
#pragma once

#include <span>
#include <string_view>

#include "api/errors.h"
#include "ledger/ledger.h"

namespace till::admin {

struct LedgerErrorMapping {
  std::string_view ledger_code;
  unsigned status;
  std::string_view type;      // Stripe error type
  std::string_view api_code;  // `code` the client sees
  // Not-found codes: 404 when the missing object is the one the URL names (the ledger sets
  // field "id"), 400 when a field of the request refers to it, as Stripe does.
  bool not_found;
};

std::span<const LedgerErrorMapping> ledger_error_table();

// The table row for `code`, or nullptr.
const LedgerErrorMapping* find_ledger_error(std::string_view code);

// The client-facing error. The ledger's message is kept for 4xx (it names the problem); for
// 5xx it is replaced by a generic one, because it may carry database details — the caller
// logs the original.
api::ApiError to_api_error(const ledger::LedgerError& error);

}  // namespace till::admin
