#include "admin/ledger_json.h"

#include "ledger/amount_text.h"

namespace till::admin {

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

value amount(i128 minor_units) { return value(ledger::format_i128(minor_units)); }

value text_or_null(const std::string& text) { return text.empty() ? value() : value(text); }

value time_or_null(std::optional<std::int64_t> unix_ms) {
  return unix_ms ? value(*unix_ms) : value();
}

object metadata_json(const ledger::Metadata& metadata) {
  object out;
  for (const auto& [key, text] : metadata) out[key] = text;
  return out;
}

array flags_json(std::uint32_t flags) {
  array out;
  if ((flags & ledger::kDebitsMustNotExceedCredits) != 0) {
    out.emplace_back("debits_must_not_exceed_credits");
  }
  if ((flags & ledger::kCreditsMustNotExceedDebits) != 0) {
    out.emplace_back("credits_must_not_exceed_debits");
  }
  return out;
}

bool line_balanced(const ledger::TrialBalanceLine& line) {
  return line.debits_posted == line.credits_posted && line.debits_pending == line.credits_pending;
}

}  // namespace

object account_json(const ledger::Account& account) {
  object out;
  out["id"] = account.id;
  out["object"] = "ledger_account";
  out["type"] = ledger::to_string(account.type);
  out["currency"] = account.currency;
  out["owner"] = account.owner;
  out["name"] = text_or_null(account.name);
  out["flags"] = flags_json(account.flags);
  out["metadata"] = metadata_json(account.metadata);
  out["created_at_unix_ms"] = account.created_at_unix_ms;
  return out;
}

std::string posting_cursor(const ledger::Posting& posting) {
  return posting.entry_id + ":" + std::to_string(posting.index);
}

object posting_json(const ledger::Posting& posting) {
  object out;
  out["object"] = "ledger_posting";
  out["entry_id"] = posting.entry_id;
  out["index"] = posting.index;
  out["account_id"] = posting.account_id;
  out["currency"] = posting.currency;
  out["side"] = ledger::to_string(posting.side);
  out["layer"] = ledger::to_string(posting.layer);
  out["amount"] = amount(posting.amount);
  out["created_at_unix_ms"] = posting.created_at_unix_ms;
  out["cursor"] = posting_cursor(posting);
  return out;
}

object entry_json(const ledger::Entry& entry) {
  object out;
  out["id"] = entry.id;
  out["object"] = "ledger_entry";
  out["kind"] = ledger::to_string(entry.kind);
  array postings;
  for (const ledger::Posting& posting : entry.postings) postings.push_back(posting_json(posting));
  out["postings"] = std::move(postings);
  out["pending_entry_id"] = text_or_null(entry.pending_entry_id);
  out["reverses_entry_id"] = text_or_null(entry.reverses_entry_id);
  out["expires_at_unix_ms"] = time_or_null(entry.expires_at_unix_ms);
  out["idempotency_key"] = text_or_null(entry.idempotency_key);
  out["description"] = text_or_null(entry.description);
  out["metadata"] = metadata_json(entry.metadata);
  out["created_at_unix_ms"] = entry.created_at_unix_ms;
  return out;
}

object balance_json(const ledger::Balance& balance, ledger::AccountType type,
                    std::optional<std::int64_t> as_of_unix_ms) {
  object out;
  out["object"] = "ledger_balance";
  out["account_id"] = balance.account_id;
  out["currency"] = balance.currency;
  out["posted"] = amount(balance.posted());
  out["pending"] = amount(balance.pending());
  out["available"] = amount(balance.available(type));
  out["debits_posted"] = amount(balance.debits_posted);
  out["credits_posted"] = amount(balance.credits_posted);
  out["debits_pending"] = amount(balance.debits_pending);
  out["credits_pending"] = amount(balance.credits_pending);
  out["as_of_unix_ms"] = time_or_null(as_of_unix_ms);
  return out;
}

object trial_balance_json(const std::vector<ledger::TrialBalanceLine>& lines) {
  object out;
  out["object"] = "ledger_trial_balance";
  bool balanced = true;
  array currencies;
  for (const ledger::TrialBalanceLine& line : lines) {
    object item;
    item["currency"] = line.currency;
    item["debits_posted"] = amount(line.debits_posted);
    item["credits_posted"] = amount(line.credits_posted);
    item["debits_pending"] = amount(line.debits_pending);
    item["credits_pending"] = amount(line.credits_pending);
    item["account_count"] = line.account_count;
    item["balanced"] = line_balanced(line);
    balanced = balanced && line_balanced(line);
    currencies.push_back(std::move(item));
  }
  out["balanced"] = balanced;
  out["currencies"] = std::move(currencies);
  return out;
}

object list_json(array data, bool has_more, std::string_view url) {
  object out;
  out["object"] = "list";
  out["data"] = std::move(data);
  out["has_more"] = has_more;
  out["url"] = url;
  return out;
}

}  // namespace till::admin
