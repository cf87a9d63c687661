#include "payments/attempts.h"

#include <array>
#include <cassert>

namespace till::payments {

namespace {

constexpr std::array<std::string_view, 5> kStatusNames = {"pending", "approved", "declined",
                                                          "not_processed", "unknown"};

constexpr std::string_view kColumns =
    "id, merchant_id, livemode, payment_intent_id, sequence, connector_account_id, connector, "
    "status, capture, amount, currency, processor_reference, raw_code, decline_code, soft, "
    "message, latency_us, charge_id, request_idempotency_key, request_sha256, request_id, "
    "created_at_unix_ms, updated_at_unix_ms, next_sync_at_unix_ms, sync_attempts";

Attempt read_attempt(const store::Row& row) {
  Attempt a;
  a.id = std::string(row.get_text(0));
  a.merchant_id = std::string(row.get_text(1));
  a.livemode = row.get_bool(2);
  a.payment_intent_id = std::string(row.get_text(3));
  a.sequence = row.get_int64(4);
  a.connector_account_id = std::string(row.get_text(5));
  a.connector = std::string(row.get_text(6));
  const auto status = parse_attempt_status(row.get_text(7));
  assert(status && "payment_attempts row with an unknown status");
  a.status = status.value_or(AttemptStatus::unknown);
  a.capture = row.get_bool(8);
  a.amount = row.get_int64(9);
  a.currency = std::string(row.get_text(10));
  a.processor_reference = std::string(row.get_text(11));
  a.raw_code = std::string(row.get_text(12));
  a.decline_code = std::string(row.get_text(13));
  a.soft = row.get_bool(14);
  a.message = std::string(row.get_text(15));
  a.latency_us = row.get_int64(16);
  a.charge_id = std::string(row.get_text(17));
  a.request_idempotency_key = std::string(row.get_text(18));
  a.request_sha256 = std::string(row.get_text(19));
  a.request_id = std::string(row.get_text(20));
  a.created_at_unix_ms = row.get_int64(21);
  a.updated_at_unix_ms = row.get_int64(22);
  a.next_sync_at_unix_ms = row.get_int64(23);
  a.sync_attempts = row.get_int64(24);
  return a;
}

store::StoreResult<std::optional<Attempt>> find_one(store::Connection& connection,
                                                    const std::string& where,
                                                    const std::vector<store::Value>& params) {
  std::optional<Attempt> found;
  auto read =
      connection.query("SELECT " + std::string(kColumns) + " FROM payment_attempts WHERE " + where,
                       params, [&](const store::Row& row) { found = read_attempt(row); });
  if (!read) return unexpected(read.error());
  return found;
}

}  // namespace

std::string_view to_string(AttemptStatus status) {
  return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<AttemptStatus> parse_attempt_status(std::string_view text) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == text) return static_cast<AttemptStatus>(i);
  }
  return std::nullopt;
}

store::StoreResult<void> insert_attempt(store::Connection& connection, const Attempt& a) {
  auto inserted = connection.execute(
      "INSERT INTO payment_attempts (" + std::string(kColumns) +
          ", lease_owner, lease_until_unix_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
          "$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, '', 0)",
      {a.id,
       a.merchant_id,
       a.livemode,
       a.payment_intent_id,
       a.sequence,
       a.connector_account_id,
       a.connector,
       std::string(to_string(a.status)),
       a.capture,
       a.amount,
       a.currency,
       a.processor_reference,
       a.raw_code,
       a.decline_code,
       a.soft,
       a.message,
       a.latency_us,
       a.charge_id,
       a.request_idempotency_key,
       a.request_sha256,
       a.request_id,
       a.created_at_unix_ms,
       a.updated_at_unix_ms,
       a.next_sync_at_unix_ms,
       a.sync_attempts});
  if (!inserted) return unexpected(inserted.error());
  return {};
}

