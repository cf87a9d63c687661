// payments/payment_methods.cpp — card PaymentMethods: the /v1/payment_methods routes (create,
// retrieve, update, attach, detach, list), a customer's payment methods
// (/v1/customers/{id}/payment_methods), and what other resources use (payment_methods.h).
//
// A card number and CVC live only in the request: test_card_from_details reduces them to
// brand, last 4, expiry and fingerprint before anything is written, and no error repeats them.
// Raw numbers are a test-mode convenience; live mode refuses them (a live integration sends
// card data to a vault, never through the merchant's server).
//
// Stripe's test ids (`pm_card_visa`, `tok_visa`, ...) work wherever a payment method id does,
// in test mode: a write that names one stores a new PaymentMethod for that card
// (resolve_payment_method), as Stripe does. A GET that names one answers the card it stands
// for under the test id itself, without storing anything: a read must not write (GETs run
// outside a unit of work and without idempotency, and a client polling it would pile up rows),
// and the stable id tells the truth — every later use of the test id makes a fresh object.
#include "payments/payment_methods.h"

#include <array>
#include <cassert>
#include <chrono>
#include <limits>

#include "base/ids.h"
#include "params/errors.h"
#include "params/text.h"
#include "payments/expand.h"
#include "payments/metadata.h"
#include "payments/objects.h"
#include "payments/routes.h"
#include "vault/vault.h"

