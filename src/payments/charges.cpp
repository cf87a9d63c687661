// Charges: the record of each authorization attempt, read-only through the API (retrieve and
// list). Payment intents create and update them (payment_intents.cpp); refunds update their
// refunded amounts (refunds.cpp).
#include "payments/expand.h"
#include "payments/objects.h"
#include "payments/routes.h"

namespace till::payments {

namespace {

Reply list_charges(Services& services, Call& call) {
  params::Reader reader(call.params);
  ListQuery query;
  if (auto bad = read_list_params(reader, call, "charge", query)) return fail(*bad);
  auto customer = reader.string("customer", 255);
  if (!customer) return fail(customer.error());
  query.customer_id = customer->value_or("");
  auto intent = reader.string("payment_intent", 255);
  if (!intent) return fail(intent.error());
  query.parent_id = intent->value_or("");
  auto expand = read_expand(reader, "charge", true);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  return list_reply(services, call, query, "/v1/charges", *expand);
}

}  // namespace

void add_charge_routes(api::Router& router, Services& services) {
  add_route(router, services, "GET", "/v1/charges", list_charges);
  add_route(router, services, "GET", "/v1/charges/{id}",
            [](Services& s, Call& c) { return retrieve(s, c, "charge"); });
}

}  // namespace till::payments
