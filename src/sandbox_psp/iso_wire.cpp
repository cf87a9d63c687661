// The ISO-8583-style wire: POST /iso/v1/messages, GET /iso/v1/transactions...
// (docs/sandbox-psp.md). Messages are JSON objects keyed by data-element number; every value
// is a string.
#include <boost/json/serialize.hpp>

#include "sandbox_psp/formats.h"
#include "sandbox_psp/routes.h"

namespace till::sandbox_psp {

namespace {

namespace json = boost::json;

constexpr std::string_view kPurchase = "000000";
constexpr std::string_view kRefund = "200000";
constexpr std::string_view kCodeInvalidTransaction = "12";
constexpr std::string_view kCodeInvalidAmount = "13";
constexpr std::string_view kCodeUnableToLocate = "25";
// Not a data element: the 3-D Secure result, a JSON boolean (true: the cardholder
// authenticated), as the JSON wire's three_d_secure.authenticated.
constexpr std::string_view k3ds = "3ds";

bool digits_only(std::string_view text, std::size_t length) {
  if (text.size() != length) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool alphanumeric(std::string_view text, std::size_t length) {
  if (text.size() != length) return false;
  for (const char c : text) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!ok) return false;
  }
  return true;
}

// A parsed, validated message. Absent optional fields are empty.
struct Message {
  std::string mti;
  std::string pan;  // field 2: only in memory, for the issuer's decision
  std::string processing_code;
  std::optional<std::int64_t> amount;
  std::string amount_text;
  std::string stan;
  std::int64_t exp_year = 0;
  std::int64_t exp_month = 0;
  std::string rrn;
  std::string reference;
  std::string currency;  // alphabetic, from field 49
  std::string currency_numeric;
  std::string original_message_id;  // field 90
  bool authenticated = false;
};

Operation operation_of(const Message& m) {
  if (m.mti == "0100") return Operation::authorize;
  if (m.mti == "0200")
    return m.processing_code == kRefund ? Operation::refund : Operation::authorize;
  if (m.mti == "0220") return Operation::capture;
  if (m.mti == "0400") return Operation::void_;
  return Operation::inquiry;
}

std::string answer_mti(std::string_view mti) {
  std::string answer(mti);
  answer[2] = static_cast<char>(answer[2] + 1);  // 0100 -> 0110, 0420 -> 0430
  return answer;
}

api::Response field_error(std::string_view code, std::string_view field,
                          const std::string& message) {
  return error_response(400, code, message, field);
}

// Reads and checks the fields the message type needs; a 400 names the first bad field.
Expected<Message, api::Response> parse_message(const json::object& object) {
  static constexpr std::string_view kKnown[] = {"mti", "2",  "3",  "4",  "11", "14",
                                                "37",  "44", "49", "90", k3ds};
  for (const auto& [key, value] : object) {
    bool known = false;
    for (const std::string_view name : kKnown) known = known || key == name;
    if (!known) {
      return unexpected(field_error("parameter_unknown", key, "unknown field " + std::string(key)));
    }
    if (key == k3ds) {
      if (!value.is_bool()) {
        return unexpected(field_error("parameter_invalid", key, "field 3ds must be true or false"));
      }
    } else if (!value.is_string()) {
      return unexpected(
          field_error("parameter_invalid", key, "field " + std::string(key) + " must be a string"));
    }
  }
  const auto text = [&](std::string_view field) -> std::string {
    const json::value* value = object.if_contains(field);
    return value == nullptr || !value->is_string() ? std::string()
                                                   : std::string(value->get_string());
  };
  const auto missing = [](std::string_view field) {
    return unexpected(
        field_error("parameter_missing", field, "field " + std::string(field) + " is required"));
  };
  Message m;
  m.mti = text("mti");
  if (m.mti.empty()) return missing("mti");
  if (m.mti != "0100" && m.mti != "0200" && m.mti != "0220" && m.mti != "0400" && m.mti != "0420") {
    return unexpected(
        field_error("parameter_invalid", "mti", "mti must be 0100, 0200, 0220, 0400 or 0420"));
  }
  m.stan = text("11");
  if (m.stan.empty()) return missing("11");
  if (!digits_only(m.stan, 6)) {
    return unexpected(field_error("parameter_invalid", "11", "field 11 (STAN) must be 6 digits"));
  }
  m.processing_code = text("3");
  if (m.mti == "0100" || m.mti == "0200") {
    if (m.processing_code.empty()) return missing("3");
    if (m.processing_code != kPurchase && (m.mti == "0100" || m.processing_code != kRefund)) {
      return unexpected(field_error("parameter_invalid", "3",
                                    m.mti == "0100"
                                        ? "field 3 must be 000000 (purchase) in a 0100"
                                        : "field 3 must be 000000 (purchase) or 200000 (refund)"));
    }
  }
  const bool purchase = (m.mti == "0100" || m.mti == "0200") && m.processing_code == kPurchase;

  m.amount_text = text("4");
  if (!m.amount_text.empty()) {
    if (!digits_only(m.amount_text, kIsoAmountDigits) || m.amount_text == "000000000000") {
      return unexpected(field_error("parameter_invalid", "4",
                                    "field 4 must be a positive amount of 12 digits, "
                                    "zero-padded (000000002000)"));
    }
    m.amount = std::stoll(m.amount_text);
  } else if (purchase || m.processing_code == kRefund) {
    return missing("4");
  }

  const std::string numeric = text("49");
  if (!numeric.empty()) {
    const auto alpha = currency_alpha(numeric);
    if (!digits_only(numeric, 3) || !alpha) {
      return unexpected(field_error("parameter_invalid", "49",
                                    "field 49 must be a supported ISO 4217 numeric code (840)"));
    }
    m.currency = *alpha;
    m.currency_numeric = numeric;
  } else if (purchase) {
    return missing("49");
  }

  if (purchase) {
    m.pan = text("2");
    if (m.pan.empty()) return missing("2");
    if (m.pan.size() > kCardNumberDigitsMax || !digits_only(m.pan, m.pan.size())) {
      return unexpected(
          field_error("parameter_invalid", "2", "field 2 (PAN) must be up to 19 digits"));
    }
    const std::string expiry = text("14");
    if (expiry.empty()) return missing("14");
    if (!digits_only(expiry, 4) || std::stoi(expiry.substr(2)) < 1 ||
        std::stoi(expiry.substr(2)) > 12) {
      return unexpected(field_error("parameter_invalid", "14", "field 14 must be YYMM"));
    }
    m.exp_year = 2000 + std::stoi(expiry.substr(0, 2));
    m.exp_month = std::stoi(expiry.substr(2));
    m.reference = text("44");
    if (m.reference.empty()) return missing("44");
    if (m.reference.size() > kReferenceBytesMax) {
      return unexpected(field_error("parameter_invalid", "44", "field 44 is at most 255 bytes"));
    }
    const json::value* secure = object.if_contains(k3ds);
    m.authenticated = secure != nullptr && secure->get_bool();
  }

  if (m.mti == "0220" || m.mti == "0400" || m.processing_code == kRefund) {
    m.rrn = text("37");
    if (m.rrn.empty()) return missing("37");
    if (!alphanumeric(m.rrn, 12)) {
      return unexpected(
          field_error("parameter_invalid", "37", "field 37 (RRN) must be 12 letters or digits"));
    }
  }
  if (m.mti == "0420") {
    m.original_message_id = text("90");
    if (m.original_message_id.empty()) return missing("90");
    if (m.original_message_id.size() > kIdempotencyKeyBytesMax) {
      return unexpected(field_error("parameter_invalid", "90", "field 90 is at most 255 bytes"));
    }
  }
  return m;
}

Answer ok(const json::object& body) { return Answer{200, json::serialize(body), false}; }

// An answer: mti and the echoed STAN first, then `fields`.
json::object answer_to(const Message& m, const json::object& fields) {
  json::object out;
  out["mti"] = answer_mti(m.mti);
  out["11"] = m.stan;
  for (const auto& [key, value] : fields) out[key] = value;
  return out;
}

// An answer about authorization `a`: its fields, with what the message echoes.
json::object answer_about(const Authorization& a, const Message& m) {
  json::object out = answer_to(m, iso_transaction_fields(a));
  if (!m.amount_text.empty()) out["4"] = m.amount_text;
  return out;
}

// A follow-up the processor refuses (unknown original, wrong state, amount too large).
json::object refusal(const Message& m, std::string_view code, const Authorization* a) {
  json::object out = answer_to(m, a != nullptr ? iso_transaction_fields(*a) : json::object());
  out.erase("38");
  out["37"] = m.rrn;
  if (!m.amount_text.empty()) out["4"] = m.amount_text;
  if (!m.currency_numeric.empty()) out["49"] = m.currency_numeric;
  out["39"] = code;
  return out;
}

StoreResult<Outcome> purchase(RouteContext& context, Connection& connection, const Message& m,
                              const std::string& key, bool soft_decline) {
  AuthorizeInput input;
  input.idempotency_key = key;
  input.reference = m.reference;
  input.amount = *m.amount;
  input.currency = m.currency;
  input.capture = m.mti == "0200";
  input.card = CardInput{m.pan, m.exp_month, m.exp_year, m.authenticated};
  input.soft_decline = soft_decline;
  auto a = context.processor.authorize(connection, input);
  if (!a) return Unexpected(std::move(a).error());
  return Outcome{ok(answer_about(*a, m)), true, a->id};
}

StoreResult<Outcome> follow_up(RouteContext& context, Connection& connection, const Message& m) {
  auto found = find_authorization_by_rrn(connection, m.rrn);
  if (!found) return Unexpected(std::move(found).error());
  if (!found->has_value()) return Outcome{ok(refusal(m, kCodeUnableToLocate, nullptr)), true, {}};
  Authorization a = std::move(**found);
  if (!m.currency.empty() && m.currency != a.currency) {
    return Outcome{
        {400,
         error_body("parameter_invalid", "field 49 does not match the original's currency", "49"),
         false},
        false,
        std::nullopt};
  }
  StoreResult<Change> change = m.mti == "0220" ? context.processor.capture(connection, a, m.amount)
                               : m.mti == "0400"
                                   ? context.processor.void_authorization(connection, a)
                                   : context.processor.refund(connection, a, *m.amount);
  if (!change) return Unexpected(std::move(change).error());
  if (change->refusal != Refusal::none) {
    const std::string_view code =
        change->refusal == Refusal::amount_too_large ? kCodeInvalidAmount : kCodeInvalidTransaction;
    return Outcome{ok(refusal(m, code, &change->authorization)), true, std::nullopt};
  }
  json::object out = answer_about(change->authorization, m);
  if (m.mti == "0400") out["4"] = iso_amount(change->authorization.amount);
  return Outcome{ok(out), true, change->authorization.id};
}

StoreResult<Outcome> reversal_of_unknown(RouteContext& context, Connection& connection,
                                         const Message& m) {
  auto inquiry = context.processor.inquire(connection, m.original_message_id);
  if (!inquiry) return Unexpected(std::move(inquiry).error());
  json::object out;
  if (inquiry->found) {
    // The original's fields, its response code in 39: "00" when it was approved.
    out = answer_to(m, iso_transaction_fields(*inquiry->found));
  } else {
    out = answer_to(m, json::object{{"39", kCodeUnableToLocate}});
  }
  out["90"] = m.original_message_id;
  return Outcome{ok(out), true, std::nullopt};
}

api::Response message(RouteContext& context, api::Request& request) {
  if (auto refused = check_credential(request.header("X-Acquirer-Key"), context.options.api_key,
                                      "X-Acquirer-Key")) {
    return *refused;
  }
  auto key = idempotency_key(request, "X-Message-Id");
  if (!key) return key.error();
  auto body = parse_object(request.body, false);
  if (!body) return body.error();
  auto parsed = parse_message(*body);
  if (!parsed) return parsed.error();
  const Message& m = *parsed;
  auto plan = admit(context, operation_of(m));
  if (!plan) return plan.error();
  const std::string hash =
      context.processor.request_hash(request.method, request.path, request.body);
  auto answer =
      context.processor.run_post(*key, hash, [&](Connection& connection) -> StoreResult<Outcome> {
        if (m.mti == "0420") return reversal_of_unknown(context, connection, m);
        if (m.mti == "0100" || (m.mti == "0200" && m.processing_code == kPurchase)) {
          return purchase(context, connection, m, *key, plan->soft_decline);
        }
        return follow_up(context, connection, m);
      });
  if (!answer) return store_failure(answer.error());
  return deliver(answer_response(*answer), *plan);
}

// GET /iso/v1/transactions/{rrn} and GET /iso/v1/transactions?message_id=K.
api::Response transaction(RouteContext& context, api::Request& request, bool by_message_id) {
  if (auto refused = check_credential(request.header("X-Acquirer-Key"), context.options.api_key,
                                      "X-Acquirer-Key")) {
    return *refused;
  }
  std::string wanted(request.path_param("rrn"));
  if (by_message_id) {
    auto id = query_param(request.query, "message_id");
    if (!id || id->empty()) {
      return error_response(400, "parameter_missing", "message_id is required", "message_id");
    }
    wanted = std::move(*id);
  }
  auto plan = admit(context, Operation::lookup);
  if (!plan) return plan.error();
  std::optional<Authorization> found;
  auto done = context.processor.database().read([&](Connection& connection) -> StoreResult<void> {
    auto a = by_message_id ? find_authorization_by_key(connection, wanted)
                           : find_authorization_by_rrn(connection, wanted);
    if (!a) return Unexpected(std::move(a).error());
    found = std::move(*a);
    return {};
  });
  if (!done) return store_failure(done.error());
  if (!found) {
    return deliver(error_response(404, "resource_missing", "no such transaction"), *plan);
  }
  return deliver(api::json_response(200, json::serialize(iso_transaction_fields(*found))), *plan);
}

}  // namespace

void add_iso_routes(api::Router& router, RouteContext& context) {
  using api::Execution;
  RouteContext* c = &context;
  router.add("POST", "/iso/v1/messages", Execution::blocking,
             [c](api::Request& r) { return message(*c, r); });
  router.add("GET", "/iso/v1/transactions/{rrn}", Execution::blocking,
             [c](api::Request& r) { return transaction(*c, r, false); });
  router.add("GET", "/iso/v1/transactions", Execution::blocking,
             [c](api::Request& r) { return transaction(*c, r, true); });
}

}  // namespace till::sandbox_psp
