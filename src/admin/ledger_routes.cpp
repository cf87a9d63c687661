#include "admin/ledger_routes.h"

#include <array>
#include <boost/json/serialize.hpp>

#include "admin/ledger_errors.h"
#include "admin/ledger_json.h"
#include "admin/ledger_requests.h"
#include "admin/query.h"
#include "admin/responses.h"
#include "obs/log.h"

namespace till::admin {

namespace {

using boost::json::array;
using boost::json::object;

constexpr std::array<std::string_view, 0> kNoQuery = {};
constexpr std::array<std::string_view, 2> kListQuery = {"limit", "starting_after"};
constexpr std::array<std::string_view, 1> kBalanceQuery = {"as_of_unix_ms"};

// A batch entry without its own key gets "<Idempotency-Key>:<index>"; the suffix is at most
// ":" and four digits while batches stay under 10,000 entries.
constexpr std::size_t kBatchKeySuffixBytesMax = 5;
static_assert(ledger::kEntriesPerBatchMax < 10'000);

// Server-side failures are logged with the ledger's own message (which the client does not
// get); client errors are the client's to read and are not logged beyond the request line.
api::Response ledger_failure(const api::Request& request, const ledger::LedgerError& error) {
  const api::ApiError api_error = to_api_error(error);
  if (api_error.status >= 500 || api_error.status == 429) {
    obs::warn("admin ledger request failed",
              {{"request_id", request.request_id}, {"code", error.code}, {"error", error.message}});
  }
  if (find_ledger_error(error.code) == nullptr) {
    obs::error("ledger error code missing from the admin mapping table",
               {{"request_id", request.request_id}, {"code", error.code}});
  }
  return failure(api_error);
}

// POST routes take no query parameters; refusing them catches a client that put the body's
// fields in the URL.
std::optional<api::ApiError> refuse_query(const api::Request& request) {
  auto params = parse_query(request.query, kNoQuery);
  if (!params) return std::move(params).error();
  return std::nullopt;
}

api::ApiError idempotency_key_too_long(std::size_t limit_bytes) {
  api::ApiError error;
  error.code = "idempotency_key_too_long";
  error.message = "The Idempotency-Key header is longer than " + std::to_string(limit_bytes) +
                  " bytes for this endpoint.";
  return error;
}

}  // namespace

api::Response LedgerRoutes::create_account(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  auto spec = parse_account_request(request.body);
  if (!spec) return failure(spec.error());
  auto account = ledger_.create_account(*spec);
  if (!account) return ledger_failure(request, account.error());
  return ok(account_json(*account));
}

api::Response LedgerRoutes::list_accounts(api::Request& request) {
  auto params = parse_query(request.query, kListQuery);
  if (!params) return failure(params.error());
  auto limit = read_limit(*params);
  if (!limit) return failure(limit.error());
  const std::string* cursor = find_query_param(*params, "starting_after");
  const std::string starting_after = cursor == nullptr ? std::string() : *cursor;
  if (!starting_after.empty()) {
    // The ledger would start from the beginning after an unknown id; a client that sent a
    // stale or mistyped cursor must hear about it instead of reading page one again.
    auto known = ledger_.get_account(starting_after);
    if (!known && known.error().code == "account_not_found") {
      return ledger_failure(
          request,
          {"cursor_invalid", "starting_after is not the id of a ledger account", "starting_after"});
    }
    if (!known) return ledger_failure(request, known.error());
  }
  auto page = ledger_.list_accounts(starting_after, *limit);
  if (!page) return ledger_failure(request, page.error());
  array data;
  for (const ledger::Account& account : page->items) data.push_back(account_json(account));
  return ok(list_json(std::move(data), page->has_more, request.path));
}

api::Response LedgerRoutes::get_account(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  auto account = ledger_.get_account(std::string(request.path_param("id")));
  if (!account) return ledger_failure(request, account.error());
  return ok(account_json(*account));
}

api::Response LedgerRoutes::get_balance(api::Request& request) {
  auto params = parse_query(request.query, kBalanceQuery);
  if (!params) return failure(params.error());
  auto as_of = read_int64(*params, "as_of_unix_ms");
  if (!as_of) return failure(as_of.error());
  // `available` depends on the account's type (which side is its normal balance).
  const std::string id(request.path_param("id"));
  auto account = ledger_.get_account(id);
  if (!account) return ledger_failure(request, account.error());
  auto balance = ledger_.balance(id, *as_of);
  if (!balance) return ledger_failure(request, balance.error());
  return ok(balance_json(*balance, account->type, *as_of));
}

api::Response LedgerRoutes::list_postings(api::Request& request) {
  auto params = parse_query(request.query, kListQuery);
  if (!params) return failure(params.error());
  auto limit = read_limit(*params);
  if (!limit) return failure(limit.error());
  const std::string* cursor = find_query_param(*params, "starting_after");
  auto page = ledger_.list_postings(std::string(request.path_param("id")),
                                    cursor == nullptr ? std::string() : *cursor, *limit);
  if (!page) return ledger_failure(request, page.error());
  array data;
  for (const ledger::Posting& posting : page->items) data.push_back(posting_json(posting));
  return ok(list_json(std::move(data), page->has_more, request.path));
}

api::Response LedgerRoutes::post_entry(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  const std::string_view header_key = request.header("Idempotency-Key");
  if (header_key.size() > ledger::kIdempotencyKeyBytesMax) {
    return failure(idempotency_key_too_long(ledger::kIdempotencyKeyBytesMax));
  }
  auto spec = parse_entry_request(request.body);
  if (!spec) return failure(spec.error());
  if (spec->idempotency_key.empty()) spec->idempotency_key = std::string(header_key);
  auto entry = ledger_.post(std::move(*spec));
  if (!entry) return ledger_failure(request, entry.error());
  api::Response response = ok(entry_json(*entry));
  if (entry->replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

api::Response LedgerRoutes::post_batch(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  const std::string_view header_key = request.header("Idempotency-Key");
  const std::size_t header_key_max = ledger::kIdempotencyKeyBytesMax - kBatchKeySuffixBytesMax;
  if (header_key.size() > header_key_max) return failure(idempotency_key_too_long(header_key_max));
  auto specs = parse_batch_request(request.body);
  if (!specs) return failure(specs.error());
  for (std::size_t i = 0; i < specs->size() && !header_key.empty(); ++i) {
    std::string& key = (*specs)[i].idempotency_key;
    if (key.empty()) key = std::string(header_key) + ":" + std::to_string(i);
  }
  auto entries = ledger_.post_batch(std::move(*specs));
  if (!entries) return ledger_failure(request, entries.error());
  array data;
  bool all_replayed = !entries->empty();
  for (const ledger::Entry& entry : *entries) {
    data.push_back(entry_json(entry));
    all_replayed = all_replayed && entry.replayed;
  }
  api::Response response = ok(list_json(std::move(data), false, request.path));
  if (all_replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

api::Response LedgerRoutes::get_entry(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  auto entry = ledger_.get_entry(std::string(request.path_param("id")));
  if (!entry) return ledger_failure(request, entry.error());
  return ok(entry_json(*entry));
}

api::Response LedgerRoutes::get_trial_balance(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  auto lines = ledger_.trial_balance();
  if (!lines) return ledger_failure(request, lines.error());
  return ok(trial_balance_json(*lines));
}

}  // namespace till::admin
