// payments/service.h — what every merchant API handler shares (internal to payments).
//
// A request flows through one pipeline (service.cpp): authenticate the key, decode the
// parameters, apply Idempotency-Key rules, run the handler, answer JSON. Handlers that change
// anything do it in one unit of work on the ledger's group commit (Ledger::run, via
// `mutate`): the objects they write, the events that announce those changes (unit.h), the
// ledger entries that move money and the stored response to the request's idempotency key
// commit in one transaction.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "api/errors.h"
#include "api/http.h"
#include "api/router.h"
#include "base/clock.h"
#include "ledger/ledger.h"
#include "merchant/merchant.h"
#include "payments/ledger_accounts.h"
#include "payments/sandbox_card.h"
#include "payments/unit.h"
#include "store/store.h"

namespace till::vault {
class Vault;
}

namespace till::payments {

class Orchestrator;

// Requests with the same idempotency key that are still running, so a second one gets 409
// at once instead of doing the work twice. Across processes the claim row in the unit of
// work (idempotency.cpp) decides.
class InFlightKeys {
 public:
  bool try_begin(const std::string& key);
  void end(const std::string& key);

 private:
  std::mutex mutex_;
  std::unordered_set<std::string> keys_;
};

struct Services {
  store::Database& database;
  ledger::Ledger& ledger;
  const Clock& clock;
  const merchant::Authenticator& authenticator;
  LedgerAccounts accounts;
  InFlightKeys in_flight;
  SandboxCardProcessor sandbox;
  // Card numbers and connector credentials (null in unit tests without one: card numbers
  // are then not kept, and no payment can be routed to a processor).
  const vault::Vault* vault = nullptr;
  // Routing to processors (null: every payment uses the in-process sandbox).
  Orchestrator* orchestrator = nullptr;

  Services(store::Database& database_in, ledger::Ledger& ledger_in, const Clock& clock_in,
           const merchant::Authenticator& authenticator_in)
      : database(database_in),
        ledger(ledger_in),
        clock(clock_in),
        authenticator(authenticator_in),
        accounts(database_in, ledger_in) {}
};

// One authenticated, decoded request.
struct Call {
  const api::Request& request;
  merchant::AuthContext auth;
  boost::json::object params;
  std::string idempotency_key;  // "" = none
  std::string request_sha256;   // of method, path and canonical parameters
  std::int64_t now_unix_ms = 0;

  std::int64_t now_seconds() const { return now_unix_ms / 1000; }
};

// What a handler answers: a status and a JSON body (an object, or {"error": {...}}).
struct Reply {
  unsigned status = 200;
  boost::json::object body;
  // When set, the body already serialised (and `body` unused): the hot path answers with the
  // stored document's text instead of copying and serialising it again.
  std::string body_text;
  bool replayed = false;  // the stored answer to an earlier request with the same key
  // The request goes on after this unit (a processor call between units: orchestration.h):
  // its idempotency key stays claimed with no answer, so a retry gets 409 until a later unit
  // stores the final answer.
  bool key_stays_open = false;

  std::string serialized() const;
};

Reply ok(boost::json::object body);
Reply fail(const api::ApiError& error);
// 404 resource_missing, Stripe's wording: "No such payment_intent: 'pi_123'", param `id`
// unless given.
Reply no_such(std::string_view kind, std::string_view id, std::string param = "id");
// 503 when the database failed (logged with the request id; the client gets no details).
Reply unavailable(const Call& call, std::string_view what);

using CallHandler = std::function<Reply(Services&, Call&)>;

// Registers `handler` at (method, pattern) behind the pipeline. Every merchant API route runs
// on the blocking pool.
void add_route(api::Router& router, Services& services, std::string_view method,
               std::string_view pattern, CallHandler handler);

// The body of a unit of work: reads and writes through the unit, returns the reply (which,
// when the request has an idempotency key, is stored with the changes unless it is a 5xx).
// A store error fails the unit and the reply becomes 503.
using MutationBody = std::function<store::StoreResult<Reply>(Unit&)>;

// Runs `body` as one group-committed unit of work with the request's idempotency key
// claimed first: when another request already holds the key, nothing runs and the stored
// answer is replayed (or refused as a mismatch). The events of the body's changes are
// written after it returns, before its reply is stored (unit.h).
Reply mutate(Services& services, Call& call, const MutationBody& body);

// A later unit of a request whose first unit left its key open (Reply::key_stays_open): runs
// `body` without claiming the key again and stores its reply under the key (unless it too
// keeps the key open).
Reply mutate_continued(Services& services, Call& call, const MutationBody& body);

// The request behind a unit's events: its Request-Id and Idempotency-Key.
EventOrigin event_origin(const Call& call);

}  // namespace till::payments
