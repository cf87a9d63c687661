#include "sandbox_psp/formats.h"

#include <boost/json/serialize.hpp>
#include <cassert>

#include "sandbox_psp/cards.h"

namespace till::sandbox_psp {

namespace json = boost::json;

std::string error_body(std::string_view code, std::string_view message, std::string_view param) {
  json::object error;
  error["code"] = code;
  error["message"] = message;
  if (!param.empty()) error["param"] = param;
  json::object body;
  body["error"] = std::move(error);
  return json::serialize(body);
}

json::object authorization_json(const Authorization& a) {
  json::object card;
  card["brand"] = a.card_brand;
  card["last4"] = a.card_last4;
  json::object out;
  out["id"] = a.id;
  out["object"] = "authorization";
  out["idempotency_key"] = a.idempotency_key;
  out["reference"] = a.reference;
  out["status"] = a.status;
  out["amount"] = a.amount;
  out["currency"] = a.currency;
  out["captured_amount"] = a.captured_amount;
  out["refunded_amount"] = a.refunded_amount;
  if (a.decline_code.empty()) {
    out["decline_code"] = nullptr;
    out["message"] = nullptr;
  } else {
    out["decline_code"] = a.decline_code;
    out["message"] = a.message;
  }
  out["card"] = std::move(card);
  out["created"] = a.created_unix_ms / 1000;
  return out;
}

std::string iso_amount(std::int64_t amount) {
  assert(amount >= 0 && amount < kAmountMax * 10);
  std::string digits = std::to_string(amount);
  return std::string(kIsoAmountDigits - digits.size(), '0') + digits;
}

json::object iso_transaction_fields(const Authorization& a) {
  json::object out;
  out["4"] = iso_amount(a.amount);
  out["37"] = a.rrn;
  if (!a.approval_code.empty()) out["38"] = a.approval_code;
  out["39"] = a.response_code;
  out["44"] = a.reference;
  out["49"] = currency_numeric(a.currency).value_or("");
  out["status"] = a.status;
  out["message_id"] = a.idempotency_key;
  out["captured_amount"] = iso_amount(a.captured_amount);
  out["refunded_amount"] = iso_amount(a.refunded_amount);
  return out;
}

std::string event_type(const Authorization& a) {
  if (a.status == "partially_refunded") return "authorization.refunded";
  return "authorization." + a.status;
}

std::string webhook_body(Wire wire, const std::string& event_id, const std::string& type,
                         const Authorization& a, std::int64_t created_unix_s) {
  if (wire == Wire::json) {
    json::object event;
    event["id"] = event_id;
    event["type"] = type;
    event["created"] = created_unix_s;
    event["data"] = authorization_json(a);
    return json::serialize(event);
  }
  json::object advice;
  advice["mti"] = "0620";
  advice["37"] = a.rrn;
  advice["39"] = a.response_code;
  advice["4"] = iso_amount(a.amount);
  advice["49"] = currency_numeric(a.currency).value_or("");
  advice["44"] = a.reference;
  advice["status"] = a.status;
  advice["message_id"] = a.idempotency_key;
  advice["event_id"] = event_id;
  advice["type"] = type;
  advice["captured_amount"] = iso_amount(a.captured_amount);
  advice["refunded_amount"] = iso_amount(a.refunded_amount);
  advice["created"] = created_unix_s;
  return json::serialize(advice);
}

}  // namespace till::sandbox_psp
