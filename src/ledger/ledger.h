// ledger/ledger.h — the double-entry ledger: Till's source of truth for money.
//
// Accounts hold one currency each. Journal entries move money between accounts with two or
// more postings that balance per currency; they are append-only and corrected by reversal.
// Two-phase holds: a `pending` entry reserves funds; it is later posted (in full or in part),
// voided, or it expires. Balances per account: posted, pending and available, now or as of a
// past time.
//
// Writes are group-committed (docs/adr/0007-ledger.md): every caller's batch goes to one
// committer thread, which validates many callers' batches against the current balances and
// writes them in ONE database transaction with one synced commit. A call returns only after
// its commit is durable. A caller's batch is all-or-nothing; batches from other callers in
// the same group are independent of it.
//
// Sign convention: postings are debits or credits of positive amounts. An account's `net`
// balance is debits - credits (debit-normal: assets and expenses are positive when funded;
// liabilities, equity and revenue are negative). The sum of `net` over all accounts of one
// currency is zero at every commit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/int128.h"
#include "base/result.h"
#include "obs/metrics.h"
#include "store/store.h"

namespace till::ledger {

// Limits (TIGER_STYLE: everything has one).
constexpr std::size_t kPostingsPerEntryMax = 128;
constexpr std::size_t kEntriesPerBatchMax = 8190;
constexpr std::size_t kGroupEntriesMax = 16'380;   // entries in one database transaction
constexpr std::size_t kQueuedBatchesMax = 65'536;  // submissions waiting for the committer
constexpr std::size_t kMetadataKeysMax = 50;       // Stripe's limit
constexpr std::size_t kMetadataKeyBytesMax = 40;
constexpr std::size_t kMetadataValueBytesMax = 500;
constexpr std::size_t kDescriptionBytesMax = 1000;
constexpr std::size_t kIdempotencyKeyBytesMax = 255;
constexpr std::size_t kListLimitMax = 1000;

enum class AccountType { asset, liability, equity, revenue, expense };

// Account flags: forbid the balance to cross zero in one direction. Checked against posted
// plus pending amounts, so a hold cannot reserve money the account does not have.
enum AccountFlag : std::uint32_t {
  kDebitsMustNotExceedCredits = 1u << 0,  // e.g. a customer's wallet (a liability)
  kCreditsMustNotExceedDebits = 1u << 1,  // e.g. a bank account (an asset)
};
constexpr std::uint32_t kAccountFlagsAll =
    kDebitsMustNotExceedCredits | kCreditsMustNotExceedDebits;

using Metadata = std::map<std::string, std::string>;

struct AccountSpec {
  AccountType type = AccountType::asset;
  std::string currency;  // ISO 4217 or token code; case-insensitive on input
  std::string owner;     // e.g. a merchant id, or "platform"
  std::string name;
  std::uint32_t flags = 0;
  Metadata metadata;
};

struct Account {
  std::string id;  // la_...
  AccountType type;
  std::string currency;  // upper case
  std::string owner;
  std::string name;
  std::uint32_t flags;
  Metadata metadata;
  std::int64_t created_at_unix_ms;
};

enum class Side { debit, credit };
enum class Layer { posted, pending };

struct PostingSpec {
  std::string account_id;
  Side side = Side::debit;
  i128 amount = 0;  // minor units, > 0
};

enum class EntryKind { standard, pending, post_pending, void_pending, expire_pending, reversal };

struct EntrySpec {
  EntryKind kind = EntryKind::standard;  // expire_pending is made by the ledger, not callers
  std::vector<PostingSpec> postings;     // standard and pending only
  std::string pending_entry_id;          // post_pending, void_pending: the hold
  std::optional<i128> post_amount;       // post_pending: partial amount; default the whole hold
  std::string reverses_entry_id;         // reversal: the entry to reverse
  std::optional<std::int64_t> expires_at_unix_ms;  // pending: when the hold lapses
  std::string idempotency_key;                     // optional; same key + same content replays
  std::string description;
  Metadata metadata;
};

struct Posting {
  std::string entry_id;
  std::int64_t created_at_unix_ms;
  int index;
  std::string account_id;
  std::string currency;
  Side side;
  Layer layer;
  i128 amount;  // posted: > 0; pending: > 0 reserves, < 0 releases
};

struct Entry {
  std::string id;  // je_...
  std::int64_t seq;
  EntryKind kind;
  std::vector<Posting> postings;
  std::string pending_entry_id;
  std::string reverses_entry_id;
  std::optional<std::int64_t> expires_at_unix_ms;
  std::string idempotency_key;
  std::string description;
  Metadata metadata;
  std::int64_t created_at_unix_ms;
  bool replayed = false;  // true when an idempotency key returned an earlier entry
};

struct Balance {
  std::string account_id;
  std::string currency;
  i128 debits_posted = 0;
  i128 credits_posted = 0;
  i128 debits_pending = 0;
  i128 credits_pending = 0;
  i128 posted() const { return debits_posted - credits_posted; }  // debit-normal net
  i128 pending() const { return debits_pending - credits_pending; }
  // What can still be spent without crossing zero, in the account's normal direction,
  // after holds: for a debit-normal account debits - credits - pending credits; for a
  // credit-normal account credits - debits - pending debits.
  i128 available(AccountType type) const;
};

enum class HoldStatus { open, posted, voided, expired };

// Per-currency totals over all accounts; `net` must be zero.
struct TrialBalanceLine {
  std::string currency;
  i128 debits_posted = 0;
  i128 credits_posted = 0;
  i128 debits_pending = 0;
  i128 credits_pending = 0;
  std::size_t account_count = 0;
};

// A failure that names what was wrong. `field` is a path into the request, e.g.
// "entries[2].postings[1].amount"; `code` is stable (tests and the admin API branch on it).
struct LedgerError {
  std::string code;
  std::string message;
  std::string field;
};
template <class T>
using LedgerResult = Expected<T, LedgerError>;

template <class T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
};