namespace till::payments {

namespace {

using boost::json::array;
using boost::json::object;

constexpr std::string_view kKind = "payment_method";
constexpr std::string_view kCustomerKind = "customer";
// Stripe names the kind this way in its messages ("No such PaymentMethod: 'pm_123'").
constexpr std::string_view kShownKind = "PaymentMethod";
constexpr std::array<std::string_view, 1> kTypes = {"card"};

constexpr std::size_t kIdBytesMax = 255;
constexpr std::size_t kBillingTextCharsMax = 5000;
constexpr std::size_t kCardNumberBytesMax = 64;  // up to 19 digits with spaces or dashes
constexpr std::size_t kCvcBytesMax = 16;         // the shape (3-4 digits) is the card's check
constexpr std::int64_t kExpiryMin = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kExpiryMax = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kExpiryYearsAheadMax = 50;  // as test_card_from_details
constexpr std::int64_t kTwoDigitYearBase = 2000;

struct YearMonth {
  std::int64_t year = 0;
  std::int64_t month = 0;
};

// The UTC calendar month of `unix_ms`: expiry dates are checked against it.
YearMonth utc_year_month(std::int64_t unix_ms) {
  const std::chrono::sys_time<std::chrono::milliseconds> time{std::chrono::milliseconds(unix_ms)};
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(time)};
  return {static_cast<int>(date.year()), static_cast<unsigned>(date.month())};
}

// Stripe's display_brand spells some networks out where `brand` abbreviates them.
std::string_view display_brand(std::string_view brand) {
  if (brand == "amex") return "american_express";
  if (brand == "diners") return "diners_club";
  if (brand == "unionpay") return "union_pay";
  if (brand == "unknown") return "other";
  return brand;
}

object card_json(const TestCard& card) {
  object checks;
  checks["address_line1_check"] = nullptr;
  checks["address_postal_code_check"] = nullptr;
  checks["cvc_check"] = nullptr;
  array available;
  if (card.brand != "unknown") available.emplace_back(card.brand);
  object networks;
  networks["available"] = std::move(available);
  networks["preferred"] = nullptr;
  object three_d_secure;
  three_d_secure["supported"] = true;
  object out;
  out["brand"] = card.brand;
  out["checks"] = std::move(checks);
  out["country"] = card.country;
  out["display_brand"] = display_brand(card.brand);
  out["exp_month"] = card.exp_month;
  out["exp_year"] = card.exp_year;
  out["fingerprint"] = card.fingerprint;
  out["funding"] = card.funding;
  out["generated_from"] = nullptr;
  out["last4"] = card.last4;
  out["networks"] = std::move(networks);
  out["three_d_secure_usage"] = std::move(three_d_secure);
  out["wallet"] = nullptr;
  return out;
}

object empty_billing_details() {
  object billing;
  billing["address"] = empty_address();
  billing["email"] = nullptr;
  billing["name"] = nullptr;
  billing["phone"] = nullptr;
  return billing;
}

// 402 card_error, as Stripe answers card details it cannot use.
api::ApiError card_error(std::string code, std::string message, std::string param) {
  api::ApiError error;
  error.status = 402;
  error.type = "card_error";
  error.code = std::move(code);
  error.message = std::move(message);
  error.param = std::move(param);
  return error;
}

// A parameter naming an object that does not exist: 400, unlike a missing object in the
// path (404), as Stripe answers.
api::ApiError no_such_param(std::string_view shown_kind, std::string_view id, std::string param,
                            std::string_view hint = "") {
  std::string message =
      "No such " + std::string(shown_kind) + ": '" + params::clip(id, 64) + "'" + std::string(hint);
  return params::request_error("resource_missing", std::move(message), std::move(param));
}

// A payment method in a state the operation does not allow (attached elsewhere, not attached).
api::ApiError unexpected_state(std::string message, std::string param = "") {
  return params::request_error("payment_method_unexpected_state", std::move(message),
                               std::move(param));
}

bool is_test_id(const Call& call, const std::string& id) {
  return !call.auth.livemode &&
         test_card_for_id(id, utc_year_month(call.now_unix_ms).year).has_value();
}

// What Stripe adds when a live key names a test object.
std::string_view live_mode_hint(const Call& call, const std::string& id) {
  if (!call.auth.livemode || !test_card_for_id(id, utc_year_month(call.now_unix_ms).year)) {
    return "";
  }
  return "; a similar object exists in test mode, but a live mode key was used to make this "
         "request.";
}

store::StoreResult<Reply> reply_with(store::Connection& connection, const Call& call, object body,
                                     const std::vector<std::string>& expand) {
  auto expanded =
      expand_object(connection, call.auth.merchant_id, call.auth.livemode, body, expand);
  if (!expanded) return unexpected(expanded.error());
  return ok(std::move(body));
}

// billing_details[name|email|phone|address[...]]: each line that was sent, "" = null.
struct BillingUpdate {
  std::optional<std::string> name, email, phone;
  std::optional<AddressUpdate> address;
};

params::Reader::Read<BillingUpdate> read_billing(params::Reader& reader) {
  auto hash = reader.hash("billing_details");
  if (!hash) return unexpected(std::move(hash).error());
  if (!*hash) return std::optional<BillingUpdate>();
  params::Reader& fields = **hash;
  BillingUpdate update;
  for (auto [key, out] : {std::pair{"name", &update.name}, std::pair{"email", &update.email},
                          std::pair{"phone", &update.phone}}) {
    auto text = read_text(fields, key, kBillingTextCharsMax);
    if (!text) return unexpected(std::move(text).error());
    *out = std::move(*text);
  }
  auto address = read_address(fields, "address");
  if (!address) return unexpected(std::move(address).error());
  update.address = std::move(*address);
  if (auto unknown = fields.finish()) return unexpected(std::move(*unknown));
  return std::optional<BillingUpdate>(std::move(update));
}

void apply_billing(object& body, const BillingUpdate& update) {
  boost::json::value& billing = body["billing_details"];
  if (!billing.is_object()) billing = empty_billing_details();
  object& fields = billing.as_object();
  if (update.name) fields["name"] = text_or_null(*update.name);
  if (update.email) fields["email"] = text_or_null(*update.email);
  if (update.phone) fields["phone"] = text_or_null(*update.phone);
  if (update.address) apply_address(fields["address"], *update.address, false);
}

// An id parameter that must be present and non-empty.
Expected<std::string, api::ApiError> required_id(params::Reader& reader, std::string_view key) {
  auto id = reader.string(key, kIdBytesMax);
  if (!id) return unexpected(std::move(id).error());
  const std::string name = params::join_param(reader.prefix(), key);
  if (!*id) return unexpected(params::Reader::missing(name));
  if ((*id)->empty()) return unexpected(params::parameter_invalid_empty(name));
  return std::move(**id);
}

// ---- POST /v1/payment_methods ----------------------------------------------------------

struct CreateParams {
  TestCard card;
  bool cvc_checked = false;
  std::optional<vault::CardSecret> secret;  // made from details: the number, to vault
  std::optional<BillingUpdate> billing;
  std::optional<params::MetadataUpdate> metadata;
  std::vector<std::string> expand;
};

struct ReadCard {
  TestCard card;
  bool cvc_checked = false;
  std::optional<vault::CardSecret> secret;
};

// The card the `card` hash describes: a test token or (test mode only) raw details.
Expected<ReadCard, api::ApiError> read_card(params::Reader& card, const Call& call,
                                            const vault::Vault* vault) {
  auto token = card.string("token", kIdBytesMax);
  if (!token) return unexpected(std::move(token).error());
  auto number = card.string("number", kCardNumberBytesMax);
  if (!number) return unexpected(std::move(number).error());
  auto exp_month = card.integer("exp_month", kExpiryMin, kExpiryMax);
  if (!exp_month) return unexpected(std::move(exp_month).error());
  auto exp_year = card.integer("exp_year", kExpiryMin, kExpiryMax);
  if (!exp_year) return unexpected(std::move(exp_year).error());
  auto cvc = card.string("cvc", kCvcBytesMax);
  if (!cvc) return unexpected(std::move(cvc).error());
  if (auto unknown = card.finish()) return unexpected(std::move(*unknown));

  const YearMonth now = utc_year_month(call.now_unix_ms);
  const bool details = *number || *exp_month || *exp_year || *cvc;
  if (*token) {
    if (details) {
      return unexpected(params::parameter_invalid(
          "card[token]", "card[token]",
          "send either card[token] or the card's details (card[number], card[exp_month], "
          "card[exp_year], card[cvc]), not both."));
    }
    if ((*token)->empty()) return unexpected(params::parameter_invalid_empty("card[token]"));
    std::optional<TestCard> named;
    if (!call.auth.livemode && (*token)->starts_with("tok_")) {
      named = test_card_for_id(**token, now.year, vault);
    }
    if (!named) {
      return unexpected(
          no_such_param("token", **token, "card[token]", live_mode_hint(call, **token)));
    }
    return ReadCard{std::move(*named), false, std::nullopt};
  }
  if (call.auth.livemode) {
    return unexpected(params::parameter_invalid(
        "card[number]", "card[number]",
        "raw card numbers are accepted only in test mode. In live mode, collect card details "
        "with a client-side integration and send the PaymentMethod id it returns."));
  }
  for (auto [key, present] :
       {std::pair{"number", number->has_value()}, std::pair{"exp_month", exp_month->has_value()},
        std::pair{"exp_year", exp_year->has_value()}}) {
    if (!present) return unexpected(params::Reader::missing(params::join_param("card", key)));
  }
  if ((*number)->empty()) return unexpected(params::parameter_invalid_empty("card[number]"));
  if (*cvc && (*cvc)->empty()) return unexpected(params::parameter_invalid_empty("card[cvc]"));
  CardDetails card_details;
  card_details.number = **number;
  card_details.exp_month = **exp_month;
  card_details.exp_year = **exp_year;
  card_details.cvc = cvc->value_or("");
  auto made = test_card_from_details(card_details, "card", now.year, now.month, vault);
  if (!made) return unexpected(std::move(made).error());
  // The number goes to the vault with the payment method (processors need it later); the
  // CVC goes nowhere.
  vault::CardSecret secret;
  secret.number = std::move(card_details.number);
  std::erase_if(secret.number, [](char c) { return c == ' ' || c == '-'; });
  secret.exp_month = static_cast<int>(made->exp_month);
  secret.exp_year = static_cast<int>(made->exp_year);
  return ReadCard{std::move(*made), cvc->has_value(), std::move(secret)};
}

Expected<CreateParams, api::ApiError> read_create(const Call& call, const vault::Vault* vault) {
  params::Reader reader(call.params);
  CreateParams out;
  auto type = reader.one_of("type", kTypes);
  if (!type) return unexpected(std::move(type).error());
  if (!*type) return unexpected(params::Reader::missing("type"));
  auto billing = read_billing(reader);
  if (!billing) return unexpected(std::move(billing).error());
  out.billing = std::move(*billing);
  auto metadata = reader.metadata("metadata");
  if (!metadata) return unexpected(std::move(metadata).error());
  out.metadata = std::move(*metadata);
  auto expand = read_expand(reader, kKind, false);
  if (!expand) return unexpected(std::move(expand).error());
  out.expand = std::move(*expand);
  auto card_hash = reader.hash("card");
  if (!card_hash) return unexpected(std::move(card_hash).error());
  if (!*card_hash) return unexpected(params::Reader::missing("card"));
  if (auto unknown = reader.finish()) return unexpected(std::move(*unknown));
  // The card last: its errors (402 for a bad number) come after every 400 for the request's
  // shape, as Stripe's do.
  auto card = read_card(**card_hash, call, vault);
  if (!card) return unexpected(std::move(card).error());
  out.card = std::move(card->card);
  out.cvc_checked = card->cvc_checked;
  out.secret = std::move(card->secret);
  return out;
}

Reply create_payment_method(Services& services, Call& call) {
  auto parsed = read_create(call, services.vault);
  if (!parsed) return fail(parsed.error());
  const CreateParams& request = *parsed;
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    ObjectRow row = card_payment_method(call, request.card, services.clock);
    // Only the CVC's shape was checked: the sandbox has no issuer to ask, and a test card's
    // CVC always matches, so "pass" is what Stripe's test mode reports too.
    if (request.cvc_checked) {
      row.body["card"].as_object()["checks"].as_object()["cvc_check"] = "pass";
    }
    if (request.billing) apply_billing(row.body, *request.billing);
    if (request.metadata) apply_metadata(row.body["metadata"].as_object(), *request.metadata);
    auto inserted = unit.insert(row);
    if (!inserted) return unexpected(inserted.error());
    if (request.secret && services.vault != nullptr) {
      auto vaulted = vault::store_card(unit.connection(), *services.vault, call.auth.merchant_id,
                                       row.id, *request.secret, call.now_unix_ms);
      if (!vaulted) return unexpected(vaulted.error());
    }
    return reply_with(unit.connection(), call, std::move(row.body), request.expand);
  });
}

