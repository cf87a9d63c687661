// Validation and application of entries to in-memory state: the ledger's rules, with no I/O.
//
// A batch is applied entry by entry against the group's current balances; the first failure
// undoes every change the batch made (undo log), so a rejected batch leaves no trace and the
// other batches in the group are unaffected.
#include <array>
#include <cassert>
#include <map>
#include <string_view>
#include <unordered_set>

#include "base/digest.h"
#include "base/ids.h"
#include "ledger/amount_text.h"
#include "ledger/internal.h"

namespace till::ledger::detail {

namespace {

LedgerError error(std::string code, std::string message, std::string field) {
  return LedgerError{std::move(code), std::move(message), std::move(field)};
}

bool add_checked(i128& target, i128 delta) {
  return !__builtin_add_overflow(target, delta, &target);
}

// Restores the state a batch started from if the batch fails.
struct UndoLog {
  std::unordered_map<std::int64_t, BalanceState> balances;
  std::unordered_map<std::string, std::optional<HoldState>> holds;  // nullopt: did not exist
  std::vector<std::string> reversal_targets_marked;
  std::vector<std::string> keys_added;
  std::size_t new_entry_count = 0;
  std::int64_t next_entry_seq = 0;

  void save_balance(const GroupState& state, std::int64_t account_seq) {
    if (balances.count(account_seq) == 0)
      balances.emplace(account_seq, state.balances.at(account_seq));
  }
  void save_hold(const GroupState& state, const std::string& id) {
    if (holds.count(id) > 0) return;
    const auto it = state.holds.find(id);
    holds.emplace(id,
                  it == state.holds.end() ? std::nullopt : std::optional<HoldState>(it->second));
  }
  void restore(GroupState& state) const {
    for (const auto& [seq, balance] : balances) state.balances[seq] = balance;
    for (const auto& [id, hold] : holds) {
      if (hold) {
        state.holds[id] = *hold;
      } else {
        state.holds.erase(id);
      }
    }
    for (const auto& id : reversal_targets_marked) state.reversal_targets[id].reversed = false;
    for (const auto& key : keys_added) state.keyed_entries.erase(key);
    state.new_entries.resize(new_entry_count);
    state.next_entry_seq = next_entry_seq;
  }
};

struct Context {
  GroupState& state;
  UndoLog& undo;
  const Clock& clock;
  std::string prefix;  // "entries[3]." or ""
};

LedgerResult<void> validate_common(const Context& context, const EntrySpec& spec) {
  if (spec.description.size() > kDescriptionBytesMax) {
    return unexpected(
        error("description_too_long",
              "description is longer than " + std::to_string(kDescriptionBytesMax) + " bytes",
              context.prefix + "description"));
  }
  if (spec.idempotency_key.size() > kIdempotencyKeyBytesMax) {
    return unexpected(error(
        "idempotency_key_too_long",
        "idempotency_key is longer than " + std::to_string(kIdempotencyKeyBytesMax) + " bytes",
        context.prefix + "idempotency_key"));
  }
  if (spec.metadata.size() > kMetadataKeysMax) {
    return unexpected(error("metadata_invalid",
                            "metadata has more than " + std::to_string(kMetadataKeysMax) + " keys",
                            context.prefix + "metadata"));
  }
  for (const auto& [key, value] : spec.metadata) {
    if (key.empty() || key.size() > kMetadataKeyBytesMax || value.size() > kMetadataValueBytesMax) {
      return unexpected(error("metadata_invalid",
                              "metadata keys are 1-" + std::to_string(kMetadataKeyBytesMax) +
                                  " bytes and values at most " +
                                  std::to_string(kMetadataValueBytesMax),
                              context.prefix + "metadata[" + key + "]"));
    }
  }
  return {};
}

const AccountInfo* find_account(const GroupState& state, const std::string& id) {
  const auto it = state.accounts_by_id.find(id);
  return it == state.accounts_by_id.end() ? nullptr : &it->second;
}

// Builds the postings of a standard or pending entry from the caller's specs.
LedgerResult<void> build_caller_postings(const Context& context, const EntrySpec& spec, Layer layer,
                                         NewEntry& out) {
  const std::size_t count = spec.postings.size();
  if (count < 2 || count > kPostingsPerEntryMax) {
    return unexpected(error("postings_count_invalid",
                            "an entry has 2 to " + std::to_string(kPostingsPerEntryMax) +
                                " postings; got " + std::to_string(count),
                            context.prefix + "postings"));
  }
  // Per currency: debits and credits must match.
  std::map<std::string, std::pair<i128, i128>> totals;
  for (std::size_t i = 0; i < count; ++i) {
    const PostingSpec& posting = spec.postings[i];
    const std::string field = context.prefix + "postings[" + std::to_string(i) + "]";
    const AccountInfo* account = find_account(context.state, posting.account_id);
    if (account == nullptr) {
      return unexpected(error("account_not_found", "no ledger account '" + posting.account_id + "'",
                              field + ".account_id"));
    }
    if (posting.amount <= 0) {
      return unexpected(error("amount_invalid",
                              "posting amounts are positive integers in minor units; got " +
                                  format_i128(posting.amount),
                              field + ".amount"));
    }
    auto& [debits, credits] = totals[account->currency];
    if (!add_checked(posting.side == Side::debit ? debits : credits, posting.amount)) {
      return unexpected(
          error("amount_overflow", "the entry's total overflows 128 bits", field + ".amount"));
    }
    out.entry.postings.push_back(Posting{"", 0, static_cast<int>(i), account->id, account->currency,
                                         posting.side, layer, posting.amount});
    out.posting_account_seqs.push_back(account->seq);
    out.posting_accounts.push_back(account);
  }
  for (const auto& [currency, sums] : totals) {
    if (sums.first != sums.second) {
      return unexpected(error("entry_unbalanced",
                              "debits and credits differ in " + currency + ": debits " +
                                  format_i128(sums.first) + ", credits " + format_i128(sums.second),
                              context.prefix + "postings"));
    }
  }
  return {};
}

LedgerResult<void> build_pending(const Context& context, const EntrySpec& spec, NewEntry& out) {
  if (auto built = build_caller_postings(context, spec, Layer::pending, out); !built) return built;
  const auto& postings = out.entry.postings;
  if (postings.size() != 2 || postings[0].side == postings[1].side) {
    return unexpected(error("pending_postings_invalid",
                            "a pending entry (hold) has exactly one debit and one credit posting",
                            context.prefix + "postings"));
  }
  if (spec.expires_at_unix_ms && *spec.expires_at_unix_ms <= context.state.now_unix_ms) {
    return unexpected(error("expires_at_in_past", "expires_at must be in the future",
                            context.prefix + "expires_at"));
  }
  out.entry.expires_at_unix_ms = spec.expires_at_unix_ms;
  return {};
}

void add_posting(NewEntry& out, const GroupState& state, const std::string& account_id,
                 const std::string& currency, Side side, Layer layer, i128 amount) {
  const AccountInfo& account = state.accounts_by_id.at(account_id);  // loaded with the hold
  out.entry.postings.push_back(Posting{"", 0, static_cast<int>(out.entry.postings.size()),
                                       account_id, currency, side, layer, amount});
  out.posting_account_seqs.push_back(account.seq);
  out.posting_accounts.push_back(&account);
}

// The postings that resolve a hold: release the reservation, then post `posted_amount`.
void build_resolution_postings(NewEntry& out, const GroupState& state, const HoldState& hold,
                               i128 posted_amount) {
  add_posting(out, state, hold.debit_account_id, hold.currency, Side::debit, Layer::pending,
              -hold.amount);
  add_posting(out, state, hold.credit_account_id, hold.currency, Side::credit, Layer::pending,
              -hold.amount);
  if (posted_amount > 0) {
    add_posting(out, state, hold.debit_account_id, hold.currency, Side::debit, Layer::posted,
                posted_amount);
    add_posting(out, state, hold.credit_account_id, hold.currency, Side::credit, Layer::posted,
                posted_amount);
  }
}

LedgerResult<void> build_hold_resolution(Context& context, const EntrySpec& spec, NewEntry& out) {
  const bool posting = spec.kind == EntryKind::post_pending;
  if (!spec.postings.empty()) {
    return unexpected(error("postings_not_allowed",
                            "a hold is resolved without postings of its own",
                            context.prefix + "postings"));
  }
  const auto it = context.state.holds.find(spec.pending_entry_id);
  if (it == context.state.holds.end()) {
    return unexpected(error("hold_not_found", "no pending entry '" + spec.pending_entry_id + "'",
                            context.prefix + "pending_entry_id"));
  }
  HoldState& hold = it->second;
  if (hold.status != HoldStatus::open) {
    return unexpected(
        error("hold_already_resolved",
              "hold " + hold.entry_id + " is already " + std::string(to_string(hold.status)),
              context.prefix + "pending_entry_id"));
  }
  if (hold.expires_at_unix_ms && *hold.expires_at_unix_ms <= context.state.now_unix_ms) {
    return unexpected(error("hold_expired", "hold " + hold.entry_id + " has expired",
                            context.prefix + "pending_entry_id"));
  }
  if (!posting && spec.post_amount) {
    return unexpected(error("post_amount_not_allowed", "post_amount applies to post_pending only",
                            context.prefix + "post_amount"));
  }
  const i128 posted_amount = posting ? spec.post_amount.value_or(hold.amount) : 0;
  if (posting && (posted_amount <= 0 || posted_amount > hold.amount)) {
    return unexpected(error("post_amount_invalid",
                            "post_amount must be between 1 and the hold's " +
                                format_i128(hold.amount) + "; got " + format_i128(posted_amount),
                            context.prefix + "post_amount"));
  }
  build_resolution_postings(out, context.state, hold, posted_amount);
  context.undo.save_hold(context.state, hold.entry_id);
  hold.status = posting ? HoldStatus::posted : HoldStatus::voided;
  hold.posted_amount = posted_amount;
  hold.resolved_by_entry_seq = context.state.next_entry_seq;
  hold.dirty = true;
  out.pending_entry_seq = hold.entry_seq;
  out.entry.pending_entry_id = hold.entry_id;
  return {};
}

LedgerResult<void> build_reversal(Context& context, const EntrySpec& spec, NewEntry& out) {
  if (!spec.postings.empty()) {
    return unexpected(error("postings_not_allowed",
                            "a reversal mirrors the reversed entry's postings",
                            context.prefix + "postings"));
  }
  const auto it = context.state.reversal_targets.find(spec.reverses_entry_id);
  if (it == context.state.reversal_targets.end()) {
    return unexpected(error("entry_not_found", "no entry '" + spec.reverses_entry_id + "'",
                            context.prefix + "reverses_entry_id"));
  }
  ReversalTarget& target = it->second;
  if (target.posted_postings.empty()) {
    return unexpected(error("entry_not_reversible",
                            "entry " + target.id + " moved no posted money; void a hold instead",
                            context.prefix + "reverses_entry_id"));
  }
  if (target.reversed) {
    return unexpected(error("entry_already_reversed",
                            "entry " + target.id + " was already reversed",
                            context.prefix + "reverses_entry_id"));
  }
  for (const Posting& posting : target.posted_postings) {
    add_posting(out, context.state, posting.account_id, posting.currency,
                posting.side == Side::debit ? Side::credit : Side::debit, Layer::posted,
                posting.amount);
  }
  target.reversed = true;
  context.undo.reversal_targets_marked.push_back(target.id);
  out.reverses_entry_seq = target.seq;
  out.entry.reverses_entry_id = target.id;
  return {};
}

i128& component(BalanceState& balance, Side side, Layer layer) {
  if (layer == Layer::posted)
    return side == Side::debit ? balance.debits_posted : balance.credits_posted;
  return side == Side::debit ? balance.debits_pending : balance.credits_pending;
}

// Adds the entry's postings to balances, then checks every touched account's flags.
LedgerResult<void> apply_to_balances(Context& context, const NewEntry& out) {
  for (std::size_t i = 0; i < out.entry.postings.size(); ++i) {
    const Posting& posting = out.entry.postings[i];
    const std::int64_t seq = out.posting_account_seqs[i];
    context.undo.save_balance(context.state, seq);
    BalanceState& balance = context.state.balances.at(seq);
    if (!add_checked(component(balance, posting.side, posting.layer), posting.amount)) {
      return unexpected(error("amount_overflow",
                              "account " + posting.account_id + " would overflow 128 bits",
                              context.prefix + "postings[" + std::to_string(i) + "]"));
    }
    balance.last_entry_seq = context.state.next_entry_seq;
    balance.dirty = true;
  }
  for (std::size_t i = 0; i < out.entry.postings.size(); ++i) {
    const AccountInfo& account = *out.posting_accounts[i];
    const BalanceState& balance = context.state.balances.at(out.posting_account_seqs[i]);
    auto field = [&] { return context.prefix + "postings[" + std::to_string(i) + "]"; };
    // Sums of non-negative components within i128 cannot overflow past what add_checked
    // already accepted for each; compare via subtraction to stay in range.
    if ((account.flags & kDebitsMustNotExceedCredits) != 0 &&
        balance.debits_posted > balance.credits_posted - balance.debits_pending) {
      return unexpected(error(
          "insufficient_funds",
          "account " + account.id + " would have debits (" + format_i128(balance.debits_posted) +
              " posted + " + format_i128(balance.debits_pending) + " pending) above its credits (" +
              format_i128(balance.credits_posted) + ")",
          field()));
    }
    if ((account.flags & kCreditsMustNotExceedDebits) != 0 &&
        balance.credits_posted > balance.debits_posted - balance.credits_pending) {
      return unexpected(error(
          "insufficient_funds",
          "account " + account.id + " would have credits (" + format_i128(balance.credits_posted) +
              " posted + " + format_i128(balance.credits_pending) + " pending) above its debits (" +
              format_i128(balance.debits_posted) + ")",
          field()));
    }
  }
  return {};
}

// Gives the new entry its identity and appends it to the group.
Entry finish_entry(GroupState& state, NewEntry& out, const Clock& clock) {
  out.entry.seq = state.next_entry_seq++;
  out.entry.id = new_id("je", clock);
  out.entry.created_at_unix_ms = state.now_unix_ms;
  for (Posting& posting : out.entry.postings) {
    posting.entry_id = out.entry.id;
    posting.created_at_unix_ms = state.now_unix_ms;
  }
  state.new_entries.push_back(std::move(out));
  return state.new_entries.back().entry;
}

LedgerResult<Entry> apply_entry(Context& context, const EntrySpec& spec) {
  if (auto valid = validate_common(context, spec); !valid) return unexpected(valid.error());
  std::string hash;
  if (!spec.idempotency_key.empty()) {
    hash = content_sha256(spec);
    const auto it = context.state.keyed_entries.find(spec.idempotency_key);
    if (it != context.state.keyed_entries.end()) {
      if (it->second.content_sha256 != hash) {
        return unexpected(error("idempotency_key_reused",
                                "idempotency_key '" + spec.idempotency_key +
                                    "' was used for a different entry (" + it->second.entry.id +
                                    ")",
                                context.prefix + "idempotency_key"));
      }
      Entry replay = it->second.entry;
      replay.replayed = true;
      return replay;
    }
  }
  NewEntry out;
  out.entry.kind = spec.kind;
  out.entry.description = spec.description;
  out.entry.metadata = spec.metadata;
  out.entry.idempotency_key = spec.idempotency_key;
  out.content_sha256 = hash;  // kept only with an idempotency key (see write_group)
  LedgerResult<void> built;
  switch (spec.kind) {
    case EntryKind::standard:
      built = build_caller_postings(context, spec, Layer::posted, out);
      break;
    case EntryKind::pending:
      built = build_pending(context, spec, out);
      break;
    case EntryKind::post_pending:
    case EntryKind::void_pending:
      built = build_hold_resolution(context, spec, out);
      break;
    case EntryKind::reversal:
      built = build_reversal(context, spec, out);
      break;
    case EntryKind::expire_pending:
      built =
          unexpected(error("kind_invalid", "holds are expired by the ledger itself, not by request",
                           context.prefix + "kind"));
      break;
  }
  if (!built) return unexpected(built.error());
  if (auto applied = apply_to_balances(context, out); !applied) return unexpected(applied.error());
  const std::int64_t seq = context.state.next_entry_seq;
  Entry entry = finish_entry(context.state, out, context.clock);
  if (spec.kind == EntryKind::pending) {
    const Posting& first = entry.postings[0];
    const Posting& second = entry.postings[1];
    HoldState hold;
    hold.entry_seq = seq;
    hold.entry_id = entry.id;
    hold.amount = first.amount;
    hold.expires_at_unix_ms = spec.expires_at_unix_ms;
    hold.debit_account_id = first.side == Side::debit ? first.account_id : second.account_id;
    hold.credit_account_id = first.side == Side::debit ? second.account_id : first.account_id;
    hold.currency = first.currency;
    hold.dirty = true;
    context.undo.save_hold(context.state, entry.id);
    context.state.holds[entry.id] = hold;
  }
  if (!spec.idempotency_key.empty()) {
    context.state.keyed_entries[spec.idempotency_key] = {hash, entry};
    context.undo.keys_added.push_back(spec.idempotency_key);
  }
  return entry;
}

void append_field(std::string& out, std::string_view field) {
  out.append(std::to_string(field.size())).push_back(':');
  out.append(field);
}

}  // namespace

void collect_references(const std::vector<EntrySpec>& specs, References& references) {
  // Distinct ids only: a group of 16k transfers names its accounts ~32k times. The sets hold
  // views of the specs' strings, which outlive the group.
  auto add = [](std::unordered_set<std::string_view>& seen, std::vector<std::string>& out,
                const std::string& id) {
    if (seen.insert(id).second) out.push_back(id);
  };
  for (const EntrySpec& spec : specs) {
    for (const PostingSpec& posting : spec.postings) {
      add(references.accounts_seen, references.account_ids, posting.account_id);
    }
    if (!spec.pending_entry_id.empty())
      add(references.holds_seen, references.hold_entry_ids, spec.pending_entry_id);
    if (!spec.reverses_entry_id.empty()) {
      add(references.reversals_seen, references.reversal_entry_ids, spec.reverses_entry_id);
    }
    if (!spec.idempotency_key.empty())
      add(references.keys_seen, references.idempotency_keys, spec.idempotency_key);
  }
}

LedgerResult<std::vector<Entry>> apply_batch(GroupState& state, const std::vector<EntrySpec>& specs,
                                             const Clock& clock, bool name_entries_in_fields) {
  UndoLog undo;
  undo.new_entry_count = state.new_entries.size();
  undo.next_entry_seq = state.next_entry_seq;
  std::vector<Entry> entries;
  entries.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    Context context{state, undo, clock,
                    name_entries_in_fields ? "entries[" + std::to_string(i) + "]." : ""};
    auto entry = apply_entry(context, specs[i]);
    if (!entry) {
      undo.restore(state);
      return unexpected(std::move(entry).error());
    }
    entries.push_back(std::move(entry).value());
  }
  return entries;
}

