// sandbox_psp/books.h — the processor's books: its own SQLite schema and every statement.
//
// Tables (created at start-up with CREATE TABLE IF NOT EXISTS; they are the sandbox's, not
// Till's, so they are not in store/migrations):
//   psp_meta              schema version, the key of request hashes
//   authorizations        one per authorization request that reached the issuer (approved or
//                         declined), keyed by id, RRN and the caller's idempotency key
//   refunds               one per refund
//   idempotency_records   key -> request hash + the stored answer (status, body)
//   cancelled_keys        keys an inquiry closed: no authorization may ever use them
//   webhook_outbox        notifications to deliver, with their attempts
// Every function here runs inside a caller's transaction (store::Connection).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace till::sandbox_psp {

constexpr std::int64_t kSchemaVersion = 1;

struct Authorization {
  std::string id;   // auth_…
  std::string rrn;  // ISO field 37, 12 characters
  std::string idempotency_key;
  std::string reference;  // the caller's (payment intent)
  std::string status;     // authorized|captured|declined|voided|refunded|partially_refunded
  std::int64_t amount = 0;
  std::string currency;  // alphabetic, lower case
  std::int64_t captured_amount = 0;
  std::int64_t refunded_amount = 0;
  std::string decline_code;   // empty when approved
  std::string message;        // empty when approved
  std::string response_code;  // ISO field 39
  std::string approval_code;  // ISO field 38; empty when declined
  std::string card_brand;
  std::string card_last4;
  std::int64_t created_unix_ms = 0;
  std::optional<std::int64_t> captured_unix_ms;
};

struct Refund {
  std::string id;  // rf_…
  std::string authorization_id;
  std::int64_t amount = 0;
  std::string currency;
  std::int64_t created_unix_ms = 0;
};

struct StoredAnswer {
  std::string request_hash;
  unsigned status = 200;
  std::string body;
  std::optional<std::string> authorization_id;  // the authorization the request took effect on
};

struct OutboxRow {
  std::int64_t seq = 0;
  std::string id;  // pevt_…
  std::string body;
  std::int64_t attempts = 0;
};

// A settlement row before formatting: a capture (amount > 0) or a refund (amount < 0).
struct BookedMovement {
  std::string type;  // charge | refund
  std::string authorization_id;
  std::string rrn;
  std::int64_t amount = 0;
  std::string currency;
  std::int64_t booked_unix_ms = 0;
};

using store::Connection;
using store::StoreResult;

// Creates the tables when missing; refuses a Till database and a newer sandbox schema. Returns
// the key of request hashes (minted on first start).
StoreResult<std::string> prepare_schema(store::Database& database);

StoreResult<void> insert_authorization(Connection& connection, const Authorization& a);
StoreResult<void> update_authorization(Connection& connection, const Authorization& a);
StoreResult<std::optional<Authorization>> find_authorization_by_id(Connection& connection,
                                                                   const std::string& id);
StoreResult<std::optional<Authorization>> find_authorization_by_rrn(Connection& connection,
                                                                    const std::string& rrn);
StoreResult<std::optional<Authorization>> find_authorization_by_key(Connection& connection,
                                                                    const std::string& key);
// Oldest first, after the one with id `starting_after` (all when empty); nullopt when that
// id is unknown.
StoreResult<std::optional<std::vector<Authorization>>> list_authorizations(
    Connection& connection, const std::string& starting_after, std::int64_t limit);

StoreResult<void> insert_refund(Connection& connection, const Refund& refund);

StoreResult<std::optional<StoredAnswer>> find_answer(Connection& connection,
                                                     const std::string& key);
StoreResult<void> store_answer(Connection& connection, const std::string& key,
                               const StoredAnswer& answer, std::int64_t now_unix_ms);

StoreResult<bool> is_cancelled(Connection& connection, const std::string& key);
StoreResult<void> cancel_key(Connection& connection, const std::string& key,
                             std::int64_t now_unix_ms);

StoreResult<void> enqueue_event(Connection& connection, const std::string& id,
                                const std::string& authorization_id, const std::string& type,
                                const std::string& body, std::int64_t now_unix_ms);
StoreResult<std::vector<OutboxRow>> due_events(Connection& connection, std::int64_t now_unix_ms,
                                               std::int64_t limit);
// The earliest next attempt of a pending event, if any.
StoreResult<std::optional<std::int64_t>> next_event_due(Connection& connection);
StoreResult<void> record_attempt(Connection& connection, std::int64_t seq, bool delivered,
                                 bool give_up, std::int64_t next_attempt_unix_ms,
                                 std::int64_t status_code, const std::string& error);

// Captures and refunds booked in [from, to), in booking order.
StoreResult<std::vector<BookedMovement>> booked_between(Connection& connection,
                                                        std::int64_t from_unix_ms,
                                                        std::int64_t to_unix_ms);

}  // namespace till::sandbox_psp