// ---- GET /v1/payment_methods/{id} ------------------------------------------------------

Reply retrieve_payment_method(Services& services, Call& call) {
  auto expand = read_expand_only(call, kKind);
  if (!expand) return fail(expand.error());
  const std::string id(call.request.path_param("id"));
  auto row = read_owned(services, call, kKind, id);
  if (!row) return unavailable(call, row.error().message);
  if (*row) return object_reply(services, call, std::move((*row)->body), *expand);
  if (is_test_id(call, id)) {
    // Not stored (see the top of this file): the card under its test id.
    const auto card = test_card_for_id(id, utc_year_month(call.now_unix_ms).year, services.vault);
    assert(card);
    ObjectRow built = card_payment_method(call, *card, services.clock);
    built.body["id"] = id;
    return object_reply(services, call, std::move(built.body), *expand);
  }
  return no_such(kShownKind, id);
}

// ---- POST /v1/payment_methods/{id} -----------------------------------------------------

struct UpdateParams {
  std::optional<BillingUpdate> billing;
  std::optional<params::MetadataUpdate> metadata;
  std::optional<std::int64_t> exp_month, exp_year;
  std::vector<std::string> expand;
};

Expected<UpdateParams, api::ApiError> read_update(const Call& call) {
  params::Reader reader(call.params);
  UpdateParams out;
  auto billing = read_billing(reader);
  if (!billing) return unexpected(std::move(billing).error());
  out.billing = std::move(*billing);
  auto metadata = reader.metadata("metadata");
  if (!metadata) return unexpected(std::move(metadata).error());
  out.metadata = std::move(*metadata);
  auto card = reader.hash("card");
  if (!card) return unexpected(std::move(card).error());
  if (*card) {
    auto exp_month = (*card)->integer("exp_month", kExpiryMin, kExpiryMax);
    if (!exp_month) return unexpected(std::move(exp_month).error());
    auto exp_year = (*card)->integer("exp_year", kExpiryMin, kExpiryMax);
    if (!exp_year) return unexpected(std::move(exp_year).error());
    if (auto unknown = (*card)->finish()) return unexpected(std::move(*unknown));
    out.exp_month = *exp_month;
    out.exp_year = *exp_year;
  }
  auto expand = read_expand(reader, kKind, false);
  if (!expand) return unexpected(std::move(expand).error());
  out.expand = std::move(*expand);
  if (auto unknown = reader.finish()) return unexpected(std::move(*unknown));
  return out;
}

