// Refunds: create (full, partial, several up to the captured amount), retrieve, update
// metadata, list. A refund debits the merchant's available balance and credits card clearing
// in the same unit of work that records it, its balance transaction and the charge's
// refunded amount; units run one at a time, so racing refunds cannot over-refund.
#include "base/ids.h"
#include "payments/expand.h"
#include "payments/metadata.h"
#include "payments/movements.h"
#include "payments/objects.h"
#include "payments/processor_followups.h"
#include "payments/routes.h"

namespace till::payments {

namespace {

using boost::json::object;
using boost::json::value;

constexpr std::string_view kReasons[] = {"duplicate", "fraudulent", "requested_by_customer"};

api::ApiError refund_error(std::string code, std::string message, std::string param = "") {
  api::ApiError error;
  error.code = std::move(code);
  error.message = std::move(message);
  error.param = std::move(param);
  return error;
}

// The refund at the charge's processor, when the charge was made through one. A request the
// unit will refuse (nothing left to refund, not captured) is left to the unit, which names
// the problem; the processor is not asked.
std::optional<Reply> refund_at_processor(Services& services, const Call& call,
                                         const ObjectRow& target, const std::string& kind,
                                         std::optional<std::int64_t> amount) {
  std::optional<ObjectRow> charge;
  if (kind == "charge") {
    charge = target;
  } else {
    auto found = read_owned(services, call, "charge", text_of(target.body, "latest_charge"));
    if (!found) return unavailable(call, found.error().message);
    charge = std::move(*found);
  }
  if (!charge || !routed_charge(*charge) || !bool_of(charge->body, "captured")) return std::nullopt;
  const std::int64_t left =
      int_of(charge->body, "amount_captured") - int_of(charge->body, "amount_refunded");
  const std::int64_t to_refund = amount.value_or(left);
  if (left <= 0 || to_refund > left) return std::nullopt;
  return follow_up_at_processor(services, call, *charge, FollowUp::refund, to_refund);
}

ObjectRow new_refund(const Call& call, const Clock& clock, const ObjectRow& charge,
                     std::int64_t amount, const std::optional<std::string>& reason) {
  ObjectRow row;
  row.id = new_id("re", clock);
  row.kind = "refund";
  row.merchant_id = call.auth.merchant_id;
  row.livemode = call.auth.livemode;
  row.created = call.now_seconds();
  row.parent_id = charge.id;
  row.status = "succeeded";
  object& body = row.body;
  body["id"] = row.id;
  body["object"] = "refund";
  body["amount"] = amount;
  body["balance_transaction"] = nullptr;
  body["charge"] = charge.id;
  body["created"] = row.created;
  body["currency"] = charge.body.at("currency");
  body["customer"] = charge.body.at("customer");
  body["customer_account"] = nullptr;
  body["description"] = nullptr;
  object details;
  details["type"] = "card";
  details["card"] = object();
  body["destination_details"] = std::move(details);
  body["metadata"] = object();
  body["payment_intent"] = charge.body.at("payment_intent");
  body["payment_method"] = charge.body.at("payment_method");
  body["reason"] = reason ? value(*reason) : value(nullptr);
  body["receipt_number"] = nullptr;
  body["source_transfer_reversal"] = nullptr;
  body["status"] = row.status;
  body["transfer_reversal"] = nullptr;
  return row;
}

Reply create_refund(Services& services, Call& call) {
  params::Reader reader(call.params);
  auto charge_id = reader.string("charge", 255);
  if (!charge_id) return fail(charge_id.error());
  auto intent_id = reader.string("payment_intent", 255);
  if (!intent_id) return fail(intent_id.error());
  auto amount = reader.integer("amount", 1, 99'999'999);
  if (!amount) return fail(amount.error());
  auto reason = reader.one_of("reason", kReasons);
  if (!reason) return fail(reason.error());
  auto metadata = reader.metadata("metadata");
  if (!metadata) return fail(metadata.error());
  auto expand = read_expand(reader, "refund", false);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  if (!*charge_id && !*intent_id) return fail(params::Reader::missing("charge"));
  if (*charge_id && *intent_id) {
    return fail(refund_error("parameter_invalid", "Pass either charge or payment_intent, not both.",
                             "payment_intent"));
  }

  // The currency decides the ledger accounts, which may need creating before the unit.
  std::string lookup_kind = *charge_id ? "charge" : "payment_intent";
  const std::string lookup_id = charge_id->value_or(intent_id->value_or(""));
  auto target = read_owned(services, call, lookup_kind, lookup_id);
  if (!target) return unavailable(call, target.error().message);
  if (!*target) {
    Reply reply = no_such(lookup_kind, lookup_id, lookup_kind);
    reply.status = 400;
    return reply;
  }
  auto accounts = services.accounts.get(call.auth.merchant_id, call.auth.livemode,
                                        ledger_currency(text_of((*target)->body, "currency")));
  if (!accounts) return ledger_refused(call, accounts.error());
  // A charge made through a processor is refunded there first; the processor orders racing
  // refunds, so it never accepts more than the charge (processor_followups.h).
  if (auto refused = refund_at_processor(services, call, **target, lookup_kind, *amount)) {
    return *refused;
  }

  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    std::string charge_to_refund = charge_id->value_or("");
    if (!charge_to_refund.empty()) {
      // as given
    } else {
      auto intent = find_owned(connection, call, "payment_intent", lookup_id);
      if (!intent) return unexpected(intent.error());
      if (!*intent || text_of((*intent)->body, "status") != "succeeded") {
        return fail(refund_error("charge_not_refundable",
                                 "This PaymentIntent does not have a successful charge to refund.",
                                 "payment_intent"));
      }
      charge_to_refund = text_of((*intent)->body, "latest_charge");
    }
    auto found = find_owned(connection, call, "charge", charge_to_refund);
    if (!found) return unexpected(found.error());
    if (!*found) {
      Reply reply = no_such("charge", charge_to_refund, "charge");
      reply.status = 400;
      return reply;
    }
    ObjectRow& charge = **found;
    const std::int64_t captured = int_of(charge.body, "amount_captured");
    const std::int64_t refunded = int_of(charge.body, "amount_refunded");
    if (!bool_of(charge.body, "captured") || charge.status != "succeeded") {
      return fail(refund_error("charge_not_refundable",
                               "Charge " + charge.id +
                                   " has not been captured; cancel its PaymentIntent to release "
                                   "the authorization instead.",
                               "charge"));
    }
    if (refunded >= captured) {
      return fail(refund_error("charge_already_refunded",
                               "Charge " + charge.id + " has already been refunded.", "charge"));
    }
    const std::int64_t to_refund = amount->value_or(captured - refunded);
    if (to_refund > captured - refunded) {
      return fail(refund_error("amount_too_large",
                               "Refund amount (" + std::to_string(to_refund) +
                                   ") is greater than unrefunded amount on charge (" +
                                   std::to_string(captured - refunded) + ")",
                               "amount"));
    }
    ObjectRow refund = new_refund(call, services.clock, charge, to_refund, *reason);
    if (*metadata) apply_metadata(refund.body["metadata"].as_object(), **metadata);
    auto posted = unit.post({transfer(accounts->balance_available, accounts->card_clearing,
                                      to_refund, "refund " + refund.id)});
    if (!posted) return ledger_refused(call, posted.error());
    refund.internal["ledger_entry_id"] = posted->front().id;
    const std::string currency = text_of(charge.body, "currency");
    ObjectRow balance_transaction =
        new_balance_transaction(call, services.clock, -to_refund, currency, "refund", refund.id,
                                "available", call.now_seconds(), "REFUND FOR CHARGE");
    refund.body["balance_transaction"] = balance_transaction.id;
    charge.body["amount_refunded"] = refunded + to_refund;
    charge.body["refunded"] = refunded + to_refund == captured;
    if (auto saved = unit.insert(refund); !saved) return unexpected(saved.error());
    if (auto saved = unit.insert(balance_transaction); !saved) return unexpected(saved.error());
    if (auto saved = unit.update(charge); !saved) return unexpected(saved.error());
    object body = refund.body;
    auto expanded =
        expand_object(connection, call.auth.merchant_id, call.auth.livemode, body, *expand);
    if (!expanded) return unexpected(expanded.error());
    return ok(std::move(body));
  });
}

