#include "payments/routed_confirmation.h"

#include <boost/json/array.hpp>
#include <cassert>

#include "base/ids.h"
#include "obs/log.h"
#include "payments/movements.h"
#include "payments/objects.h"
#include "payments/payment_methods.h"
#include "vault/vault.h"

namespace till::payments {

namespace {

using boost::json::value;

// A pending attempt's caller has given up by its timeout; the sync waits this much longer
// before asking the processor, so it does not race a request that is about to answer.
constexpr std::int64_t kPendingSyncGraceMs = 5'000;
// An unknown outcome is first synced this soon (the inline resolve already failed once).
constexpr std::int64_t kUnknownFirstSyncDelayMs = 1'000;
constexpr std::string_view kInFlightKey = "attempt_in_flight";

routing::PaymentFacts facts_of(const ObjectRow& intent, const ObjectRow& payment_method) {
  routing::PaymentFacts facts;
  facts.payment_id = intent.id;
  facts.amount = int_of(intent.body, "amount");
  facts.currency = text_of(intent.body, "currency");
  facts.payment_method = "card";
  if (const value* card = payment_method.body.if_contains("card"); card && card->is_object()) {
    facts.card_brand = text_of(card->as_object(), "brand");
    facts.card_country = text_of(card->as_object(), "country");
    facts.card_funding = text_of(card->as_object(), "funding");
  }
  if (const value* metadata = intent.body.if_contains("metadata");
      metadata && metadata->is_object()) {
    for (const auto& member : metadata->as_object()) {
      if (member.value().is_string()) {
        facts.metadata[std::string(member.key())] = std::string(member.value().as_string());
      }
    }
  }
  return facts;
}

Attempt new_attempt(const Call& call, const Clock& clock, const ObjectRow& intent,
                    const RoutedAccount& account, std::int64_t sequence) {
  Attempt attempt;
  attempt.id = new_id("pa", clock);
  attempt.merchant_id = call.auth.merchant_id;
  attempt.livemode = call.auth.livemode;
  attempt.payment_intent_id = intent.id;
  attempt.sequence = sequence;
  attempt.connector_account_id = account.account.id;
  attempt.connector = account.account.connector;
  attempt.status = AttemptStatus::pending;
  attempt.capture = !manual_capture(intent);
  attempt.amount = int_of(intent.body, "amount");
  attempt.currency = text_of(intent.body, "currency");
  attempt.request_idempotency_key = call.idempotency_key;
  attempt.request_sha256 = call.request_sha256;
  attempt.request_id = call.request.request_id;
  attempt.created_at_unix_ms = call.now_unix_ms;
  attempt.updated_at_unix_ms = call.now_unix_ms;
  attempt.next_sync_at_unix_ms =
      call.now_unix_ms + account.account.timeout_ms * 2 + kPendingSyncGraceMs;
  return attempt;
}

// Stripe's error code and customer-facing message for a decline code.
struct DeclineText {
  std::string_view code;
  std::string_view message;
};

DeclineText decline_text(std::string_view decline_code) {
  if (decline_code == "insufficient_funds") {
    return {"card_declined", "Your card has insufficient funds."};
  }
  if (decline_code == "expired_card") return {"expired_card", "Your card has expired."};
  if (decline_code == "incorrect_number") {
    return {"incorrect_number", "Your card number is incorrect."};
  }
  if (decline_code == "processing_error") {
    return {"processing_error",
            "An error occurred while processing your card. Try again in a little bit."};
  }
  return {"card_declined", "Your card was declined."};
}

// The processor's answer in the terms the plan (intent_flow.h) and the Charge use.
AuthorizationResult authorization_of(const connectors::ProcessorResult& result) {
  AuthorizationResult out;
  out.processor_reference = result.processor_reference;
  if (result.outcome == connectors::Outcome::approved) {
    out.approved = true;
    out.network_status = "approved_by_network";
    out.outcome_type = "authorized";
    out.seller_message = "Payment complete.";
    return out;
  }
  // A decline, or no processor could take the payment: a processing error to the customer.
  const std::string decline_code =
      result.outcome == connectors::Outcome::declined && !result.decline_code.empty()
          ? result.decline_code
          : std::string("processing_error");
  const DeclineText text = decline_text(decline_code);
  out.failure_code = std::string(text.code);
  out.decline_code = decline_code;
  out.failure_message = std::string(text.message);
  out.network_status = result.outcome == connectors::Outcome::declined ? "declined_by_network"
                                                                       : "not_sent_to_network";
  out.outcome_reason = decline_code;
  out.outcome_type =
      result.outcome == connectors::Outcome::declined ? "issuer_declined" : "blocked";
  out.seller_message = "The processor returned the decline code `" + decline_code + "`.";
  return out;
}

void copy_result(Attempt& attempt, const connectors::ProcessorResult& result, AttemptStatus status,
                 std::int64_t now_ms) {
  attempt.status = status;
  if (!result.processor_reference.empty()) {
    attempt.processor_reference = result.processor_reference;
  }
  attempt.raw_code = result.raw_code;
  attempt.decline_code = result.decline_code;
  attempt.soft = result.soft;
  attempt.message = result.message.substr(0, 500);
  attempt.latency_us += result.latency.count();
  attempt.updated_at_unix_ms = now_ms;
}

AttemptStatus status_for(connectors::Outcome outcome) {
  switch (outcome) {
    case connectors::Outcome::approved:
      return AttemptStatus::approved;
    case connectors::Outcome::declined:
      return AttemptStatus::declined;
    case connectors::Outcome::not_processed:
      return AttemptStatus::not_processed;
    case connectors::Outcome::unknown:
      return AttemptStatus::unknown;
  }
  return AttemptStatus::unknown;
}

// The intent and its payment method, as a settlement reads them in its unit.
struct SettleContext {
  ObjectRow intent;
  ObjectRow payment_method;
};

store::StoreResult<SettleContext> load_context(Unit& unit, const Attempt& attempt) {
  auto intent = select_object(unit.connection(), attempt.payment_intent_id);
  if (!intent) return unexpected(intent.error());
  if (!*intent) {
    return store::store_fail(store::ErrorKind::corrupt,
                             "attempt " + attempt.id + " names a missing payment intent");
  }
  auto method = select_object(unit.connection(), text_of((*intent)->body, "payment_method"));
  if (!method) return unexpected(method.error());
  if (!*method) {
    return store::store_fail(
        store::ErrorKind::corrupt,
        "payment intent " + attempt.payment_intent_id + " in flight without its payment method");
  }
  return SettleContext{std::move(**intent), std::move(**method)};
}

// The final settlement of an attempt: the plan for its outcome, the attempt settled by
// compare-and-set from `expected`, then the plan applied. nullopt when someone else settled
// the attempt first (nothing written).
store::StoreResult<std::optional<Reply>> finish(Unit& unit, Services& services, const Call& call,
                                                Attempt& attempt, AttemptStatus expected,
                                                SettleContext& context,
                                                const connectors::ProcessorResult& result,
                                                const MerchantAccounts& accounts,
                                                const std::vector<std::string>& expand) {
  context.intent.internal.erase(kInFlightKey);
  ConfirmPlan plan = plan_confirm_with(services, call, std::move(context.intent),
                                       context.payment_method, accounts, authorization_of(result));
  if (plan.charge) {
    plan.charge->internal["attempt"] = attempt.id;
    plan.charge->internal["connector_account"] = attempt.connector_account_id;
    attempt.charge_id = plan.charge->id;
  }
  auto settled = settle_attempt(unit.connection(), attempt, expected);
  if (!settled) return unexpected(settled.error());
  if (!*settled) return std::optional<Reply>{};
  auto reply = apply_confirm(unit, call, plan, false, expand);
  if (!reply) return unexpected(reply.error());
  return std::optional<Reply>(std::move(*reply));
}

// Unit 2 of one attempt: its outcome, and either the final answer or the next attempt.
struct StepResult {
  Reply reply;
  std::optional<Attempt> next;  // written pending: call it
};

// The answer when someone else (the sync, a processor webhook, another process) settled the
// attempt first: the intent as they left it, read again.
store::StoreResult<StepResult> settled_elsewhere(Unit& unit, const Call& call,
                                                 const Attempt& attempt,
                                                 const std::vector<std::string>& expand) {
  auto current = select_object(unit.connection(), attempt.payment_intent_id);
  if (!current) return unexpected(current.error());
  assert(current->has_value());
  auto answer = intent_reply(unit, call, **current, expand);
  if (!answer) return unexpected(answer.error());
  return StepResult{std::move(*answer), std::nullopt};
}

store::StoreResult<StepResult> settle_step(Unit& unit, Services& services, const Call& call,
                                           RoutedStart& started,
                                           const connectors::ProcessorResult& result,
                                           const MerchantAccounts& accounts,
                                           const std::vector<std::string>& expand) {
  Attempt attempt = started.attempt;
  auto context = load_context(unit, attempt);
  if (!context) return unexpected(context.error());
  const std::int64_t now_ms = unit.now_unix_ms();
  copy_result(attempt, result, status_for(result.outcome), now_ms);

  // Fail over? Only on a soft decline or a processor-confirmed "nothing happened", and only
  // while candidates and attempts remain.
  const bool may_retry_elsewhere =
      (result.outcome == connectors::Outcome::declined && result.soft) ||
      result.outcome == connectors::Outcome::not_processed;
  // decide() already cut the candidates to the configuration's max_attempts.
  const bool have_next = started.position + 1 < started.candidates.size();
  const RoutedAccount* next_account =
      may_retry_elsewhere && have_next
          ? started.setup->account(started.candidates[started.position + 1])
          : nullptr;

  if (result.outcome == connectors::Outcome::unknown) {
    attempt.next_sync_at_unix_ms = now_ms + kUnknownFirstSyncDelayMs;
    auto settled = settle_attempt(unit.connection(), attempt, AttemptStatus::pending);
    if (!settled) return unexpected(settled.error());
    if (!*settled) return settled_elsewhere(unit, call, attempt, expand);
    set_status(context->intent, IntentStatus::processing);
    if (auto saved = unit.update(context->intent); !saved) return unexpected(saved.error());
    auto reply = intent_reply(unit, call, context->intent, expand);
    if (!reply) return unexpected(reply.error());
    return StepResult{std::move(*reply), std::nullopt};
  }

  if (next_account != nullptr) {
    // A failed charge shows the processor's decline; nothing shows a call that never happened.
    // It is written only once the attempt is settled here (compare-and-set first).
    std::optional<ObjectRow> charge;
    if (result.outcome == connectors::Outcome::declined) {
      charge = new_charge(call, services.clock, context->intent, context->payment_method,
                          authorization_of(result));
      charge->internal["attempt"] = attempt.id;
      charge->internal["connector_account"] = attempt.connector_account_id;
      attempt.charge_id = charge->id;
    }
    auto settled = settle_attempt(unit.connection(), attempt, AttemptStatus::pending);
    if (!settled) return unexpected(settled.error());
    if (!*settled) return settled_elsewhere(unit, call, attempt, expand);
    if (charge) {
      context->intent.body["latest_charge"] = charge->id;
      if (auto saved = unit.insert(*charge); !saved) return unexpected(saved.error());
    }
    Attempt next =
        new_attempt(call, services.clock, context->intent, *next_account, attempt.sequence + 1);
    next.created_at_unix_ms = now_ms;
    next.updated_at_unix_ms = now_ms;
    if (auto inserted = insert_attempt(unit.connection(), next); !inserted) {
      return unexpected(inserted.error());
    }
    context->intent.internal[kInFlightKey] = next.id;
    if (auto saved = unit.update(context->intent); !saved) return unexpected(saved.error());
    Reply reply;
    reply.key_stays_open = true;
    return StepResult{std::move(reply), std::move(next)};
  }

  auto reply = finish(unit, services, call, attempt, AttemptStatus::pending, *context, result,
                      accounts, expand);
  if (!reply) return unexpected(reply.error());
  if (!*reply) return settled_elsewhere(unit, call, attempt, expand);
  return StepResult{std::move(**reply), std::nullopt};
}

// The card to send, opened for this call only: a test payment method's public test number,
// or the vaulted number of one created from card details.
Expected<connectors::Card, std::string> card_for(Services& services, const Call& call,
                                                 const ObjectRow& payment_method,
                                                 bool authenticated) {
  connectors::Card card;
  card.authenticated = authenticated;
  if (const value* details = payment_method.body.if_contains("card");
      details && details->is_object()) {
    card.exp_month = static_cast<int>(int_of(details->as_object(), "exp_month"));
    card.exp_year = static_cast<int>(int_of(details->as_object(), "exp_year"));
  }
  const std::string test_name = text_of(payment_method.internal, "test_card");
  if (!test_name.empty()) {
    const auto number = test_card_number(test_name);
    if (!number) return unexpected(std::string("unknown test card"));
    card.number = std::string(*number);
    return card;
  }
  if (services.vault == nullptr) return unexpected(std::string("no card vault is configured"));
  std::optional<vault::CardSecret> secret;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto loaded =
            vault::load_card(connection, *services.vault, call.auth.merchant_id, payment_method.id);
        if (!loaded) return unexpected(loaded.error());
        secret = std::move(*loaded);
        return {};
      });
  if (!read) return unexpected("the card vault could not be read: " + read.error().message);
  if (!secret) return unexpected(std::string("the payment method's card is not in the vault"));
  card.number = std::move(secret->number);
  card.exp_month = secret->exp_month;
  card.exp_year = secret->exp_year;
  return card;
}

