// The processor sync and processor webhooks: the two ways an attempt whose outcome is not
// known (a timeout, a dropped answer, a crash mid-call) becomes known. Both apply the
// processor's word through settle_attempt_outcome (routed_confirmation.h), by
// compare-and-set on the attempt, so they, the request itself and a second process can race
// without settling an attempt twice. See docs/orchestration.md.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "obs/log.h"
#include "payments/movements.h"
#include "payments/objects.h"
#include "payments/payments.h"
#include "payments/routed_confirmation.h"
#include "payments/routes.h"

namespace till::payments {

namespace {

using boost::json::object;

// How long a sync holds an attempt it is asking about (a resolve takes at most the
// account's timeout; another process takes over after this).
constexpr std::int64_t kSyncLeaseMs = 120'000;

const api::Request& no_request() {
  static const api::Request request{};
  return request;
}

// A Call for work no merchant request is running: the attempt's owner, and its request's
// idempotency key so the final answer can be stored under it.
Call background_call(const Attempt& attempt, std::int64_t now_ms) {
  merchant::AuthContext auth;
  auth.merchant_id = attempt.merchant_id;
  auth.livemode = attempt.livemode;
  return Call{no_request(),           auth,  {}, attempt.request_idempotency_key,
              attempt.request_sha256, now_ms};
}

// Stores the final answer under the request's key if the request never could (its process
// died between units): only while the key is still open and still that request's.
store::StoreResult<void> answer_open_key(store::Connection& connection, const Attempt& attempt,
                                         const Reply& reply) {
  if (attempt.request_idempotency_key.empty() || reply.status >= 500) return {};
  auto updated = connection.execute(
      "UPDATE idempotency_keys SET status_code = $4, response_body = $5 WHERE merchant_id = $1 "
      "AND livemode = $2 AND idempotency_key = $3 AND status_code = 0 AND request_sha256 = $6",
      {attempt.merchant_id, attempt.livemode, attempt.request_idempotency_key,
       std::int64_t{reply.status}, reply.serialized(), attempt.request_sha256});
  if (!updated) return unexpected(updated.error());
  return {};
}

// Applies `result` to `attempt` in one unit of work (events have no request: housekeeping).
// Returns whether the attempt was settled by this call.
store::StoreResult<bool> apply_outcome(
    Services& services, const Attempt& attempt, const connectors::ProcessorResult& result,
    const std::function<store::StoreResult<bool>(Unit&)>& before = nullptr) {
  const std::int64_t now_ms = services.clock.now_unix_ms();
  auto accounts = services.accounts.get(attempt.merchant_id, attempt.livemode,
                                        ledger_currency(attempt.currency));
  if (!accounts) {
    return store::store_fail(store::ErrorKind::other, "ledger accounts for " + attempt.currency +
                                                          ": " + accounts.error().message);
  }
  Call call = background_call(attempt, now_ms);
  bool settled = false;
  auto ran =
      services.ledger.run([&](ledger::GroupTransaction& transaction) -> store::StoreResult<void> {
        settled = false;
        Unit unit(transaction, services.clock, EventOrigin{});
        if (before) {
          auto go_on = before(unit);
          if (!go_on) return unexpected(go_on.error());
          if (!*go_on) return {};
        }
        auto reply = settle_attempt_outcome(unit, services, call, attempt, result, *accounts);
        if (!reply) return unexpected(reply.error());
        if (auto announced = unit.write_events(); !announced) {
          return unexpected(announced.error());
        }
        if (!*reply) return {};
        settled = true;
        return answer_open_key(unit.connection(), attempt, **reply);
      });
  if (!ran) return store::store_fail(store::ErrorKind::other, ran.error().message);
  return settled;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A processor webhook's status as an attempt outcome: nullopt when it says nothing final
// about the authorization (it is acknowledged and ignored).
std::optional<connectors::ProcessorResult> outcome_of(const connectors::WebhookUpdate& update) {
  connectors::ProcessorResult result;
  result.processor_reference = update.processor_reference;
  result.raw_code = update.raw_code;
  result.decline_code = update.decline_code;
  result.status = update.status;
  switch (update.status) {
    case connectors::ProcessorStatus::authorized:
    case connectors::ProcessorStatus::captured:
    case connectors::ProcessorStatus::refunded:  // it was charged, whatever happened after
      result.outcome = connectors::Outcome::approved;
      return result;
    case connectors::ProcessorStatus::declined:
      result.outcome = connectors::Outcome::declined;
      return result;
    case connectors::ProcessorStatus::voided:
      // Voided before Till knew it was authorized: no money moved.
      result.outcome = connectors::Outcome::not_processed;
      result.message = "the processor voided the authorization";
      return result;
    case connectors::ProcessorStatus::none:
      return std::nullopt;
  }
  return std::nullopt;
}

api::Response webhook_answer(unsigned status, std::string_view result, std::string_view detail) {
  object body{{"received", status == 200}, {"result", result}};
  if (!detail.empty()) body["detail"] = detail;
  return api::json_response(status, boost::json::serialize(body));
}

}  // namespace

store::StoreResult<std::size_t> sync_processor_attempts(Services& services, std::string_view owner,
                                                        std::size_t limit) {
  if (services.orchestrator == nullptr) return std::size_t{0};
  Orchestrator& orchestrator = *services.orchestrator;
  const std::int64_t now_ms = services.clock.now_unix_ms();
  auto due = claim_due_attempts(services.database, owner, now_ms, kSyncLeaseMs, limit);
  if (!due) return unexpected(due.error());
  std::size_t settled = 0;
  for (const Attempt& attempt : *due) {
    auto account = orchestrator.account_by_id(attempt.connector_account_id);
    if (!account) return unexpected(account.error());
    connectors::ProcessorResult result;  // unknown unless the processor says otherwise
    if (*account == nullptr) {
      obs::error("payment attempt names a connector account that does not exist",
                 {{"attempt", attempt.id}, {"account", attempt.connector_account_id}});
    } else {
      connectors::CallContext context;
      context.idempotency_key = attempt.id;
      result = orchestrator.resolve(**account, context);
    }
    auto applied = apply_outcome(services, attempt, result);
    if (!applied) {
      obs::warn("processor sync could not apply an outcome",
                {{"attempt", attempt.id}, {"error", applied.error().message}});
      continue;
    }
    if (*applied) {
      ++settled;
      obs::info("processor sync settled an attempt", {{"attempt", attempt.id},
                                                      {"payment_intent", attempt.payment_intent_id},
                                                      {"outcome", to_string(result.outcome)}});
    }
  }
  auto pending = count_unresolved_attempts(services.database);
  if (pending) orchestrator.set_syncs_pending(*pending);
  return settled;
}

api::Response handle_processor_webhook(Services& services, const api::Request& request) {
  if (services.orchestrator == nullptr) {
    return webhook_answer(404, "unknown_account", "processor routing is not enabled");
  }
  const std::string account_id(request.path_param("account"));
  auto account = services.orchestrator->account_by_id(account_id);
  if (!account) {
    obs::warn("processor webhook: account lookup failed",
              {{"request_id", request.request_id}, {"error", account.error().message}});
    return webhook_answer(503, "unavailable", "retry later");
  }
  if (*account == nullptr) return webhook_answer(404, "unknown_account", "");
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) headers[lower(name)] = std::string(value);
  connectors::WebhookRejection rejection;
  const auto update = (*account)->connector->parse_webhook(
      request.body, headers, services.clock.now_unix_ms() / 1000, rejection);
  if (!update) {
    obs::warn("processor webhook refused", {{"request_id", request.request_id},
                                            {"account", account_id},
                                            {"reason", rejection.reason}});
    return webhook_answer(400, "refused", rejection.reason);
  }
  // The attempt it concerns: by our idempotency key when the processor echoes it, else by
  // the processor's reference.
  std::optional<Attempt> attempt;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        store::StoreResult<std::optional<Attempt>> found =
            update->idempotency_key.empty()
                ? find_attempt_by_reference(connection, account_id, update->processor_reference)
                : find_attempt(connection, update->idempotency_key);
        if (!found) return unexpected(found.error());
        attempt = std::move(*found);
        return {};
      });
  if (!read) return webhook_answer(503, "unavailable", "retry later");
  if (!attempt || attempt->connector_account_id != account_id) {
    return webhook_answer(200, "unmatched", "");  // acknowledged: retrying will not help
  }
  const auto result = outcome_of(*update);
  const std::int64_t now_ms = services.clock.now_unix_ms();
  std::string applied_result = "ignored";
  // The event id is recorded in the unit that applies it: a redelivery changes nothing.
  auto record_event = [&](Unit& unit) -> store::StoreResult<bool> {
    auto inserted = unit.connection().execute(
        "INSERT INTO processor_webhook_events (connector_account_id, event_id, "
        "received_at_unix_ms, result) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        {account_id, update->event_id, now_ms,
         std::string(result ? to_string(result->outcome) : "ignored")});
    if (!inserted) return unexpected(inserted.error());
    if (*inserted == 0) applied_result = "duplicate";
    return *inserted == 1 && result.has_value();
  };
  if (!result || is_final(attempt->status)) {
    // Nothing to settle (a later status of a settled attempt, or a non-final one): recorded
    // and acknowledged, in whatever order it came.
    auto ran =
        services.database.transact([&](store::Connection& connection) -> store::StoreResult<void> {
          auto inserted = connection.execute(
              "INSERT INTO processor_webhook_events (connector_account_id, event_id, "
              "received_at_unix_ms, result) VALUES ($1, $2, $3, 'ignored') ON CONFLICT DO NOTHING",
              {account_id, update->event_id, now_ms});
          if (!inserted) return unexpected(inserted.error());
          if (*inserted == 0) applied_result = "duplicate";
          return {};
        });
    if (!ran) return webhook_answer(503, "unavailable", "retry later");
    return webhook_answer(200, applied_result, "");
  }
  auto applied = apply_outcome(services, *attempt, *result, record_event);
  if (!applied) {
    obs::warn("processor webhook could not be applied", {{"request_id", request.request_id},
                                                         {"attempt", attempt->id},
                                                         {"error", applied.error().message}});
    return webhook_answer(503, "unavailable", "retry later");
  }
  if (*applied) {
    applied_result = "applied";
    obs::info("processor webhook settled an attempt",
              {{"attempt", attempt->id},
               {"payment_intent", attempt->payment_intent_id},
               {"outcome", to_string(result->outcome)}});
  }
  return webhook_answer(200, applied_result, "");
}

void add_processor_webhook_route(api::Router& router, Services& services) {
  // Not behind the merchant pipeline: a processor has no Till key. The connector verifies
  // the processor's signature with the account's webhook secret.
  router.add(
      "POST", "/v1/processor_webhooks/{account}", api::Execution::blocking,
      [&services](api::Request& request) { return handle_processor_webhook(services, request); });
}

}  // namespace till::payments