Reply update_refund(Services& services, Call& call) {
  params::Reader reader(call.params);
  auto metadata = reader.metadata("metadata");
  if (!metadata) return fail(metadata.error());
  auto expand = read_expand(reader, "refund", false);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  const std::string id(call.request.path_param("id"));
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    auto found = find_owned(connection, call, "refund", id);
    if (!found) return unexpected(found.error());
    if (!*found) return no_such("refund", id);
    if (*metadata) apply_metadata((*found)->body["metadata"].as_object(), **metadata);
    if (auto saved = unit.update(**found); !saved) return unexpected(saved.error());
    object body = (*found)->body;
    auto expanded =
        expand_object(connection, call.auth.merchant_id, call.auth.livemode, body, *expand);
    if (!expanded) return unexpected(expanded.error());
    return ok(std::move(body));
  });
}

Reply list_refunds(Services& services, Call& call) {
  params::Reader reader(call.params);
  ListQuery query;
  if (auto bad = read_list_params(reader, call, "refund", query)) return fail(*bad);
  auto charge = reader.string("charge", 255);
  if (!charge) return fail(charge.error());
  query.parent_id = charge->value_or("");
  auto intent = reader.string("payment_intent", 255);
  if (!intent) return fail(intent.error());
  auto expand = read_expand(reader, "refund", true);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  if (*intent && !(*intent)->empty()) {
    // Refunds hang off charges: an intent's refunds are its latest charge's.
    auto found = read_owned(services, call, "payment_intent", **intent);
    if (!found) return unavailable(call, found.error().message);
    if (!*found) {
      Reply reply = no_such("payment_intent", **intent, "payment_intent");
      reply.status = 400;
      return reply;
    }
    const std::string latest = text_of((*found)->body, "latest_charge");
    if (!query.parent_id.empty() && query.parent_id != latest) {
      query.parent_id = "-";  // both filters given and they disagree: nothing matches
    } else {
      query.parent_id = latest.empty() ? "-" : latest;
    }
  }
  return list_reply(services, call, query, "/v1/refunds", *expand);
}

}  // namespace

void add_refund_routes(api::Router& router, Services& services) {
  add_route(router, services, "POST", "/v1/refunds", create_refund);
  add_route(router, services, "GET", "/v1/refunds", list_refunds);
  add_route(router, services, "GET", "/v1/refunds/{id}",
            [](Services& s, Call& c) { return retrieve(s, c, "refund"); });
  add_route(router, services, "POST", "/v1/refunds/{id}", update_refund);
}

}  // namespace till::payments