Reply processing_unavailable(std::string message) {
  api::ApiError error;
  error.status = 402;
  error.type = "card_error";
  error.code = "processing_error";
  error.message = std::move(message);
  return fail(error);
}

}  // namespace

bool attempt_in_flight(const ObjectRow& intent) { return intent.internal.contains(kInFlightKey); }

store::StoreResult<Reply> begin_routed_confirmation(
    Unit& unit, Services& services, const Call& call,
    const std::shared_ptr<const RoutingSetup>& setup, ObjectRow intent, bool intent_is_new,
    const ObjectRow& payment_method, const MerchantAccounts& accounts,
    const std::vector<std::string>& expand, std::optional<RoutedStart>& started,
    const ObjectRow* new_payment_method) {
  assert(setup != nullptr && services.orchestrator != nullptr);
  started.reset();
  // 3-D Secure happens before any processor sees the card, as in the sandbox path.
  const TestCard card = card_of(payment_method);
  if (card.behaviour == CardBehaviour::require_authentication &&
      !bool_of(intent.internal, "authenticated")) {
    AuthorizationResult needs_authentication;
    needs_authentication.requires_authentication = true;
    ConfirmPlan plan = plan_confirm_with(services, call, std::move(intent), payment_method,
                                         accounts, needs_authentication);
    return apply_confirm(unit, call, plan, intent_is_new, expand, new_payment_method);
  }
  const routing::PaymentFacts facts = facts_of(intent, payment_method);
  routing::RouteDecision decision = services.orchestrator->decide(*setup, facts);
  if (decision.candidates.empty()) {
    // Nothing written: the merchant's routing names no active account of this mode.
    return processing_unavailable(
        "No processor is available for this payment: the routing configuration names no "
        "active connector account. Nothing was charged.");
  }
  // A new intent has no attempts yet: no query (on PostgreSQL each is a round trip that the
  // whole commit group waits for).
  auto sequence = intent_is_new ? store::StoreResult<std::int64_t>(0)
                                : last_attempt_sequence(unit.connection(), intent.id);
  if (!sequence) return unexpected(sequence.error());
  const RoutedAccount* first = setup->account(decision.candidates.front());
  assert(first != nullptr);  // decide() keeps only accounts of the setup
  Attempt attempt = new_attempt(call, services.clock, intent, *first, *sequence + 1);
  intent.body["payment_method"] = payment_method.id;
  intent.body["last_payment_error"] = nullptr;
  intent.body["next_action"] = nullptr;
  intent.internal[kInFlightKey] = attempt.id;
  if (new_payment_method != nullptr) {
    if (auto saved = unit.insert(*new_payment_method); !saved) return unexpected(saved.error());
  }
  if (intent_is_new) {
    if (auto saved = unit.insert(intent); !saved) return unexpected(saved.error());
  } else {
    if (auto saved = unit.update(intent); !saved) return unexpected(saved.error());
  }
  if (auto inserted = insert_attempt(unit.connection(), attempt); !inserted) {
    return unexpected(inserted.error());
  }
  started = RoutedStart{setup, std::move(decision.candidates), 0, std::move(attempt),
                        std::move(decision.rate_dimensions)};
  Reply reply;
  reply.key_stays_open = true;
  return reply;
}

