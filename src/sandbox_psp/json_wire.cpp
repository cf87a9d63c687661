// The JSON REST wire: /v1/authorizations..., /v1/inquiries (docs/sandbox-psp.md).
#include <boost/json/serialize.hpp>

#include "obs/log.h"
#include "sandbox_psp/formats.h"
#include "sandbox_psp/routes.h"

namespace till::sandbox_psp {

namespace {

namespace json = boost::json;

constexpr std::int64_t kExpYearMin = 1970;
constexpr std::int64_t kExpYearMax = 9999;

bool all_digits(std::string_view text) {
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

bool is_lower_alpha3(std::string_view text) {
  if (text.size() != 3) return false;
  for (const char c : text) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

Answer ok(const json::object& body) { return Answer{200, json::serialize(body), false}; }

Outcome state_refusal(const Change& change, std::string_view what) {
  const Authorization& a = change.authorization;
  if (change.refusal == Refusal::amount_too_large) {
    const std::string limit = what == "refund"
                                  ? "the captured amount not yet refunded (" +
                                        std::to_string(a.captured_amount - a.refunded_amount) + ")"
                                  : "the authorized amount (" + std::to_string(a.amount) + ")";
    return Outcome{
        {400, error_body("amount_too_large", "amount exceeds " + limit, "amount"), false},
        true,
        std::nullopt};
  }
  return Outcome{{409,
                  error_body("invalid_state", "authorization " + a.id + " is " + a.status +
                                                  "; it cannot be " + std::string(what) + "d"),
                  false},
                 true,
                 std::nullopt};
}

Outcome not_found(const std::string& id) {
  return Outcome{
      {404, error_body("resource_missing", "no authorization " + id), false}, true, std::nullopt};
}

// The shared frame of every JSON POST: credentials, key, faults, then `work` (which parses the
// body and runs the operation through run_post).
template <class Work>
api::Response post(RouteContext& context, api::Request& request, Operation operation, Work&& work) {
  if (auto refused = check_credential(bearer_token(request), context.options.api_key, "API key")) {
    return *refused;
  }
  auto key = idempotency_key(request, "Idempotency-Key");
  if (!key) return key.error();
  auto plan = admit(context, operation);
  if (!plan) return plan.error();
  const std::string hash =
      context.processor.request_hash(request.method, request.path, request.body);
  Expected<Answer, api::Response> answer = work(*key, hash, *plan);
  if (!answer) return answer.error();
  return deliver(answer_response(*answer), *plan);
}

Expected<Answer, api::Response> run(RouteContext& context, const std::string& key,
                                    const std::string& hash, const PostWork& work) {
  auto answer = context.processor.run_post(key, hash, work);
  if (!answer) return unexpected(store_failure(answer.error()));
  return *answer;
}

api::Response create_authorization(RouteContext& context, api::Request& request) {
  return post(
      context, request, Operation::authorize,
      [&](const std::string& key, const std::string& hash,
          const FaultPlan& plan) -> Expected<Answer, api::Response> {
        auto body = parse_object(request.body, false);
        if (!body) return unexpected(body.error());
        FieldReader fields(
            *body, "", {"amount", "currency", "capture", "reference", "card", "three_d_secure"});
        AuthorizeInput input;
        input.idempotency_key = key;
        input.amount = fields.integer("amount", true, 1, kAmountMax).value_or(0);
        input.currency = fields.string("currency", true, 3).value_or("");
        if (fields.ok() &&
            (!is_lower_alpha3(input.currency) || !currency_numeric(input.currency))) {
          fields.invalid("currency",
                         "currency must be a supported ISO 4217 code in lower case, such as usd");
        }
        input.capture = fields.boolean("capture", true).value_or(false);
        input.reference = fields.string("reference", true, kReferenceBytesMax).value_or("");
        const json::object* card = fields.object("card", true);
        const json::object* three_d_secure = fields.object("three_d_secure", false);
        if (!fields.ok()) return unexpected(fields.error());

        FieldReader card_fields(*card, "card", {"number", "exp_month", "exp_year", "cvc"});
        const std::string number =
            card_fields.string("number", true, kCardNumberDigitsMax).value_or("");
        if (card_fields.ok() && !all_digits(number)) {
          card_fields.invalid("number", "card.number must be the card's digits, without spaces");
        }
        input.card.exp_month = card_fields.integer("exp_month", true, 1, 12).value_or(0);
        input.card.exp_year =
            card_fields.integer("exp_year", true, kExpYearMin, kExpYearMax).value_or(0);
        // The CVC is checked for shape and then forgotten: it is never stored or logged.
        const std::string cvc = card_fields.string("cvc", false, 4).value_or("000");
        if (card_fields.ok() && (cvc.size() < 3 || !all_digits(cvc))) {
          card_fields.invalid("cvc", "card.cvc must be 3 or 4 digits");
        }
        if (!card_fields.ok()) return unexpected(card_fields.error());
        if (three_d_secure != nullptr) {
          FieldReader secure(*three_d_secure, "three_d_secure", {"authenticated"});
          input.card.authenticated = secure.boolean("authenticated", true).value_or(false);
          if (!secure.ok()) return unexpected(secure.error());
        }
        input.card.number = number;
        input.soft_decline = plan.soft_decline;
        return run(context, key, hash, [&](Connection& connection) -> StoreResult<Outcome> {
          auto a = context.processor.authorize(connection, input);
          if (!a) return Unexpected(std::move(a).error());
          return Outcome{ok(authorization_json(*a)), true, a->id};
        });
      });
}

// Capture, void and refund: find the authorization named in the path, then `change` it.
template <class Change_>
Expected<Answer, api::Response> follow_up(RouteContext& context, api::Request& request,
                                          const std::string& key, const std::string& hash,
                                          std::string_view what, Change_&& change) {
  const std::string id(request.path_param("id"));
  return run(context, key, hash, [&](Connection& connection) -> StoreResult<Outcome> {
    auto found = find_authorization_by_id(connection, id);
    if (!found) return Unexpected(std::move(found).error());
    if (!found->has_value()) return not_found(id);
    auto changed = change(connection, std::move(**found));
    if (!changed) return Unexpected(std::move(changed).error());
    if (changed->refusal != Refusal::none) return state_refusal(*changed, what);
    json::object body =
        changed->refund ? json::object() : authorization_json(changed->authorization);
    if (changed->refund) {
      const Refund& refund = *changed->refund;
      body["id"] = refund.id;
      body["object"] = "refund";
      body["authorization"] = refund.authorization_id;
      body["amount"] = refund.amount;
      body["currency"] = refund.currency;
      body["status"] = "succeeded";
      body["created"] = refund.created_unix_ms / 1000;
    }
    return Outcome{ok(body), true, changed->authorization.id};
  });
}

api::Response capture_authorization(RouteContext& context, api::Request& request) {
  return post(context, request, Operation::capture,
              [&](const std::string& key, const std::string& hash,
                  const FaultPlan&) -> Expected<Answer, api::Response> {
                auto body = parse_object(request.body, true);
                if (!body) return unexpected(body.error());
                FieldReader fields(*body, "", {"amount"});
                const auto amount = fields.integer("amount", false, 1, kAmountMax);
                if (!fields.ok()) return unexpected(fields.error());
                return follow_up(context, request, key, hash, "capture",
                                 [&](Connection& connection, Authorization a) {
                                   return context.processor.capture(connection, std::move(a),
                                                                    amount);
                                 });
              });
}

api::Response void_authorization(RouteContext& context, api::Request& request) {
  return post(context, request, Operation::void_,
              [&](const std::string& key, const std::string& hash,
                  const FaultPlan&) -> Expected<Answer, api::Response> {
                auto body = parse_object(request.body, true);
                if (!body) return unexpected(body.error());
                FieldReader fields(*body, "", {});
                if (!fields.ok()) return unexpected(fields.error());
                return follow_up(context, request, key, hash, "void",
                                 [&](Connection& connection, Authorization a) {
                                   return context.processor.void_authorization(connection,
                                                                               std::move(a));
                                 });
              });
}

api::Response refund_authorization(RouteContext& context, api::Request& request) {
  return post(
      context, request, Operation::refund,
      [&](const std::string& key, const std::string& hash,
          const FaultPlan&) -> Expected<Answer, api::Response> {
        auto body = parse_object(request.body, false);
        if (!body) return unexpected(body.error());
        FieldReader fields(*body, "", {"amount"});
        const std::int64_t amount = fields.integer("amount", true, 1, kAmountMax).value_or(0);
        if (!fields.ok()) return unexpected(fields.error());
        return follow_up(context, request, key, hash, "refund",
                         [&](Connection& connection, Authorization a) {
                           return context.processor.refund(connection, std::move(a), amount);
                         });
      });
}

api::Response inquire(RouteContext& context, api::Request& request) {
  return post(context, request, Operation::inquiry,
              [&](const std::string& key, const std::string& hash,
                  const FaultPlan&) -> Expected<Answer, api::Response> {
                auto body = parse_object(request.body, false);
                if (!body) return unexpected(body.error());
                FieldReader fields(*body, "", {"idempotency_key"});
                const std::string target =
                    fields.string("idempotency_key", true, kIdempotencyKeyBytesMax).value_or("");
                if (!fields.ok()) return unexpected(fields.error());
                return run(context, key, hash, [&](Connection& connection) -> StoreResult<Outcome> {
                  auto inquiry = context.processor.inquire(connection, target);
                  if (!inquiry) return Unexpected(std::move(inquiry).error());
                  json::object answer;
                  answer["found"] = inquiry->found.has_value();
                  if (inquiry->found) {
                    answer["authorization"] = authorization_json(*inquiry->found);
                  } else {
                    answer["cancelled"] = true;
                    obs::info("inquiry closed an idempotency key", {{"psp", context.options.name}});
                  }
                  return Outcome{ok(answer), true, std::nullopt};
                });
              });
}

// GET /v1/authorizations/{id} and GET /v1/authorizations?idempotency_key=K.
api::Response retrieve(RouteContext& context, api::Request& request, bool by_key) {
  if (auto refused = check_credential(bearer_token(request), context.options.api_key, "API key")) {
    return *refused;
  }
  std::string wanted(request.path_param("id"));
  if (by_key) {
    auto key = query_param(request.query, "idempotency_key");
    if (!key || key->empty()) {
      return error_response(400, "parameter_missing", "idempotency_key is required",
                            "idempotency_key");
    }
    wanted = std::move(*key);
  }
  auto plan = admit(context, Operation::lookup);
  if (!plan) return plan.error();
  std::optional<Authorization> found;
  auto done = context.processor.database().read([&](Connection& connection) -> StoreResult<void> {
    auto a = by_key ? find_authorization_by_key(connection, wanted)
                    : find_authorization_by_id(connection, wanted);
    if (!a) return Unexpected(std::move(a).error());
    found = std::move(*a);
    return {};
  });
  if (!done) return store_failure(done.error());
  if (!found) {
    return deliver(error_response(404, "resource_missing",
                                  by_key ? "no authorization under this idempotency key"
                                         : "no authorization " + wanted),
                   *plan);
  }
  return deliver(api::json_response(200, json::serialize(authorization_json(*found))), *plan);
}

}  // namespace

void add_json_routes(api::Router& router, RouteContext& context) {
  using api::Execution;
  RouteContext* c = &context;
  router.add("POST", "/v1/authorizations", Execution::blocking,
             [c](api::Request& r) { return create_authorization(*c, r); });
  router.add("POST", "/v1/authorizations/{id}/capture", Execution::blocking,
             [c](api::Request& r) { return capture_authorization(*c, r); });
  router.add("POST", "/v1/authorizations/{id}/void", Execution::blocking,
             [c](api::Request& r) { return void_authorization(*c, r); });
  router.add("POST", "/v1/authorizations/{id}/refunds", Execution::blocking,
             [c](api::Request& r) { return refund_authorization(*c, r); });
  router.add("GET", "/v1/authorizations/{id}", Execution::blocking,
             [c](api::Request& r) { return retrieve(*c, r, false); });
  router.add("GET", "/v1/authorizations", Execution::blocking,
             [c](api::Request& r) { return retrieve(*c, r, true); });
  router.add("POST", "/v1/inquiries", Execution::blocking,
             [c](api::Request& r) { return inquire(*c, r); });
}

}  // namespace till::sandbox_psp
