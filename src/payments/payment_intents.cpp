// PaymentIntents: create (optionally confirming), retrieve, update, confirm, capture, cancel,
// list, and the test endpoint that completes 3-D Secure. Every change runs in one unit of
// work (`mutate`): the intent, its charge, its balance transaction, its ledger entries and the
// events announcing them commit together. Status rules live in state_machine.h.
//
// The sandbox card processor answers in-process and at once, so authorization runs inside the
// unit of work. Issue 6's network connectors cannot: they will record an attempt, call the
// processor outside the unit, and apply the answer in a second unit.
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>

#include "base/ids.h"
#include "base/random.h"
#include "money/currency.h"
#include "obs/log.h"
#include "payments/expand.h"
#include "payments/intent_flow.h"
#include "payments/metadata.h"
#include "payments/movements.h"
#include "payments/objects.h"
#include "payments/payment_methods.h"
#include "payments/processor_followups.h"
#include "payments/routed_confirmation.h"
#include "payments/routes.h"
#include "payments/state_machine.h"

namespace till::payments {

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

constexpr std::int64_t kAmountMax = 99'999'999;  // Stripe's: eight digits
constexpr std::size_t kIdBytesMax = 255;
constexpr std::size_t kDescriptionBytesMax = 1000;
constexpr std::size_t kEmailBytesMax = 512;
constexpr std::size_t kStatementDescriptorBytesMax = 22;
constexpr std::size_t kUrlBytesMax = 2048;

constexpr std::string_view kCaptureMethods[] = {"automatic", "automatic_async", "manual"};
constexpr std::string_view kConfirmationMethods[] = {"automatic", "manual"};
constexpr std::string_view kCancellationReasons[] = {"duplicate", "fraudulent",
                                                     "requested_by_customer", "abandoned"};
constexpr std::string_view kAuthenticationOutcomes[] = {"succeed", "fail"};

// Parameters of create, update and confirm; each field set only when sent.
struct IntentParams {
  std::optional<std::int64_t> amount;
  std::optional<std::string> currency;  // lower case
  std::optional<std::string> customer;
  std::optional<std::string> description;
  std::optional<params::MetadataUpdate> metadata;
  std::optional<std::string> payment_method;
  std::optional<std::string> capture_method;
  std::optional<std::string> confirmation_method;
  std::optional<bool> confirm;
  std::optional<std::string> receipt_email;
  std::optional<std::string> statement_descriptor;
  std::optional<std::string> statement_descriptor_suffix;
  std::optional<std::string> return_url;
  std::optional<bool> automatic_payment_methods;
  std::vector<std::string> expand;
};

template <class T>
std::optional<api::ApiError> take(Expected<std::optional<T>, api::ApiError> read,
                                  std::optional<T>& out) {
  if (!read) return read.error();
  out = std::move(*read);
  return std::nullopt;
}

api::ApiError invalid(std::string param, std::string message,
                      std::string code = "parameter_invalid") {
  api::ApiError error;
  error.code = std::move(code);
  error.message = std::move(message);
  error.param = std::move(param);
  return error;
}

std::optional<api::ApiError> check_currency(const std::optional<std::string>& currency) {
  if (!currency) return std::nullopt;
  const money::Currency* found = money::find_currency(*currency);
  if (found == nullptr || found->kind != money::CurrencyKind::fiat) {
    return invalid("currency",
                   "Invalid currency: " + currency->substr(0, 8) +
                       ". Use a three-letter ISO 4217 code in lower case, e.g. usd.",
                   "parameter_invalid");
  }
  return std::nullopt;
}

// Stripe's minimum charge amounts
// (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts), in minor units; other
// currencies need at least one minor unit.
struct MinimumAmount {
  std::string_view currency;
  std::int64_t amount;
};
constexpr MinimumAmount kMinimumAmounts[] = {
    {"aed", 200},  {"aud", 50},  {"bgn", 100},  {"brl", 50},  {"cad", 50},   {"chf", 50},
    {"czk", 1500}, {"dkk", 250}, {"eur", 50},   {"gbp", 30},  {"hkd", 400},  {"huf", 17500},
    {"inr", 50},   {"jpy", 50},  {"mxn", 1000}, {"myr", 200}, {"nok", 300},  {"nzd", 50},
    {"pln", 200},  {"ron", 200}, {"sek", 300},  {"sgd", 50},  {"thb", 1000}, {"usd", 50},
};

// 400 amount_too_small when `amount` is under the currency's minimum (`currency` lower case).
std::optional<api::ApiError> check_minimum(std::int64_t amount, std::string_view currency) {
  std::int64_t minimum = 1;
  for (const MinimumAmount& entry : kMinimumAmounts) {
    if (entry.currency == currency) minimum = entry.amount;
  }
  if (amount >= minimum) return std::nullopt;
  const money::Currency* found = money::find_currency(currency);
  const int exponent = found != nullptr ? found->exponent : 0;
  std::string shown = std::to_string(minimum);
  if (exponent > 0) {
    const auto digits = static_cast<std::size_t>(exponent);
    if (shown.size() <= digits) shown.insert(0, digits + 1 - shown.size(), '0');
    shown.insert(shown.size() - digits, ".");
  }
  return invalid("amount", "Amount must be at least " + shown + " " + std::string(currency),
                 "amount_too_small");
}

// Reads what create/update/confirm accept; `which` selects the set.
enum class Endpoint { create, update, confirm };

Expected<IntentParams, api::ApiError> read_intent_params(const Call& call, Endpoint which) {
  params::Reader reader(call.params);
  IntentParams p;
  const bool create = which == Endpoint::create;
  const bool update = which == Endpoint::update;
  if (create || update) {
    if (auto e = take(reader.integer("amount", 1, kAmountMax), p.amount)) return unexpected(*e);
    if (auto e = take(reader.string("currency", 3), p.currency)) return unexpected(*e);
    if (auto e = take(reader.string("customer", kIdBytesMax), p.customer)) return unexpected(*e);
    if (auto e = take(reader.string("description", kDescriptionBytesMax), p.description))
      return unexpected(*e);
    if (auto e = take(reader.metadata("metadata"), p.metadata)) return unexpected(*e);
    if (auto e = take(reader.one_of("capture_method", kCaptureMethods), p.capture_method))
      return unexpected(*e);
    if (auto e = take(reader.string("statement_descriptor", kStatementDescriptorBytesMax),
                      p.statement_descriptor))
      return unexpected(*e);
    if (auto e = take(reader.string("statement_descriptor_suffix", kStatementDescriptorBytesMax),
                      p.statement_descriptor_suffix))
      return unexpected(*e);
    std::optional<std::vector<std::string>> types;
    if (auto e = take(reader.string_list("payment_method_types", 10, 32), types))
      return unexpected(*e);
    if (types) {
      for (const std::string& type : *types) {
        if (type != "card") {
          return unexpected(
              invalid("payment_method_types", "The payment method type \"" + type.substr(0, 32) +
                                                  "\" is invalid. Till supports: card."));
        }
      }
    }
  }
  if (create || which == Endpoint::confirm) {
    if (auto e = take(reader.string("return_url", kUrlBytesMax), p.return_url))
      return unexpected(*e);
  }
  if (create) {
    if (auto e = take(reader.boolean("confirm"), p.confirm)) return unexpected(*e);
    if (auto e =
            take(reader.one_of("confirmation_method", kConfirmationMethods), p.confirmation_method))
      return unexpected(*e);
    auto automatic = reader.hash("automatic_payment_methods");
    if (!automatic) return unexpected(automatic.error());
    if (*automatic) {
      params::Reader& nested = **automatic;
      std::optional<bool> enabled;
      if (auto e = take(nested.boolean("enabled"), enabled)) return unexpected(*e);
      std::optional<std::string> redirects;
      constexpr std::string_view kRedirects[] = {"always", "never"};
      if (auto e = take(nested.one_of("allow_redirects", kRedirects), redirects))
        return unexpected(*e);
      if (auto unknown = nested.finish()) return unexpected(*unknown);
      if (!enabled)
        return unexpected(params::Reader::missing("automatic_payment_methods[enabled]"));
      p.automatic_payment_methods = *enabled;
    }
  }
  if (auto e = take(reader.string("payment_method", kIdBytesMax), p.payment_method))
    return unexpected(*e);
  if (auto e = take(reader.string("receipt_email", kEmailBytesMax), p.receipt_email))
    return unexpected(*e);
  auto expand = read_expand(reader, "payment_intent", false);
  if (!expand) return unexpected(expand.error());
  p.expand = std::move(*expand);
  if (auto unknown = reader.finish()) return unexpected(*unknown);

  if (create) {
    if (!p.amount) return unexpected(params::Reader::missing("amount"));
    if (!p.currency) return unexpected(params::Reader::missing("currency"));
  }
  if (auto bad = check_currency(p.currency)) return unexpected(*bad);
  if (p.currency) {
    for (char& c : *p.currency) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  if (p.payment_method && p.payment_method->empty() && !update) {
    return unexpected(
        invalid("payment_method", "payment_method cannot be empty.", "parameter_invalid_empty"));
  }
  if (create) {
    if (auto small = check_minimum(*p.amount, *p.currency)) return unexpected(*small);
  }
  return p;
}

value optional_text(const std::optional<std::string>& text) {
  if (!text || text->empty()) return nullptr;
  return value(*text);
}

Reply param_error_reply(const api::ApiError& error) { return fail(error); }

ObjectRow new_intent(const Call& call, const Clock& clock, const IntentParams& p) {
  ObjectRow row;
  row.id = new_id("pi", clock);
  row.kind = "payment_intent";
  row.merchant_id = call.auth.merchant_id;
  row.livemode = call.auth.livemode;
  row.created = call.now_seconds();
  row.customer_id = p.customer.value_or("");
  object& body = row.body;
  body["id"] = row.id;
  body["object"] = "payment_intent";
  body["amount"] = *p.amount;
  body["amount_capturable"] = 0;
  object details;
  details["tip"] = object();
  body["amount_details"] = std::move(details);
  body["amount_received"] = 0;
  array allowed_types;
  allowed_types.emplace_back("card");
  body["allowed_payment_method_types"] = std::move(allowed_types);
  body["application"] = nullptr;
  body["application_fee_amount"] = nullptr;
  if (p.automatic_payment_methods) {
    object automatic;
    automatic["enabled"] = *p.automatic_payment_methods;
    body["automatic_payment_methods"] = std::move(automatic);
  } else {
    body["automatic_payment_methods"] = nullptr;
  }
  body["canceled_at"] = nullptr;
  body["cancellation_reason"] = nullptr;
  body["capture_method"] = p.capture_method.value_or("automatic_async");
  body["client_secret"] = row.id + "_secret_" + random_base62(25);
  body["confirmation_method"] = p.confirmation_method.value_or("automatic");
  body["created"] = row.created;
  body["currency"] = *p.currency;
  body["customer"] = optional_text(p.customer);
  body["description"] = optional_text(p.description);
  body["last_payment_error"] = nullptr;
  body["latest_charge"] = nullptr;
  body["livemode"] = row.livemode;
  body["metadata"] = object();
  if (p.metadata) apply_metadata(body["metadata"].as_object(), *p.metadata);
  body["next_action"] = nullptr;
  body["customer_account"] = nullptr;
  body["excluded_payment_method_types"] = nullptr;
  body["managed_payments"] = nullptr;
  body["on_behalf_of"] = nullptr;
  body["payment_method"] = nullptr;
  object options;
  object card_options;
  card_options["installments"] = nullptr;
  card_options["mandate_options"] = nullptr;
  card_options["network"] = nullptr;
  card_options["request_three_d_secure"] = "automatic";
  options["card"] = std::move(card_options);
  body["payment_method_configuration_details"] = nullptr;
  body["payment_method_options"] = std::move(options);
  array types;
  types.emplace_back("card");
  body["payment_method_types"] = std::move(types);
  body["processing"] = nullptr;
  body["receipt_email"] = optional_text(p.receipt_email);
  body["review"] = nullptr;
  body["setup_future_usage"] = nullptr;
  body["shipping"] = nullptr;
  body["payment_record"] = nullptr;
  body["source"] = nullptr;
  body["statement_descriptor"] = optional_text(p.statement_descriptor);
  body["statement_descriptor_suffix"] = optional_text(p.statement_descriptor_suffix);
  body["transfer_data"] = nullptr;
  body["transfer_group"] = nullptr;
  set_status(row, IntentStatus::requires_payment_method);
  return row;
}

std::int64_t current_year(const Call& call) {
  const std::time_t seconds = static_cast<std::time_t>(call.now_seconds());
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return utc.tm_year + 1900;
}

Reply bad_reference(std::string_view kind, const std::string& id, std::string param) {
  Reply reply = no_such(kind, id, std::move(param));
  reply.status = 400;
  return reply;
}

// The customer named by a parameter, inside the unit: nullopt → the 400 to answer.
store::StoreResult<std::optional<Reply>> check_customer(Unit& unit, const Call& call,
                                                        const std::string& id) {
  auto customer = find_owned(unit.connection(), call, "customer", id);
  if (!customer) return unexpected(customer.error());
  if (!*customer || (*customer)->deleted) {
    return std::optional<Reply>(bad_reference("customer", id, "customer"));
  }
  return std::optional<Reply>{};
}

}  // namespace

// Shared with the processor-routed confirmation (intent_flow.h).

IntentStatus status_of(const ObjectRow& intent) {
  return parse_intent_status(intent.status).value_or(IntentStatus::requires_payment_method);
}

void set_status(ObjectRow& intent, IntentStatus status) {
  intent.status = std::string(to_string(status));
  intent.body["status"] = intent.status;
}

bool manual_capture(const ObjectRow& intent) {
  return text_of(intent.body, "capture_method") == "manual";
}

// The error that carries the intent, as Stripe's do.
Reply state_error(const ObjectRow& intent, IntentAction action) {
  Reply reply = fail(unexpected_state(status_of(intent), action));
  reply.body["error"].as_object()["payment_intent"] = intent.body;
  return reply;
}

// The charge for one authorization attempt.
ObjectRow new_charge(const Call& call, const Clock& clock, const ObjectRow& intent,
                     const ObjectRow& payment_method, const AuthorizationResult& result) {
  ObjectRow row;
  row.id = new_id("ch", clock);
  row.kind = "charge";
  row.merchant_id = call.auth.merchant_id;
  row.livemode = call.auth.livemode;
  row.created = call.now_seconds();
  row.customer_id = intent.customer_id;
  row.parent_id = intent.id;
  row.status = result.approved ? "succeeded" : "failed";
  const object& pi = intent.body;
  object& body = row.body;
  body["id"] = row.id;
  body["object"] = "charge";
  body["amount"] = int_of(pi, "amount");
  body["amount_captured"] = 0;
  body["amount_refunded"] = 0;
  body["application"] = nullptr;
  body["application_fee"] = nullptr;
  body["application_fee_amount"] = nullptr;
  body["balance_transaction"] = nullptr;
  const value* billing = payment_method.body.if_contains("billing_details");
  body["billing_details"] = billing != nullptr ? *billing : value(nullptr);
  const std::string descriptor = text_of(pi, "statement_descriptor");
  body["calculated_statement_descriptor"] = descriptor.empty() ? "TILL" : descriptor;
  body["captured"] = false;
  body["created"] = row.created;
  body["currency"] = pi.at("currency");
  body["customer"] = pi.at("customer");
  body["description"] = pi.at("description");
  body["disputed"] = false;
  body["failure_balance_transaction"] = nullptr;
  body["failure_code"] = result.approved ? value(nullptr) : value(result.failure_code);
  body["failure_message"] = result.approved ? value(nullptr) : value(result.failure_message);
  body["fraud_details"] = object();
  body["livemode"] = row.livemode;
  body["metadata"] = pi.at("metadata");
  object outcome;
  outcome["network_status"] = result.network_status;
  outcome["reason"] = result.outcome_reason.empty() ? value(nullptr) : value(result.outcome_reason);
  outcome["risk_level"] = "normal";
  outcome["risk_score"] = 20;
  outcome["seller_message"] = result.seller_message;
  outcome["type"] = result.outcome_type;
  body["outcome"] = std::move(outcome);
  body["paid"] = result.approved;
  body["payment_intent"] = intent.id;
  body["payment_method"] = payment_method.id;
  object details;
  const value* card = payment_method.body.if_contains("card");
  if (card != nullptr && card->is_object()) {
    object card_details;
    for (const char* key : {"brand", "checks", "country", "exp_month", "exp_year", "fingerprint",
                            "funding", "last4"}) {
      if (const value* field = card->as_object().if_contains(key)) card_details[key] = *field;
    }
    card_details["network"] = card->as_object().if_contains("brand") != nullptr
                                  ? card->as_object().at("brand")
                                  : value(nullptr);
    card_details["three_d_secure"] = nullptr;
    details["card"] = std::move(card_details);
  }
  details["type"] = "card";
  body["payment_method_details"] = std::move(details);
  body["on_behalf_of"] = nullptr;
  body["receipt_email"] = pi.at("receipt_email");
  body["receipt_number"] = nullptr;
  body["receipt_url"] = nullptr;
  body["refunded"] = false;
  body["review"] = nullptr;
  body["shipping"] = nullptr;
  body["source"] = nullptr;
  body["source_transfer"] = nullptr;
  body["statement_descriptor"] = pi.at("statement_descriptor");
  body["statement_descriptor_suffix"] = pi.at("statement_descriptor_suffix");
  body["status"] = row.status;
  body["transfer_data"] = nullptr;
  body["transfer_group"] = nullptr;
  return row;
}

// The caller's intent `id`, read inside the unit, when its status allows `action`; otherwise
// the reply to give instead (404, or the state error that carries the intent).
store::StoreResult<Expected<ObjectRow, Reply>> intent_for(Unit& unit, const Call& call,
                                                          const std::string& id,
                                                          IntentAction action) {
  auto found = find_owned(unit.connection(), call, "payment_intent", id);
  if (!found) return unexpected(found.error());
  if (!*found) return Expected<ObjectRow, Reply>(unexpected(no_such("payment_intent", id)));
  if (attempt_in_flight(**found)) {
    // A processor is deciding its confirmation right now; any change could contradict what
    // it decides. Stripe answers concurrent changes of one object like this.
    api::ApiError busy;
    busy.status = 409;
    busy.type = "invalid_request_error";
    busy.code = "lock_timeout";
    busy.message =
        "This PaymentIntent is being confirmed with a processor; retry once the confirmation "
        "has finished.";
    Reply reply = fail(busy);
    reply.body["error"].as_object()["payment_intent"] = (*found)->body;
    return Expected<ObjectRow, Reply>(unexpected(std::move(reply)));
  }
  if (!allows(status_of(**found), action)) {
    return Expected<ObjectRow, Reply>(unexpected(state_error(**found, action)));
  }
  return Expected<ObjectRow, Reply>(std::move(**found));
}

store::StoreResult<Reply> intent_reply(Unit& unit, const Call& call, const ObjectRow& intent,
                                       const std::vector<std::string>& expand) {
  object body = intent.body;
  auto expanded =
      expand_object(unit.connection(), call.auth.merchant_id, call.auth.livemode, body, expand);
  if (!expanded) return unexpected(expanded.error());
  return ok(std::move(body));
}

// Serialises a row's body now, outside the unit of work, when it will not change again.
void freeze(ObjectRow& row) { row.body_text = boost::json::serialize(row.body); }

ConfirmPlan plan_confirm(Services& services, const Call& call, ObjectRow intent,
                         const ObjectRow& payment_method, const MerchantAccounts& accounts) {
  if (call.auth.livemode) {
    // A live key never reaches the in-process sandbox; live payments need processor
    // connectors (routing). Nothing is written.
    ConfirmPlan plan;
    api::ApiError error;
    error.code = "livemode_processing_unavailable";
    error.message =
        "Live mode payments need a processor: configure a connector account and routing for "
        "this merchant (docs/orchestration.md), or use a test key (sk_test_...).";
    plan.refusal = fail(error);
    intent.body["payment_method"] = payment_method.id;
    plan.intent = std::move(intent);
    freeze(plan.intent);
    return plan;
  }
  const AuthorizationResult result = services.sandbox.authorize(
      card_of(payment_method), bool_of(intent.internal, "authenticated"));
  return plan_confirm_with(services, call, std::move(intent), payment_method, accounts, result);
}

ConfirmPlan plan_confirm_with(Services& services, const Call& call, ObjectRow intent,
                              const ObjectRow& payment_method, const MerchantAccounts& accounts,
                              const AuthorizationResult& result) {
  ConfirmPlan plan;
  const Clock& clock = services.clock;
  intent.body["payment_method"] = payment_method.id;
  intent.body["last_payment_error"] = nullptr;
  intent.body["next_action"] = nullptr;
  intent.internal.erase("authenticated");

  if (result.requires_authentication) {
    set_status(intent, IntentStatus::requires_action);
    object redirect;
    redirect["return_url"] =
        intent.internal.contains("return_url") ? intent.internal.at("return_url") : value(nullptr);
    redirect["url"] = "/v1/test_helpers/payment_intents/" + intent.id + "/authenticate";
    object next;
    next["type"] = "redirect_to_url";
    next["redirect_to_url"] = std::move(redirect);
    intent.body["next_action"] = std::move(next);
    plan.intent = std::move(intent);
    freeze(plan.intent);
    return plan;
  }

  ObjectRow charge = new_charge(call, clock, intent, payment_method, result);
  const std::int64_t amount = int_of(intent.body, "amount");
  const std::string currency = text_of(intent.body, "currency");
  if (result.approved) {
    ledger::EntrySpec entry =
        transfer(accounts.card_clearing, accounts.balance_pending, amount, "charge " + charge.id);
    entry.metadata = {{"charge", charge.id}, {"payment_intent", intent.id}};
    if (manual_capture(intent)) {
      plan.hold = true;
      entry.kind = ledger::EntryKind::pending;
      entry.description = "authorization " + charge.id;
      entry.expires_at_unix_ms = call.now_unix_ms + kAuthorizationValidityMs;
      intent.internal["hold_expires_at_ms"] = *entry.expires_at_unix_ms;
      intent.body["amount_capturable"] = amount;
    } else {
      ObjectRow balance_transaction = new_balance_transaction(
          call, clock, amount, currency, "charge", charge.id, "pending",
          call.now_seconds() + kFundsAvailabilityDelaySeconds, text_of(intent.body, "description"));
      charge.body["captured"] = true;
      charge.body["amount_captured"] = amount;
      charge.body["balance_transaction"] = balance_transaction.id;
      intent.body["amount_received"] = amount;
      freeze(balance_transaction);
      plan.balance_transaction = std::move(balance_transaction);
    }
    plan.entry = std::move(entry);
  }
  const AuthorizationOutcome outcome =
      result.approved ? AuthorizationOutcome::approved : AuthorizationOutcome::declined;
  set_status(intent, status_after_authorization(outcome, manual_capture(intent)));
  intent.body["latest_charge"] = charge.id;
  if (!result.approved) {
    object last_error;
    last_error["charge"] = charge.id;
    last_error["code"] = result.failure_code;
    last_error["decline_code"] = result.decline_code;
    last_error["doc_url"] = "https://docs.stripe.com/error-codes/" + result.failure_code;
    last_error["message"] = result.failure_message;
    last_error["payment_method"] = payment_method.body;
    last_error["type"] = "card_error";
    intent.body["last_payment_error"] = std::move(last_error);
    intent.body["payment_method"] = nullptr;  // Stripe detaches a declined method

    // A decline is a 402 card_error that carries the intent, the charge and the method.
    api::ApiError error;
    error.status = 402;
    error.type = "card_error";
    error.code = result.failure_code;
    error.decline_code = result.decline_code;
    error.message = result.failure_message;
    Reply reply = fail(error);
    object& inner = reply.body["error"].as_object();
    inner["charge"] = charge.id;
    inner["doc_url"] = "https://docs.stripe.com/error-codes/" + result.failure_code;
    inner["payment_intent"] = intent.body;
    inner["payment_method"] = payment_method.body;
    plan.refusal = std::move(reply);
  }
  freeze(charge);
  plan.charge = std::move(charge);
  plan.intent = std::move(intent);
  freeze(plan.intent);
  return plan;
}

// Carries out a plan inside the unit: posts its entry, writes its rows (the intent inserted
// when `intent_is_new`, else updated), and answers. Leaves the plan as it was, because the
// unit runs again if the store retries the group; on the hot path it copies no document.
// `prepared`: the new rows' events, made with the plan.
store::StoreResult<Reply> apply_confirm(Unit& unit, const Call& call, const ConfirmPlan& plan,
                                        bool intent_is_new, const std::vector<std::string>& expand,
                                        const ObjectRow* new_payment_method,
                                        const PreparedEvents* prepared) {
  if (plan.refusal && !plan.charge) return *plan.refusal;  // nothing happened
  const ObjectRow& intent = plan.intent;
  std::string internal_text;  // only a hold adds to what the plan decided
  if (plan.entry) {
    auto posted = unit.post({*plan.entry});
    if (!posted) return ledger_refused(call, posted.error());
    if (plan.hold) {
      object internal = intent.internal;
      internal["hold_entry_id"] = posted->front().id;
      internal_text = boost::json::serialize(internal);
    }
  }
  // Every new row in one statement: on PostgreSQL each statement is a round trip that the
  // whole group waits for.
  std::vector<NewObject> rows;
  if (new_payment_method != nullptr) rows.push_back({new_payment_method, ""});
  if (plan.charge) rows.push_back({&*plan.charge, ""});
  if (plan.balance_transaction) rows.push_back({&*plan.balance_transaction, ""});
  if (intent_is_new) rows.push_back({&intent, internal_text});
  if (!rows.empty()) {
    if (auto saved = unit.insert_all(rows, prepared); !saved) return unexpected(saved.error());
  }
  if (!intent_is_new) {
    if (auto saved = unit.update(intent, internal_text); !saved) return unexpected(saved.error());
  }
  if (plan.refusal) return *plan.refusal;
  if (!expand.empty()) return intent_reply(unit, call, intent, expand);
  Reply reply;
  reply.body_text = intent.body_text;  // frozen by the plan: no copy, no second serialisation
  return reply;
}

// The ledger accounts of a currency, before the unit (they may need creating).
Expected<MerchantAccounts, Reply> accounts_for(Services& services, const Call& call,
                                               const std::string& currency) {
  auto accounts =
      services.accounts.get(call.auth.merchant_id, call.auth.livemode, ledger_currency(currency));
  if (!accounts) return unexpected(ledger_refused(call, accounts.error()));
  return *accounts;
}

namespace {

// The merchant's routing to processors in the call's mode; nullptr when its payments use the
// in-process sandbox (no routing configured, or no orchestrator in this process).
Expected<std::shared_ptr<const RoutingSetup>, Reply> routing_setup(Services& services,
                                                                   const Call& call) {
  if (services.orchestrator == nullptr) return std::shared_ptr<const RoutingSetup>{};
  auto setup = services.orchestrator->setup_for(call.auth.merchant_id, call.auth.livemode);
  if (!setup) return unexpected(unavailable(call, setup.error().message));
  return std::move(*setup);
}

// Create with confirm=true for a merchant that routes to processors (routed_confirmation.h).
Reply create_routed(Services& services, Call& call,
                    const std::shared_ptr<const RoutingSetup>& setup, ObjectRow intent,
                    std::optional<ObjectRow>& new_method, const ObjectRow& method,
                    const MerchantAccounts& accounts, const std::optional<std::string>& customer,
                    const std::vector<std::string>& expand) {
  if (new_method) freeze(*new_method);
  std::optional<RoutedStart> started;
  Reply first = mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    started.reset();
    if (customer && !customer->empty()) {
      auto refused = check_customer(unit, call, *customer);
      if (!refused) return unexpected(refused.error());
      if (*refused) return std::move(**refused);
    }
    return begin_routed_confirmation(unit, services, call, setup, intent, true, method, accounts,
                                     expand, started, new_method ? &*new_method : nullptr);
  });
  if (!started || first.status != 200 || first.replayed) return first;
  return continue_routed_confirmation(services, call, *started, accounts, expand);
}

