// Request bodies of the ledger admin routes: every malformed body is refused with the
// expected code and the JSON path of the offending field; valid bodies read into the right
// ledger specs.
#include "admin/ledger_requests.h"

#include <gtest/gtest.h>

#include <string>

#include "ledger/amount_text.h"

namespace till::admin {
namespace {

enum class Body { entry, batch, account };

struct BadBody {
  Body kind;
  std::string_view body;
  std::string_view code;
  std::string_view param;
};

void PrintTo(const BadBody& row, std::ostream* out) { *out << row.body; }

constexpr std::string_view kOk1 = R"({"account_id":"la_a","side":"debit","amount":"1"})";

// Posting i of an otherwise valid two-posting entry, with `second` as the second posting.
std::string entry_with(std::string_view second) {
  return R"({"postings":[)" + std::string(kOk1) + "," + std::string(second) + "]}";
}

constexpr BadBody kBadBodies[] = {
    // Not JSON, or not an object.
    {Body::entry, "{", "json_invalid", ""},
    {Body::entry, "", "json_invalid", ""},
    {Body::entry, "[]", "json_invalid", ""},
    {Body::entry, R"("entry")", "json_invalid", ""},
    {Body::entry, "{\"description\":\"\xff\"}", "json_invalid", ""},  // invalid UTF-8
    {Body::entry, R"({"metadata":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{}}}}}}}}})", "json_invalid",
     ""},  // deeper than kJsonDepthMax
    {Body::entry, R"({"description":"x"} trailing)", "json_invalid", ""},
    // Unknown fields, at every level.
    {Body::entry, R"({"amount":"5"})", "parameter_unknown", "amount"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":"1","memo":"x"}]})",
     "parameter_unknown", "postings[0].memo"},
    {Body::batch, R"({"entries":[],"atomic":true})", "parameter_unknown", "atomic"},
    {Body::batch, R"({"entries":[{},{"kind":"standard","note":1}]})", "parameter_unknown",
     "entries[1].note"},
    {Body::account, R"({"id":"la_x","type":"asset","currency":"usd","owner":"p"})",
     "parameter_unknown", "id"},
    // Entry fields of the wrong type or value.
    {Body::entry, R"({"kind":"expire"})", "parameter_invalid", "kind"},
    {Body::entry, R"({"kind":1})", "parameter_invalid", "kind"},
    {Body::entry, R"({"postings":{}})", "parameter_invalid", "postings"},
    {Body::entry, R"({"postings":["la_a"]})", "parameter_invalid", "postings[0]"},
    {Body::entry, R"({"pending_entry_id":7})", "parameter_invalid", "pending_entry_id"},
    {Body::entry, R"({"reverses_entry_id":["je_x"]})", "parameter_invalid", "reverses_entry_id"},
    {Body::entry, R"({"idempotency_key":{}})", "parameter_invalid", "idempotency_key"},
    {Body::entry, R"({"description":false})", "parameter_invalid", "description"},
    {Body::entry, R"({"metadata":[]})", "parameter_invalid", "metadata"},
    {Body::entry, R"({"metadata":{"order":12}})", "parameter_invalid", "metadata[order]"},
    {Body::entry, R"({"expires_at_unix_ms":"1700000000000"})", "parameter_invalid_integer",
     "expires_at_unix_ms"},
    {Body::entry, R"({"expires_at_unix_ms":1.7e12})", "parameter_invalid_integer",
     "expires_at_unix_ms"},
    {Body::entry, R"({"expires_at_unix_ms":18446744073709551615})", "parameter_invalid_integer",
     "expires_at_unix_ms"},
    {Body::entry, R"({"post_amount":"ten"})", "parameter_invalid_integer", "post_amount"},
    // Postings: missing, mistyped and malformed fields.
    {Body::entry, R"({"postings":[{"side":"debit","amount":"1"}]})", "parameter_missing",
     "postings[0].account_id"},
    {Body::entry, R"({"postings":[{"account_id":null,"side":"debit","amount":"1"}]})",
     "parameter_missing", "postings[0].account_id"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","amount":"1"}]})", "parameter_missing",
     "postings[0].side"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit"}]})", "parameter_missing",
     "postings[0].amount"},
    {Body::entry, R"({"postings":[{"account_id":5,"side":"debit","amount":"1"}]})",
     "parameter_invalid", "postings[0].account_id"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"DEBIT","amount":"1"}]})",
     "parameter_invalid", "postings[0].side"},
    // Amounts: strict integer strings or JSON integers only.
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":"1.5"}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":12.5}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":1e3}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":"01"}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":"+1"}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":" 1"}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":""}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":true}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    {Body::entry, R"({"postings":[{"account_id":"la_a","side":"debit","amount":["1"]}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    // 2^127: one past the largest 128-bit amount.
    {Body::entry,
     R"({"postings":[{"account_id":"la_a","side":"debit","amount":"170141183460469231731687303715884105728"}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    // 2^64 as a JSON number: already a double inside any JSON parser.
    {Body::entry,
     R"({"postings":[{"account_id":"la_a","side":"debit","amount":18446744073709551616}]})",
     "parameter_invalid_integer", "postings[0].amount"},
    // Batches.
    {Body::batch, R"({})", "parameter_missing", "entries"},
    {Body::batch, R"({"entries":null})", "parameter_missing", "entries"},
    {Body::batch, R"({"entries":{}})", "parameter_invalid", "entries"},
    {Body::batch, R"({"entries":[{},1]})", "parameter_invalid", "entries[1]"},
    {Body::batch,
     R"({"entries":[{},{},{"postings":[{"account_id":"la_a","side":"debit","amount":"1"},{"side":"credit","amount":"1"}]}]})",
     "parameter_missing", "entries[2].postings[1].account_id"},
    {Body::batch,
     R"({"entries":[{"postings":[{"account_id":"la_a","side":"debit","amount":"x"}]}]})",
     "parameter_invalid_integer", "entries[0].postings[0].amount"},
    {Body::batch, R"({"entries":[{"metadata":{"k":null}}]})", "parameter_invalid",
     "entries[0].metadata[k]"},
    // Accounts.
    {Body::account, R"({})", "parameter_missing", "type"},
    {Body::account, R"({"type":"assets","currency":"usd","owner":"p"})", "parameter_invalid",
     "type"},
    {Body::account, R"({"type":"asset","owner":"p"})", "parameter_missing", "currency"},
    {Body::account, R"({"type":"asset","currency":840,"owner":"p"})", "parameter_invalid",
     "currency"},
    {Body::account, R"({"type":"asset","currency":"usd"})", "parameter_missing", "owner"},
    {Body::account, R"({"type":"asset","currency":"usd","owner":"p","name":1})",
     "parameter_invalid", "name"},
    {Body::account, R"({"type":"asset","currency":"usd","owner":"p","flags":"x"})",
     "parameter_invalid", "flags"},
    {Body::account, R"({"type":"asset","currency":"usd","owner":"p","flags":["nope"]})",
     "parameter_invalid", "flags[0]"},
    {Body::account,
     R"({"type":"asset","currency":"usd","owner":"p","flags":["debits_must_not_exceed_credits",1]})",
     "parameter_invalid", "flags[1]"},
    {Body::account, R"({"type":"asset","currency":"usd","owner":"p","metadata":{"a":[]}})",
     "parameter_invalid", "metadata[a]"},
};

api::ApiError parse_error(const BadBody& row) {
  switch (row.kind) {
    case Body::entry: {
      auto parsed = parse_entry_request(row.body);
      EXPECT_FALSE(parsed);
      return parsed ? api::ApiError{} : parsed.error();
    }
    case Body::batch: {
      auto parsed = parse_batch_request(row.body);
      EXPECT_FALSE(parsed);
      return parsed ? api::ApiError{} : parsed.error();
    }
    case Body::account: {
      auto parsed = parse_account_request(row.body);
      EXPECT_FALSE(parsed);
      return parsed ? api::ApiError{} : parsed.error();
    }
  }
  return {};
}

class BadBodyTest : public ::testing::TestWithParam<BadBody> {};

TEST_P(BadBodyTest, IsRefusedWithCodeAndParam) {
  const BadBody& row = GetParam();
  const api::ApiError error = parse_error(row);
  EXPECT_EQ(error.status, 400u);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.code, row.code) << error.message;
  EXPECT_EQ(error.param, row.param) << error.message;
  EXPECT_FALSE(error.message.empty());
}

