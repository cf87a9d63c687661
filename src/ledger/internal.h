// ledger/internal.h — types shared by the ledger's parts; not for use outside src/ledger.
//
//   apply.cpp      validates entries and applies them to an in-memory GroupState (pure logic)
//   committer.cpp  the group-commit thread: load state, apply batches, write, commit
//   sql.cpp        every SQL statement the ledger runs (dialect differences live here)
//   ledger.cpp     the public Ledger API: writes go to the committer, reads query directly
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/ledger.h"

namespace till::ledger::detail {

// The immutable facts about an account the committer needs (cached across groups).
struct AccountInfo {
  std::int64_t seq = 0;
  std::string id;
  AccountType type = AccountType::asset;
  std::string currency;
  std::uint32_t flags = 0;
};

struct BalanceState {
  i128 debits_posted = 0;
  i128 credits_posted = 0;
  i128 debits_pending = 0;
  i128 credits_pending = 0;
  std::int64_t last_entry_seq = 0;
  bool dirty = false;  // changed in this group: must be written
};

struct HoldState {
  std::int64_t entry_seq = 0;
  std::string entry_id;
  HoldStatus status = HoldStatus::open;
  i128 amount = 0;
  i128 posted_amount = 0;
  std::optional<std::int64_t> expires_at_unix_ms;
  std::int64_t resolved_by_entry_seq = 0;
  std::string debit_account_id;  // the hold's two postings
  std::string credit_account_id;
  std::string currency;
  bool dirty = false;
};

// A posted entry that a reversal may target.
struct ReversalTarget {
  std::int64_t seq = 0;
  std::string id;
  EntryKind kind = EntryKind::standard;
  std::vector<Posting> posted_postings;
  bool reversed = false;
};

// One row of ledger_postings / ledger_entries as the committer writes them.
struct NewEntry {
  Entry entry;
  std::vector<std::int64_t> posting_account_seqs;  // parallel to entry.postings
  // Also parallel: the accounts, so the flag checks need no second lookup by id string.
  // Pointers into GroupState::accounts_by_id (node-based: stable for the group).
  std::vector<const AccountInfo*> posting_accounts;
  std::int64_t pending_entry_seq = 0;  // 0 = none
  std::int64_t reverses_entry_seq = 0;
  std::string content_sha256;
};

// Everything one group transaction reads, changes and writes.
struct GroupState {
  std::int64_t now_unix_ms = 0;
  std::int64_t next_entry_seq = 0;
  std::unordered_map<std::string, AccountInfo> accounts_by_id;
  std::unordered_map<std::int64_t, BalanceState> balances;  // by account seq
  std::unordered_map<std::string, HoldState> holds;         // by pending entry id
  std::unordered_map<std::string, ReversalTarget> reversal_targets;
  // Idempotency keys seen: stored entries (from the database) or created in this group.
  struct KeyedEntry {
    std::string content_sha256;
    Entry entry;
  };
  std::unordered_map<std::string, KeyedEntry> keyed_entries;
  std::vector<NewEntry> new_entries;
};

// What a submission touches, collected before loading state.
struct References {
  std::vector<std::string> account_ids;
  std::vector<std::string> hold_entry_ids;
  std::vector<std::string> reversal_entry_ids;
  std::vector<std::string> idempotency_keys;
  // Views of the submissions' strings (alive for the whole group), to collect each id once.
  std::unordered_set<std::string_view> accounts_seen, holds_seen, reversals_seen, keys_seen;
};

void collect_references(const std::vector<EntrySpec>& specs, References& references);

// Loads into a group's state what a submission refers to and the state does not hold yet:
// the committer loads everything up front for plain batches, and on demand for the entries
// that work run through Ledger::run posts.
class GroupLoader {
 public:
  virtual ~GroupLoader() = default;
  virtual store::StoreResult<void> load(store::Connection& connection, References& references,
                                        GroupState& state) = 0;
};

// Validates `specs` and applies them to `state` as one unit: on success appends to
// state.new_entries and returns the resulting entries (replays included); on failure leaves
// `state` exactly as it was and returns the first error. `field_prefix` is prepended to
// field paths ("entries[3].").
LedgerResult<std::vector<Entry>> apply_batch(GroupState& state, const std::vector<EntrySpec>& specs,
                                             const Clock& clock, bool name_entries_in_fields);

// Expires the given open holds (already loaded into state.holds) as one ledger-made entry
// each. Holds that are no longer open are skipped.
std::size_t apply_expiries(GroupState& state, const std::vector<std::string>& hold_entry_ids,
                           const Clock& clock);

std::string content_sha256(const EntrySpec& spec);

// A posting's key as the account index keeps it.
struct IndexedPosting {
  std::int64_t account_seq = 0;
  std::int64_t entry_seq = 0;
  std::int64_t posting_index = 0;
};

// The SQL side (sql.cpp).
namespace sql {
store::StoreResult<std::int64_t> lock_next_entry_seq(store::Connection& connection);
store::StoreResult<void> load_accounts(store::Connection& connection,
                                       const std::vector<std::string>& ids,
                                       std::unordered_map<std::string, AccountInfo>& out);
store::StoreResult<void> load_keyed_entries(store::Connection& connection,
                                            const std::vector<std::string>& keys,
                                            GroupState& state);
store::StoreResult<void> load_holds(store::Connection& connection,
                                    const std::vector<std::string>& hold_entry_ids,
                                    GroupState& state);
store::StoreResult<std::vector<std::string>> find_due_holds(store::Connection& connection,
                                                            std::int64_t now_unix_ms,
                                                            std::size_t limit);
store::StoreResult<void> load_reversal_targets(store::Connection& connection,
                                               const std::vector<std::string>& entry_ids,
                                               GroupState& state);
store::StoreResult<void> load_balances(store::Connection& connection,
                                       const std::vector<std::int64_t>& account_seqs,
                                       GroupState& state);
// A group's rows as bound values, built apart from the transaction that writes them (the
// pipelined committer builds them while the writer thread commits the previous group).
struct GroupRows {
  std::vector<store::Value> entries, postings, balances, holds;  // row-major
  std::int64_t next_entry_seq = 0;
};
GroupRows prepare_group_rows(const GroupState& state);
store::StoreResult<void> write_group_rows(store::Connection& connection, const GroupRows& rows);
store::StoreResult<void> write_group(store::Connection& connection, const GroupState& state);

store::StoreResult<void> insert_accounts(store::Connection& connection,
                                         const std::vector<Account>& accounts);
store::StoreResult<std::optional<Account>> select_account(store::Connection& connection,
                                                          const std::string& id);
store::StoreResult<Page<Account>> select_accounts(store::Connection& connection,
                                                  const std::string& starting_after,
                                                  std::size_t limit);
store::StoreResult<std::optional<Entry>> select_entry(store::Connection& connection,
                                                      const std::string& id);
store::StoreResult<std::optional<Entry>> select_entry_by_seq(store::Connection& connection,
                                                             std::int64_t seq);
store::StoreResult<std::optional<Balance>> select_balance(
    store::Connection& connection, const std::string& account_id,
    std::optional<std::int64_t> as_of_unix_ms);
store::StoreResult<std::optional<Page<Posting>>> select_postings(store::Connection& connection,
                                                                 const std::string& account_id,
                                                                 const std::string& starting_after,
                                                                 std::size_t limit);
store::StoreResult<std::vector<TrialBalanceLine>> select_trial_balance(
    store::Connection& connection);

// The account index (account_index.cpp drives it). Every posting with entry_seq <= the mark
// is in ledger_account_postings.
store::StoreResult<std::int64_t> select_index_mark(store::Connection& connection);
// Appends to `out` the postings of whole entries after `after_seq`, at most `limit` rows in
// entry order, and returns the last entry seq they cover (after_seq when there are none).
store::StoreResult<std::int64_t> select_postings_after(store::Connection& connection,
                                                       std::int64_t after_seq, std::size_t limit,
                                                       std::vector<IndexedPosting>& out);
// Idempotent: rows already indexed (an interrupted batch) are skipped.
store::StoreResult<void> insert_account_postings(store::Connection& connection,
                                                 std::span<const IndexedPosting> postings);
// Never moves the mark backwards (two indexers on one PostgreSQL database both advance it).
store::StoreResult<void> advance_index_mark(store::Connection& connection, std::int64_t through);
}  // namespace sql

std::string metadata_to_json(const Metadata& metadata);
Metadata metadata_from_json(std::string_view json);

}  // namespace till::ledger::detail
