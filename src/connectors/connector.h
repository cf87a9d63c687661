// connectors/connector.h — the boundary between Till and a card processor.
//
// A connector turns Till's processor operations (authorize, capture, void, refund, resolve an
// unknown outcome, parse a webhook) into one processor's wire format and maps the answers back
// to Till's vocabulary: an Outcome, Stripe's decline codes, and whether a decline is soft
// (another processor may approve) or hard (never retried). Adding a processor means adding a
// folder beside `sandbox_card/`, `psp_json/` and `psp_iso8583/` and registering it
// (registry.h); nothing in payments/ changes.
//
// Rules every connector keeps:
//   - Every call carries the caller's idempotency key to the processor.
//   - A timeout, a dropped connection or a 5xx is Outcome::unknown — never "failed". Only an
//     answer the processor gives about that key (`resolve`) turns it into approved, declined
//     or not_processed.
//   - Card numbers exist here only in memory, for the length of a call: never logged, never in
//     an error message.
//   - Calls block the calling thread (payments calls them on the blocking pool, never on the
//     ledger's committer); each has a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace till::connectors {

// What a processor said, in Till's terms.
enum class Outcome : std::uint8_t {
  approved,       // authorized (and captured when asked), captured, voided or refunded
  declined,       // the processor refused; `soft` says whether another processor may try
  not_processed,  // confirmed: nothing happened under this key (connect refused, 4xx before
                  // processing, or a resolve that found nothing and closed the key)
  unknown,        // timeout, dropped response, 5xx: it may or may not have happened
};
std::string_view to_string(Outcome outcome);

// Where a processor-side authorization stands (from a sync or a webhook).
enum class ProcessorStatus : std::uint8_t {
  none,  // no authorization exists (with not_processed)
  authorized,
  captured,
  declined,
  voided,
  refunded,  // fully or partly: see refunded_amount
};
std::string_view to_string(ProcessorStatus status);

// One connector account's settings: which connector, where, and its credentials. Stored
// encrypted per merchant (payments' connector accounts); here only in memory.
struct AccountConfig {
  std::string account_id;   // ca_…, Till's id of the account
  std::string connector;    // registry name: "sandbox_card", "psp_json", "psp_iso8583"
  std::string base_url;     // http(s)://host:port of the processor (empty for in-process)
  std::map<std::string, std::string> credentials;  // api_key, webhook_secret, ...
  std::chrono::milliseconds timeout{5000};         // whole call, connect included
};

// The card, decrypted from the vault for the length of one call.
struct Card {
  std::string number;  // digits only
  int exp_month = 0;
  int exp_year = 0;  // four digits
  bool authenticated = false;  // the customer completed 3-D Secure
};

struct CallContext {
  std::string idempotency_key;  // unique per processor operation; the attempt id for authorize
  std::string traceparent;      // W3C trace context to propagate, "" = start one
};

struct AuthorizeRequest {
  CallContext context;
  std::int64_t amount = 0;  // minor units, > 0
  std::string currency;     // ISO 4217, lower case
  bool capture = true;      // false: authorize only (manual capture)
  std::string reference;    // Till's payment intent id, for the processor's records
  Card card;
};

struct FollowUpRequest {  // capture, void, refund
  CallContext context;
  std::string processor_reference;  // from the authorization
  std::int64_t amount = 0;          // capture / refund amount (0 = all, for capture)
  std::string currency;
};

struct ProcessorResult {
  Outcome outcome = Outcome::unknown;
  bool soft = false;  // declined: another processor may approve (try_again_later, ...)
  ProcessorStatus status = ProcessorStatus::none;
  std::string processor_reference;  // the processor's id of the authorization (or refund)
  std::string raw_code;             // the processor's own response code ("51", "insufficient_funds")
  std::string decline_code;         // Stripe's decline code ("insufficient_funds", ...)
  std::string message;              // for operators; never contains card data
  std::int64_t amount = 0;          // authorized amount, when the processor says
  std::int64_t captured_amount = 0;
  std::int64_t refunded_amount = 0;
  std::chrono::microseconds latency{0};
  // resolve() only: the processor answered that nothing exists under the key and closed it.
  // The one way a resolve may say not_processed; without it (no connection, a 4xx, an
  // unreadable answer) a resolve learned nothing and its outcome is unknown.
  bool key_closed = false;
};

// An asynchronous status update from a processor, verified and parsed.
struct WebhookUpdate {
  std::string event_id;             // the processor's, for idempotent application
  std::string idempotency_key;      // of the authorization it concerns, when the processor says
  std::string processor_reference;  // of the authorization it concerns
  ProcessorStatus status = ProcessorStatus::none;
  std::string raw_code;
  std::string decline_code;
  std::int64_t amount = 0;
  std::int64_t captured_amount = 0;
  std::int64_t refunded_amount = 0;
};

struct WebhookRejection {
  std::string reason;  // "bad signature", "timestamp outside tolerance", "malformed body: …"
};

class Connector {
 public:
  virtual ~Connector() = default;
  virtual std::string_view name() const = 0;

  virtual ProcessorResult authorize(const AuthorizeRequest& request) = 0;
  virtual ProcessorResult capture(const FollowUpRequest& request) = 0;
  virtual ProcessorResult void_authorization(const FollowUpRequest& request) = 0;
  virtual ProcessorResult refund(const FollowUpRequest& request) = 0;

  // Resolves an unknown outcome: asks the processor what happened under `idempotency_key`
  // and, when nothing did, closes the key so the original request can never take effect
  // later. approved / declined → what the processor holds; not_processed → confirmed nothing
  // happened and nothing will; unknown → ask again later.
  virtual ProcessorResult resolve(const CallContext& context) = 0;

  // Verifies (signature, timestamp within `tolerance`) and parses a processor webhook.
  virtual std::optional<WebhookUpdate> parse_webhook(
      std::string_view body, const std::map<std::string, std::string>& headers,
      std::int64_t now_unix_seconds, WebhookRejection& rejection) const = 0;
};

}  // namespace till::connectors