// The card's new expiry, checked as test_card_from_details checks a new card's.
Expected<YearMonth, api::ApiError> new_expiry(const object& card, const UpdateParams& request,
                                              YearMonth now) {
  YearMonth expiry{card.at("exp_year").as_int64(), card.at("exp_month").as_int64()};
  if (request.exp_month) expiry.month = *request.exp_month;
  if (request.exp_year) {
    expiry.year = *request.exp_year;
    if (expiry.year >= 0 && expiry.year < 100) expiry.year += kTwoDigitYearBase;
  }
  if (expiry.month < 1 || expiry.month > 12) {
    return unexpected(card_error("invalid_expiry_month", "Your card's expiration month is invalid.",
                                 "card[exp_month]"));
  }
  if (expiry.year < now.year || expiry.year > now.year + kExpiryYearsAheadMax ||
      (expiry.year == now.year && expiry.month < now.month)) {
    return unexpected(card_error("invalid_expiry_year", "Your card's expiration year is invalid.",
                                 "card[exp_year]"));
  }
  return expiry;
}

Reply update_payment_method(Services& services, Call& call) {
  auto parsed = read_update(call);
  if (!parsed) return fail(parsed.error());
  const UpdateParams& request = *parsed;
  const std::string id(call.request.path_param("id"));
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    auto found = find_owned(connection, call, kKind, id);
    if (!found) return unexpected(found.error());
    if (!*found) return no_such(kShownKind, id);
    ObjectRow& row = **found;
    // Stripe updates only saved payment methods: a one-off one is used once, as it was made.
    if (row.customer_id.empty()) {
      return fail(unexpected_state(
          "You must save this PaymentMethod to a customer before you can update it."));
    }
    if (request.exp_month || request.exp_year) {
      object& card = row.body["card"].as_object();
      auto expiry = new_expiry(card, request, utc_year_month(call.now_unix_ms));
      if (!expiry) return fail(expiry.error());
      card["exp_month"] = expiry->month;
      card["exp_year"] = expiry->year;
    }
    if (request.billing) apply_billing(row.body, *request.billing);
    if (request.metadata) {
      object& metadata = row.body["metadata"].as_object();
      apply_metadata(metadata, *request.metadata);
      if (auto too_many = check_metadata_size(metadata)) return fail(*too_many);
    }
    auto updated = unit.update(row);
    if (!updated) return unexpected(updated.error());
    return reply_with(connection, call, std::move(row.body), request.expand);
  });
}

