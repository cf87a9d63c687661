// sandbox_psp/processor.h — the processor's operations, shared by both wires.
//
// Every POST runs as one transaction through run_post: look up the idempotency key (replay the
// stored answer, or 409 when the request differs), refuse a key an inquiry cancelled, run the
// operation, store its answer and its webhook notifications. SQLite has one writer, so an
// inquiry and a late authorization under the same key are serialised: whichever commits first
// decides, and the other sees it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/digest.h"
#include "sandbox_psp/books.h"
#include "sandbox_psp/cards.h"
#include "sandbox_psp/sandbox_psp.h"

namespace till::sandbox_psp {

// An HTTP answer as stored for replay.
struct Answer {
  unsigned status = 200;
  std::string body;
  bool replayed = false;
};

// What a wire's operation produced inside the transaction.
struct Outcome {
  Answer answer;
  bool store = true;  // keep as the key's answer (false for input errors: nothing happened)
  std::optional<std::string> authorization_id;  // the authorization it took effect on
};

using PostWork = std::function<StoreResult<Outcome>(Connection&)>;

enum class Refusal { none, invalid_state, amount_too_large };

struct Change {
  Refusal refusal = Refusal::none;
  Authorization authorization;  // after the change (or as found, when refused)
  std::optional<Refund> refund;
};

struct AuthorizeInput {
  std::string idempotency_key;
  std::string reference;
  std::int64_t amount = 0;
  std::string currency;  // alphabetic, lower case, known
  bool capture = false;
  CardInput card;
  bool soft_decline = false;  // injected by faults
};

struct Inquiry {
  std::optional<Authorization> found;  // nullopt: nothing under the key; it is now cancelled
};

class Processor {
 public:
  Processor(store::Database& database, const Clock& clock, std::string hash_key, Wire wire,
            bool webhooks, std::function<void()> on_events);

  store::Database& database() { return database_; }
  const Clock& clock() const { return clock_; }

  // A keyed hash of the request (method, path, body): equal requests hash equal; the stored
  // hash reveals nothing about the card number in the body without the instance's key.
  std::string request_hash(std::string_view method, std::string_view path,
                           std::string_view body) const;

  // One idempotent POST (see the header comment).
  StoreResult<Answer> run_post(const std::string& key, const std::string& hash,
                               const PostWork& operation);

  // Inside a transaction. An authorization request always creates an authorization (declined
  // ones too) under its idempotency key.
  StoreResult<Authorization> authorize(Connection& connection, const AuthorizeInput& input);
  // amount: nullopt = the whole authorization.
  StoreResult<Change> capture(Connection& connection, Authorization a,
                              std::optional<std::int64_t> amount);
  StoreResult<Change> void_authorization(Connection& connection, Authorization a);
  StoreResult<Change> refund(Connection& connection, Authorization a, std::int64_t amount);
  // What happened under `key`: the authorization it created, or the one a capture/void/refund
  // under it took effect on; otherwise the key is cancelled, in this same transaction.
  StoreResult<Inquiry> inquire(Connection& connection, const std::string& key);

 private:
  StoreResult<void> announce(Connection& connection, const Authorization& a);

  store::Database& database_;
  const Clock& clock_;
  const std::string hash_key_;
  const Wire wire_;
  const bool webhooks_;
  const std::function<void()> on_events_;
};

}  // namespace till::sandbox_psp