Reply create_intent(Services& services, Call& call) {
  auto p = read_intent_params(call, Endpoint::create);
  if (!p) return param_error_reply(p.error());
  if (p->confirm.value_or(false) && !p->payment_method) {
    return fail(params::Reader::missing("payment_method"));
  }
  auto accounts = accounts_for(services, call, *p->currency);
  if (!accounts) return accounts.error();

  // Everything that does not depend on stored state is decided here, off the committer
  // thread: the intent, a test payment method's new object, and the whole confirmation.
  ObjectRow intent = new_intent(call, services.clock, *p);
  if (p->return_url) intent.internal["return_url"] = *p->return_url;
  std::optional<ObjectRow> new_method;       // made from a test id: inserted by the unit
  std::optional<ObjectRow> existing_method;  // the caller's own pm_...
  if (p->payment_method) {
    const std::optional<TestCard> test_card =
        call.auth.livemode
            ? std::nullopt
            : test_card_for_id(*p->payment_method, current_year(call), services.vault);
    if (test_card) {
      new_method = card_payment_method(call, *test_card, services.clock);
    } else {
      auto found = read_owned(services, call, "payment_method", *p->payment_method);
      if (!found) return unavailable(call, found.error().message);
      if (!*found) return bad_reference("payment_method", *p->payment_method, "payment_method");
      existing_method = std::move(*found);
    }
    const ObjectRow& method = new_method ? *new_method : *existing_method;
    intent.body["payment_method"] = method.id;
    set_status(intent, IntentStatus::requires_confirmation);
  }
  if (p->confirm.value_or(false)) {
    auto routed = routing_setup(services, call);
    if (!routed) return std::move(routed).error();
    if (*routed) {
      return create_routed(services, call, *routed, std::move(intent), new_method,
                           new_method ? *new_method : *existing_method, *accounts, p->customer,
                           p->expand);
    }
  }
  std::optional<ConfirmPlan> plan;       // confirm=true: the whole confirmation, decided
  std::optional<ObjectRow> unconfirmed;  // otherwise: the intent as created
  if (p->confirm.value_or(false)) {
    plan = plan_confirm(services, call, std::move(intent),
                        new_method ? *new_method : *existing_method, *accounts);
  } else {
    unconfirmed = std::move(intent);
  }
  if (new_method) freeze(*new_method);
  // The new rows' events too: the committer thread only writes them.
  std::vector<const ObjectRow*> new_rows;
  if (new_method) new_rows.push_back(&*new_method);
  if (plan && plan->charge) new_rows.push_back(&*plan->charge);
  if (plan && plan->balance_transaction) new_rows.push_back(&*plan->balance_transaction);
  new_rows.push_back(plan ? &plan->intent : &*unconfirmed);
  const PreparedEvents prepared =
      prepare_insert_events(new_rows, services.clock, event_origin(call));

  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    if (p->customer && !p->customer->empty()) {
      auto refused = check_customer(unit, call, *p->customer);
      if (!refused) return unexpected(refused.error());
      if (*refused) return std::move(**refused);
    }
    if (plan && plan->refusal && !plan->charge) return *plan->refusal;  // writes nothing
    if (plan) {
      return apply_confirm(unit, call, *plan, true, p->expand, new_method ? &*new_method : nullptr,
                           &prepared);
    }
    std::vector<NewObject> rows;
    if (new_method) rows.push_back({&*new_method, ""});
    rows.push_back({&*unconfirmed, ""});
    if (auto saved = unit.insert_all(rows, &prepared); !saved) return unexpected(saved.error());
    return intent_reply(unit, call, *unconfirmed, p->expand);
  });
}