INSTANTIATE_TEST_SUITE_P(Table, BadBodyTest, ::testing::ValuesIn(kBadBodies));

TEST(LedgerRequests, SecondPostingErrorsNameIndexOne) {
  auto parsed =
      parse_entry_request(entry_with(R"({"account_id":"la_b","side":"credit","amount":1.5})"));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().param, "postings[1].amount");
}

TEST(LedgerRequests, ReadsAStandardEntryWithStringAndIntegerAmounts) {
  auto parsed = parse_entry_request(R"({
      "postings": [{"account_id": "la_a", "side": "debit", "amount": "170141183460469231731687303715884105727"},
                   {"account_id": "la_b", "side": "credit", "amount": 42}],
      "description": "top up", "idempotency_key": "k-1", "metadata": {"order": "7"},
      "pending_entry_id": null})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const ledger::EntrySpec& spec = *parsed;
  EXPECT_EQ(spec.kind, ledger::EntryKind::standard);
  ASSERT_EQ(spec.postings.size(), 2u);
  EXPECT_EQ(spec.postings[0].account_id, "la_a");
  EXPECT_EQ(spec.postings[0].side, ledger::Side::debit);
  EXPECT_EQ(ledger::format_i128(spec.postings[0].amount),
            "170141183460469231731687303715884105727");
  EXPECT_EQ(spec.postings[1].side, ledger::Side::credit);
  EXPECT_EQ(ledger::format_i128(spec.postings[1].amount), "42");
  EXPECT_EQ(spec.description, "top up");
  EXPECT_EQ(spec.idempotency_key, "k-1");
  EXPECT_EQ(spec.metadata.at("order"), "7");
  EXPECT_TRUE(spec.pending_entry_id.empty());
  EXPECT_FALSE(spec.post_amount);
  EXPECT_FALSE(spec.expires_at_unix_ms);
}

