// payments/customers.cpp — the /v1/customers routes: create, retrieve, update, delete, list.
//
// A customer is one payment_objects row of kind "customer" whose body is Stripe's customer
// object. Deleting keeps the row (deleted = true): a retrieve then answers Stripe's deleted
// stub, lists leave it out, every write refuses it as missing, and its payment methods are
// detached so they cannot be charged through a customer that no longer exists.
//
// The list's `email` filter is exact and case-sensitive, like Stripe's (the row's lookup_key
// column, derived from the body by object_store). Not supported: the parameters of Stripe features
// Till does not have (tax, cash balance, coupons, test clocks, the legacy `source`). They are
// refused as unknown parameters, so a client learns at once instead of being silently ignored.
#include <array>
#include <cassert>

#include "base/ids.h"
#include "base/random.h"
#include "params/errors.h"
#include "params/text.h"
#include "payments/expand.h"
#include "payments/metadata.h"
#include "payments/objects.h"
#include "payments/payment_methods.h"
#include "payments/routes.h"

namespace till::payments {

namespace {

using boost::json::object;

constexpr std::string_view kKind = "customer";
constexpr std::string_view kPaymentMethodKind = "payment_method";

// Stripe's limits, in characters. The description's is the one Stripe enforces since API
// version 2018-10-31 (its OpenAPI document still says 5000).
constexpr std::size_t kNameCharsMax = 256;
constexpr std::size_t kEmailCharsMax = 512;
constexpr std::size_t kDescriptionCharsMax = 350;
constexpr std::size_t kPhoneCharsMax = 20;
constexpr std::size_t kShippingTextCharsMax = 5000;
constexpr std::size_t kIdBytesMax = 255;

constexpr std::size_t kInvoicePrefixChars = 8;
constexpr std::string_view kInvoicePrefixAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

// Stripe's invoice_prefix: 8 upper-case letters and digits, random per customer.
std::string invoice_prefix() {
  // The largest multiple of 36 below 256: bytes at or above it are redrawn, so every
  // character is equally likely (no modulo bias).
  constexpr unsigned kAcceptBelow = 252;
  static_assert(kAcceptBelow % kInvoicePrefixAlphabet.size() == 0);
  std::string prefix;
  std::array<std::uint8_t, 16> bytes{};
  while (prefix.size() < kInvoicePrefixChars) {
    random_bytes(bytes);
    for (const std::uint8_t byte : bytes) {
      if (byte >= kAcceptBelow || prefix.size() == kInvoicePrefixChars) continue;
      prefix.push_back(kInvoicePrefixAlphabet[byte % kInvoicePrefixAlphabet.size()]);
    }
  }
  return prefix;
}

object deleted_stub(const std::string& id) {
  object stub;
  stub["id"] = id;
  stub["object"] = "customer";
  stub["deleted"] = true;
  return stub;
}

// A parameter naming an object that does not exist: 400 (a missing object in the path is 404).
api::ApiError no_such_param(std::string_view shown_kind, std::string_view id, std::string param) {
  return params::request_error(
      "resource_missing", "No such " + std::string(shown_kind) + ": '" + params::clip(id, 64) + "'",
      std::move(param));
}

store::StoreResult<Reply> reply_with(store::Connection& connection, const Call& call, object body,
                                     const std::vector<std::string>& expand) {
  auto expanded =
      expand_object(connection, call.auth.merchant_id, call.auth.livemode, body, expand);
  if (!expanded) return unexpected(expanded.error());
  return ok(std::move(body));
}

// Stripe checks an email's shape (code email_invalid), not whether it exists: one '@' with
// text on both sides and no blanks.
bool plausible_email(std::string_view email) {
  const std::size_t at = email.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string_view::npos &&
         email.find_first_of(" \t\r\n") == std::string_view::npos;
}

// shipping: replaced whole (`name` and `address` are required), or unset with `shipping=`.
struct ShippingUpdate {
  bool unset = false;
  std::string name;
  std::string phone;
  AddressUpdate address;
};

params::Reader::Read<ShippingUpdate> read_shipping(params::Reader& reader) {
  if (!reader.has("shipping")) return std::optional<ShippingUpdate>();
  // `shipping=` unsets it; a hash makes string() fail and hash() below reads it.
  if (auto empty = reader.string("shipping", 0); empty && *empty && (*empty)->empty()) {
    ShippingUpdate update;
    update.unset = true;
    return std::optional<ShippingUpdate>(std::move(update));
  }
  auto hash = reader.hash("shipping");
  if (!hash) return unexpected(std::move(hash).error());
  assert(*hash);
  params::Reader& fields = **hash;
  ShippingUpdate update;
  auto name = read_text(fields, "name", kShippingTextCharsMax);
  if (!name) return unexpected(std::move(name).error());
  auto phone = read_text(fields, "phone", kShippingTextCharsMax);
  if (!phone) return unexpected(std::move(phone).error());
  auto address = read_address(fields, "address");
  if (!address) return unexpected(std::move(address).error());
  if (auto unknown = fields.finish()) return unexpected(std::move(*unknown));
  if (!*name) return unexpected(params::Reader::missing("shipping[name]"));
  if ((*name)->empty()) return unexpected(params::parameter_invalid_empty("shipping[name]"));
  if (!*address) return unexpected(params::Reader::missing("shipping[address]"));
  if ((*address)->unset) {
    return unexpected(params::parameter_invalid_empty("shipping[address]"));
  }
  update.name = std::move(**name);
  update.phone = phone->value_or("");
  update.address = std::move(**address);
  return std::optional<ShippingUpdate>(std::move(update));
}

object shipping_json(const ShippingUpdate& shipping) {
  boost::json::value address = nullptr;
  apply_address(address, shipping.address, false);
  object out;
  out["address"] = std::move(address);
  out["name"] = shipping.name;
  out["phone"] = text_or_null(shipping.phone);
  return out;
}

// The parameters create and update share; `payment_method` is create's only.
struct CustomerParams {
  std::optional<std::string> name, email, description, phone;  // "" = unset
  std::optional<AddressUpdate> address;
  std::optional<ShippingUpdate> shipping;
  std::optional<params::MetadataUpdate> metadata;
  std::optional<std::string> default_payment_method;  // "" = unset
  std::optional<std::string> payment_method;
  std::vector<std::string> expand;
};

Expected<CustomerParams, api::ApiError> read_params(const Call& call, bool create) {
  params::Reader reader(call.params);
  CustomerParams out;
  for (auto [key, max_chars, field] :
       {std::tuple{"name", kNameCharsMax, &out.name},
        std::tuple{"email", kEmailCharsMax, &out.email},
        std::tuple{"description", kDescriptionCharsMax, &out.description},
        std::tuple{"phone", kPhoneCharsMax, &out.phone}}) {
    auto text = read_text(reader, key, max_chars);
    if (!text) return unexpected(std::move(text).error());
    *field = std::move(*text);
  }
  if (out.email && !out.email->empty() && !plausible_email(*out.email)) {
    return unexpected(params::request_error(
        "email_invalid", "Invalid email address: " + params::clip(*out.email), "email"));
  }
  auto address = read_address(reader, "address");
  if (!address) return unexpected(std::move(address).error());
  out.address = std::move(*address);
  auto shipping = read_shipping(reader);
  if (!shipping) return unexpected(std::move(shipping).error());
  out.shipping = std::move(*shipping);
  auto metadata = reader.metadata("metadata");
  if (!metadata) return unexpected(std::move(metadata).error());
  out.metadata = std::move(*metadata);
  auto settings = reader.hash("invoice_settings");
  if (!settings) return unexpected(std::move(settings).error());
  if (*settings) {
    auto method = (*settings)->string("default_payment_method", kIdBytesMax);
    if (!method) return unexpected(std::move(method).error());
    if (auto unknown = (*settings)->finish()) return unexpected(std::move(*unknown));
    out.default_payment_method = std::move(*method);
  }
  if (create) {
    auto method = reader.string("payment_method", kIdBytesMax);
    if (!method) return unexpected(std::move(method).error());
    if (*method && (*method)->empty()) {
      return unexpected(params::parameter_invalid_empty("payment_method"));
    }
    out.payment_method = std::move(*method);
  }
  auto expand = read_expand(reader, kKind, false);
  if (!expand) return unexpected(std::move(expand).error());
  out.expand = std::move(*expand);
  if (auto unknown = reader.finish()) return unexpected(std::move(*unknown));
  return out;
}

// The customer object as Stripe shows a new one.
object new_customer_body(const ObjectRow& row) {
  object settings;
  settings["custom_fields"] = nullptr;
  settings["default_payment_method"] = nullptr;
  settings["footer"] = nullptr;
  settings["rendering_options"] = nullptr;
  object body;
  body["id"] = row.id;
  body["object"] = "customer";
  body["address"] = nullptr;
  body["balance"] = 0;
  body["created"] = row.created;
  body["currency"] = nullptr;
  body["default_source"] = nullptr;
  body["delinquent"] = false;
  body["description"] = nullptr;
  body["discount"] = nullptr;
  body["email"] = nullptr;
  body["invoice_prefix"] = invoice_prefix();
  body["invoice_settings"] = std::move(settings);
  body["livemode"] = row.livemode;
  body["metadata"] = object();
  body["name"] = nullptr;
  body["next_invoice_sequence"] = 1;
  body["phone"] = nullptr;
  body["preferred_locales"] = boost::json::array();
  body["shipping"] = nullptr;
  body["tax_exempt"] = "none";
  body["test_clock"] = nullptr;
  return body;
}

// Applies everything but payment_method (which needs the store). Metadata over the limit
// is the caller's check: it depends on what was stored.
void apply_params(object& body, const CustomerParams& request) {
  for (auto [key, field] :
       {std::pair{"name", &request.name}, std::pair{"email", &request.email},
        std::pair{"description", &request.description}, std::pair{"phone", &request.phone}}) {
    if (*field) body[key] = text_or_null(**field);
  }
  if (request.address) apply_address(body["address"], *request.address, true);
  if (request.shipping) {
    if (request.shipping->unset) {
      body["shipping"] = nullptr;
    } else {
      body["shipping"] = shipping_json(*request.shipping);
    }
  }
  if (request.metadata) apply_metadata(body["metadata"].as_object(), *request.metadata);
  if (request.default_payment_method) {
    body["invoice_settings"].as_object()["default_payment_method"] =
        text_or_null(*request.default_payment_method);
  }
}

api::ApiError not_attached(const std::string& payment_method_id) {
  return params::request_error("resource_missing",
                               "The customer does not have a payment method with the ID " +
                                   params::clip(payment_method_id, 64) +
                                   ". The payment method must be attached to the customer.",
                               "invoice_settings[default_payment_method]");
}

// ---- POST /v1/customers ----------------------------------------------------------------

Reply create_customer(Services& services, Call& call) {
  auto parsed = read_params(call, true);
  if (!parsed) return fail(parsed.error());
  CustomerParams& request = *parsed;
  // A new customer has no payment methods but the one this request attaches, so any other
  // default is refused here, before the unit of work.
  const bool default_is_attached =
      request.default_payment_method && !request.default_payment_method->empty() &&
      request.payment_method && *request.default_payment_method == *request.payment_method;
  if (request.default_payment_method && !request.default_payment_method->empty() &&
      !default_is_attached) {
    return fail(not_attached(*request.default_payment_method));
  }
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    ObjectRow row;
    row.id = new_id("cus", services.clock);
    row.kind = std::string(kKind);
    row.merchant_id = call.auth.merchant_id;
    row.livemode = call.auth.livemode;
    row.created = call.now_seconds();
    row.body = new_customer_body(row);
    apply_params(row.body, request);
    std::optional<ObjectRow> method;
    if (request.payment_method) {
      auto resolved = resolve_payment_method(unit, call, services.clock, *request.payment_method,
                                             services.vault);
      if (!resolved) return unexpected(resolved.error());
      if (!*resolved) {
        return fail(no_such_param("PaymentMethod", *request.payment_method, "payment_method"));
      }
      // Nothing is written yet, so refusing here leaves no trace. (A test id resolved to a
      // new, unattached object, which cannot hit this.)
      if (!(*resolved)->customer_id.empty()) {
        return fail(params::request_error(
            "payment_method_unexpected_state",
            "The payment method you provided has already been attached to a customer.",
            "payment_method"));
      }
      method = std::move(*resolved);
      method->customer_id = row.id;
      method->body["customer"] = row.id;
      if (default_is_attached) {
        // The request may name a test id (pm_card_visa): the default is the stored object.
        row.body["invoice_settings"].as_object()["default_payment_method"] = method->id;
      }
    }
    auto inserted = unit.insert(row);
    if (!inserted) return unexpected(inserted.error());
    if (method) {
      auto attached = unit.update(*method);
      if (!attached) return unexpected(attached.error());
    }
    return reply_with(connection, call, std::move(row.body), request.expand);
  });
}