store::StoreResult<bool> settle_attempt(store::Connection& connection, const Attempt& a,
                                        AttemptStatus expected) {
  assert(!is_final(expected));
  auto updated = connection.execute(
      "UPDATE payment_attempts SET status = $2, processor_reference = $3, raw_code = $4, "
      "decline_code = $5, soft = $6, message = $7, latency_us = $8, charge_id = $9, "
      "updated_at_unix_ms = $10, next_sync_at_unix_ms = $11, sync_attempts = $12, "
      "lease_owner = '', lease_until_unix_ms = 0 WHERE id = $1 AND status = $13",
      {a.id, std::string(to_string(a.status)), a.processor_reference, a.raw_code, a.decline_code,
       a.soft, a.message, a.latency_us, a.charge_id, a.updated_at_unix_ms, a.next_sync_at_unix_ms,
       a.sync_attempts, std::string(to_string(expected))});
  if (!updated) return unexpected(updated.error());
  return *updated == 1;
}

store::StoreResult<std::optional<Attempt>> find_attempt(store::Connection& connection,
                                                        std::string_view id) {
  return find_one(connection, "id = $1", {std::string(id)});
}

store::StoreResult<std::optional<Attempt>> find_attempt_by_reference(
    store::Connection& connection, std::string_view connector_account_id,
    std::string_view processor_reference) {
  if (processor_reference.empty()) return std::optional<Attempt>{};
  return find_one(connection,
                  "connector_account_id = $1 AND processor_reference = $2 ORDER BY "
                  "created_at_unix_ms LIMIT 1",
                  {std::string(connector_account_id), std::string(processor_reference)});
}

store::StoreResult<std::vector<Attempt>> attempts_of_intent(store::Connection& connection,
                                                            std::string_view merchant_id,
                                                            std::string_view payment_intent_id) {
  std::vector<Attempt> attempts;
  auto read =
      connection.query("SELECT " + std::string(kColumns) +
                           " FROM payment_attempts WHERE payment_intent_id = $1 AND "
                           "merchant_id = $2 ORDER BY sequence",
                       {std::string(payment_intent_id), std::string(merchant_id)},
                       [&](const store::Row& row) { attempts.push_back(read_attempt(row)); });
  if (!read) return unexpected(read.error());
  return attempts;
}

store::StoreResult<std::int64_t> last_attempt_sequence(store::Connection& connection,
                                                       std::string_view payment_intent_id) {
  std::int64_t last = 0;
  auto read = connection.query(
      "SELECT COALESCE(MAX(sequence), 0) FROM payment_attempts WHERE payment_intent_id = $1",
      {std::string(payment_intent_id)}, [&](const store::Row& row) { last = row.get_int64(0); });
  if (!read) return unexpected(read.error());
  return last;
}

store::StoreResult<std::vector<Attempt>> claim_due_attempts(store::Database& database,
                                                            std::string_view owner,
                                                            std::int64_t now_unix_ms,
                                                            std::int64_t lease_ms,
                                                            std::size_t limit) {
  assert(limit > 0 && lease_ms > 0);
  std::vector<Attempt> claimed;
  auto done = database.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    claimed.clear();
    const bool postgres = connection.dialect() == store::Dialect::postgres;
    // On PostgreSQL SKIP LOCKED lets several processes claim disjoint attempts at once; on
    // SQLite the single writer serialises the claims anyway.
    const std::string picked =
        "SELECT id FROM payment_attempts WHERE status IN ('pending', 'unknown') AND "
        "next_sync_at_unix_ms <= $3 AND lease_until_unix_ms < $3 ORDER BY next_sync_at_unix_ms "
        "LIMIT " +
        std::to_string(limit) + (postgres ? " FOR UPDATE SKIP LOCKED" : "");
    return connection.query(
        "UPDATE payment_attempts SET lease_owner = $1, lease_until_unix_ms = $2 WHERE id IN (" +
            picked + ") RETURNING " + std::string(kColumns),
        {std::string(owner), now_unix_ms + lease_ms, now_unix_ms},
        [&](const store::Row& row) { claimed.push_back(read_attempt(row)); });
  });
  if (!done) return unexpected(done.error());
  return claimed;
}

store::StoreResult<std::int64_t> count_unresolved_attempts(store::Database& database) {
  std::int64_t count = 0;
  auto read = database.read([&](store::Connection& connection) -> store::StoreResult<void> {
    return connection.query(
        "SELECT COUNT(*) FROM payment_attempts WHERE status IN ('pending', 'unknown')", {},
        [&](const store::Row& row) { count = row.get_int64(0); });
  });
  if (!read) return unexpected(read.error());
  return count;
}

}  // namespace till::payments