Reply confirm_intent(Services& services, Call& call) {
  auto p = read_intent_params(call, Endpoint::confirm);
  if (!p) return param_error_reply(p.error());
  const std::string id(call.request.path_param("id"));
  auto before = read_owned(services, call, "payment_intent", id);
  if (!before) return unavailable(call, before.error().message);
  if (!*before) return no_such("payment_intent", id);
  const std::string currency = text_of((*before)->body, "currency");
  auto accounts = accounts_for(services, call, currency);
  if (!accounts) return accounts.error();
  auto routed = routing_setup(services, call);
  if (!routed) return std::move(routed).error();
  std::optional<RoutedStart> started;
  Reply first = mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    started.reset();
    auto loaded = intent_for(unit, call, id, IntentAction::confirm);
    if (!loaded) return unexpected(loaded.error());
    if (!*loaded) return std::move(*loaded).error();
    ObjectRow& intent = **loaded;
    if (text_of(intent.body, "currency") != currency) {
      api::ApiError changed;
      changed.status = 409;
      changed.type = "api_error";
      changed.code = "lock_timeout";
      changed.message = "The PaymentIntent changed while it was being confirmed; retry.";
      return fail(changed);
    }
    if (p->receipt_email) intent.body["receipt_email"] = optional_text(p->receipt_email);
    if (p->return_url) intent.internal["return_url"] = *p->return_url;
    std::string method_id = p->payment_method.value_or(text_of(intent.body, "payment_method"));
    if (method_id.empty()) {
      api::ApiError missing = params::Reader::missing("payment_method");
      missing.message =
          "You cannot confirm this PaymentIntent because it's missing a payment method. To "
          "confirm the PaymentIntent with " +
          call.auth.merchant_id +
          ", specify a payment method attached to this customer along "
          "with the customer ID.";
      return fail(missing);
    }
    auto resolved = resolve_payment_method(unit, call, services.clock, method_id, services.vault);
    if (!resolved) return unexpected(resolved.error());
    if (!*resolved) return bad_reference("payment_method", method_id, "payment_method");
    if (status_of(intent) == IntentStatus::requires_action && p->payment_method) {
      intent.internal.erase("authenticated");  // a new method needs its own authentication
    }
    if (*routed) {
      return begin_routed_confirmation(unit, services, call, *routed, std::move(intent), false,
                                       **resolved, *accounts, p->expand, started);
    }
    ConfirmPlan plan = plan_confirm(services, call, std::move(intent), **resolved, *accounts);
    return apply_confirm(unit, call, plan, false, p->expand);
  });
  if (!started || first.replayed) return first;
  return continue_routed_confirmation(services, call, *started, *accounts, p->expand);
}