// ---- POST /v1/payment_methods/{id}/attach and /detach ----------------------------------

void set_customer(ObjectRow& payment_method, const std::string& customer_id) {
  payment_method.customer_id = customer_id;
  payment_method.body["customer"] = text_or_null(customer_id);
}

Reply attach_payment_method(Services& services, Call& call) {
  params::Reader reader(call.params);
  auto customer_id = required_id(reader, "customer");
  if (!customer_id) return fail(customer_id.error());
  auto expand = read_expand(reader, kKind, false);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  const std::string id(call.request.path_param("id"));
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    auto found = find_owned(connection, call, kKind, id);
    if (!found) return unexpected(found.error());
    if (!*found && !is_test_id(call, id)) return no_such(kShownKind, id);
    auto customer = find_owned(connection, call, kCustomerKind, *customer_id);
    if (!customer) return unexpected(customer.error());
    if (!*customer || (*customer)->deleted) {
      return fail(no_such_param(kCustomerKind, *customer_id, "customer"));
    }
    if (*found && !(*found)->customer_id.empty()) {
      // Attaching again to the same customer changes nothing and answers the object.
      if ((*found)->customer_id == *customer_id) {
        return reply_with(connection, call, std::move((*found)->body), *expand);
      }
      return fail(unexpected_state(
          "The payment method you provided has already been attached to a customer."));
    }
    // Only now, when the attach cannot fail, does a test id become a stored object.
    auto resolved = resolve_payment_method(unit, call, services.clock, id, services.vault);
    if (!resolved) return unexpected(resolved.error());
    assert(*resolved);
    ObjectRow& row = **resolved;
    set_customer(row, *customer_id);
    auto updated = unit.update(row);
    if (!updated) return unexpected(updated.error());
    return reply_with(connection, call, std::move(row.body), *expand);
  });
}

