#include "sandbox_psp/books.h"

#include <cassert>

#include "base/random.h"

namespace till::sandbox_psp {

namespace {

using store::ErrorKind;
using store::Row;
using store::store_fail;

// The amounts' CHECKs repeat the business rules as a last line of defence: a bug in the
// rules fails the transaction instead of booking a capture above the authorization.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS psp_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS authorizations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  rrn TEXT NOT NULL UNIQUE,
  idempotency_key TEXT NOT NULL UNIQUE,
  reference TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('authorized', 'captured', 'declined', 'voided',
                                         'refunded', 'partially_refunded')),
  amount INTEGER NOT NULL CHECK (amount > 0 AND amount <= 1000000000000),
  currency TEXT NOT NULL,
  captured_amount INTEGER NOT NULL CHECK (captured_amount >= 0 AND captured_amount <= amount),
  refunded_amount INTEGER NOT NULL
      CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount),
  decline_code TEXT NOT NULL,
  message TEXT NOT NULL,
  response_code TEXT NOT NULL,
  approval_code TEXT NOT NULL,
  card_brand TEXT NOT NULL,
  card_last4 TEXT NOT NULL,
  created_unix_ms INTEGER NOT NULL,
  captured_unix_ms INTEGER
);
CREATE INDEX IF NOT EXISTS authorizations_by_capture
  ON authorizations (captured_unix_ms) WHERE captured_unix_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS refunds (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  authorization_id TEXT NOT NULL REFERENCES authorizations (id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  created_unix_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_by_created ON refunds (created_unix_ms);
CREATE TABLE IF NOT EXISTS idempotency_records (
  idempotency_key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  authorization_id TEXT,
  created_unix_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cancelled_keys (
  idempotency_key TEXT PRIMARY KEY,
  created_unix_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  authorization_id TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL,
  next_attempt_unix_ms INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  created_unix_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_outbox_due
  ON webhook_outbox (next_attempt_unix_ms) WHERE state = 'pending';
)sql";

constexpr std::string_view kAuthorizationColumns =
    "id, rrn, idempotency_key, reference, status, amount, currency, captured_amount, "
    "refunded_amount, decline_code, message, response_code, approval_code, card_brand, "
    "card_last4, created_unix_ms, captured_unix_ms";

Authorization read_authorization(const Row& row) {
  Authorization a;
  a.id = row.get<std::string>(0);
  a.rrn = row.get<std::string>(1);
  a.idempotency_key = row.get<std::string>(2);
  a.reference = row.get<std::string>(3);
  a.status = row.get<std::string>(4);
  a.amount = row.get<std::int64_t>(5);
  a.currency = row.get<std::string>(6);
  a.captured_amount = row.get<std::int64_t>(7);
  a.refunded_amount = row.get<std::int64_t>(8);
  a.decline_code = row.get<std::string>(9);
  a.message = row.get<std::string>(10);
  a.response_code = row.get<std::string>(11);
  a.approval_code = row.get<std::string>(12);
  a.card_brand = row.get<std::string>(13);
  a.card_last4 = row.get<std::string>(14);
  a.created_unix_ms = row.get<std::int64_t>(15);
  a.captured_unix_ms = row.get<std::optional<std::int64_t>>(16);
  return a;
}

StoreResult<std::optional<Authorization>> find_authorization_where(Connection& connection,
                                                                   std::string_view column,
                                                                   const std::string& value) {
  std::optional<Authorization> found;
  const std::string sql = "SELECT " + std::string(kAuthorizationColumns) +
                          " FROM authorizations WHERE " + std::string(column) + " = $1";
  auto done =
      connection.query(sql, {value}, [&](const Row& row) { found = read_authorization(row); });
  if (!done) return Unexpected(std::move(done).error());
  return found;
}

store::Value optional_value(const std::optional<std::int64_t>& value) {
  if (value) return *value;
  return nullptr;
}

}  // namespace

StoreResult<std::string> prepare_schema(store::Database& database) {
  std::string hash_key;
  auto done = database.transact([&](Connection& connection) -> StoreResult<void> {
    auto till_tables = connection.query_one<std::int64_t>(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
    if (!till_tables) return Unexpected(till_tables.error());
    if (till_tables->value_or(0) > 0) {
      return store_fail(ErrorKind::schema,
                        "the data directory holds a Till database (till serve's); give the "
                        "sandbox processor a directory of its own");
    }
    if (auto created = connection.execute_script(kSchema); !created) return created;
    auto version =
        connection.query_one<std::string>("SELECT value FROM psp_meta WHERE name = 'version'");
    if (!version) return Unexpected(version.error());
    if (version->has_value() && **version != std::to_string(kSchemaVersion)) {
      return store_fail(ErrorKind::schema, "the sandbox processor's database has schema version " +
                                               **version + "; this binary knows version " +
                                               std::to_string(kSchemaVersion));
    }
    if (!version->has_value()) {
      auto inserted =
          connection.execute("INSERT INTO psp_meta (name, value) VALUES ('version', $1)",
                             {std::to_string(kSchemaVersion)});
      if (!inserted) return Unexpected(inserted.error());
    }
    auto key = connection.query_one<std::string>(
        "SELECT value FROM psp_meta WHERE name = 'request_hash_key'");
    if (!key) return Unexpected(key.error());
    if (key->has_value()) {
      hash_key = **key;
      return {};
    }
    hash_key = random_base62(32);
    auto inserted = connection.execute(
        "INSERT INTO psp_meta (name, value) VALUES ('request_hash_key', $1)", {hash_key});
    if (!inserted) return Unexpected(inserted.error());
    return {};
  });
  if (!done) return Unexpected(std::move(done).error());
  return hash_key;
}

StoreResult<void> insert_authorization(Connection& connection, const Authorization& a) {
  auto done = connection.execute(
      "INSERT INTO authorizations (" + std::string(kAuthorizationColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
      {a.id, a.rrn, a.idempotency_key, a.reference, a.status, a.amount, a.currency,
       a.captured_amount, a.refunded_amount, a.decline_code, a.message, a.response_code,
       a.approval_code, a.card_brand, a.card_last4, a.created_unix_ms,
       optional_value(a.captured_unix_ms)});
  if (!done) return Unexpected(std::move(done).error());
  return {};
}

StoreResult<void> update_authorization(Connection& connection, const Authorization& a) {
  auto done = connection.execute(
      "UPDATE authorizations SET status = $2, captured_amount = $3, refunded_amount = $4, "
      "captured_unix_ms = $5 WHERE id = $1",
      {a.id, a.status, a.captured_amount, a.refunded_amount, optional_value(a.captured_unix_ms)});
  if (!done) return Unexpected(std::move(done).error());
  assert(*done == 1 && "updated an authorization that was read in this transaction");
  return {};
}

StoreResult<std::optional<Authorization>> find_authorization_by_id(Connection& connection,
                                                                   const std::string& id) {
  return find_authorization_where(connection, "id", id);
}

StoreResult<std::optional<Authorization>> find_authorization_by_rrn(Connection& connection,
                                                                    const std::string& rrn) {
  return find_authorization_where(connection, "rrn", rrn);
}

StoreResult<std::optional<Authorization>> find_authorization_by_key(Connection& connection,
                                                                    const std::string& key) {
  return find_authorization_where(connection, "idempotency_key", key);
}

StoreResult<std::optional<std::vector<Authorization>>> list_authorizations(
    Connection& connection, const std::string& starting_after, std::int64_t limit) {
  std::int64_t after_seq = 0;
  if (!starting_after.empty()) {
    auto seq = connection.query_one<std::int64_t>("SELECT seq FROM authorizations WHERE id = $1",
                                                  {starting_after});
    if (!seq) return Unexpected(seq.error());
    if (!seq->has_value()) return std::optional<std::vector<Authorization>>();
    after_seq = **seq;
  }
  std::vector<Authorization> page;
  auto done = connection.query("SELECT " + std::string(kAuthorizationColumns) +
                                   " FROM authorizations WHERE seq > $1 ORDER BY seq LIMIT $2",
                               {after_seq, limit},
                               [&](const Row& row) { page.push_back(read_authorization(row)); });
  if (!done) return Unexpected(std::move(done).error());
  return std::optional<std::vector<Authorization>>(std::move(page));
}

StoreResult<void> insert_refund(Connection& connection, const Refund& refund) {
  auto done = connection.execute(
      "INSERT INTO refunds (id, authorization_id, amount, currency, created_unix_ms) "
      "VALUES ($1, $2, $3, $4, $5)",
      {refund.id, refund.authorization_id, refund.amount, refund.currency, refund.created_unix_ms});
  if (!done) return Unexpected(std::move(done).error());
  return {};
}

StoreResult<std::optional<StoredAnswer>> find_answer(Connection& connection,
                                                     const std::string& key) {
  std::optional<StoredAnswer> found;
  auto done = connection.query(
      "SELECT request_hash, status, body, authorization_id FROM idempotency_records "
      "WHERE idempotency_key = $1",
      {key}, [&](const Row& row) {
        StoredAnswer answer;
        answer.request_hash = row.get<std::string>(0);
        answer.status = static_cast<unsigned>(row.get<std::int64_t>(1));
        answer.body = row.get<std::string>(2);
        answer.authorization_id = row.get<std::optional<std::string>>(3);
        found = std::move(answer);
      });
  if (!done) return Unexpected(std::move(done).error());
  return found;
}

StoreResult<void> store_answer(Connection& connection, const std::string& key,
                               const StoredAnswer& answer, std::int64_t now_unix_ms) {
  store::Value authorization_id = nullptr;
  if (answer.authorization_id) authorization_id = *answer.authorization_id;
  auto done = connection.execute(
      "INSERT INTO idempotency_records (idempotency_key, request_hash, status, body, "
      "authorization_id, created_unix_ms) VALUES ($1, $2, $3, $4, $5, $6)",
      {key, answer.request_hash, static_cast<std::int64_t>(answer.status), answer.body,
       authorization_id, now_unix_ms});
  if (!done) return Unexpected(std::move(done).error());
  return {};
}

StoreResult<bool> is_cancelled(Connection& connection, const std::string& key) {
  auto found = connection.query_one<std::int64_t>(
      "SELECT 1 FROM cancelled_keys WHERE idempotency_key = $1", {key});
  if (!found) return Unexpected(std::move(found).error());
  return found->has_value();
}

StoreResult<void> cancel_key(Connection& connection, const std::string& key,
                             std::int64_t now_unix_ms) {
  auto done = connection.execute(
      "INSERT INTO cancelled_keys (idempotency_key, created_unix_ms) VALUES ($1, $2) "
      "ON CONFLICT (idempotency_key) DO NOTHING",
      {key, now_unix_ms});
  if (!done) return Unexpected(std::move(done).error());
  return {};
}

StoreResult<void> enqueue_event(Connection& connection, const std::string& id,
                                const std::string& authorization_id, const std::string& type,
                                const std::string& body, std::int64_t now_unix_ms) {
  auto done = connection.execute(
      "INSERT INTO webhook_outbox (id, authorization_id, type, body, state, attempts, "
      "next_attempt_unix_ms, created_unix_ms) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
      {id, authorization_id, type, body, now_unix_ms});
  if (!done) return Unexpected(std::move(done).error());
  return {};
}

StoreResult<std::vector<OutboxRow>> due_events(Connection& connection, std::int64_t now_unix_ms,
                                               std::int64_t limit) {
  std::vector<OutboxRow> rows;
  auto done = connection.query(
      "SELECT seq, id, body, attempts FROM webhook_outbox WHERE state = 'pending' AND "
      "next_attempt_unix_ms <= $1 ORDER BY next_attempt_unix_ms, seq LIMIT $2",
      {now_unix_ms, limit}, [&](const Row& row) {
        rows.push_back(OutboxRow{row.get<std::int64_t>(0), row.get<std::string>(1),
                                 row.get<std::string>(2), row.get<std::int64_t>(3)});
      });
  if (!done) return Unexpected(std::move(done).error());
  return rows;
}

StoreResult<std::optional<std::int64_t>> next_event_due(Connection& connection) {
  auto next = connection.query_one<std::optional<std::int64_t>>(
      "SELECT min(next_attempt_unix_ms) FROM webhook_outbox WHERE state = 'pending'");
  if (!next) return Unexpected(std::move(next).error());
  if (!next->has_value()) return std::optional<std::int64_t>();
  return **next;
}

StoreResult<void> record_attempt(Connection& connection, std::int64_t seq, bool delivered,
                                 bool give_up, std::int64_t next_attempt_unix_ms,
                                 std::int64_t status_code, const std::string& error) {
  const std::string state = delivered ? "delivered" : give_up ? "failed" : "pending";
  auto done = connection.execute(
      "UPDATE webhook_outbox SET state = $2, attempts = attempts + 1, next_attempt_unix_ms = $3, "
      "last_status = $4, last_error = $5 WHERE seq = $1",
      {seq, state, next_attempt_unix_ms, status_code, error});
  if (!done) return Unexpected(std::move(done).error());
  return {};
}

StoreResult<std::vector<BookedMovement>> booked_between(Connection& connection,
                                                        std::int64_t from_unix_ms,
                                                        std::int64_t to_unix_ms) {
  std::vector<BookedMovement> rows;
  auto done = connection.query(
      "SELECT 'charge', id, rrn, captured_amount, currency, captured_unix_ms, seq, 0 "
      "FROM authorizations WHERE captured_unix_ms >= $1 AND captured_unix_ms < $2 "
      "UNION ALL "
      "SELECT 'refund', a.id, a.rrn, -r.amount, r.currency, r.created_unix_ms, r.seq, 1 "
      "FROM refunds r JOIN authorizations a ON a.id = r.authorization_id "
      "WHERE r.created_unix_ms >= $1 AND r.created_unix_ms < $2 "
      "ORDER BY 6, 8, 7",
      {from_unix_ms, to_unix_ms}, [&](const Row& row) {
        rows.push_back(BookedMovement{row.get<std::string>(0), row.get<std::string>(1),
                                      row.get<std::string>(2), row.get<std::int64_t>(3),
                                      row.get<std::string>(4), row.get<std::int64_t>(5)});
      });
  if (!done) return Unexpected(std::move(done).error());
  return rows;
}

}  // namespace till::sandbox_psp
