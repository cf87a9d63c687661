// Every SQL statement the ledger runs. The same SQL serves SQLite and PostgreSQL except where
// `dialect` is tested (row locks); amounts travel as decimal TEXT (see migration 0002).
//
// Sets of keys and rows are sent in chunks whose sizes are powers of two up to 64, so each
// statement shape is prepared once per connection and a batch of N rows costs about N/64
// statements rather than N.
#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <unordered_set>

#include "ledger/amount_text.h"
#include "ledger/internal.h"
#include "store/string_map_json.h"

namespace till::ledger::detail {

using store::Connection;
using store::ErrorKind;
using store::Row;
using store::StoreResult;
using store::Value;

namespace {

// Rows per statement: a power of two up to 256 on PostgreSQL, where each statement is a
// network round trip, and up to 64 on SQLite, where statements are in-process and smaller
// ones measured faster. Never more bound values than the store allows in one statement.
constexpr std::size_t kChunkRowsMax = 256;
constexpr std::size_t kChunkRowsMaxSqlite = 64;
constexpr std::size_t kColumnsMax = 11;  // ledger_entries, the widest row written
static_assert(kChunkRowsMax * kColumnsMax <= static_cast<std::size_t>(store::parameter_count_max));

std::size_t chunk_size(const Connection& connection, std::size_t remaining) {
  std::size_t size =
      connection.dialect() == store::Dialect::postgres ? kChunkRowsMax : kChunkRowsMaxSqlite;
  while (size > remaining) size /= 2;
  return size;
}

// "($1,$2),($3,$4)" for `rows` rows of `columns` placeholders, numbered from 1. Built once per
// shape and thread: the committer asks for the same few shapes thousands of times per group.
std::string build_placeholders(std::size_t rows, std::size_t columns) {
  std::string out;
  std::size_t number = 1;
  for (std::size_t row = 0; row < rows; ++row) {
    if (row > 0) out.push_back(',');
    out.push_back('(');
    for (std::size_t column = 0; column < columns; ++column) {
      if (column > 0) out.push_back(',');
      out.push_back('$');
      out.append(std::to_string(number++));
    }
    out.push_back(')');
  }
  return out;
}

const std::string& placeholders(std::size_t rows, std::size_t columns) {
  thread_local std::map<std::pair<std::size_t, std::size_t>, std::string> cache;
  auto& slot = cache[{rows, columns}];
  if (slot.empty()) slot = build_placeholders(rows, columns);
  return slot;
}

// Runs `head (<$1..$n>) tail` for the keys in chunks, calling on_row for every result row.
StoreResult<void> query_in(Connection& connection, std::string_view head, std::string_view tail,
                           const std::vector<Value>& keys, const store::RowCallback& on_row) {
  std::size_t done = 0;
  while (done < keys.size()) {
    const std::size_t count = chunk_size(connection, keys.size() - done);
    std::string sql(head);
    sql.append(placeholders(1, count)).append(tail);
    const std::span<const Value> chunk(keys.data() + done, count);
    if (auto result = connection.query(sql, chunk, on_row); !result) return result;
    done += count;
  }
  return {};
}

// Multi-row INSERT of `values` (row-major, `columns` per row).
StoreResult<void> insert_rows(Connection& connection, std::string_view head, std::string_view tail,
                              std::size_t columns, const std::vector<Value>& values) {
  assert(columns <= kColumnsMax);
  assert(values.size() % columns == 0);
  const std::size_t rows = values.size() / columns;
  std::size_t done = 0;
  while (done < rows) {
    const std::size_t count = chunk_size(connection, rows - done);
    std::string sql(head);
    sql.append(placeholders(count, columns)).append(tail);
    const std::span<const Value> chunk(values.data() + done * columns, count * columns);
    if (auto result = connection.execute(sql, chunk); !result) return unexpected(result.error());
    done += count;
  }
  return {};
}

template <class T>
std::vector<Value> unique_values(const std::vector<T>& keys) {
  std::vector<Value> values;
  std::unordered_set<T> seen;
  for (const T& key : keys) {
    if (seen.insert(key).second) values.emplace_back(key);
  }
  return values;
}

Unexpected<store::StoreError> corrupt(std::string what) {
  return store::store_fail(ErrorKind::corrupt, "ledger data is damaged: " + std::move(what) +
                                                   "; run `till ledger verify`");
}

// Parses a stored amount; a failure is recorded in `bad` (callbacks cannot return errors).
i128 amount_at(const Row& row, int column, std::string& bad) {
  const auto value = parse_i128(row.get_text(column));
  if (!value && bad.empty()) bad = "unparsable amount '" + std::string(row.get_text(column)) + "'";
  return value.value_or(0);
}

Side parse_side(std::string_view text) { return text == "debit" ? Side::debit : Side::credit; }
Layer parse_layer(std::string_view text) {
  return text == "posted" ? Layer::posted : Layer::pending;
}

EntryKind parse_kind(std::string_view text) {
  if (text == "pending") return EntryKind::pending;
  if (text == "post_pending") return EntryKind::post_pending;
  if (text == "void_pending") return EntryKind::void_pending;
  if (text == "expire_pending") return EntryKind::expire_pending;
  if (text == "reversal") return EntryKind::reversal;
  return EntryKind::standard;
}

HoldStatus parse_status(std::string_view text) {
  if (text == "posted") return HoldStatus::posted;
  if (text == "voided") return HoldStatus::voided;
  if (text == "expired") return HoldStatus::expired;
  return HoldStatus::open;
}

Value optional_int(std::int64_t value) { return value == 0 ? Value(nullptr) : Value(value); }
Value optional_int(const std::optional<std::int64_t>& value) {
  return value ? Value(*value) : Value(nullptr);
}

void append_entry_values(std::vector<Value>& values, const NewEntry& entry) {
  values.emplace_back(entry.entry.seq);
  values.emplace_back(entry.entry.id);
  values.emplace_back(std::string(to_string(entry.entry.kind)));
  values.push_back(optional_int(entry.pending_entry_seq));
  values.push_back(optional_int(entry.reverses_entry_seq));
  values.push_back(optional_int(entry.entry.expires_at_unix_ms));
  values.push_back(entry.entry.idempotency_key.empty() ? Value(nullptr)
                                                       : Value(entry.entry.idempotency_key));
  // The hash only serves idempotency checks; entries without a key do not pay 64 bytes for it.
  values.push_back(entry.entry.idempotency_key.empty() ? Value(nullptr)
                                                       : Value(entry.content_sha256));
  values.emplace_back(entry.entry.description);
  values.emplace_back(metadata_to_json(entry.entry.metadata));
  values.emplace_back(entry.entry.created_at_unix_ms);
}

void append_posting_values(std::vector<Value>& values, const NewEntry& entry) {
  for (std::size_t i = 0; i < entry.entry.postings.size(); ++i) {
    const Posting& posting = entry.entry.postings[i];
    values.emplace_back(entry.posting_account_seqs[i]);
    values.emplace_back(entry.entry.seq);
    values.emplace_back(std::int64_t{posting.index});
    values.emplace_back(std::string(to_string(posting.side)));
    values.emplace_back(std::string(to_string(posting.layer)));
    values.emplace_back(format_i128(posting.amount));
    values.emplace_back(posting.currency);
    values.emplace_back(entry.entry.created_at_unix_ms);
  }
}

// What an account's postings listing reads, for `add` in select_postings (p: the posting,
// e: its entry), from the journal's tail and from the account index alike.
constexpr std::string_view kPostingListColumns =
    "SELECT e.id, p.created_at_unix_ms, p.posting_index, p.currency, p.side, p.layer, p.amount";

constexpr std::string_view kEntryColumns =
    "e.seq, e.id, e.kind, pe.id, re.id, e.expires_at_unix_ms, e.idempotency_key, e.description, "
    "e.metadata_json, e.created_at_unix_ms";
constexpr std::string_view kEntryJoins =
    " FROM ledger_entries e LEFT JOIN ledger_entries pe ON pe.seq = e.pending_entry_seq"
    " LEFT JOIN ledger_entries re ON re.seq = e.reverses_entry_seq";

Entry entry_from_row(const Row& row) {
  Entry entry;
  entry.seq = row.get_int64(0);
  entry.id = std::string(row.get_text(1));
  entry.kind = parse_kind(row.get_text(2));
  if (!row.is_null(3)) entry.pending_entry_id = std::string(row.get_text(3));
  if (!row.is_null(4)) entry.reverses_entry_id = std::string(row.get_text(4));
  if (!row.is_null(5)) entry.expires_at_unix_ms = row.get_int64(5);
  if (!row.is_null(6)) entry.idempotency_key = std::string(row.get_text(6));
  entry.description = std::string(row.get_text(7));
  entry.metadata = metadata_from_json(row.get_text(8));
  entry.created_at_unix_ms = row.get_int64(9);
  return entry;
}

StoreResult<void> load_entry_postings(Connection& connection, Entry& entry) {
  std::string bad;
  auto result = connection.query(
      "SELECT p.posting_index, a.id, p.currency, p.side, p.layer, p.amount FROM ledger_postings p"
      " JOIN ledger_accounts a ON a.seq = p.account_seq WHERE p.entry_seq = $1 ORDER BY "
      "p.posting_index",
      {entry.seq}, [&](const Row& row) {
        entry.postings.push_back(Posting{
            entry.id, entry.created_at_unix_ms, static_cast<int>(row.get_int64(0)),
            std::string(row.get_text(1)), std::string(row.get_text(2)), parse_side(row.get_text(3)),
            parse_layer(row.get_text(4)), amount_at(row, 5, bad)});
      });
  if (!result) return result;
  if (!bad.empty()) return corrupt("entry " + entry.id + ": " + bad);
  return {};
}

// One entry, with its postings, chosen by `condition` on its single parameter.
StoreResult<std::optional<Entry>> select_one_entry(Connection& connection,
                                                   std::string_view condition, const Value& key) {
  std::optional<Entry> entry;
  const std::string sql = std::string("SELECT ") + std::string(kEntryColumns) +
                          std::string(kEntryJoins) + " WHERE " + std::string(condition);
  auto result = connection.query(sql, {key}, [&](const Row& row) { entry = entry_from_row(row); });
  if (!result) return unexpected(result.error());
  if (entry) {
    if (auto postings = load_entry_postings(connection, *entry); !postings)
      return unexpected(postings.error());
  }
  return entry;
}

}  // namespace

std::string metadata_to_json(const Metadata& metadata) {
  return store::string_map_to_json(metadata);
}

Metadata metadata_from_json(std::string_view json) { return store::string_map_from_json(json); }

namespace sql {

StoreResult<std::int64_t> lock_next_entry_seq(Connection& connection) {
  // PostgreSQL: the row lock serialises committers across all nodes, so a group's reads of
  // balances below are never stale and locks are always taken in the same order (no
  // deadlocks). SQLite: BEGIN IMMEDIATE already holds the database's write lock.
  const std::string sql =
      std::string("SELECT next_entry_seq FROM ledger_meta WHERE singleton = 1") +
      (connection.dialect() == store::Dialect::postgres ? " FOR UPDATE" : "");
  auto next = connection.query_one<std::int64_t>(sql);
  if (!next) return unexpected(next.error());
  if (!next->has_value()) return corrupt("ledger_meta has no row");
  return **next;
}

StoreResult<void> load_accounts(Connection& connection, const std::vector<std::string>& ids,
                                std::unordered_map<std::string, AccountInfo>& out) {
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (out.count(id) == 0) missing.push_back(id);
  }
  return query_in(connection,
                  "SELECT seq, id, type, currency, flags FROM ledger_accounts WHERE id IN ", "",
                  unique_values(missing), [&](const Row& row) {
                    AccountInfo info;
                    info.seq = row.get_int64(0);
                    info.id = std::string(row.get_text(1));
                    info.type = parse_account_type(row.get_text(2)).value_or(AccountType::asset);
                    info.currency = std::string(row.get_text(3));
                    info.flags = static_cast<std::uint32_t>(row.get_int64(4));
                    out.emplace(info.id, std::move(info));
                  });
}

StoreResult<void> load_keyed_entries(Connection& connection, const std::vector<std::string>& keys,
                                     GroupState& state) {
  std::vector<std::pair<std::int64_t, std::string>> found;  // seq, content hash
  auto result = query_in(
      connection, "SELECT seq, content_sha256 FROM ledger_entries WHERE idempotency_key IN ", "",
      unique_values(keys),
      [&](const Row& row) { found.emplace_back(row.get_int64(0), std::string(row.get_text(1))); });
  if (!result) return result;
  for (const auto& [seq, hash] : found) {
    auto entry = select_entry_by_seq(connection, seq);
    if (!entry) return unexpected(entry.error());
    if (!entry->has_value()) return corrupt("entry seq " + std::to_string(seq) + " vanished");
    const std::string key = (*entry)->idempotency_key;  // copied: the entry is moved below
    state.keyed_entries[key] = {hash, std::move(**entry)};
  }
  return {};
}

StoreResult<void> load_holds(Connection& connection, const std::vector<std::string>& hold_entry_ids,
                             GroupState& state) {
  std::vector<std::string> missing;
  for (const auto& id : hold_entry_ids) {
    if (state.holds.count(id) == 0) missing.push_back(id);
  }
  std::unordered_map<std::int64_t, std::string> id_by_seq;
  std::string bad;
  auto result = query_in(
      connection,
      "SELECT e.id, h.entry_seq, h.status, h.amount, h.posted_amount, h.expires_at_unix_ms,"
      " h.resolved_by_entry_seq FROM ledger_entries e JOIN ledger_holds h ON h.entry_seq = e.seq "
      "WHERE e.id IN ",
      "", unique_values(missing), [&](const Row& row) {
        HoldState hold;
        hold.entry_id = std::string(row.get_text(0));
        hold.entry_seq = row.get_int64(1);
        hold.status = parse_status(row.get_text(2));
        hold.amount = amount_at(row, 3, bad);
        hold.posted_amount = amount_at(row, 4, bad);
        if (!row.is_null(5)) hold.expires_at_unix_ms = row.get_int64(5);
        if (!row.is_null(6)) hold.resolved_by_entry_seq = row.get_int64(6);
        id_by_seq[hold.entry_seq] = hold.entry_id;
        state.holds[hold.entry_id] = std::move(hold);
      });
  if (!result) return result;
  if (!bad.empty()) return corrupt("ledger_holds: " + bad);
  std::vector<std::int64_t> seqs;
  seqs.reserve(id_by_seq.size());
  for (const auto& [seq, id] : id_by_seq) seqs.push_back(seq);
  return query_in(connection,
                  "SELECT p.entry_seq, a.id, p.side, p.currency FROM ledger_postings p"
                  " JOIN ledger_accounts a ON a.seq = p.account_seq WHERE p.layer = 'pending' AND "
                  "p.entry_seq IN ",
                  "", unique_values(seqs), [&](const Row& row) {
                    HoldState& hold = state.holds[id_by_seq[row.get_int64(0)]];
                    const std::string account_id(row.get_text(1));
                    if (parse_side(row.get_text(2)) == Side::debit) {
                      hold.debit_account_id = account_id;
                    } else {
                      hold.credit_account_id = account_id;
                    }
                    hold.currency = std::string(row.get_text(3));
                  });
}

StoreResult<std::vector<std::string>> find_due_holds(Connection& connection,
                                                     std::int64_t now_unix_ms, std::size_t limit) {
  std::vector<std::string> ids;
  auto result = connection.query(
      "SELECT e.id FROM ledger_holds h JOIN ledger_entries e ON e.seq = h.entry_seq"
      " WHERE h.status = 'open' AND h.expires_at_unix_ms IS NOT NULL AND h.expires_at_unix_ms <= $1"
      " ORDER BY h.expires_at_unix_ms LIMIT $2",
      {now_unix_ms, static_cast<std::int64_t>(limit)},
      [&](const Row& row) { ids.emplace_back(row.get_text(0)); });
  if (!result) return unexpected(result.error());
  return ids;
}

StoreResult<void> load_reversal_targets(Connection& connection,
                                        const std::vector<std::string>& entry_ids,
                                        GroupState& state) {
  std::vector<std::string> missing;
  for (const auto& id : entry_ids) {
    if (state.reversal_targets.count(id) == 0) missing.push_back(id);
  }
  std::unordered_map<std::int64_t, std::string> id_by_seq;
  auto result = query_in(connection, "SELECT seq, id, kind FROM ledger_entries WHERE id IN ", "",
                         unique_values(missing), [&](const Row& row) {
                           ReversalTarget target;
                           target.seq = row.get_int64(0);
                           target.id = std::string(row.get_text(1));
                           target.kind = parse_kind(row.get_text(2));
                           id_by_seq[target.seq] = target.id;
                           state.reversal_targets[target.id] = std::move(target);
                         });
  if (!result) return result;
  std::vector<std::int64_t> seqs;
  seqs.reserve(id_by_seq.size());
  for (const auto& [seq, id] : id_by_seq) seqs.push_back(seq);
  const auto keys = unique_values(seqs);
  result = query_in(
      connection, "SELECT reverses_entry_seq FROM ledger_entries WHERE reverses_entry_seq IN ", "",
      keys,
      [&](const Row& row) { state.reversal_targets[id_by_seq[row.get_int64(0)]].reversed = true; });
  if (!result) return result;
  std::string bad;
  result = query_in(connection,
                    "SELECT p.entry_seq, p.posting_index, a.id, p.currency, p.side, p.amount FROM "
                    "ledger_postings p"
                    " JOIN ledger_accounts a ON a.seq = p.account_seq WHERE p.layer = 'posted' AND "
                    "p.entry_seq IN ",
                    " ORDER BY p.entry_seq, p.posting_index", keys, [&](const Row& row) {
                      ReversalTarget& target = state.reversal_targets[id_by_seq[row.get_int64(0)]];
                      target.posted_postings.push_back(Posting{
                          target.id, 0, static_cast<int>(row.get_int64(1)),
                          std::string(row.get_text(2)), std::string(row.get_text(3)),
                          parse_side(row.get_text(4)), Layer::posted, amount_at(row, 5, bad)});
                    });
  if (!result) return result;
  if (!bad.empty()) return corrupt("ledger_postings: " + bad);
  return {};
}

StoreResult<void> load_balances(Connection& connection,
                                const std::vector<std::int64_t>& account_seqs, GroupState& state) {
  std::vector<std::int64_t> missing;
  for (std::int64_t seq : account_seqs) {
    if (state.balances.count(seq) == 0) missing.push_back(seq);
  }
  std::string bad;
  auto result =
      query_in(connection,
               "SELECT account_seq, debits_posted, credits_posted, debits_pending, credits_pending,"
               " last_entry_seq FROM ledger_balances WHERE account_seq IN ",
               "", unique_values(missing), [&](const Row& row) {
                 BalanceState& balance = state.balances[row.get_int64(0)];
                 balance.debits_posted = amount_at(row, 1, bad);
                 balance.credits_posted = amount_at(row, 2, bad);
                 balance.debits_pending = amount_at(row, 3, bad);
                 balance.credits_pending = amount_at(row, 4, bad);
                 balance.last_entry_seq = row.get_int64(5);
               });
  if (!result) return result;
  if (!bad.empty()) return corrupt("ledger_balances: " + bad);
  for (std::int64_t seq : missing) state.balances.try_emplace(seq);  // no row yet: zero
  return {};
}

GroupRows prepare_group_rows(const GroupState& state) {
  GroupRows rows;
  if (state.new_entries.empty()) return rows;  // nothing to write, not even ledger_meta
  rows.next_entry_seq = state.next_entry_seq;
  rows.entries.reserve(state.new_entries.size() * 11);
  rows.postings.reserve(state.new_entries.size() * 2 * 8);
  for (const NewEntry& entry : state.new_entries) {
    append_entry_values(rows.entries, entry);
    append_posting_values(rows.postings, entry);
  }
  for (const auto& [seq, balance] : state.balances) {
    if (!balance.dirty) continue;
    rows.balances.insert(rows.balances.end(),
                         {seq, format_i128(balance.debits_posted),
                          format_i128(balance.credits_posted), format_i128(balance.debits_pending),
                          format_i128(balance.credits_pending), balance.last_entry_seq});
  }
  for (const auto& [id, hold] : state.holds) {
    if (!hold.dirty) continue;
    rows.holds.insert(rows.holds.end(), {hold.entry_seq, std::string(to_string(hold.status)),
                                         format_i128(hold.amount), format_i128(hold.posted_amount),
                                         optional_int(hold.expires_at_unix_ms),
                                         optional_int(hold.resolved_by_entry_seq)});
  }
  return rows;
}

StoreResult<void> write_group_rows(Connection& connection, const GroupRows& rows) {
  if (rows.entries.empty()) return {};
  auto written = insert_rows(
      connection,
      "INSERT INTO ledger_entries (seq, id, kind, pending_entry_seq, reverses_entry_seq,"
      " expires_at_unix_ms, idempotency_key, content_sha256, description, metadata_json,"
      " created_at_unix_ms) VALUES ",
      "", 11, rows.entries);
  if (!written) return written;
  written = insert_rows(
      connection,
      "INSERT INTO ledger_postings (account_seq, entry_seq, posting_index, side, layer, amount,"
      " currency, created_at_unix_ms) VALUES ",
      "", 8, rows.postings);
  if (!written) return written;
  written = insert_rows(
      connection,
      "INSERT INTO ledger_balances (account_seq, debits_posted, credits_posted, debits_pending,"
      " credits_pending, last_entry_seq) VALUES ",
      " ON CONFLICT (account_seq) DO UPDATE SET debits_posted = excluded.debits_posted,"
      " credits_posted = excluded.credits_posted, debits_pending = excluded.debits_pending,"
      " credits_pending = excluded.credits_pending, last_entry_seq = excluded.last_entry_seq",
      6, rows.balances);
  if (!written) return written;
  written = insert_rows(
      connection,
      "INSERT INTO ledger_holds (entry_seq, status, amount, posted_amount, expires_at_unix_ms,"
      " resolved_by_entry_seq) VALUES ",
      " ON CONFLICT (entry_seq) DO UPDATE SET status = excluded.status,"
      " posted_amount = excluded.posted_amount, resolved_by_entry_seq = "
      "excluded.resolved_by_entry_seq",
      6, rows.holds);
  if (!written) return written;
  auto meta = connection.execute("UPDATE ledger_meta SET next_entry_seq = $1 WHERE singleton = 1",
                                 {rows.next_entry_seq});
  if (!meta) return unexpected(meta.error());
  return {};
}

StoreResult<void> write_group(Connection& connection, const GroupState& state) {
  return write_group_rows(connection, prepare_group_rows(state));
}

StoreResult<void> insert_accounts(Connection& connection, const std::vector<Account>& accounts) {
  auto max_seq =
      connection.query_one<std::int64_t>("SELECT COALESCE(MAX(seq), 0) FROM ledger_accounts");
  if (!max_seq) return unexpected(max_seq.error());
  std::int64_t seq = max_seq->value_or(0);
  std::vector<Value> values;
  for (const Account& account : accounts) {
    values.insert(values.end(),
                  {++seq, account.id, std::string(to_string(account.type)), account.currency,
                   static_cast<std::int64_t>(account.flags), account.owner, account.name,
                   metadata_to_json(account.metadata), account.created_at_unix_ms});
  }
  return insert_rows(
      connection,
      "INSERT INTO ledger_accounts (seq, id, type, currency, flags, owner, name, metadata_json,"
      " created_at_unix_ms) VALUES ",
      "", 9, values);
}

StoreResult<std::optional<Account>> select_account(Connection& connection, const std::string& id) {
  std::optional<Account> account;
  auto result = connection.query(
      "SELECT id, type, currency, flags, owner, name, metadata_json, created_at_unix_ms FROM "
      "ledger_accounts"
      " WHERE id = $1",
      {id}, [&](const Row& row) {
        account = Account{std::string(row.get_text(0)),
                          parse_account_type(row.get_text(1)).value_or(AccountType::asset),
                          std::string(row.get_text(2)),
                          std::string(row.get_text(4)),
                          std::string(row.get_text(5)),
                          static_cast<std::uint32_t>(row.get_int64(3)),
                          metadata_from_json(row.get_text(6)),
                          row.get_int64(7)};
      });
  if (!result) return unexpected(result.error());
  return account;
}

StoreResult<Page<Account>> select_accounts(Connection& connection,
                                           const std::string& starting_after, std::size_t limit) {
  Page<Account> page;
  auto result = connection.query(
      "SELECT id, type, currency, flags, owner, name, metadata_json, created_at_unix_ms FROM "
      "ledger_accounts"
      " WHERE seq > COALESCE((SELECT seq FROM ledger_accounts WHERE id = $1), 0) ORDER BY seq "
      "LIMIT $2",
      {starting_after, static_cast<std::int64_t>(limit + 1)}, [&](const Row& row) {
        page.items.push_back(
            Account{std::string(row.get_text(0)),
                    parse_account_type(row.get_text(1)).value_or(AccountType::asset),
                    std::string(row.get_text(2)), std::string(row.get_text(4)),
                    std::string(row.get_text(5)), static_cast<std::uint32_t>(row.get_int64(3)),
                    metadata_from_json(row.get_text(6)), row.get_int64(7)});
      });
  if (!result) return unexpected(result.error());
  page.has_more = page.items.size() > limit;
  if (page.has_more) page.items.pop_back();
  return page;
}

StoreResult<std::optional<Entry>> select_entry(Connection& connection, const std::string& id) {
  return select_one_entry(connection, "e.id = $1", Value(id));
}

StoreResult<std::optional<Entry>> select_entry_by_seq(Connection& connection, std::int64_t seq) {
  return select_one_entry(connection, "e.seq = $1", Value(seq));
}

StoreResult<std::optional<Balance>> select_balance(Connection& connection,
                                                   const std::string& account_id,
                                                   std::optional<std::int64_t> as_of_unix_ms) {
  std::optional<std::pair<std::int64_t, std::string>> account;  // seq, currency
  auto found =
      connection.query("SELECT seq, currency FROM ledger_accounts WHERE id = $1", {account_id},
                       [&](const Row& row) { account.emplace(row.get_int64(0), row.get_text(1)); });
  if (!found) return unexpected(found.error());
  if (!account) return std::optional<Balance>();
  Balance balance;
  balance.account_id = account_id;
  balance.currency = account->second;
  std::string bad;
  store::StoreResult<void> result;
  if (!as_of_unix_ms) {
    result = connection.query(
        "SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_balances"
        " WHERE account_seq = $1",
        {account->first}, [&](const Row& row) {
          balance.debits_posted = amount_at(row, 0, bad);
          balance.credits_posted = amount_at(row, 1, bad);
          balance.debits_pending = amount_at(row, 2, bad);
          balance.credits_pending = amount_at(row, 3, bad);
        });
  } else {
    // The record itself answers "as of": sum the postings committed at or before the time,
    // from the account index up to its mark and from the journal's tail above it.
    auto mark = select_index_mark(connection);
    if (!mark) return unexpected(mark.error());
    const auto add = [&](const Row& row) {
      const bool debit = parse_side(row.get_text(0)) == Side::debit;
      const bool posted = parse_layer(row.get_text(1)) == Layer::posted;
      i128& target = posted ? (debit ? balance.debits_posted : balance.credits_posted)
                            : (debit ? balance.debits_pending : balance.credits_pending);
      target += amount_at(row, 2, bad);
    };
    result = connection.query(
        "SELECT p.side, p.layer, p.amount FROM ledger_account_postings ap JOIN ledger_postings p"
        " ON p.entry_seq = ap.entry_seq AND p.posting_index = ap.posting_index"
        " WHERE ap.account_seq = $1 AND ap.entry_seq <= $2 AND p.created_at_unix_ms <= $3",
        {account->first, *mark, *as_of_unix_ms}, add);
    if (result) {
      result = connection.query(
          "SELECT side, layer, amount FROM ledger_postings WHERE entry_seq > $1 AND "
          "account_seq = $2 AND created_at_unix_ms <= $3",
          {*mark, account->first, *as_of_unix_ms}, add);
    }
  }
  if (!result) return unexpected(result.error());
  if (!bad.empty()) return corrupt("account " + account_id + ": " + bad);
  return std::optional<Balance>(balance);
}

StoreResult<std::optional<Page<Posting>>> select_postings(Connection& connection,
                                                          const std::string& account_id,
                                                          const std::string& starting_after,
                                                          std::size_t limit) {
  auto account_seq = connection.query_one<std::int64_t>(
      "SELECT seq FROM ledger_accounts WHERE id = $1", {account_id});
  if (!account_seq) return unexpected(account_seq.error());
  if (!account_seq->has_value()) return std::optional<Page<Posting>>();
  // Cursor "<entry id>:<posting index>"; newest first.
  std::int64_t cursor_seq = std::numeric_limits<std::int64_t>::max();
  std::int64_t cursor_index = 0;
  if (!starting_after.empty()) {
    const auto colon = starting_after.rfind(':');
    if (colon == std::string::npos)
      return store::store_fail(ErrorKind::invalid_argument, "malformed cursor");
    auto seq = connection.query_one<std::int64_t>("SELECT seq FROM ledger_entries WHERE id = $1",
                                                  {starting_after.substr(0, colon)});
    if (!seq) return unexpected(seq.error());
    if (!seq->has_value())
      return store::store_fail(ErrorKind::invalid_argument, "unknown cursor entry");
    cursor_seq = **seq;
    const std::string index_text = starting_after.substr(colon + 1);
    if (index_text.empty() || index_text.size() > 4 ||
        !std::all_of(index_text.begin(), index_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return store::store_fail(ErrorKind::invalid_argument, "malformed cursor index");
    }
    cursor_index = std::stoll(index_text);
  }
  Page<Posting> page;
  std::string bad;
  const auto add = [&](const Row& row) {
    page.items.push_back(Posting{std::string(row.get_text(0)), row.get_int64(1),
                                 static_cast<int>(row.get_int64(2)), account_id,
                                 std::string(row.get_text(3)), parse_side(row.get_text(4)),
                                 parse_layer(row.get_text(5)), amount_at(row, 6, bad)});
  };
  // Newest first: the journal's tail above the account index's mark holds the newest
  // postings (a range of its primary key), then the index continues below the mark.
  auto mark = select_index_mark(connection);
  if (!mark) return unexpected(mark.error());
  auto result = connection.query(
      std::string(kPostingListColumns) +
          " FROM ledger_postings p JOIN ledger_entries e ON e.seq = p.entry_seq"
          " WHERE p.entry_seq > $1 AND p.account_seq = $2"
          " AND (p.entry_seq < $3 OR (p.entry_seq = $3 AND p.posting_index < $4))"
          " ORDER BY p.entry_seq DESC, p.posting_index DESC LIMIT $5",
      {*mark, **account_seq, cursor_seq, cursor_index, static_cast<std::int64_t>(limit + 1)}, add);
  if (!result) return unexpected(result.error());
  if (page.items.size() < limit + 1) {
    result = connection.query(
        std::string(kPostingListColumns) +
            " FROM ledger_account_postings ap JOIN ledger_postings p ON p.entry_seq = ap.entry_seq"
            " AND p.posting_index = ap.posting_index JOIN ledger_entries e ON e.seq = ap.entry_seq"
            " WHERE ap.account_seq = $1 AND ap.entry_seq <= $2 AND (ap.entry_seq < $3 OR"
            " (ap.entry_seq = $3 AND ap.posting_index < $4))"
            " ORDER BY ap.entry_seq DESC, ap.posting_index DESC LIMIT $5",
        {**account_seq, *mark, cursor_seq, cursor_index,
         static_cast<std::int64_t>(limit + 1 - page.items.size())},
        add);
    if (!result) return unexpected(result.error());
  }
  if (!bad.empty()) return corrupt("account " + account_id + ": " + bad);
  page.has_more = page.items.size() > limit;
  if (page.has_more) page.items.pop_back();
  return std::optional<Page<Posting>>(std::move(page));
}

StoreResult<std::int64_t> select_index_mark(Connection& connection) {
  auto mark = connection.query_one<std::int64_t>(
      "SELECT indexed_through_entry_seq FROM ledger_account_index_state WHERE singleton = 1");
  if (!mark) return unexpected(mark.error());
  if (!mark->has_value()) return corrupt("ledger_account_index_state has no row");
  return **mark;
}

StoreResult<std::int64_t> select_postings_after(Connection& connection, std::int64_t after_seq,
                                                std::size_t limit,
                                                std::vector<IndexedPosting>& out) {
  assert(limit > 0);
  std::int64_t through = after_seq;
  std::size_t read = 0;
  auto result = connection.query(
      "SELECT account_seq, entry_seq, posting_index FROM ledger_postings WHERE entry_seq > $1"
      " ORDER BY entry_seq, posting_index LIMIT $2",
      {after_seq, static_cast<std::int64_t>(limit)}, [&](const Row& row) {
        ++read;
        out.push_back({row.get_int64(0), row.get_int64(1), row.get_int64(2)});
        through = out.back().entry_seq;
      });
  if (!result) return unexpected(result.error());
  if (read == limit) {
    // The limit may have cut the last entry short: leave it for the next batch. An entry
    // has at most kPostingsPerEntryMax postings, far fewer than a batch.
    const std::int64_t cut = through;
    while (!out.empty() && out.back().entry_seq == cut) out.pop_back();
    through = cut - 1;
  }
  return through;
}

StoreResult<void> insert_account_postings(Connection& connection,
                                          std::span<const IndexedPosting> postings) {
  std::vector<Value> values;
  values.reserve(postings.size() * 3);
  for (const IndexedPosting& posting : postings) {
    values.emplace_back(posting.account_seq);
    values.emplace_back(posting.entry_seq);
    values.emplace_back(posting.posting_index);
  }
  return insert_rows(connection,
                     "INSERT INTO ledger_account_postings (account_seq, entry_seq, posting_index)"
                     " VALUES ",
                     " ON CONFLICT DO NOTHING", 3, values);
}

StoreResult<void> advance_index_mark(Connection& connection, std::int64_t through) {
  auto advanced = connection.execute(
      "UPDATE ledger_account_index_state SET indexed_through_entry_seq = $1"
      " WHERE singleton = 1 AND indexed_through_entry_seq < $1",
      {through});
  if (!advanced) return unexpected(advanced.error());
  return {};
}

StoreResult<std::vector<TrialBalanceLine>> select_trial_balance(Connection& connection) {
  std::map<std::string, TrialBalanceLine> lines;
  std::string bad;
  auto result = connection.query(
      "SELECT a.currency, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending"
      " FROM ledger_accounts a LEFT JOIN ledger_balances b ON b.account_seq = a.seq",
      {}, [&](const Row& row) {
        TrialBalanceLine& line = lines[std::string(row.get_text(0))];
        line.currency = std::string(row.get_text(0));
        ++line.account_count;
        if (row.is_null(1)) return;
        // Each balance fits in i128; their sum over many accounts might not.
        bool overflow = false;
        overflow |=
            __builtin_add_overflow(line.debits_posted, amount_at(row, 1, bad), &line.debits_posted);
        overflow |= __builtin_add_overflow(line.credits_posted, amount_at(row, 2, bad),
                                           &line.credits_posted);
        overflow |= __builtin_add_overflow(line.debits_pending, amount_at(row, 3, bad),
                                           &line.debits_pending);
        overflow |= __builtin_add_overflow(line.credits_pending, amount_at(row, 4, bad),
                                           &line.credits_pending);
        if (overflow && bad.empty()) bad = "totals for " + line.currency + " overflow 128 bits";
      });
  if (!result) return unexpected(result.error());
  if (!bad.empty()) return corrupt("ledger_balances: " + bad);
  std::vector<TrialBalanceLine> out;
  out.reserve(lines.size());
  for (auto& [currency, line] : lines) out.push_back(std::move(line));
  return out;
}

}  // namespace sql
}  // namespace till::ledger::detail