Reply detach_payment_method(Services& services, Call& call) {
  auto expand = read_expand_only(call, kKind);
  if (!expand) return fail(expand.error());
  const std::string id(call.request.path_param("id"));
  return mutate(services, call, [&](Unit& unit) -> store::StoreResult<Reply> {
    store::Connection& connection = unit.connection();
    auto found = find_owned(connection, call, kKind, id);
    if (!found) return unexpected(found.error());
    if (!*found) return no_such(kShownKind, id);
    ObjectRow& row = **found;
    if (row.customer_id.empty()) {
      return fail(unexpected_state(
          "The payment method you provided is not attached to a customer so detachment is "
          "impossible."));
    }
    // A customer's default payment method stops being its default when it is detached.
    auto customer = find_owned(connection, call, kCustomerKind, row.customer_id);
    if (!customer) return unexpected(customer.error());
    if (*customer) {
      boost::json::value* settings = (*customer)->body.if_contains("invoice_settings");
      if (settings != nullptr && settings->is_object()) {
        boost::json::value& current = settings->as_object()["default_payment_method"];
        if (current.is_string() && current.as_string() == id) {
          current = nullptr;
          auto updated = unit.update(**customer);
          if (!updated) return unexpected(updated.error());
        }
      }
    }
    set_customer(row, "");
    auto updated = unit.update(row);
    if (!updated) return unexpected(updated.error());
    return reply_with(connection, call, std::move(row.body), *expand);
  });
}

// ---- Lists -----------------------------------------------------------------------------

// A customer's payment methods. `in_path`: the customer id came from the URL (a missing
// customer is 404) rather than the `customer` parameter (400 naming it).
Reply list_customer_payment_methods(Services& services, const Call& call,
                                    const std::string& customer_id, bool in_path, ListQuery& query,
                                    std::string url, const std::vector<std::string>& expand) {
  auto customer = read_owned(services, call, kCustomerKind, customer_id);
  if (!customer) return unavailable(call, customer.error().message);
  if (!*customer || (*customer)->deleted) {
    if (in_path) return no_such(kCustomerKind, customer_id);
    return fail(no_such_param(kCustomerKind, customer_id, "customer"));
  }
  query.customer_id = customer_id;
  return list_reply(services, call, query, std::move(url), expand);
}

// GET /v1/payment_methods?customer=cus_...: Stripe lists payment methods per customer only.
Reply list_payment_methods(Services& services, Call& call) {
  params::Reader reader(call.params);
  auto customer_id = required_id(reader, "customer");
  if (!customer_id) return fail(customer_id.error());
  auto type = reader.one_of("type", kTypes);
  if (!type) return fail(type.error());
  ListQuery query;
  if (auto bad = read_list_params(reader, call, kKind, query)) return fail(*bad);
  query.type = type->value_or("");
  auto expand = read_expand(reader, kKind, true);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  return list_customer_payment_methods(services, call, *customer_id, false, query,
                                       "/v1/payment_methods", *expand);
}

// GET /v1/customers/{id}/payment_methods
Reply list_payment_methods_of_customer(Services& services, Call& call) {
  params::Reader reader(call.params);
  auto type = reader.one_of("type", kTypes);
  if (!type) return fail(type.error());
  ListQuery query;
  if (auto bad = read_list_params(reader, call, kKind, query)) return fail(*bad);
  query.type = type->value_or("");
  auto expand = read_expand(reader, kKind, true);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  const std::string customer_id(call.request.path_param("id"));
  return list_customer_payment_methods(services, call, customer_id, true, query,
                                       "/v1/customers/" + customer_id + "/payment_methods",
                                       *expand);
}