Reply continue_routed_confirmation(Services& services, Call& call, RoutedStart& started,
                                   const MerchantAccounts& accounts,
                                   const std::vector<std::string>& expand) {
  Orchestrator& orchestrator = *services.orchestrator;
  // The payment method and 3-D Secure state as unit 1 left them.
  std::optional<ObjectRow> intent_row;
  std::optional<ObjectRow> method_row;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto intent = select_object(connection, started.attempt.payment_intent_id);
        if (!intent) return unexpected(intent.error());
        intent_row = std::move(*intent);
        if (!intent_row) return {};
        auto found = select_object(connection, text_of(intent_row->body, "payment_method"));
        if (!found) return unexpected(found.error());
        method_row = std::move(*found);
        return {};
      });
  if (!read) return unavailable(call, read.error().message);
  if (!intent_row || !method_row) return unavailable(call, "routed intent vanished");
  auto card = card_for(services, call, *method_row, bool_of(intent_row->internal, "authenticated"));

  while (true) {
    const RoutedAccount* account = started.setup->account(started.attempt.connector_account_id);
    assert(account != nullptr);
    connectors::ProcessorResult result;
    if (!card) {
      // Nothing was sent: the card could not be opened. Not the processor's fault.
      result.outcome = connectors::Outcome::not_processed;
      result.message = card.error();
      obs::error("routed payment without a usable card",
                 {{"payment_intent", started.attempt.payment_intent_id},
                  {"request_id", call.request.request_id},
                  {"error", card.error()}});
    } else {
      connectors::AuthorizeRequest request;
      request.context.idempotency_key = started.attempt.id;
      request.context.traceparent = std::string(call.request.header("traceparent"));
      request.amount = started.attempt.amount;
      request.currency = started.attempt.currency;
      request.capture = started.attempt.capture;
      request.reference = started.attempt.payment_intent_id;
      request.card = *card;
      result = orchestrator.authorize(*account, request, started.rate_dimensions);
      if (result.outcome == connectors::Outcome::unknown) {
        // Ask at once: most lost answers are found (or their key closed) in one round trip,
        // and then the customer gets an answer now instead of `processing`.
        const connectors::ProcessorResult resolved =
            orchestrator.resolve(*account, request.context);
        if (resolved.outcome != connectors::Outcome::unknown) {
          const auto spent = result.latency;
          result = resolved;
          result.latency += spent;
        }
      }
    }
    std::optional<StepResult> step;
    Reply reply = mutate_continued(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
      step.reset();
      auto settled = settle_step(unit, services, call, started, result, accounts, expand);
      if (!settled) return unexpected(settled.error());
      step = std::move(*settled);
      Reply out = step->reply;
      return out;
    });
    if (!step || !step->next) return reply;  // final, or the unit failed (503)
    started.attempt = std::move(*step->next);
    started.position += 1;
  }
}