Reply update_intent(Services& services, Call& call) {
  auto p = read_intent_params(call, Endpoint::update);
  if (!p) return param_error_reply(p.error());
  const std::string id(call.request.path_param("id"));
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    const bool payment_fields = p->amount || p->currency || p->customer || p->payment_method ||
                                p->capture_method || p->statement_descriptor ||
                                p->statement_descriptor_suffix;
    auto loaded = intent_for(
        unit, call, id,
        payment_fields ? IntentAction::update_payment : IntentAction::update_descriptive);
    if (!loaded) return unexpected(loaded.error());
    if (!*loaded) return std::move(*loaded).error();
    ObjectRow& intent = **loaded;
    object& body = intent.body;
    if (p->amount || p->currency) {
      const std::int64_t amount = p->amount.value_or(int_of(body, "amount"));
      const std::string currency = p->currency.value_or(text_of(body, "currency"));
      if (auto small = check_minimum(amount, currency)) return fail(*small);
    }
    if (p->amount) body["amount"] = *p->amount;
    if (p->currency) body["currency"] = *p->currency;
    if (p->customer) {
      if (!p->customer->empty()) {
        auto refused = check_customer(unit, call, *p->customer);
        if (!refused) return unexpected(refused.error());
        if (*refused) return std::move(**refused);
      }
      body["customer"] = optional_text(p->customer);
      intent.customer_id = *p->customer;
    }
    if (p->description) body["description"] = optional_text(p->description);
    if (p->metadata) apply_metadata(body["metadata"].as_object(), *p->metadata);
    if (p->capture_method) body["capture_method"] = *p->capture_method;
    if (p->receipt_email) body["receipt_email"] = optional_text(p->receipt_email);
    if (p->statement_descriptor)
      body["statement_descriptor"] = optional_text(p->statement_descriptor);
    if (p->statement_descriptor_suffix) {
      body["statement_descriptor_suffix"] = optional_text(p->statement_descriptor_suffix);
    }
    if (p->payment_method) {
      if (p->payment_method->empty()) {
        body["payment_method"] = nullptr;
        set_status(intent, IntentStatus::requires_payment_method);
      } else {
        auto resolved =
            resolve_payment_method(unit, call, services.clock, *p->payment_method, services.vault);
        if (!resolved) return unexpected(resolved.error());
        if (!*resolved)
          return bad_reference("payment_method", *p->payment_method, "payment_method");
        body["payment_method"] = (*resolved)->id;
        set_status(intent, IntentStatus::requires_confirmation);
      }
      body["next_action"] = nullptr;
      intent.internal.erase("authenticated");
    } else if (payment_fields && status_of(intent) == IntentStatus::requires_action) {
      // Changing what is paid voids the customer's authentication: confirm again.
      body["next_action"] = nullptr;
      set_status(intent, IntentStatus::requires_confirmation);
    }
    if (auto saved = unit.update(intent); !saved) return unexpected(saved.error());
    return intent_reply(unit, call, intent, p->expand);
  });
}

