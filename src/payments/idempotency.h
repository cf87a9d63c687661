// payments/idempotency.h — Idempotency-Key storage (table idempotency_keys; internal).
//
// Stripe's rules: a POST with a key is executed once; for 24 hours the same key with the same
// parameters replays the stored status and body (`Idempotent-Replayed: true`), and with other
// parameters is refused (400 idempotency_error). Requests refused before they started
// (authentication, malformed parameters) are not stored. The key is claimed inside the unit
// of work, before anything changes, and the answer stored in the same transaction, so two
// processes racing on one key cannot both execute it and a replay after a crash answers
// exactly what was committed.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "payments/service.h"
#include "store/store.h"

namespace till::payments {

constexpr std::size_t kIdempotencyKeyBytesMax = 255;
constexpr std::int64_t kIdempotencyKeyLifetimeMs = 24LL * 60 * 60 * 1000;

// SHA-256 over the method, the path and the parameters with every object's keys sorted, so
// the same request encoded in another order (or as JSON instead of a form) matches.
std::string request_fingerprint(std::string_view method, std::string_view path,
                                const boost::json::object& params);

// Inside the unit of work: takes the key for this request (or an expired row of it). False
// when a live row exists: another request executed, or is executing, under this key.
store::StoreResult<bool> claim_key(store::Connection& connection, const Call& call);
// Stores the reply under the claimed key; a 5xx is not stored (the key is released so the
// client's retry executes).
store::StoreResult<void> save_reply(store::Connection& connection, const Call& call,
                                    const Reply& reply);

// The stored answer to this key, replayed, or a 400 when the parameters differ; nullopt when
// there is no live stored answer (or the lookup failed: then the request proceeds and the
// claim in its unit of work decides).
std::optional<Reply> replay_stored(Services& services, const Call& call);

// Deletes keys older than 24 hours; returns how many (serve runs this periodically).
store::StoreResult<std::int64_t> purge_expired_keys(store::Database& database,
                                                    std::int64_t now_unix_ms, std::size_t limit);

}  // namespace till::payments