// Values are the ledger's to judge: a negative amount reads fine and the ledger answers
// amount_invalid with the same param.
TEST(LedgerRequests, LeavesValueRulesToTheLedger) {
  auto parsed =
      parse_entry_request(entry_with(R"({"account_id":"la_b","side":"credit","amount":"-1"})"));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(ledger::format_i128(parsed->postings[1].amount), "-1");
  auto both_flags = parse_account_request(
      R"({"type":"asset","currency":"usd","owner":"p","flags":["debits_must_not_exceed_credits","credits_must_not_exceed_debits"]})");
  ASSERT_TRUE(both_flags) << both_flags.error().message;
  EXPECT_EQ(both_flags->flags, ledger::kAccountFlagsAll);
  auto expire = parse_entry_request(R"({"kind":"expire_pending","pending_entry_id":"je_x"})");
  ASSERT_TRUE(expire) << expire.error().message;
  EXPECT_EQ(expire->kind, ledger::EntryKind::expire_pending);
}

TEST(LedgerRequests, ReadsHoldResolutionsAndReversals) {
  auto hold = parse_entry_request(
      R"({"kind":"pending","expires_at_unix_ms":1800000000000,"postings":[{"account_id":"la_a","side":"debit","amount":"5"},{"account_id":"la_b","side":"credit","amount":"5"}]})");
  ASSERT_TRUE(hold) << hold.error().message;
  EXPECT_EQ(hold->kind, ledger::EntryKind::pending);
  EXPECT_EQ(hold->expires_at_unix_ms, 1800000000000);
  auto post =
      parse_entry_request(R"({"kind":"post_pending","pending_entry_id":"je_h","post_amount":"3"})");
  ASSERT_TRUE(post) << post.error().message;
  EXPECT_EQ(post->kind, ledger::EntryKind::post_pending);
  EXPECT_EQ(post->pending_entry_id, "je_h");
  ASSERT_TRUE(post->post_amount);
  EXPECT_EQ(ledger::format_i128(*post->post_amount), "3");
  auto voided = parse_entry_request(R"({"kind":"void_pending","pending_entry_id":"je_h"})");
  ASSERT_TRUE(voided);
  EXPECT_EQ(voided->kind, ledger::EntryKind::void_pending);
  auto reversal = parse_entry_request(R"({"kind":"reversal","reverses_entry_id":"je_r"})");
  ASSERT_TRUE(reversal);
  EXPECT_EQ(reversal->kind, ledger::EntryKind::reversal);
  EXPECT_EQ(reversal->reverses_entry_id, "je_r");
}

TEST(LedgerRequests, ReadsABatchInOrder) {
  auto parsed = parse_batch_request(
      R"({"entries":[{"description":"first"},{"kind":"void_pending","pending_entry_id":"je_h"}]})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].description, "first");
  EXPECT_EQ((*parsed)[1].kind, ledger::EntryKind::void_pending);
}

TEST(LedgerRequests, ReadsAnAccount) {
  auto parsed = parse_account_request(
      R"({"type":"liability","currency":"usd","owner":"m_1","name":"Wallet","flags":["debits_must_not_exceed_credits"],"metadata":{"tier":"gold"}})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->type, ledger::AccountType::liability);
  EXPECT_EQ(parsed->currency, "usd");
  EXPECT_EQ(parsed->owner, "m_1");
  EXPECT_EQ(parsed->name, "Wallet");
  EXPECT_EQ(parsed->flags, ledger::kDebitsMustNotExceedCredits);
  EXPECT_EQ(parsed->metadata.at("tier"), "gold");
}

}  // namespace
}  // namespace till::admin
