// admin/ledger_requests.h — JSON request bodies of the ledger admin routes, read into ledger
// specs (internal to admin; exposed for tests and fuzzing).
//
// Reading never throws and stops at the first problem, which it names by JSON path in
// `param`. Unknown fields are errors (a misspelt optional field would otherwise be silently
// ignored — on a money path that is how a hold ends up without its expiry). JSON null counts
// as absent for optional fields. Amounts are integers in minor units, sent as strings
// ("1234": 128-bit values do not survive JSON numbers in most clients) or as JSON integers.
// Only the shapes are checked here; the ledger checks the values (positive amounts, balanced
// postings, known accounts) and names fields in the same form.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "admin/request_errors.h"
#include "ledger/ledger.h"

namespace till::admin {

// The deepest valid body is 5 levels ({entries:[{postings:[{...}]}]}); a little slack, and
// anything deeper is refused by the parser before it can cost stack or memory.
constexpr std::size_t kJsonDepthMax = 8;

// The body as a JSON object, or 400 json_invalid.
ApiResult<boost::json::object> parse_json_object(std::string_view body);

// POST /admin/v1/ledger/accounts
ApiResult<ledger::AccountSpec> parse_account_request(std::string_view body);
// POST /admin/v1/ledger/entries
ApiResult<ledger::EntrySpec> parse_entry_request(std::string_view body);
// POST /admin/v1/ledger/entry_batches: {"entries": [entry, ...]}
ApiResult<std::vector<ledger::EntrySpec>> parse_batch_request(std::string_view body);

// One entry object; `prefix` is "" or "entries[3]." and starts every param.
ApiResult<ledger::EntrySpec> read_entry(const boost::json::value& value, const std::string& prefix);
// An amount: a strict integer string ("1234", "-5") or a JSON integer.
ApiResult<i128> read_amount(const boost::json::value& value, const std::string& param);

}  // namespace till::admin