// The shape every action on one intent shares: finish reading the parameters (expand, then
// refuse unknown ones: a 400 comes before any 404), then one unit of work that loads the
// intent if its status allows `action` and runs `body` on it.
using IntentBody = std::function<store::StoreResult<Reply>(Unit& unit, ObjectRow& intent,
                                                           const std::vector<std::string>& expand)>;

Expected<std::vector<std::string>, Reply> finish_intent_params(params::Reader& reader) {
  auto expand = read_expand(reader, "payment_intent", false);
  if (!expand) return unexpected(fail(expand.error()));
  if (auto unknown = reader.finish()) return unexpected(fail(*unknown));
  return std::move(expand).value();
}

Reply run_on_intent(Services& services, Call& call, IntentAction action,
                    const std::vector<std::string>& expand, const IntentBody& body) {
  const std::string id(call.request.path_param("id"));
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    auto loaded = intent_for(unit, call, id, action);
    if (!loaded) return unexpected(loaded.error());
    if (!*loaded) return std::move(*loaded).error();
    return body(unit, **loaded, expand);
  });
}

Reply act_on_intent(Services& services, Call& call, params::Reader& reader, IntentAction action,
                    const IntentBody& body) {
  auto expand = finish_intent_params(reader);
  if (!expand) return std::move(expand).error();
  return run_on_intent(services, call, action, *expand, body);
}