// ---- GET /v1/customers/{id} ------------------------------------------------------------

Reply retrieve_customer(Services& services, Call& call) {
  auto expand = read_expand_only(call, kKind);
  if (!expand) return fail(expand.error());
  const std::string id(call.request.path_param("id"));
  auto row = read_owned(services, call, kKind, id);
  if (!row) return unavailable(call, row.error().message);
  if (!*row) return no_such(kKind, id);
  // Stripe answers a deleted customer with 200 and a stub, not 404.
  if ((*row)->deleted) return ok(deleted_stub(id));
  return object_reply(services, call, std::move((*row)->body), *expand);
}

// ---- POST /v1/customers/{id} -----------------------------------------------------------

Reply update_customer(Services& services, Call& call) {
  auto parsed = read_params(call, false);
  if (!parsed) return fail(parsed.error());
  const CustomerParams& request = *parsed;
  const std::string id(call.request.path_param("id"));
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    auto found = find_owned(connection, call, kKind, id);
    if (!found) return unexpected(found.error());
    if (!*found || (*found)->deleted) return no_such(kKind, id);
    ObjectRow& row = **found;
    if (request.default_payment_method && !request.default_payment_method->empty()) {
      auto method =
          find_owned(connection, call, kPaymentMethodKind, *request.default_payment_method);
      if (!method) return unexpected(method.error());
      if (!*method || (*method)->customer_id != id) {
        return fail(not_attached(*request.default_payment_method));
      }
    }
    apply_params(row.body, request);
    if (auto too_many = check_metadata_size(row.body["metadata"].as_object())) {
      return fail(*too_many);
    }
    auto updated = unit.update(row);
    if (!updated) return unexpected(updated.error());
    return reply_with(connection, call, std::move(row.body), request.expand);
  });
}