// GET /v1/customers/{id}/payment_methods/{payment_method}: one of the customer's.
Reply retrieve_customer_payment_method(Services& services, Call& call) {
  auto expand = read_expand_only(call, kKind);
  if (!expand) return fail(expand.error());
  const std::string customer_id(call.request.path_param("id"));
  const std::string id(call.request.path_param("payment_method"));
  auto customer = read_owned(services, call, kCustomerKind, customer_id);
  if (!customer) return unavailable(call, customer.error().message);
  if (!*customer || (*customer)->deleted) return no_such(kCustomerKind, customer_id);
  auto row = read_owned(services, call, kKind, id);
  if (!row) return unavailable(call, row.error().message);
  if (!*row || (*row)->customer_id != customer_id) return no_such(kShownKind, id);
  return object_reply(services, call, std::move((*row)->body), *expand);
}

}  // namespace

ObjectRow card_payment_method(const Call& call, const TestCard& card, const Clock& clock) {
  ObjectRow row;
  row.id = new_id("pm", clock);
  row.kind = std::string(kKind);
  row.merchant_id = call.auth.merchant_id;
  row.livemode = call.auth.livemode;
  row.created = call.now_seconds();
  row.type = "card";
  row.internal["card_behaviour"] = to_string(card.behaviour);
  if (!card.test_name.empty()) row.internal["test_card"] = card.test_name;
  object& body = row.body;
  body["id"] = row.id;
  body["object"] = "payment_method";
  body["allow_redisplay"] = "unspecified";
  body["billing_details"] = empty_billing_details();
  body["card"] = card_json(card);
  body["created"] = row.created;
  body["customer"] = nullptr;
  body["customer_account"] = nullptr;
  body["livemode"] = row.livemode;
  body["metadata"] = object();
  body["type"] = "card";
  return row;
}

TestCard card_of(const ObjectRow& payment_method) {
  assert(payment_method.kind == kKind && payment_method.type == "card");
  // The body and internal were written by card_payment_method; anything else is corruption.
  const object& card = payment_method.body.at("card").as_object();
  TestCard out;
  out.brand = std::string(card.at("brand").as_string());
  out.funding = std::string(card.at("funding").as_string());
  out.country = std::string(card.at("country").as_string());
  out.last4 = std::string(card.at("last4").as_string());
  out.exp_month = card.at("exp_month").as_int64();
  out.exp_year = card.at("exp_year").as_int64();
  out.fingerprint = std::string(card.at("fingerprint").as_string());
  const auto behaviour =
      parse_card_behaviour(payment_method.internal.at("card_behaviour").as_string());
  assert(behaviour && "payment method row with an unknown card_behaviour");
  out.behaviour = behaviour.value_or(CardBehaviour::approve);
  return out;
}

store::StoreResult<std::optional<ObjectRow>> resolve_payment_method(Unit& unit, const Call& call,
                                                                    const Clock& clock,
                                                                    const std::string& id,
                                                                    const vault::Vault* vault) {
  auto owned = find_owned(unit.connection(), call, kKind, id);
  if (!owned) return unexpected(owned.error());
  if (*owned || call.auth.livemode) return owned;
  const auto card = test_card_for_id(id, utc_year_month(call.now_unix_ms).year, vault);
  if (!card) return std::optional<ObjectRow>();
  ObjectRow row = card_payment_method(call, *card, clock);
  auto inserted = unit.insert(row);
  if (!inserted) return unexpected(inserted.error());
  return std::optional<ObjectRow>(std::move(row));
}

void add_payment_method_routes(api::Router& router, Services& services) {
  add_route(router, services, "POST", "/v1/payment_methods", create_payment_method);
  add_route(router, services, "GET", "/v1/payment_methods", list_payment_methods);
  add_route(router, services, "GET", "/v1/payment_methods/{id}", retrieve_payment_method);
  add_route(router, services, "POST", "/v1/payment_methods/{id}", update_payment_method);
  add_route(router, services, "POST", "/v1/payment_methods/{id}/attach", attach_payment_method);
  add_route(router, services, "POST", "/v1/payment_methods/{id}/detach", detach_payment_method);
  add_route(router, services, "GET", "/v1/customers/{id}/payment_methods",
            list_payment_methods_of_customer);
  add_route(router, services, "GET", "/v1/customers/{id}/payment_methods/{payment_method}",
            retrieve_customer_payment_method);
}

}  // namespace till::payments