// The intent's uncaptured routed charge, read before the unit: nullopt when the intent is
// not waiting for capture, or its charge is the sandbox's (nothing to do at a processor).
std::optional<std::pair<ObjectRow, ObjectRow>> uncaptured_routed_charge(
    Services& services, const Call& call, std::optional<Reply>& error) {
  const std::string id(call.request.path_param("id"));
  auto intent = read_owned(services, call, "payment_intent", id);
  if (!intent) {
    error = unavailable(call, intent.error().message);
    return std::nullopt;
  }
  if (!*intent || status_of(**intent) != IntentStatus::requires_capture) return std::nullopt;
  auto charge = read_owned(services, call, "charge", text_of((*intent)->body, "latest_charge"));
  if (!charge) {
    error = unavailable(call, charge.error().message);
    return std::nullopt;
  }
  if (!*charge || !routed_charge(**charge)) return std::nullopt;
  return std::pair<ObjectRow, ObjectRow>(std::move(**intent), std::move(**charge));
}

std::optional<Reply> capture_at_processor(Services& services, const Call& call,
                                          std::optional<std::int64_t> amount_to_capture) {
  std::optional<Reply> error;
  auto found = uncaptured_routed_charge(services, call, error);
  if (error || !found) return error;
  const std::int64_t capturable = int_of(found->first.body, "amount_capturable");
  const std::int64_t amount = amount_to_capture.value_or(capturable);
  if (amount > capturable) return std::nullopt;  // the unit refuses it, naming the amounts
  return follow_up_at_processor(services, call, found->second, FollowUp::capture, amount);
}

std::optional<Reply> void_at_processor(Services& services, const Call& call) {
  std::optional<Reply> error;
  auto found = uncaptured_routed_charge(services, call, error);
  if (error || !found) return error;
  return follow_up_at_processor(services, call, found->second, FollowUp::void_authorization,
                                int_of(found->first.body, "amount_capturable"));
}

