// ledger/verify.h — recomputes the ledger from its record and reports every broken invariant.
//
// The record is ledger_entries + ledger_postings (append-only); ledger_balances and
// ledger_holds are derived state kept for speed. `verify_ledger` reads all of it in one
// read-only snapshot and checks, for each entry, account, balance row and hold:
//   (a) every stored amount is canonical decimal text; posted amounts are > 0, pending ones
//       are non-zero (> 0 reserves, < 0 releases);
//   (b) each entry balances per currency per layer (debits = credits);
//   (c) postings reference existing accounts and entries, in the account's currency; each
//       entry has 2..kPostingsPerEntryMax postings with distinct indexes;
//   (d) each ledger_balances row equals the sums of its account's postings (all four
//       components; last_entry_seq = the account's newest posting's entry seq); no postings
//       without a balance row, no balance row without an account;
//   (e) over the stored balances, posted net and pending net sum to zero per currency;
//   (f) holds: one per pending entry and no other; amount = the pending entry's amount;
//       posted_amount <= amount; status agrees with the one resolving entry (kind,
//       resolved_by_entry_seq, posted amount); a resolution releases exactly the hold's
//       pending postings and posts at most the hold's amount on the same accounts and sides;
//   (g) a reversal references an earlier entry and mirrors its posted postings, sides swapped;
//   (h) account flags hold on the stored balances;
//   (i) ledger_meta has its one row and next_entry_seq > every entry seq;
//   (j) the account index (ledger_account_postings) holds exactly the keys of the postings
//       at or below its mark, each under its posting's account, and the mark is no newer
//       than the newest entry.
//
// Memory is bounded by the number of accounts plus one window of entries (kWindowEntries):
// postings are streamed in entry order, window by window, and aggregated per account; nothing
// keeps all postings or all entries at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"

namespace till::ledger {

// Violations kept in a report; more are counted (violations_omitted) but not kept, so a
// badly broken database still verifies in bounded memory and prints a readable report.
constexpr std::size_t kVerifyViolationsMax = 10'000;

struct Violation {
  std::string code;     // stable snake_case, e.g. "entry_unbalanced" (tests branch on it)
  std::string message;  // one line naming the entry/account ids and the numbers
};

struct VerifyReport {
  std::vector<Violation> violations;  // at most kVerifyViolationsMax, in discovery order
  std::uint64_t violations_omitted = 0;
  std::uint64_t account_count = 0;
  std::uint64_t entry_count = 0;
  std::uint64_t posting_count = 0;
  std::uint64_t hold_count = 0;

  bool ok() const { return violations.empty() && violations_omitted == 0; }
  std::uint64_t violation_count() const { return violations.size() + violations_omitted; }
};

// Checks every invariant above on one consistent snapshot (Database::read: an SQLite read
// transaction, or PostgreSQL REPEATABLE READ READ ONLY). A store error (unreachable
// database, missing tables) is an error; broken invariants are the report's violations.
store::StoreResult<VerifyReport> verify_ledger(store::Database& database);

}  // namespace till::ledger
