// ledger/verify.cpp — `verify_ledger` (see verify.h for the invariants).
//
// How it reads: accounts first (kept, with per-account sums), then the journal in windows of
// kWindowEntrySeqs entry seqs. For each window four queries: the entries (with the hold a
// resolution resolves and the entry a resolution or reversal names), their hold rows (with
// the entry that resolves each), the postings of the entries they reference (the hold for a
// resolution, the original for a reversal), and the window's own postings, which stream in
// entry order and are checked entry by entry. Then the balance rows, paged by key. Every query
// is an index range scan or one index probe per row, so the pass is linear in the ledger.
//
// Windows and pages are keyed by the stored sequence numbers, never by OFFSET: a gap or a
// corrupt far-away seq costs one extra indexed lookup, not a scan.
#include "ledger/verify.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/int128.h"
#include "ledger/amount_text.h"
#include "ledger/ledger.h"

namespace till::ledger {
namespace {

using store::Connection;
using store::Row;
using store::StoreResult;

// Entry seqs per window of the posting stream: large enough that per-query overhead (a round
// trip on PostgreSQL) is noise, small enough that a window's rows are a few hundred KiB.
constexpr std::int64_t kWindowEntrySeqs = 2048;
// Rows per page when scanning accounts and balance rows (PostgreSQL materializes a whole
// result client-side, so an unpaged scan would hold the table in memory).
constexpr std::int64_t kPageRows = 4096;
// Postings kept per entry for shape checks: one more than allowed, to see "too many".
constexpr std::size_t kPostingsKeptMax = kPostingsPerEntryMax + 1;
// Legs a mirror-mismatch message lists before "...".
constexpr std::size_t kLegsListedMax = 4;
constexpr std::int64_t kSeqMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kSeqMax = std::numeric_limits<std::int64_t>::max();

// ---- message text ---------------------------------------------------------------------------

template <class T>
void append(std::string& out, const T& part) {
  if constexpr (std::is_same_v<T, i128>) {
    out += format_i128(part);
  } else if constexpr (std::is_integral_v<T>) {
    static_assert(!std::is_same_v<T, bool> && !std::is_same_v<T, char>, "format explicitly");
    out += std::to_string(part);
  } else {
    out += std::string_view(part);
  }
}

template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (append(out, parts), ...);
  return out;
}

// ---- stored values --------------------------------------------------------------------------

std::optional<Side> parse_side(std::string_view text) {
  if (text == "debit") return Side::debit;
  if (text == "credit") return Side::credit;
  return std::nullopt;
}

std::optional<Layer> parse_layer(std::string_view text) {
  if (text == "posted") return Layer::posted;
  if (text == "pending") return Layer::pending;
  return std::nullopt;
}

std::optional<EntryKind> parse_kind(std::string_view text) {
  constexpr std::pair<std::string_view, EntryKind> kinds[] = {
      {"standard", EntryKind::standard},
      {"pending", EntryKind::pending},
      {"post_pending", EntryKind::post_pending},
      {"void_pending", EntryKind::void_pending},
      {"expire_pending", EntryKind::expire_pending},
      {"reversal", EntryKind::reversal},
  };
  for (const auto& [name, kind] : kinds) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

std::string_view side_name(Side side) { return side == Side::debit ? "debit" : "credit"; }
std::string_view layer_name(Layer layer) { return layer == Layer::posted ? "posted" : "pending"; }
Side opposite(Side side) { return side == Side::debit ? Side::credit : Side::debit; }

bool is_resolution(EntryKind kind) {
  return kind == EntryKind::post_pending || kind == EntryKind::void_pending ||
         kind == EntryKind::expire_pending;
}

// Adds without wrapping; false (and `total` unspecified) on overflow.
[[nodiscard]] bool add_checked(i128& total, i128 value) {
  return !__builtin_add_overflow(total, value, &total);
}
[[nodiscard]] bool sub_checked(i128& total, i128 value) {
  return !__builtin_sub_overflow(total, value, &total);
}

struct StoredPosting {
  std::int64_t entry_seq = 0;  // for a referenced posting: the seq of the entry referencing it
  std::int64_t index = 0;
  std::int64_t account_seq = 0;
  std::optional<Side> side;
  std::optional<Layer> layer;
  std::optional<i128> amount;  // nullopt: the stored text is not a canonical integer
  std::string amount_text;     // kept only when it does not parse, for the message
  std::string currency;

  bool valid() const { return side && layer && amount; }
};

// Columns: entry_seq, posting_index, account_seq, side, layer, amount, currency.
StoredPosting read_posting(const Row& row) {
  StoredPosting posting;
  posting.entry_seq = row.get_int64(0);
  posting.index = row.get_int64(1);
  posting.account_seq = row.get_int64(2);
  posting.side = parse_side(row.get_text(3));
  posting.layer = parse_layer(row.get_text(4));
  const std::string_view amount_text = row.get_text(5);
  posting.amount = parse_i128(amount_text);
  if (!posting.amount) posting.amount_text = amount_text;
  posting.currency = row.get_text(6);
  return posting;
}

struct HoldRow {
  std::int64_t entry_seq = 0;  // the pending entry
  std::string status;
  std::string amount_text;
  std::string posted_amount_text;
  std::optional<std::int64_t> resolved_by_entry_seq;
  std::optional<std::int64_t> expires_at_unix_ms;
  std::optional<std::int64_t> resolver_seq;  // the entry whose pending_entry_seq names it
  std::optional<std::string> resolver_kind;
};

struct EntryRow {
  std::int64_t seq = 0;
  std::string id;
  std::string kind_text;
  std::optional<EntryKind> kind;
  std::optional<std::int64_t> pending_entry_seq;
  std::optional<std::int64_t> reverses_entry_seq;
  std::optional<std::int64_t> expires_at_unix_ms;
  std::optional<std::string> resolved_hold_posted;  // posted_amount of the hold it resolves
  std::optional<std::string> ref_id;                // the entry it references, if that exists
  std::optional<std::string> ref_kind;

  std::optional<std::int64_t> ref_seq() const {
    return pending_entry_seq ? pending_entry_seq : reverses_entry_seq;
  }
};

std::string entry_label(const EntryRow& entry) {
  return cat("entry ", entry.id, " (seq ", entry.seq, ")");
}

std::string posting_label(const EntryRow& entry, const StoredPosting& posting) {
  return cat(entry_label(entry), " posting ", posting.index);
}

// One posting as a comparable value, for mirror checks.
struct Leg {
  std::int64_t account_seq = 0;
  Side side = Side::debit;
  std::string currency;
  i128 amount = 0;

  bool operator==(const Leg& other) const {
    return account_seq == other.account_seq && side == other.side && currency == other.currency &&
           amount == other.amount;
  }
  bool operator<(const Leg& other) const {
    if (account_seq != other.account_seq) return account_seq < other.account_seq;
    if (side != other.side) return side < other.side;
    if (currency != other.currency) return currency < other.currency;
    return amount < other.amount;
  }
};

// Valid postings of `layer` as legs, sorted.
std::vector<Leg> legs_of(const std::vector<StoredPosting>& postings, Layer layer) {
  std::vector<Leg> legs;
  for (const StoredPosting& posting : postings) {
    if (!posting.valid() || *posting.layer != layer) continue;
    legs.push_back(Leg{posting.account_seq, *posting.side, posting.currency, *posting.amount});
  }
  std::sort(legs.begin(), legs.end());
  return legs;
}

struct Sums {
  i128 debits_posted = 0;
  i128 credits_posted = 0;
  i128 debits_pending = 0;
  i128 credits_pending = 0;

  i128& component(Side side, Layer layer) {
    if (layer == Layer::posted) return side == Side::debit ? debits_posted : credits_posted;
    return side == Side::debit ? debits_pending : credits_pending;
  }
};

// A well-mixed 64-bit value per posting key (splitmix64's finaliser), summed with wrapping:
// equal multisets of keys give equal sums; a missing, extra or altered key almost never does.
std::uint64_t key_hash(std::int64_t entry_seq, std::int64_t posting_index) {
  std::uint64_t x = static_cast<std::uint64_t>(entry_seq) * 0x9E3779B97F4A7C15ULL +
                    static_cast<std::uint64_t>(posting_index);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

struct AccountState {
  std::string id;
  std::string currency;
  std::int64_t flags = 0;
  Sums sums;                        // recomputed from the postings
  std::int64_t last_entry_seq = 0;  // the newest posting's entry seq
  std::uint64_t posting_count = 0;
  // The account index: postings at or below its mark, as the journal has them and as the
  // index has them (count and an order-independent hash of the keys).
  std::uint64_t indexed_expected = 0;
  std::uint64_t indexed_expected_hash = 0;
  std::uint64_t indexed_found = 0;
  std::uint64_t indexed_found_hash = 0;
  bool sums_incomplete = false;  // a posting did not parse or a sum overflowed (reported)
  bool has_balance_row = false;
};

// Debits and credits of one (layer, currency) within one entry.
struct EntryTotals {
  Layer layer = Layer::posted;
  std::string currency;
  i128 debits = 0;
  i128 credits = 0;
};

// The postings of one entry (or of one unknown entry seq) as they stream in.
struct Group {
  bool active = false;
  std::int64_t seq = 0;
  const EntryRow* entry = nullptr;  // nullptr: postings reference a missing entry
  std::uint64_t posting_count = 0;
  std::vector<StoredPosting> kept;  // the first kPostingsKeptMax
  std::vector<EntryTotals> totals;
  bool overflowed = false;
  bool has_invalid_posting = false;  // reported; totals and shapes would only add noise
};

struct TrialTotals {
  i128 posted_net = 0;
  i128 pending_net = 0;
  std::uint64_t account_count = 0;
  bool overflowed = false;
};

// One pass over one snapshot. Not reused: a retried transaction builds a new one.
class Verifier {
 public:
  explicit Verifier(Connection& connection) : connection_(connection) {}

  StoreResult<VerifyReport> run();

 private:
  // Accounts.
  StoreResult<void> load_accounts();
  void add_account(const Row& row);
  std::string account_label(std::int64_t account_seq) const;
  std::string account_name(std::int64_t account_seq) const;

  // The journal, window by window.
  StoreResult<void> scan_journal();
  StoreResult<std::optional<std::int64_t>> first_seq_from(std::int64_t seq);
  StoreResult<void> scan_window(std::int64_t first, std::int64_t last);
  StoreResult<void> load_window_entries(std::int64_t first, std::int64_t last);
  StoreResult<void> load_window_references(std::int64_t first, std::int64_t last);
  StoreResult<void> load_window_holds(std::int64_t first, std::int64_t last);
  const HoldRow* hold_of(std::int64_t entry_seq) const;
  const EntryRow* entry_at(std::int64_t seq) const;
  void on_posting(const Row& row);
  void aggregate(const StoredPosting& posting);
  void start_group(std::int64_t seq);
  void finish_group();
  void flush_entries_before(std::optional<std::int64_t> seq);
  void add_to_group(const StoredPosting& posting);

  // Checks of one entry.
  void check_posting(const EntryRow& entry, const StoredPosting& posting);
  void check_posting_layer(const EntryRow& entry, const StoredPosting& posting);
  void check_entry(const EntryRow& entry, const Group& group);
  void check_posting_indexes(const EntryRow& entry, const Group& group);
  void check_entry_balanced(const EntryRow& entry, const Group& group);
  bool check_references(const EntryRow& entry);
  void check_pending_entry(const EntryRow& entry, const Group& group);
  void check_resolution(const EntryRow& entry, const Group& group,
                        const std::vector<StoredPosting>& hold);
  void check_resolution_posts(const EntryRow& entry, const Group& group,
                              const std::vector<Leg>& hold_legs);
  void check_reversal(const EntryRow& entry, const Group& group,
                      const std::vector<StoredPosting>& original);
  std::vector<StoredPosting> references_of(std::int64_t seq);
  std::string describe_legs(const std::vector<Leg>& legs) const;

  // Holds.
  void check_hold(const HoldRow& hold);
  void check_hold_status(const HoldRow& hold, const std::string& label);

  // Balances, the trial balance and flags.
  StoreResult<void> scan_balances();
  void check_balance_row(const Row& row);
  void compare_balance(std::int64_t account_seq, AccountState& account, const Sums& stored,
                       std::int64_t last_entry_seq);
  void check_flags(std::int64_t account_seq, const AccountState& account, const Sums& stored);
  void add_to_trial_balance(const AccountState& account, const Sums& stored);
  void report_missing_balances();
  void report_trial_balance();

  // ledger_meta.
  StoreResult<void> check_meta();

  // The account index (ledger_account_postings below ledger_account_index_state's mark).
  StoreResult<void> load_index_mark();
  StoreResult<void> scan_account_index();
  void check_account_index();

  StoreResult<void> page_through(std::string_view select, std::string_view key,
                                 const store::RowCallback& on_row);
  void add(std::string_view code, std::string message);

  Connection& connection_;
  VerifyReport report_;
  std::unordered_map<std::int64_t, AccountState> accounts_;
  std::map<std::string, TrialTotals> trial_;
  std::optional<std::int64_t> max_entry_seq_;
  std::int64_t index_mark_ = 0;

  // The current window.
  std::vector<EntryRow> entries_;
  std::size_t entry_cursor_ = 0;
  std::vector<HoldRow> holds_;             // holds of the window's (pending) entries
  std::vector<StoredPosting> references_;  // postings of referenced entries, by referrer seq
  std::size_t reference_cursor_ = 0;
  Group group_;
};

void Verifier::add(std::string_view code, std::string message) {
  if (report_.violations.size() >= kVerifyViolationsMax) {
    report_.violations_omitted++;
    return;
  }
  report_.violations.push_back(Violation{std::string(code), std::move(message)});
}

StoreResult<VerifyReport> Verifier::run() {
  if (auto done = load_accounts(); !done) return unexpected(done.error());
  if (auto done = load_index_mark(); !done) return unexpected(done.error());
  if (auto done = scan_journal(); !done) return unexpected(done.error());
  if (auto done = scan_account_index(); !done) return unexpected(done.error());
  check_account_index();
  if (auto done = scan_balances(); !done) return unexpected(done.error());
  report_missing_balances();
  report_trial_balance();
  if (auto done = check_meta(); !done) return unexpected(done.error());
  return std::move(report_);
}

// Keyset pagination: `select` ends before its WHERE; pages continue after the last key seen.
// The first page includes kSeqMin itself, so no key value is out of reach.
StoreResult<void> Verifier::page_through(std::string_view select, std::string_view key,
                                         const store::RowCallback& on_row) {
  const std::string limit = cat(" LIMIT ", kPageRows);
  const std::string first_sql = cat(select, " WHERE ", key, " >= $1 ORDER BY ", key, limit);
  const std::string next_sql = cat(select, " WHERE ", key, " > $1 ORDER BY ", key, limit);
  std::int64_t after = kSeqMin;
  for (bool first = true;; first = false) {
    std::int64_t rows = 0;
    auto done = connection_.query(first ? first_sql : next_sql, {after}, [&](const Row& row) {
      const std::int64_t row_key = row.get_int64(0);  // the key is always the first column
      assert(row_key > after || (first && rows == 0 && row_key == after));  // unique, ascending
      rows++;
      after = row_key;
      on_row(row);
    });
    if (!done) return done;
    if (rows < kPageRows) return {};
  }
}

// ---- accounts -------------------------------------------------------------------------------

StoreResult<void> Verifier::load_accounts() {
  return page_through("SELECT seq, id, currency, flags FROM ledger_accounts", "seq",
                      [&](const Row& row) { add_account(row); });
}

void Verifier::add_account(const Row& row) {
  report_.account_count++;
  const std::int64_t seq = row.get_int64(0);
  AccountState& account = accounts_[seq];
  account.id = row.get_text(1);
  account.currency = row.get_text(2);
  account.flags = row.get_int64(3);
  const std::int64_t known = static_cast<std::int64_t>(kAccountFlagsAll);
  if ((account.flags & ~known) != 0 || account.flags < 0) {
    add("account_flags_invalid",
        cat(account_label(seq), " has flags ", account.flags, "; only bits of ", known, " exist"));
  }
}

std::string Verifier::account_label(std::int64_t account_seq) const {
  const auto found = accounts_.find(account_seq);
  if (found == accounts_.end()) return cat("account seq ", account_seq, " (no such account)");
  return cat("account ", found->second.id, " (seq ", account_seq, ")");
}

std::string Verifier::account_name(std::int64_t account_seq) const {
  const auto found = accounts_.find(account_seq);
  if (found == accounts_.end()) return cat("account seq ", account_seq);
  return found->second.id;
}

// ---- the journal ----------------------------------------------------------------------------

StoreResult<void> Verifier::scan_journal() {
  auto start = first_seq_from(kSeqMin);
  while (true) {
    if (!start) return unexpected(start.error());
    if (!start->has_value()) return {};
    const std::int64_t first = **start;
    // Saturate instead of overflowing at the top of the seq range.
    const std::int64_t last =
        first > kSeqMax - (kWindowEntrySeqs - 1) ? kSeqMax : first + kWindowEntrySeqs - 1;
    if (auto done = scan_window(first, last); !done) return done;
    if (last == kSeqMax) return {};
    start = first_seq_from(last + 1);
  }
}

// The smallest entry seq >= `seq` among entries, postings and holds (postings and holds may
// name a missing entry, and those must be seen too).
StoreResult<std::optional<std::int64_t>> Verifier::first_seq_from(std::int64_t seq) {
  constexpr std::string_view queries[] = {
      "SELECT seq FROM ledger_entries WHERE seq >= $1 ORDER BY seq LIMIT 1",
      "SELECT entry_seq FROM ledger_postings WHERE entry_seq >= $1 ORDER BY entry_seq LIMIT 1",
      "SELECT entry_seq FROM ledger_holds WHERE entry_seq >= $1 ORDER BY entry_seq LIMIT 1",
  };
  std::optional<std::int64_t> first;
  for (const std::string_view sql : queries) {
    auto found = connection_.query_one<std::int64_t>(sql, {seq});
    if (!found) return found;
    if (found->has_value()) first = std::min(first.value_or(**found), **found);
  }
  return first;
}

StoreResult<void> Verifier::scan_window(std::int64_t first, std::int64_t last) {
  if (auto done = load_window_entries(first, last); !done) return done;
  if (auto done = load_window_references(first, last); !done) return done;
  if (auto done = load_window_holds(first, last); !done) return done;
  entry_cursor_ = 0;
  reference_cursor_ = 0;
  group_ = Group{};
  // Ordered by entry only: the checks do not depend on the order within an entry, and the
  // index yields this order without a sort.
  auto done = connection_.query(
      "SELECT entry_seq, posting_index, account_seq, side, layer, amount, currency "
      "FROM ledger_postings WHERE entry_seq >= $1 AND entry_seq <= $2 ORDER BY entry_seq",
      {first, last}, [&](const Row& row) { on_posting(row); });
  if (!done) return done;
  finish_group();
  flush_entries_before(std::nullopt);
  assert(entry_cursor_ == entries_.size());
  for (const HoldRow& hold : holds_) check_hold(hold);
  return {};
}

// The window's entries with what their checks need from other rows: the posted amount of the
// hold a resolution resolves, and the entry a resolution or reversal names.
// Scalar subqueries, not joins: PostgreSQL runs them as one index probe per row, whereas for
// joins its planner may pick a hash join that scans all of ledger_holds for every window
// (measured: 130 ms per window, 40 s for a million entries, instead of a few ms).
StoreResult<void> Verifier::load_window_entries(std::int64_t first, std::int64_t last) {
  entries_.clear();
  return connection_.query(
      "SELECT e.seq, e.id, e.kind, e.pending_entry_seq, e.reverses_entry_seq, "
      "e.expires_at_unix_ms, "
      "(SELECT h.posted_amount FROM ledger_holds h WHERE h.entry_seq = e.pending_entry_seq), "
      "(SELECT r.id FROM ledger_entries r WHERE r.seq = COALESCE(e.pending_entry_seq, "
      "e.reverses_entry_seq)), "
      "(SELECT r.kind FROM ledger_entries r WHERE r.seq = COALESCE(e.pending_entry_seq, "
      "e.reverses_entry_seq)) "
      "FROM ledger_entries e "
      "WHERE e.seq >= $1 AND e.seq <= $2 ORDER BY e.seq",
      {first, last}, [&](const Row& row) {
        EntryRow entry;
        entry.seq = row.get_int64(0);
        // Merging with the postings relies on ORDER BY seq within the window.
        assert(entry.seq >= first && entry.seq <= last);
        assert(entries_.empty() || entries_.back().seq < entry.seq);
        entry.id = row.get_text(1);
        entry.kind_text = row.get_text(2);
        entry.kind = parse_kind(entry.kind_text);
        entry.pending_entry_seq = row.get<std::optional<std::int64_t>>(3);
        entry.reverses_entry_seq = row.get<std::optional<std::int64_t>>(4);
        entry.expires_at_unix_ms = row.get<std::optional<std::int64_t>>(5);
        entry.resolved_hold_posted = row.get<std::optional<std::string>>(6);
        entry.ref_id = row.get<std::optional<std::string>>(7);
        entry.ref_kind = row.get<std::optional<std::string>>(8);
        report_.entry_count++;
        max_entry_seq_ = std::max(max_entry_seq_.value_or(entry.seq), entry.seq);
        entries_.push_back(std::move(entry));
      });
}

// Postings of the entries the window's resolutions and reversals reference, labelled with the
// referencing entry's seq and ordered by it, so they are consumed with a cursor.
StoreResult<void> Verifier::load_window_references(std::int64_t first, std::int64_t last) {
  references_.clear();
  std::size_t kept_for_referrer = 0;
  return connection_.query(
      "SELECT e.seq, p.posting_index, p.account_seq, p.side, p.layer, p.amount, p.currency "
      "FROM ledger_entries e "
      "JOIN ledger_postings p ON p.entry_seq = COALESCE(e.pending_entry_seq, e.reverses_entry_seq) "
      "WHERE e.seq >= $1 AND e.seq <= $2 ORDER BY e.seq",
      {first, last}, [&](const Row& row) {
        StoredPosting posting = read_posting(row);
        const bool same_referrer =
            !references_.empty() && references_.back().entry_seq == posting.entry_seq;
        kept_for_referrer = same_referrer ? kept_for_referrer + 1 : 1;
        // Beyond one more than allowed, the referenced entry is reported as too large itself.
        if (kept_for_referrer <= kPostingsKeptMax) references_.push_back(std::move(posting));
      });
}

// The holds of the window's seqs, each with the entry that resolves it (at most one: the
// unique index ledger_entries_one_resolution).
StoreResult<void> Verifier::load_window_holds(std::int64_t first, std::int64_t last) {
  holds_.clear();
  return connection_.query(
      "SELECT h.entry_seq, h.status, h.amount, h.posted_amount, h.resolved_by_entry_seq, "
      "h.expires_at_unix_ms, "
      "(SELECT r.seq FROM ledger_entries r WHERE r.pending_entry_seq = h.entry_seq), "
      "(SELECT r.kind FROM ledger_entries r WHERE r.pending_entry_seq = h.entry_seq) "
      "FROM ledger_holds h WHERE h.entry_seq >= $1 AND h.entry_seq <= $2 ORDER BY h.entry_seq",
      {first, last}, [&](const Row& row) {
        HoldRow hold;
        hold.entry_seq = row.get_int64(0);
        hold.status = row.get_text(1);
        hold.amount_text = row.get_text(2);
        hold.posted_amount_text = row.get_text(3);
        hold.resolved_by_entry_seq = row.get<std::optional<std::int64_t>>(4);
        hold.expires_at_unix_ms = row.get<std::optional<std::int64_t>>(5);
        hold.resolver_seq = row.get<std::optional<std::int64_t>>(6);
        hold.resolver_kind = row.get<std::optional<std::string>>(7);
        report_.hold_count++;
        holds_.push_back(std::move(hold));
      });
}

const HoldRow* Verifier::hold_of(std::int64_t entry_seq) const {
  const auto found =
      std::lower_bound(holds_.begin(), holds_.end(), entry_seq,
                       [](const HoldRow& hold, std::int64_t seq) { return hold.entry_seq < seq; });
  return found != holds_.end() && found->entry_seq == entry_seq ? &*found : nullptr;
}

const EntryRow* Verifier::entry_at(std::int64_t seq) const {
  const auto found =
      std::lower_bound(entries_.begin(), entries_.end(), seq,
                       [](const EntryRow& entry, std::int64_t value) { return entry.seq < value; });
  return found != entries_.end() && found->seq == seq ? &*found : nullptr;
}

std::vector<StoredPosting> Verifier::references_of(std::int64_t seq) {
  std::vector<StoredPosting> found;
  while (reference_cursor_ < references_.size() &&
         references_[reference_cursor_].entry_seq <= seq) {
    if (references_[reference_cursor_].entry_seq == seq) {
      found.push_back(references_[reference_cursor_]);
    }
    reference_cursor_++;
  }
  return found;
}

void Verifier::on_posting(const Row& row) {
  const StoredPosting posting = read_posting(row);
  // Grouping relies on the query's ORDER BY entry_seq.
  assert(!group_.active || posting.entry_seq >= group_.seq);
  report_.posting_count++;
  aggregate(posting);
  if (group_.active && group_.seq != posting.entry_seq) finish_group();
  if (!group_.active) start_group(posting.entry_seq);
  add_to_group(posting);
}

// Adds one posting to its account's recomputed balance.
void Verifier::aggregate(const StoredPosting& posting) {
  const auto found = accounts_.find(posting.account_seq);
  if (found == accounts_.end()) return;  // reported with the entry
  AccountState& account = found->second;
  account.posting_count++;
  account.last_entry_seq = std::max(account.last_entry_seq, posting.entry_seq);
  if (posting.entry_seq <= index_mark_) {
    account.indexed_expected++;
    account.indexed_expected_hash += key_hash(posting.entry_seq, posting.index);
  }
  if (account.sums_incomplete) return;
  if (!posting.valid()) {
    account.sums_incomplete = true;  // the bad posting is reported with its entry
    return;
  }
  if (!add_checked(account.sums.component(*posting.side, *posting.layer), *posting.amount)) {
    account.sums_incomplete = true;
    add("arithmetic_overflow",
        cat(account_label(posting.account_seq),
            ": the sum of its postings overflows 128 bits at entry seq ", posting.entry_seq));
  }
}

void Verifier::start_group(std::int64_t seq) {
  flush_entries_before(seq);
  group_ = Group{};
  group_.active = true;
  group_.seq = seq;
  if (entry_cursor_ < entries_.size() && entries_[entry_cursor_].seq == seq) {
    group_.entry = &entries_[entry_cursor_];
    entry_cursor_++;
  }
}

// Checks the entries before `seq` (nullopt: all that are left), which have no postings.
void Verifier::flush_entries_before(std::optional<std::int64_t> seq) {
  while (entry_cursor_ < entries_.size() && (!seq || entries_[entry_cursor_].seq < *seq)) {
    const EntryRow& entry = entries_[entry_cursor_];
    entry_cursor_++;
    check_entry(entry, Group{true, entry.seq, &entry, 0, {}, {}, false, false});
  }
}

void Verifier::finish_group() {
  if (!group_.active) return;
  group_.active = false;
  if (group_.entry == nullptr) {
    add("posting_unknown_entry", cat(group_.posting_count, " posting(s) reference entry seq ",
                                     group_.seq, ", which does not exist"));
    return;
  }
  check_entry(*group_.entry, group_);
}

void Verifier::add_to_group(const StoredPosting& posting) {
  group_.posting_count++;
  if (group_.kept.size() < kPostingsKeptMax) group_.kept.push_back(posting);
  if (group_.entry == nullptr) return;
  check_posting(*group_.entry, posting);
  if (!posting.valid()) {
    group_.has_invalid_posting = true;
    return;
  }
  auto totals = std::find_if(group_.totals.begin(), group_.totals.end(), [&](const auto& t) {
    return t.layer == *posting.layer && t.currency == posting.currency;
  });
  if (totals == group_.totals.end()) {
    group_.totals.push_back(EntryTotals{*posting.layer, posting.currency, 0, 0});
    totals = group_.totals.end() - 1;
  }
  i128& side_total = *posting.side == Side::debit ? totals->debits : totals->credits;
  if (!add_checked(side_total, *posting.amount)) group_.overflowed = true;
}

// ---- checks of one entry --------------------------------------------------------------------

void Verifier::check_posting(const EntryRow& entry, const StoredPosting& posting) {
  // Built only for a violation: this runs for every posting in the ledger.
  const auto where = [&] { return posting_label(entry, posting); };
  if (!posting.side || !posting.layer) {
    add("posting_invalid",
        cat(where(), ": side or layer is not one of debit|credit, posted|pending"));
  }
  if (!posting.amount) {
    add("amount_invalid",
        cat(where(), ": amount '", posting.amount_text, "' is not a canonical decimal integer"));
  } else if (posting.layer == Layer::posted && *posting.amount <= 0) {
    add("posted_amount_not_positive",
        cat(where(), ": posted amount ", *posting.amount, " ", posting.currency, " must be > 0"));
  } else if (posting.layer == Layer::pending && *posting.amount == 0) {
    add("pending_amount_zero", cat(where(), ": pending amount is 0"));
  }
  const auto account = accounts_.find(posting.account_seq);
  if (account == accounts_.end()) {
    add("posting_unknown_account",
        cat(where(), ": account seq ", posting.account_seq, " does not exist"));
  } else if (account->second.currency != posting.currency) {
    add("posting_currency_mismatch",
        cat(where(), ": currency ", posting.currency, " but ", account_label(posting.account_seq),
            " holds ", account->second.currency));
  }
  if (posting.valid() && entry.kind) check_posting_layer(entry, posting);
}

// Which layer (and, for pending, which sign) each kind of entry may write.
void Verifier::check_posting_layer(const EntryRow& entry, const StoredPosting& posting) {
  const bool posted = *posting.layer == Layer::posted;
  if (!posted && *posting.amount == 0) return;  // reported as pending_amount_zero
  const bool reserves = !posted && *posting.amount > 0;
  const bool releases = !posted && *posting.amount < 0;
  bool allowed = false;
  switch (*entry.kind) {
    case EntryKind::standard:
    case EntryKind::reversal:
      allowed = posted;
      break;
    case EntryKind::pending:
      allowed = reserves;
      break;
    case EntryKind::void_pending:
    case EntryKind::expire_pending:
      allowed = releases;
      break;
    case EntryKind::post_pending:
      allowed = posted || releases;
      break;
  }
  if (allowed) return;
  add("posting_layer_invalid",
      cat(posting_label(entry, posting), ": a ", entry.kind_text, " entry may not have a ",
          layer_name(*posting.layer), " posting of ", *posting.amount));
}

void Verifier::check_entry(const EntryRow& entry, const Group& group) {
  if (!entry.kind) {
    add("entry_kind_invalid", cat(entry_label(entry), ": unknown kind '", entry.kind_text, "'"));
  }
  const bool references_ok = check_references(entry);
  const std::vector<StoredPosting> referenced = references_of(entry.seq);
  if (group.posting_count < 2) {
    add("entry_too_few_postings", cat(entry_label(entry), " has ", group.posting_count,
                                      " posting(s); an entry needs at least 2"));
  }
  if (group.posting_count > kPostingsPerEntryMax) {
    add("entry_too_many_postings",
        cat(entry_label(entry), " has ", group.posting_count, " postings; at most ",
            kPostingsPerEntryMax, " are allowed"));
    return;  // the kept postings are not all of them: skip the shape checks
  }
  check_posting_indexes(entry, group);
  // An unreadable posting was reported; totals and shapes without it would only add noise.
  if (group.has_invalid_posting || !entry.kind) return;
  check_entry_balanced(entry, group);
  if (*entry.kind == EntryKind::pending) check_pending_entry(entry, group);
  // A referenced entry too large to keep whole is reported on its own; mirroring it is moot.
  if (!references_ok || referenced.size() > kPostingsPerEntryMax) return;
  if (is_resolution(*entry.kind)) check_resolution(entry, group, referenced);
  if (*entry.kind == EntryKind::reversal) check_reversal(entry, group, referenced);
}

void Verifier::check_posting_indexes(const EntryRow& entry, const Group& group) {
  std::vector<std::int64_t> indexes;
  for (const StoredPosting& posting : group.kept) indexes.push_back(posting.index);
  std::sort(indexes.begin(), indexes.end());
  const auto duplicate = std::adjacent_find(indexes.begin(), indexes.end());
  if (duplicate == indexes.end()) return;
  add("posting_index_duplicate",
      cat(entry_label(entry), " has more than one posting with index ", *duplicate));
}

void Verifier::check_entry_balanced(const EntryRow& entry, const Group& group) {
  if (group.overflowed) {
    add("arithmetic_overflow", cat(entry_label(entry), ": its posting total overflows 128 bits"));
    return;
  }
  for (const EntryTotals& totals : group.totals) {
    if (totals.debits == totals.credits) continue;
    add("entry_unbalanced", cat(entry_label(entry), " is unbalanced in ", totals.currency, " (",
                                layer_name(totals.layer), " layer): debits ", totals.debits,
                                " != credits ", totals.credits));
  }
}

// The reference columns match the kind, and the referenced entry exists and is earlier.
// False when the referenced entry cannot be used for the mirror checks.
bool Verifier::check_references(const EntryRow& entry) {
  if (!entry.kind) return false;
  const bool wants_hold = is_resolution(*entry.kind);
  const bool wants_original = *entry.kind == EntryKind::reversal;
  const std::string label = entry_label(entry);
  bool ok = true;
  if (entry.pending_entry_seq.has_value() != wants_hold) {
    add("entry_reference_invalid",
        cat(label, ": a ", entry.kind_text, " entry must ", wants_hold ? "" : "not ",
            "name a pending entry (pending_entry_seq)"));
    ok = false;
  }
  if (entry.reverses_entry_seq.has_value() != wants_original) {
    add("entry_reference_invalid",
        cat(label, ": a ", entry.kind_text, " entry must ", wants_original ? "" : "not ",
            "name the entry it reverses (reverses_entry_seq)"));
    ok = false;
  }
  const std::optional<std::int64_t> ref_seq = entry.ref_seq();
  if (!ok || !ref_seq) return false;
  if (!entry.ref_id) {
    add("entry_reference_invalid",
        cat(label, " references entry seq ", *ref_seq, ", which does not exist"));
    return false;
  }
  const std::string ref_label = cat("entry ", *entry.ref_id, " (seq ", *ref_seq, ")");
  if (*ref_seq >= entry.seq) {
    add("entry_reference_invalid", cat(label, " references ", ref_label, ", which is not earlier"));
    return false;
  }
  if (wants_hold && entry.ref_kind != "pending") {
    add("entry_reference_invalid", cat(label, " resolves ", ref_label, ", which is a ",
                                       entry.ref_kind.value_or("?"), " entry, not pending"));
    return false;
  }
  return true;
}

// A hold is two-sided: one reserved debit, one reserved credit of the same amount, and its
// ledger_holds row records that amount.
void Verifier::check_pending_entry(const EntryRow& entry, const Group& group) {
  const std::vector<Leg> legs = legs_of(group.kept, Layer::pending);
  const auto debits = std::count_if(legs.begin(), legs.end(),
                                    [](const Leg& leg) { return leg.side == Side::debit; });
  if (legs.size() != 2 || debits != 1) {
    add("pending_entry_shape",
        cat(entry_label(entry), " must reserve with exactly one debit and one credit; found ",
            describe_legs(legs)));
  }
  i128 reserved = 0;
  for (const Leg& leg : legs) {
    if (leg.side == Side::debit && !add_checked(reserved, leg.amount)) return;  // reported
  }
  const HoldRow* hold = hold_of(entry.seq);
  if (hold == nullptr) {
    add("hold_missing", cat("pending ", entry_label(entry), " has no ledger_holds row"));
    return;
  }
  const std::optional<i128> amount = parse_i128(hold->amount_text);
  if (!amount) return;  // reported by check_hold
  if (*amount != reserved) {
    add("hold_amount_mismatch", cat("hold of ", entry_label(entry), " records amount ", *amount,
                                    " but the entry reserves ", reserved));
  }
}

// A resolution releases exactly what the hold reserved (the same legs, negated) and, when it
// posts, posts on the hold's own accounts and sides no more than was reserved there.
void Verifier::check_resolution(const EntryRow& entry, const Group& group,
                                const std::vector<StoredPosting>& hold) {
  std::vector<Leg> hold_legs = legs_of(hold, Layer::pending);
  std::erase_if(hold_legs, [](const Leg& leg) { return leg.amount <= 0; });
  std::vector<Leg> expected = hold_legs;
  for (Leg& leg : expected) leg.amount = -leg.amount;
  std::sort(expected.begin(), expected.end());
  const std::vector<Leg> found = legs_of(group.kept, Layer::pending);
  if (found != expected) {
    add("resolution_mismatch",
        cat(entry_label(entry), " must release exactly the hold of entry ", *entry.ref_id, " (seq ",
            *entry.pending_entry_seq, "): expected ", describe_legs(expected), "; found ",
            describe_legs(found)));
  }
  check_resolution_posts(entry, group, hold_legs);
}

void Verifier::check_resolution_posts(const EntryRow& entry, const Group& group,
                                      const std::vector<Leg>& hold_legs) {
  i128 posted = 0;
  for (const Leg& leg : legs_of(group.kept, Layer::posted)) {
    if (leg.side == Side::debit && !add_checked(posted, leg.amount)) return;  // reported
    const auto reserved = std::find_if(hold_legs.begin(), hold_legs.end(), [&](const Leg& held) {
      return held.account_seq == leg.account_seq && held.side == leg.side &&
             held.currency == leg.currency;
    });
    if (reserved == hold_legs.end()) {
      add("resolution_mismatch", cat(entry_label(entry), " posts ", describe_legs({leg}),
                                     ", which is not a leg of the hold it resolves"));
    } else if (leg.amount > reserved->amount) {
      add("resolution_mismatch", cat(entry_label(entry), " posts ", describe_legs({leg}),
                                     " but the hold reserved only ", reserved->amount));
    }
  }
  if (*entry.kind != EntryKind::post_pending || !entry.resolved_hold_posted) return;
  const std::optional<i128> recorded = parse_i128(*entry.resolved_hold_posted);
  if (!recorded || *recorded == posted) return;  // an unparsable one is reported by check_hold
  add("hold_posted_amount_mismatch",
      cat("hold of entry ", *entry.ref_id, " (seq ", *entry.pending_entry_seq,
          ") records posted_amount ", *recorded, " but ", entry_label(entry), " posts ", posted));
}

void Verifier::check_reversal(const EntryRow& entry, const Group& group,
                              const std::vector<StoredPosting>& original) {
  std::vector<Leg> expected = legs_of(original, Layer::posted);
  for (Leg& leg : expected) leg.side = opposite(leg.side);
  std::sort(expected.begin(), expected.end());
  const std::vector<Leg> found = legs_of(group.kept, Layer::posted);
  if (found == expected) return;
  add("reversal_mismatch",
      cat(entry_label(entry), " does not mirror entry ", *entry.ref_id, " (seq ",
          *entry.reverses_entry_seq, ") with sides swapped: expected ", describe_legs(expected),
          "; found ", describe_legs(found)));
}

std::string Verifier::describe_legs(const std::vector<Leg>& legs) const {
  if (legs.empty()) return "nothing";
  std::string text;
  for (std::size_t i = 0; i < legs.size() && i < kLegsListedMax; i++) {
    if (i > 0) text += ", ";
    text += cat(side_name(legs[i].side), " ", legs[i].amount, " ", legs[i].currency, " on ",
                account_name(legs[i].account_seq));
  }
  if (legs.size() > kLegsListedMax) text += cat(", ... (", legs.size(), " legs)");
  return text;
}

// ---- holds ----------------------------------------------------------------------------------

void Verifier::check_hold(const HoldRow& hold) {
  const EntryRow* entry = entry_at(hold.entry_seq);
  const std::string label =
      entry ? cat("hold of ", entry_label(*entry)) : cat("hold of entry seq ", hold.entry_seq);
  if (entry == nullptr) {
    add("hold_unknown_entry", cat(label, ": no such entry"));
  } else if (entry->kind != EntryKind::pending) {
    add("hold_unknown_entry", cat(label, ": the entry is ", entry->kind_text, ", not pending"));
  } else if (entry->expires_at_unix_ms != hold.expires_at_unix_ms) {
    add("hold_expiry_mismatch", cat(label, ": expires_at_unix_ms differs from its entry's"));
  }
  const std::optional<i128> amount = parse_i128(hold.amount_text);
  const std::optional<i128> posted = parse_i128(hold.posted_amount_text);
  if (!amount) {
    add("amount_invalid", cat(label, ": amount '", hold.amount_text, "' is not canonical"));
  }
  if (!posted) {
    add("amount_invalid",
        cat(label, ": posted_amount '", hold.posted_amount_text, "' is not canonical"));
  } else if (*posted < 0) {
    add("hold_posted_amount_invalid", cat(label, ": posted_amount ", *posted, " is negative"));
  } else if (amount && *posted > *amount) {
    add("hold_over_posted", cat(label, ": posted_amount ", *posted, " exceeds amount ", *amount));
  }
  check_hold_status(hold, label);
}

// Open holds have no resolving entry; resolved ones exactly one, of the matching kind, which
// resolved_by_entry_seq names. Voided and expired holds posted nothing.
void Verifier::check_hold_status(const HoldRow& hold, const std::string& label) {
  const std::string resolver =
      hold.resolver_seq ? cat("entry seq ", *hold.resolver_seq, " (", *hold.resolver_kind, ")")
                        : std::string("no entry");
  const std::string state = cat(label, " is ", hold.status, " but ");
  if (hold.status == "open") {
    if (hold.resolver_seq) add("hold_status_inconsistent", cat(state, resolver, " resolves it"));
    if (hold.resolved_by_entry_seq) {
      add("hold_status_inconsistent",
          cat(state, "resolved_by_entry_seq is ", *hold.resolved_by_entry_seq));
    }
    return;
  }
  std::string_view wanted_kind = "post_pending";
  if (hold.status == "voided") wanted_kind = "void_pending";
  if (hold.status == "expired") wanted_kind = "expire_pending";
  if (!hold.resolver_seq || hold.resolver_kind != wanted_kind) {
    add("hold_status_inconsistent",
        cat(state, resolver, " resolves it (wanted one ", wanted_kind, " entry)"));
  } else if (hold.resolved_by_entry_seq != hold.resolver_seq) {
    add("hold_status_inconsistent",
        cat(state, "resolved_by_entry_seq is ",
            hold.resolved_by_entry_seq ? std::to_string(*hold.resolved_by_entry_seq)
                                       : std::string("NULL"),
            " while it is resolved by ", resolver));
  }
  const std::optional<i128> posted = parse_i128(hold.posted_amount_text);
  if (hold.status != "posted" && posted && *posted != 0) {
    add("hold_posted_amount_mismatch",
        cat(label, " is ", hold.status, " but records posted_amount ", *posted, " (must be 0)"));
  }
}

// ---- balances -------------------------------------------------------------------------------

StoreResult<void> Verifier::scan_balances() {
  return page_through(
      "SELECT account_seq, debits_posted, credits_posted, debits_pending, credits_pending, "
      "last_entry_seq FROM ledger_balances",
      "account_seq", [&](const Row& row) { check_balance_row(row); });
}

void Verifier::check_balance_row(const Row& row) {
  const std::int64_t account_seq = row.get_int64(0);
  const auto found = accounts_.find(account_seq);
  if (found == accounts_.end()) {
    add("balance_unknown_account",
        cat("ledger_balances row for account seq ", account_seq, ", which does not exist"));
    return;
  }
  AccountState& account = found->second;
  account.has_balance_row = true;
  constexpr std::string_view names[] = {"debits_posted", "credits_posted", "debits_pending",
                                        "credits_pending"};
  i128 values[4] = {0, 0, 0, 0};
  bool parsed = true;
  for (int i = 0; i < 4; i++) {
    const std::optional<i128> value = parse_i128(row.get_text(i + 1));
    if (!value) {
      add("amount_invalid", cat("balance of ", account_label(account_seq), ": ", names[i], " '",
                                row.get_text(i + 1), "' is not a canonical decimal integer"));
      parsed = false;
    }
    values[i] = value.value_or(0);
  }
  if (!parsed) return;
  const Sums stored{values[0], values[1], values[2], values[3]};
  compare_balance(account_seq, account, stored, row.get_int64(5));
  check_flags(account_seq, account, stored);
  add_to_trial_balance(account, stored);
}

void Verifier::compare_balance(std::int64_t account_seq, AccountState& account, const Sums& stored,
                               std::int64_t last_entry_seq) {
  if (account.last_entry_seq != last_entry_seq) {
    add("balance_last_entry_mismatch",
        cat("balance of ", account_label(account_seq), ": last_entry_seq is ", last_entry_seq,
            " but its newest posting is in entry seq ", account.last_entry_seq));
  }
  if (account.sums_incomplete) return;  // a bad posting was reported; its sum means nothing
  const Sums& computed = account.sums;
  const std::pair<std::string_view, std::pair<i128, i128>> components[] = {
      {"debits_posted", {stored.debits_posted, computed.debits_posted}},
      {"credits_posted", {stored.credits_posted, computed.credits_posted}},
      {"debits_pending", {stored.debits_pending, computed.debits_pending}},
      {"credits_pending", {stored.credits_pending, computed.credits_pending}},
  };
  std::string differences;
  for (const auto& [name, values] : components) {
    if (values.first == values.second) continue;
    if (!differences.empty()) differences += "; ";
    differences += cat(name, " stored ", values.first, ", postings sum to ", values.second);
  }
  if (differences.empty()) return;
  add("balance_mismatch", cat("balance of ", account_label(account_seq), " (", account.currency,
                              ") differs from its postings: ", differences));
}

// Flags bound the stored balance including what holds reserve (see AccountFlag).
void Verifier::check_flags(std::int64_t account_seq, const AccountState& account,
                           const Sums& stored) {
  const auto violated = [&](std::string_view flag, std::string_view side, i128 posted, i128 pending,
                            std::string_view other_side, i128 other) {
    i128 total = posted;
    if (add_checked(total, pending) && total <= other) return;
    add("account_flags_violated",
        cat(account_label(account_seq), " has flag ", flag, " but ", side, "_posted ", posted,
            " + ", side, "_pending ", pending, " > ", other_side, "_posted ", other));
  };
  if ((account.flags & kDebitsMustNotExceedCredits) != 0) {
    violated("debits_must_not_exceed_credits", "debits", stored.debits_posted,
             stored.debits_pending, "credits", stored.credits_posted);
  }
  if ((account.flags & kCreditsMustNotExceedDebits) != 0) {
    violated("credits_must_not_exceed_debits", "credits", stored.credits_posted,
             stored.credits_pending, "debits", stored.debits_posted);
  }
}

void Verifier::add_to_trial_balance(const AccountState& account, const Sums& stored) {
  TrialTotals& totals = trial_[account.currency];
  totals.account_count++;
  const bool ok = add_checked(totals.posted_net, stored.debits_posted) &&
                  sub_checked(totals.posted_net, stored.credits_posted) &&
                  add_checked(totals.pending_net, stored.debits_pending) &&
                  sub_checked(totals.pending_net, stored.credits_pending);
  if (!ok) totals.overflowed = true;
}

void Verifier::report_missing_balances() {
  std::vector<std::int64_t> missing;
  for (const auto& [seq, account] : accounts_) {
    if (account.posting_count > 0 && !account.has_balance_row) missing.push_back(seq);
  }
  std::sort(missing.begin(), missing.end());  // a stable report, whatever the hash order
  for (const std::int64_t seq : missing) {
    const AccountState& account = accounts_.at(seq);
    const Sums& sums = account.sums;
    add("balance_missing",
        cat(account_label(seq), " has ", account.posting_count,
            " posting(s) but no ledger_balances row (its postings sum to debits_posted ",
            sums.debits_posted, ", credits_posted ", sums.credits_posted, ", debits_pending ",
            sums.debits_pending, ", credits_pending ", sums.credits_pending, ")"));
  }
}

void Verifier::report_trial_balance() {
  for (const auto& [currency, totals] : trial_) {
    if (totals.overflowed) {
      add("arithmetic_overflow", cat("trial balance of ", currency, " overflows 128 bits"));
      continue;
    }
    const std::pair<std::string_view, i128> nets[] = {{"posted", totals.posted_net},
                                                      {"pending", totals.pending_net}};
    for (const auto& [layer, net] : nets) {
      if (net == 0) continue;
      add("trial_balance_nonzero",
          cat("trial balance of ", currency, ": ", layer, " debits - credits over ",
              totals.account_count, " account(s) is ", net, ", must be 0"));
    }
  }
}

// ---- ledger_meta ----------------------------------------------------------------------------

StoreResult<void> Verifier::check_meta() {
  std::vector<std::int64_t> next_seqs;
  auto done = connection_.query("SELECT next_entry_seq FROM ledger_meta", {},
                                [&](const Row& row) { next_seqs.push_back(row.get_int64(0)); });
  if (!done) return done;
  if (next_seqs.size() != 1) {
    add("meta_next_entry_seq",
        cat("ledger_meta has ", next_seqs.size(), " rows; it must have exactly one"));
    return {};
  }
  const std::int64_t next = next_seqs.front();
  const std::int64_t floor = max_entry_seq_.value_or(0);
  if (next <= floor) {
    add("meta_next_entry_seq",
        cat("ledger_meta.next_entry_seq is ", next, " but must exceed ",
            max_entry_seq_ ? cat("the newest entry seq ", floor) : std::string("0"),
            "; the next commit would reuse a sequence number"));
  }
  return {};
}

StoreResult<void> Verifier::load_index_mark() {
  std::vector<std::int64_t> marks;
  auto done = connection_.query("SELECT indexed_through_entry_seq FROM ledger_account_index_state",
                                {}, [&](const Row& row) { marks.push_back(row.get_int64(0)); });
  if (!done) return done;
  if (marks.size() != 1) {
    add("account_index_state",
        cat("ledger_account_index_state has ", marks.size(), " rows; it must have exactly one"));
    return {};
  }
  index_mark_ = marks.front();
  return {};
}

// Keyset pages over the index's composite key, so memory stays bounded on a large ledger.
StoreResult<void> Verifier::scan_account_index() {
  std::int64_t after_account = kSeqMin;
  std::int64_t after_entry = kSeqMin;
  std::int64_t after_index = kSeqMin;
  while (true) {
    std::int64_t rows = 0;
    auto done = connection_.query(
        cat("SELECT account_seq, entry_seq, posting_index FROM ledger_account_postings"
            " WHERE (account_seq, entry_seq, posting_index) > ($1, $2, $3)"
            " ORDER BY account_seq, entry_seq, posting_index LIMIT ",
            kPageRows),
        {after_account, after_entry, after_index}, [&](const Row& row) {
          rows++;
          after_account = row.get_int64(0);
          after_entry = row.get_int64(1);
          after_index = row.get_int64(2);
          if (after_entry > index_mark_) return;  // left by an interrupted batch: not read
          const auto found = accounts_.find(after_account);
          if (found == accounts_.end()) {
            add("account_index_mismatch",
                cat("ledger_account_postings names account seq ", after_account,
                    ", which does not exist (entry seq ", after_entry, ")"));
            return;
          }
          found->second.indexed_found++;
          found->second.indexed_found_hash += key_hash(after_entry, after_index);
        });
    if (!done) return done;
    if (rows < kPageRows) return {};
  }
}

void Verifier::check_account_index() {
  if (index_mark_ > max_entry_seq_.value_or(0)) {
    add("account_index_state", cat("the account index claims entries through seq ", index_mark_,
                                   " but the newest entry is ", max_entry_seq_.value_or(0)));
  }
  for (const auto& [account_seq, account] : accounts_) {
    if (account.indexed_found == account.indexed_expected &&
        account.indexed_found_hash == account.indexed_expected_hash) {
      continue;
    }
    add("account_index_mismatch",
        cat(account_label(account_seq), ": the account index holds ", account.indexed_found,
            " posting(s) through entry seq ", index_mark_, " but the journal has ",
            account.indexed_expected,
            account.indexed_found == account.indexed_expected ? " (different ones)" : "",
            "; derived data: rebuild it by emptying ledger_account_postings and setting "
            "ledger_account_index_state's mark to 0"));
  }
}

}  // namespace

store::StoreResult<VerifyReport> verify_ledger(store::Database& database) {
  VerifyReport report;
  auto done = database.read([&](store::Connection& connection) -> StoreResult<void> {
    // `read` may run this more than once (busy retries): each attempt starts from nothing.
    auto result = Verifier(connection).run();
    if (!result) return unexpected(result.error());
    report = std::move(result).value();
    return {};
  });
  if (!done) return unexpected(done.error());
  assert(report.violations.size() <= kVerifyViolationsMax);
  return report;
}

}  // namespace till::ledger