// Cancels `intent` inside a unit of work: releases its authorization hold when it has one
// (an already expired hold is released), shows the uncaptured charge as refunded in full as
// Stripe does, and writes both. The status allows cancelling (checked by the caller). Returns
// the ledger's refusal, which would be a bug, instead of writing anything.
store::StoreResult<std::optional<ledger::LedgerError>> cancel_in_unit(Unit& unit, ObjectRow& intent,
                                                                      std::int64_t now_seconds,
                                                                      value reason) {
  if (status_of(intent) == IntentStatus::requires_capture) {
    ledger::EntrySpec release;
    release.kind = ledger::EntryKind::void_pending;
    release.pending_entry_id = text_of(intent.internal, "hold_entry_id");
    release.description = "cancel " + intent.id;
    auto posted = unit.post({release});
    if (!posted && posted.error().code != "hold_expired") {
      return std::optional<ledger::LedgerError>(posted.error());
    }
    // The intent's own charge: same merchant and mode by construction.
    auto charge = select_object(unit.connection(), text_of(intent.body, "latest_charge"));
    if (!charge) return unexpected(charge.error());
    if (*charge) {
      (*charge)->body["refunded"] = true;
      (*charge)->body["amount_refunded"] = int_of((*charge)->body, "amount");
      if (auto saved = unit.update(**charge); !saved) return unexpected(saved.error());
    }
  }
  set_status(intent, IntentStatus::canceled);
  intent.body["canceled_at"] = now_seconds;
  intent.body["cancellation_reason"] = std::move(reason);
  intent.body["amount_capturable"] = 0;
  intent.body["next_action"] = nullptr;
  if (auto saved = unit.update(intent); !saved) return unexpected(saved.error());
  return std::optional<ledger::LedgerError>{};
}

Reply capture_intent(Services& services, Call& call) {
  params::Reader reader(call.params);
  auto amount_to_capture = reader.integer("amount_to_capture", 1, kAmountMax);
  if (!amount_to_capture) return fail(amount_to_capture.error());
  auto metadata = reader.metadata("metadata");
  if (!metadata) return fail(metadata.error());
  auto descriptor = reader.string("statement_descriptor", kStatementDescriptorBytesMax);
  if (!descriptor) return fail(descriptor.error());
  auto final_capture = reader.boolean("final_capture");
  if (!final_capture) return fail(final_capture.error());
  // A charge made through a processor is captured there first (processor_followups.h).
  if (auto refused = capture_at_processor(services, call, *amount_to_capture)) return *refused;

  return act_on_intent(
      services, call, reader, IntentAction::capture,
      [&](Unit& unit, ObjectRow& intent,
          const std::vector<std::string>& expand) -> store::StoreResult<Reply> {
        const std::int64_t capturable = int_of(intent.body, "amount_capturable");
        const std::int64_t amount = amount_to_capture->value_or(capturable);
        if (amount > capturable) {
          Reply reply = fail(invalid("amount_to_capture",
                                     "The amount_to_capture (" + std::to_string(amount) +
                                         ") cannot be greater than the amount_capturable (" +
                                         std::to_string(capturable) + ") of this PaymentIntent.",
                                     "amount_too_large"));
          reply.body["error"].as_object()["payment_intent"] = intent.body;
          return reply;
        }
        auto charge =
            find_owned(unit.connection(), call, "charge", text_of(intent.body, "latest_charge"));
        if (!charge) return unexpected(charge.error());
        if (!*charge)
          return unexpected(store::StoreError{store::ErrorKind::corrupt,
                                              "payment intent " + intent.id + " lost its charge"});
        ledger::EntrySpec capture;
        capture.kind = ledger::EntryKind::post_pending;
        capture.pending_entry_id = text_of(intent.internal, "hold_entry_id");
        capture.post_amount = amount;
        capture.description = "capture " + (*charge)->id;
        auto posted = unit.post({capture});
        if (!posted) {
          if (posted.error().code == "hold_expired") {
            // The authorization lapsed: Stripe cancels such an intent.
            auto canceled = cancel_in_unit(unit, intent, call.now_seconds(), "automatic");
            if (!canceled) return unexpected(canceled.error());
            if (*canceled) return ledger_refused(call, **canceled);
            Reply reply = fail(invalid("",
                                       "The authorization of this PaymentIntent expired before it "
                                       "was captured; the PaymentIntent is canceled.",
                                       "charge_expired_for_capture"));
            reply.body["error"].as_object()["payment_intent"] = intent.body;
            return reply;
          }
          return ledger_refused(call, posted.error());
        }
        const std::string currency = text_of(intent.body, "currency");
        ObjectRow balance_transaction =
            new_balance_transaction(call, services.clock, amount, currency, "charge", (*charge)->id,
                                    "pending", call.now_seconds() + kFundsAvailabilityDelaySeconds,
                                    text_of(intent.body, "description"));
        object& charge_body = (*charge)->body;
        charge_body["captured"] = true;
        charge_body["amount_captured"] = amount;
        charge_body["balance_transaction"] = balance_transaction.id;
        if (*descriptor) charge_body["statement_descriptor"] = optional_text(*descriptor);
        (*charge)->internal["capture_entry_id"] = posted->front().id;
        object& body = intent.body;
        body["amount_received"] = amount;
        body["amount_capturable"] = 0;
        if (*metadata) apply_metadata(body["metadata"].as_object(), **metadata);
        if (*descriptor) body["statement_descriptor"] = optional_text(*descriptor);
        set_status(intent, IntentStatus::succeeded);
        if (auto saved = unit.insert(balance_transaction); !saved) return unexpected(saved.error());
        if (auto saved = unit.update(**charge); !saved) return unexpected(saved.error());
        if (auto saved = unit.update(intent); !saved) return unexpected(saved.error());
        return intent_reply(unit, call, intent, expand);
      });
}

Reply cancel_intent(Services& services, Call& call) {
  params::Reader reader(call.params);
  auto reason = reader.one_of("cancellation_reason", kCancellationReasons);
  if (!reason) return fail(reason.error());
  // An authorization made through a processor is voided there first.
  if (auto refused = void_at_processor(services, call)) return *refused;

  return act_on_intent(services, call, reader, IntentAction::cancel,
                       [&](Unit& unit, ObjectRow& intent,
                           const std::vector<std::string>& expand) -> store::StoreResult<Reply> {
                         auto canceled =
                             cancel_in_unit(unit, intent, call.now_seconds(),
                                            reason->has_value() ? value(**reason) : value(nullptr));
                         if (!canceled) return unexpected(canceled.error());
                         if (*canceled) return ledger_refused(call, **canceled);
                         return intent_reply(unit, call, intent, expand);
                       });
}