std::size_t apply_expiries(GroupState& state, const std::vector<std::string>& hold_entry_ids,
                           const Clock& clock) {
  std::size_t expired = 0;
  for (const std::string& id : hold_entry_ids) {
    const auto it = state.holds.find(id);
    if (it == state.holds.end() || it->second.status != HoldStatus::open) continue;
    HoldState& hold = it->second;
    NewEntry out;
    out.entry.kind = EntryKind::expire_pending;
    out.entry.description = "hold expired";
    build_resolution_postings(out, state, hold, 0);
    out.pending_entry_seq = hold.entry_seq;
    out.entry.pending_entry_id = hold.entry_id;
    UndoLog undo;  // releases cannot fail; the log is required by the shared path only
    Context context{state, undo, clock, ""};
    const auto applied = apply_to_balances(context, out);
    assert(applied.has_value());  // releasing a reservation only lowers pending amounts
    hold.status = HoldStatus::expired;
    hold.resolved_by_entry_seq = state.next_entry_seq;
    hold.dirty = true;
    finish_entry(state, out, clock);
    ++expired;
  }
  return expired;
}

std::string content_sha256(const EntrySpec& spec) {
  // Length-prefixed fields, so no two different requests serialise alike.
  std::string canonical;
  append_field(canonical, to_string(spec.kind));
  for (const PostingSpec& posting : spec.postings) {
    append_field(canonical, posting.account_id);
    append_field(canonical, to_string(posting.side));
    append_field(canonical, format_i128(posting.amount));
  }
  canonical.push_back('|');
  append_field(canonical, spec.pending_entry_id);
  append_field(canonical, spec.post_amount ? format_i128(*spec.post_amount) : "-");
  append_field(canonical, spec.reverses_entry_id);
  append_field(canonical, spec.expires_at_unix_ms ? std::to_string(*spec.expires_at_unix_ms) : "-");
  append_field(canonical, spec.description);
  for (const auto& [key, value] : spec.metadata) {
    append_field(canonical, key);
    append_field(canonical, value);
  }
  return sha256_hex(canonical);
}

}  // namespace till::ledger::detail
