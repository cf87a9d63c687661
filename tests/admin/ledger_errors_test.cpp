// Every LedgerError code reaches the client with a deliberate status, type and code — one
// row per code, checked against a table written out here by hand — and the table covers
// every code the ledger's source can produce.
#include "admin/ledger_errors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace till::admin {
namespace {

struct Expected {
  std::string_view ledger_code;
  std::string_view field;  // what the ledger puts in LedgerError.field
  unsigned status;
  std::string_view type;
  std::string_view code;
  std::string_view param;
};

void PrintTo(const Expected& row, std::ostream* out) {
  *out << row.ledger_code << " " << row.field;
}

constexpr Expected kCases[] = {
    // Not found: 404 for the URL's own object, 400 for a field that refers to one.
    {"account_not_found", "id", 404, "invalid_request_error", "resource_missing", "id"},
    {"account_not_found", "postings[1].account_id", 400, "invalid_request_error",
     "resource_missing", "postings[1].account_id"},
    {"account_not_found", "entries[2].postings[0].account_id", 400, "invalid_request_error",
     "resource_missing", "entries[2].postings[0].account_id"},
    {"entry_not_found", "id", 404, "invalid_request_error", "resource_missing", "id"},
    {"entry_not_found", "reverses_entry_id", 400, "invalid_request_error", "resource_missing",
     "reverses_entry_id"},
    {"hold_not_found", "pending_entry_id", 400, "invalid_request_error", "resource_missing",
     "pending_entry_id"},
    // Invalid requests: 400 with the ledger's code.
    {"currency_invalid", "currency", 400, "invalid_request_error", "currency_invalid", "currency"},
    {"owner_invalid", "owner", 400, "invalid_request_error", "owner_invalid", "owner"},
    {"name_invalid", "name", 400, "invalid_request_error", "name_invalid", "name"},
    {"flags_invalid", "flags", 400, "invalid_request_error", "flags_invalid", "flags"},
    {"metadata_invalid", "metadata[k]", 400, "invalid_request_error", "metadata_invalid",
     "metadata[k]"},
    {"description_too_long", "description", 400, "invalid_request_error", "description_too_long",
     "description"},
    {"idempotency_key_too_long", "idempotency_key", 400, "invalid_request_error",
     "idempotency_key_too_long", "idempotency_key"},
    {"amount_invalid", "postings[1].amount", 400, "invalid_request_error", "amount_invalid",
     "postings[1].amount"},
    {"amount_overflow", "postings[0].amount", 400, "invalid_request_error", "amount_overflow",
     "postings[0].amount"},
    {"postings_count_invalid", "postings", 400, "invalid_request_error", "postings_count_invalid",
     "postings"},
    {"entry_unbalanced", "entries[1].postings", 400, "invalid_request_error", "entry_unbalanced",
     "entries[1].postings"},
    {"pending_postings_invalid", "postings", 400, "invalid_request_error",
     "pending_postings_invalid", "postings"},
    // The ledger calls the expiry "expires_at"; the client sent "expires_at_unix_ms".
    {"expires_at_in_past", "expires_at", 400, "invalid_request_error", "expires_at_in_past",
     "expires_at_unix_ms"},
    {"expires_at_in_past", "entries[3].expires_at", 400, "invalid_request_error",
     "expires_at_in_past", "entries[3].expires_at_unix_ms"},
    {"postings_not_allowed", "postings", 400, "invalid_request_error", "postings_not_allowed",
     "postings"},
    {"post_amount_not_allowed", "post_amount", 400, "invalid_request_error",
     "post_amount_not_allowed", "post_amount"},
    {"post_amount_invalid", "post_amount", 400, "invalid_request_error", "post_amount_invalid",
     "post_amount"},
    {"kind_invalid", "kind", 400, "invalid_request_error", "kind_invalid", "kind"},
    {"entry_not_reversible", "reverses_entry_id", 400, "invalid_request_error",
     "entry_not_reversible", "reverses_entry_id"},
    {"batch_size_invalid", "entries", 400, "invalid_request_error", "batch_size_invalid",
     "entries"},
    {"limit_invalid", "limit", 400, "invalid_request_error", "limit_invalid", "limit"},
    {"cursor_invalid", "starting_after", 400, "invalid_request_error", "cursor_invalid",
     "starting_after"},
    // Conflicts with the ledger's current state: 409.
    {"insufficient_funds", "postings[0]", 409, "invalid_request_error", "insufficient_funds",
     "postings[0]"},
    {"hold_already_resolved", "pending_entry_id", 409, "invalid_request_error",
     "hold_already_resolved", "pending_entry_id"},
    {"hold_expired", "pending_entry_id", 409, "invalid_request_error", "hold_expired",
     "pending_entry_id"},
    {"entry_already_reversed", "reverses_entry_id", 409, "invalid_request_error",
     "entry_already_reversed", "reverses_entry_id"},
    // Same key, different entry: Stripe's idempotency_error.
    {"idempotency_key_reused", "idempotency_key", 400, "idempotency_error",
     "idempotency_key_reused", "idempotency_key"},
    // Retry later.
    {"ledger_overloaded", "", 429, "api_error", "ledger_overloaded", ""},
    {"ledger_unavailable", "", 503, "api_error", "ledger_unavailable", ""},
    {"ledger_stopping", "", 503, "api_error", "ledger_unavailable", ""},
};

class LedgerErrorCase : public ::testing::TestWithParam<Expected> {};

TEST_P(LedgerErrorCase, MapsToItsStatusTypeCodeAndParam) {
  const Expected& want = GetParam();
  const ledger::LedgerError error{std::string(want.ledger_code), "the ledger's message",
                                  std::string(want.field)};
  const api::ApiError got = to_api_error(error);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.code, want.code);
  EXPECT_EQ(got.param, want.param);
  if (want.status < 429) {
    EXPECT_EQ(got.message, "the ledger's message");
  } else {
    // 5xx/429 messages may carry database details: replaced by a generic one.
    EXPECT_NE(got.message.find("Retry"), std::string::npos) << got.message;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryCode, LedgerErrorCase, ::testing::ValuesIn(kCases));

TEST(LedgerErrors, EveryTableRowHasACase) {
  std::set<std::string_view> tested;
  for (const Expected& row : kCases) tested.insert(row.ledger_code);
  for (const LedgerErrorMapping& row : ledger_error_table()) {
    EXPECT_TRUE(tested.count(row.ledger_code) == 1) << row.ledger_code << " has no test case";
  }
}

TEST(LedgerErrors, AnUnmappedCodeIsA500) {
  const api::ApiError got = to_api_error({"something_new", "details", "postings"});
  EXPECT_EQ(got.status, 500u);
  EXPECT_EQ(got.type, "api_error");
  EXPECT_EQ(got.message.find("details"), std::string::npos);
}

// Every code the ledger's source can return (`error("code", ...)` in src/ledger, except the
// separate verifier) has a row, so a new ledger failure cannot reach clients as a 500.
TEST(LedgerErrors, TableCoversEveryCodeInTheLedgerSource) {
  const std::filesystem::path ledger_dir = std::filesystem::path(TILL_SOURCE_DIR) / "src/ledger";
  const std::regex call(R"(\berror\(\s*"([a-z_]+)\")");
  std::set<std::string> found;
  for (const auto& file : std::filesystem::directory_iterator(ledger_dir)) {
    const std::string name = file.path().filename().string();
    if (file.path().extension() != ".cpp" || name.starts_with("verify")) continue;
    std::ifstream in(file.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string source = text.str();
    for (std::sregex_iterator it(source.begin(), source.end(), call), end; it != end; ++it) {
      found.insert((*it)[1].str());
    }
  }
  EXPECT_GE(found.size(), 20u) << "the scan found too few codes; did the ledger's style change?";
  for (const std::string& code : found) {
    EXPECT_NE(find_ledger_error(code), nullptr) << code << " is missing from the admin table";
  }
}

}  // namespace
}  // namespace till::admin