// Test mode: the customer completes (or fails) 3-D Secure for an intent in requires_action.
Reply authenticate_intent(Services& services, Call& call) {
  params::Reader reader(call.params);
  auto outcome = reader.one_of("outcome", kAuthenticationOutcomes);
  if (!outcome) return fail(outcome.error());
  auto expand_paths = finish_intent_params(reader);
  if (!expand_paths) return std::move(expand_paths).error();
  const std::string id(call.request.path_param("id"));
  if (call.auth.livemode) return no_such("payment_intent", id);
  auto before = read_owned(services, call, "payment_intent", id);
  if (!before) return unavailable(call, before.error().message);
  if (!*before) return no_such("payment_intent", id);
  auto accounts = accounts_for(services, call, text_of((*before)->body, "currency"));
  if (!accounts) return accounts.error();
  const bool succeed = outcome->value_or("succeed") == "succeed";
  auto routed = routing_setup(services, call);
  if (!routed) return std::move(routed).error();
  std::optional<RoutedStart> started;

  Reply first = run_on_intent(
      services, call, IntentAction::authenticate, *expand_paths,
      [&](Unit& unit, ObjectRow& intent,
          const std::vector<std::string>& expand) -> store::StoreResult<Reply> {
        if (!succeed) {
          object last_error;
          last_error["code"] = "payment_intent_authentication_failure";
          last_error["doc_url"] =
              "https://docs.stripe.com/error-codes/payment-intent-authentication-failure";
          last_error["message"] =
              "The provided PaymentMethod has failed authentication. You can provide "
              "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent "
              "again.";
          auto method = find_owned(unit.connection(), call, "payment_method",
                                   text_of(intent.body, "payment_method"));
          if (!method) return unexpected(method.error());
          last_error["payment_method"] = *method ? value((*method)->body) : value(nullptr);
          last_error["type"] = "invalid_request_error";
          intent.body["last_payment_error"] = std::move(last_error);
          intent.body["next_action"] = nullptr;
          intent.body["payment_method"] = nullptr;
          set_status(intent, IntentStatus::requires_payment_method);
          if (auto saved = unit.update(intent); !saved) return unexpected(saved.error());
          return intent_reply(unit, call, intent, expand);
        }
        auto method = find_owned(unit.connection(), call, "payment_method",
                                 text_of(intent.body, "payment_method"));
        if (!method) return unexpected(method.error());
        if (!*method) {
          return unexpected(store::StoreError{store::ErrorKind::corrupt,
                                              "payment intent " + id + " lost its payment method"});
        }
        intent.internal["authenticated"] = true;
        started.reset();
        if (*routed) {
          return begin_routed_confirmation(unit, services, call, *routed, std::move(intent), false,
                                           **method, *accounts, expand, started);
        }
        ConfirmPlan plan = plan_confirm(services, call, std::move(intent), **method, *accounts);
        return apply_confirm(unit, call, plan, false, expand);
      });
  if (!started || first.replayed) return first;
  return continue_routed_confirmation(services, call, *started, *accounts, *expand_paths);
}

Reply list_intents(Services& services, Call& call) {
  params::Reader reader(call.params);
  ListQuery query;
  if (auto bad = read_list_params(reader, call, "payment_intent", query)) return fail(*bad);
  auto customer = reader.string("customer", kIdBytesMax);
  if (!customer) return fail(customer.error());
  query.customer_id = customer->value_or("");
  auto expand = read_expand(reader, "payment_intent", true);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  return list_reply(services, call, query, "/v1/payment_intents", *expand);
}

}  // namespace

namespace {

// Before Till cancels a lapsed authorization made through a processor, the processor voids it,
// so its books do not keep an open authorization Till has given up on. False when the
// processor could not be asked (unreachable, no answer): the next tick asks again. A refusal
// (already voided, or expired there too) lets the cancel go ahead.
bool voided_at_processor(Services& services, const std::string& intent_id, std::int64_t now_ms) {
  static const api::Request kHousekeeping{};
  std::optional<ObjectRow> intent;
  std::optional<ObjectRow> charge;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto found = select_object(connection, intent_id);
        if (!found) return unexpected(found.error());
        intent = std::move(*found);
        if (!intent) return {};
        auto latest = select_object(connection, text_of(intent->body, "latest_charge"));
        if (!latest) return unexpected(latest.error());
        charge = std::move(*latest);
        return {};
      });
  if (!read) return false;
  if (!intent || !charge || !routed_charge(*charge)) return true;
  merchant::AuthContext auth;
  auth.merchant_id = intent->merchant_id;
  auth.livemode = intent->livemode;
  // No request and no key: the void's processor key comes from the charge and the amount
  // alone, so every tick's try is the same call.
  const Call call{kHousekeeping, auth, {}, "", "", now_ms};
  const auto refused = follow_up_at_processor(services, call, *charge, FollowUp::void_authorization,
                                              int_of(intent->body, "amount_capturable"));
  if (refused && refused->status >= 500) {
    obs::warn("lapsed authorization not voided at its processor yet",
              {{"payment_intent", intent_id}, {"status", std::int64_t{refused->status}}});
    return false;
  }
  return true;
}

}  // namespace

store::StoreResult<std::size_t> cancel_lapsed_authorizations(Services& services,
                                                             std::size_t limit) {
  const std::int64_t now_ms = services.clock.now_unix_ms();
  // An authorization lapses kAuthorizationValidityMs after it was made; intents are created at
  // or before that, so `created` bounds the candidates and the hold itself decides.
  std::vector<std::string> candidates;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        return connection.query(
            "SELECT id FROM payment_objects WHERE kind = 'payment_intent' AND status = "
            "'requires_capture' AND created <= $1 ORDER BY seq LIMIT $2",
            {(now_ms - kAuthorizationValidityMs) / 1000, static_cast<std::int64_t>(limit)},
            [&](const store::Row& row) { candidates.emplace_back(row.get_text(0)); });
      });
  if (!read) return unexpected(read.error());
  std::size_t canceled = 0;
  for (const std::string& id : candidates) {
    if (!voided_at_processor(services, id, now_ms)) continue;  // asked again next tick
    bool done = false;
    auto ran =
        services.ledger.run([&](ledger::GroupTransaction& transaction) -> store::StoreResult<void> {
          done = false;
          Unit unit(transaction, services.clock, EventOrigin{});  // housekeeping: no request
          auto found = select_object(unit.connection(), id);
          if (!found) return unexpected(found.error());
          // Captured or canceled meanwhile, or confirmed later than it was created: not yet due.
          if (!*found || (*found)->status != "requires_capture" ||
              int_of((*found)->internal, "hold_expires_at_ms") > now_ms) {
            return {};
          }
          ObjectRow& intent = **found;
          auto result = cancel_in_unit(unit, intent, now_ms / 1000, "automatic");
          if (!result) return unexpected(result.error());
          if (*result) {
            return store::store_fail(store::ErrorKind::other, "cancelling lapsed authorization " +
                                                                  id + ": " + (*result)->message);
          }
          if (auto announced = unit.write_events(); !announced) {
            return unexpected(announced.error());
          }
          done = true;
          return {};
        });
    if (!ran) return store::store_fail(store::ErrorKind::other, ran.error().message);
    if (done) ++canceled;
  }
  return canceled;
}

void add_payment_intent_routes(api::Router& router, Services& services) {
  add_route(router, services, "POST", "/v1/payment_intents", create_intent);
  add_route(router, services, "GET", "/v1/payment_intents", list_intents);
  add_route(router, services, "GET", "/v1/payment_intents/{id}",
            [](Services& s, Call& c) { return retrieve(s, c, "payment_intent"); });
  add_route(router, services, "POST", "/v1/payment_intents/{id}", update_intent);
  add_route(router, services, "POST", "/v1/payment_intents/{id}/confirm", confirm_intent);
  add_route(router, services, "POST", "/v1/payment_intents/{id}/capture", capture_intent);
  add_route(router, services, "POST", "/v1/payment_intents/{id}/cancel", cancel_intent);
  add_route(router, services, "POST", "/v1/test_helpers/payment_intents/{id}/authenticate",
            authenticate_intent);
}

}  // namespace till::payments