// ---- DELETE /v1/customers/{id} ---------------------------------------------------------

// Detaches every payment method of `customer_id`, a page at a time: each pass detaches what
// it read, so the next pass (same query, no cursor) reads the rest.
store::StoreResult<void> detach_all(Unit& unit, const Call& call, const std::string& customer_id) {
  ListQuery query;
  query.merchant_id = call.auth.merchant_id;
  query.livemode = call.auth.livemode;
  query.kind = std::string(kPaymentMethodKind);
  query.customer_id = customer_id;
  query.limit = 100;
  while (true) {
    auto page = list_objects(unit.connection(), query);
    if (!page) return unexpected(page.error());
    assert(*page);  // no cursor, so never "no such cursor"
    for (ObjectRow& method : (*page)->rows) {
      method.customer_id.clear();
      method.body["customer"] = nullptr;
      auto updated = unit.update(method);
      if (!updated) return unexpected(updated.error());
    }
    if (!(*page)->has_more) return {};
  }
}

Reply delete_customer(Services& services, Call& call) {
  params::Reader reader(call.params);
  if (auto unknown = reader.finish()) return fail(*unknown);
  const std::string id(call.request.path_param("id"));
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    auto found = find_owned(connection, call, kKind, id);
    if (!found) return unexpected(found.error());
    if (!*found || (*found)->deleted) return no_such(kKind, id);
    auto detached = detach_all(unit, call, id);
    if (!detached) return unexpected(detached.error());
    ObjectRow& row = **found;
    row.deleted = true;
    auto updated = unit.update(row);
    if (!updated) return unexpected(updated.error());
    return ok(deleted_stub(id));
  });
}

// ---- GET /v1/customers -----------------------------------------------------------------

Reply list_customers(Services& services, Call& call) {
  params::Reader reader(call.params);
  ListQuery query;
  if (auto bad = read_list_params(reader, call, kKind, query)) return fail(*bad);
  auto email = reader.string("email", kEmailCharsMax);
  if (!email) return fail(email.error());
  query.lookup_key = email->value_or("");
  auto expand = read_expand(reader, kKind, true);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  return list_reply(services, call, query, "/v1/customers", *expand);
}

}  // namespace

void add_customer_routes(api::Router& router, Services& services) {
  add_route(router, services, "POST", "/v1/customers", create_customer);
  add_route(router, services, "GET", "/v1/customers", list_customers);
  add_route(router, services, "GET", "/v1/customers/{id}", retrieve_customer);
  add_route(router, services, "POST", "/v1/customers/{id}", update_customer);
  add_route(router, services, "DELETE", "/v1/customers/{id}", delete_customer);
}

}  // namespace till::payments