namespace detail {
struct GroupState;
class GroupLoader;
}  // namespace detail

// A unit of work that commits atomically with ledger entries: e.g. a payment's state change,
// its postings and the stored response to its idempotency key, in one database transaction.
// Handed to the work passed to Ledger::run, on the committer thread, inside the group's
// transaction. Valid only during that call.
class GroupTransaction {
 public:
  // The group's connection: read and write your own tables through it. Do not COMMIT,
  // ROLLBACK or touch ledger_* tables directly.
  store::Connection& connection() { return connection_; }
  // The group's time: every entry of the group carries it.
  std::int64_t now_unix_ms() const;
  // Validates and applies entries (all or none), exactly as post_batch would. On failure the
  // ledger state is as before the call and the work may carry on (e.g. record the refusal).
  LedgerResult<std::vector<Entry>> post(const std::vector<EntrySpec>& specs);

  GroupTransaction(store::Connection& connection, detail::GroupState& state, const Clock& clock,
                   detail::GroupLoader& loader)
      : connection_(connection), state_(state), clock_(clock), loader_(loader) {}

 private:
  store::Connection& connection_;
  detail::GroupState& state_;
  const Clock& clock_;
  detail::GroupLoader& loader_;  // loads what post() refers to that the group has not yet
};

// Work for Ledger::run. Returns a store error only for a database failure, which fails the
// whole group (every caller in it sees ledger_unavailable). The work may run more than once
// if the store retries the group (busy / serialization failure), so it must reset whatever it
// reports at its start. It must not block on anything but the connection.
using GroupWork = std::function<store::StoreResult<void>(GroupTransaction&)>;

struct LedgerOptions {
  std::size_t group_entries_max = kGroupEntriesMax;
  // Where the ledger reports till_ledger_* metrics; nullptr = none. Must outlive the Ledger.
  obs::MetricsRegistry* metrics = nullptr;
  // The account index (postings by account) is filled by a background thread. Off: only
  // catch_up_account_index() fills it (tests that need to control when it moves).
  bool index_accounts_in_background = true;
  // Pipelined group commit: the committer applies the next group against its cached balances
  // while a writer thread commits the previous one. Unset: on for SQLite, off for PostgreSQL,
  // where several nodes commit in turn and each would find its cache stale (ADR 0014).
  std::optional<bool> pipeline_groups;
};

class Ledger {
 public:
  // Starts the committer thread. The database must be migrated.
  Ledger(store::Database& database, const Clock& clock, LedgerOptions options = {});
  ~Ledger();  // finishes queued work, then stops the committer
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  LedgerResult<Account> create_account(const AccountSpec& spec);
  // Creates up to kEntriesPerBatchMax accounts in one transaction (all or none).
  LedgerResult<std::vector<Account>> create_accounts(const std::vector<AccountSpec>& specs);
  LedgerResult<Account> get_account(const std::string& account_id);
  // Accounts in creation order, after `starting_after` (an account id) if given.
  LedgerResult<Page<Account>> list_accounts(const std::string& starting_after, std::size_t limit);

  // Posts a batch atomically (all entries or none) and returns after the commit is durable.
  LedgerResult<std::vector<Entry>> post_batch(std::vector<EntrySpec> specs);
  LedgerResult<Entry> post(EntrySpec spec);

  // Runs `work` inside the next group-commit transaction and returns once that transaction
  // is durably committed (or has failed: ledger_unavailable). This is how other modules make
  // a state change and its postings one atomic, group-committed write.
  LedgerResult<void> run(GroupWork work);

  LedgerResult<Entry> get_entry(const std::string& entry_id);
  // Current balance, or as of a past time (postings committed at or before it).
  LedgerResult<Balance> balance(const std::string& account_id,
                                std::optional<std::int64_t> as_of_unix_ms = std::nullopt);
  // An account's postings, newest first, after the cursor `starting_after` (from a previous
  // page's Posting: "<entry id>:<index>").
  LedgerResult<Page<Posting>> list_postings(const std::string& account_id,
                                            const std::string& starting_after, std::size_t limit);
  LedgerResult<std::vector<TrialBalanceLine>> trial_balance();

  // Expires open holds whose time has come (as of the clock); returns how many. `till serve`
  // calls this periodically; posting or voiding an expired hold fails with hold_expired.
  LedgerResult<std::size_t> expire_due_holds(std::size_t limit);

  // Copies every committed posting into the account index now; returns how many it copied.
  // Reads are exact whether or not the index has caught up; this is for tests and tools.
  LedgerResult<std::size_t> catch_up_account_index();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

std::string_view to_string(AccountType type);
std::optional<AccountType> parse_account_type(std::string_view text);
std::string_view to_string(EntryKind kind);
std::string_view to_string(Side side);
std::string_view to_string(Layer layer);
std::string_view to_string(HoldStatus status);

}  // namespace till::ledger
