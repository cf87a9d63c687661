// payments/attempts.h — payment attempts: each call of a processor to authorize a
// PaymentIntent (table payment_attempts, migration 0008; internal to payments).
//
// An attempt is written `pending` in its own committed unit before its processor is called,
// and its id is the call's idempotency key. So whatever happens next — an answer, a timeout,
// a crash of this process — the attempt says a charge may exist under that key, and the
// processor sync (orchestration.h) asks the processor until it knows. Status moves only
// forward, from pending or unknown to a final one, by a compare-and-set: whoever resolves an
// attempt first (the request, the sync or a processor webhook) decides, the others see it is
// resolved and answer from the intent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace till::payments {

enum class AttemptStatus : std::uint8_t {
  pending,        // written; the processor is being called
  approved,       // authorized (and captured when asked)
  declined,       // the processor refused (soft or hard)
  not_processed,  // confirmed by the processor: nothing happened under the key
  unknown,        // no answer: the sync resolves it
};
std::string_view to_string(AttemptStatus status);
std::optional<AttemptStatus> parse_attempt_status(std::string_view text);
inline bool is_final(AttemptStatus status) {
  return status != AttemptStatus::pending && status != AttemptStatus::unknown;
}

struct Attempt {
  std::string id;  // pa_...
  std::string merchant_id;
  bool livemode = false;
  std::string payment_intent_id;
  std::int64_t sequence = 0;  // 1, 2, ... per intent
  std::string connector_account_id;
  std::string connector;
  AttemptStatus status = AttemptStatus::pending;
  bool capture = true;
  std::int64_t amount = 0;
  std::string currency;
  std::string processor_reference;
  std::string raw_code;
  std::string decline_code;
  bool soft = false;
  std::string message;
  std::int64_t latency_us = 0;
  std::string charge_id;
  std::string request_idempotency_key;
  std::string request_sha256;
  std::string request_id;
  std::int64_t created_at_unix_ms = 0;
  std::int64_t updated_at_unix_ms = 0;
  std::int64_t next_sync_at_unix_ms = 0;
  std::int64_t sync_attempts = 0;
};

store::StoreResult<void> insert_attempt(store::Connection& connection, const Attempt& attempt);

// Stores `attempt`'s outcome fields if the stored row is still `expected` (pending or
// unknown); false when someone else resolved it first (nothing written).
store::StoreResult<bool> settle_attempt(store::Connection& connection, const Attempt& attempt,
                                        AttemptStatus expected);

store::StoreResult<std::optional<Attempt>> find_attempt(store::Connection& connection,
                                                        std::string_view id);
store::StoreResult<std::optional<Attempt>> find_attempt_by_reference(
    store::Connection& connection, std::string_view connector_account_id,
    std::string_view processor_reference);
// The intent's attempts, oldest first. `merchant_id` guards ownership.
store::StoreResult<std::vector<Attempt>> attempts_of_intent(store::Connection& connection,
                                                            std::string_view merchant_id,
                                                            std::string_view payment_intent_id);
// The highest sequence used for the intent so far (0 when none).
store::StoreResult<std::int64_t> last_attempt_sequence(store::Connection& connection,
                                                       std::string_view payment_intent_id);

// Unresolved attempts due for a sync (pending ones only once their caller must have given up),
// not leased by another process; each claimed with a lease before it is returned.
store::StoreResult<std::vector<Attempt>> claim_due_attempts(store::Database& database,
                                                            std::string_view owner,
                                                            std::int64_t now_unix_ms,
                                                            std::int64_t lease_ms,
                                                            std::size_t limit);
// Unresolved attempts (for the syncs-pending gauge).
store::StoreResult<std::int64_t> count_unresolved_attempts(store::Database& database);

}  // namespace till::payments