store::StoreResult<std::optional<Reply>> settle_attempt_outcome(
    Unit& unit, Services& services, const Call& call, const Attempt& stored,
    const connectors::ProcessorResult& result, const MerchantAccounts& accounts) {
  auto current = find_attempt(unit.connection(), stored.id);
  if (!current) return unexpected(current.error());
  if (!*current || is_final((*current)->status)) return std::optional<Reply>{};
  Attempt attempt = std::move(**current);
  const AttemptStatus expected = attempt.status;
  const std::int64_t now_ms = unit.now_unix_ms();
  if (result.outcome == connectors::Outcome::unknown) {
    // Still unknown: ask again later, backing off to once a minute.
    attempt.sync_attempts += 1;
    const std::int64_t delay_ms =
        std::min<std::int64_t>(60'000, 1'000LL << std::min<std::int64_t>(attempt.sync_attempts, 6));
    attempt.next_sync_at_unix_ms = now_ms + delay_ms;
    attempt.status = AttemptStatus::unknown;
    attempt.updated_at_unix_ms = now_ms;
    auto settled = settle_attempt(unit.connection(), attempt, expected);
    if (!settled) return unexpected(settled.error());
    if (*settled && expected == AttemptStatus::pending) {
      // Its request died before it could say so: the intent shows it is being processed.
      auto context = load_context(unit, attempt);
      if (!context) return unexpected(context.error());
      set_status(context->intent, IntentStatus::processing);
      if (auto saved = unit.update(context->intent); !saved) return unexpected(saved.error());
    }
    return std::optional<Reply>{};
  }
  auto context = load_context(unit, attempt);
  if (!context) return unexpected(context.error());
  copy_result(attempt, result, status_for(result.outcome), now_ms);
  return finish(unit, services, call, attempt, expected, *context, result, accounts, {});
}

}  // namespace till::payments
