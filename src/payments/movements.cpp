#include "payments/movements.h"

#include "base/ids.h"
#include "obs/log.h"

namespace till::payments {

ObjectRow new_balance_transaction(const Call& call, const Clock& clock, std::int64_t amount,
                                  const std::string& currency, std::string_view type,
                                  const std::string& source_id, std::string_view status,
                                  std::int64_t available_on, std::string_view description) {
  ObjectRow row;
  row.id = new_id("txn", clock);
  row.kind = "balance_transaction";
  row.merchant_id = call.auth.merchant_id;
  row.livemode = call.auth.livemode;
  row.created = call.now_seconds();
  row.parent_id = source_id;
  row.type = std::string(type);
  row.status = std::string(status);
  boost::json::object& body = row.body;
  body["id"] = row.id;
  body["object"] = "balance_transaction";
  body["amount"] = amount;
  body["available_on"] = available_on;
  body["balance_type"] = "payments";
  body["created"] = row.created;
  body["currency"] = currency;
  body["description"] =
      description.empty() ? boost::json::value(nullptr) : boost::json::value(description);
  body["exchange_rate"] = nullptr;
  body["fee"] = 0;
  body["fee_details"] = boost::json::array();
  body["net"] = amount;
  body["reporting_category"] = type;
  body["source"] = source_id;
  body["status"] = status;
  body["type"] = type;
  return row;
}

ledger::EntrySpec transfer(const std::string& debit_account, const std::string& credit_account,
                           std::int64_t amount, std::string description) {
  ledger::EntrySpec spec;
  spec.postings = {{debit_account, ledger::Side::debit, amount},
                   {credit_account, ledger::Side::credit, amount}};
  spec.description = std::move(description);
  return spec;
}

Reply ledger_refused(const Call& call, const ledger::LedgerError& error) {
  obs::error(
      "the ledger refused a payment's entries",
      {{"request_id", call.request.request_id}, {"code", error.code}, {"error", error.message}});
  if (error.code == "ledger_unavailable" || error.code == "ledger_overloaded" ||
      error.code == "ledger_stopping") {
    return fail(api::service_unavailable("the ledger is unavailable; retry the request"));
  }
  return fail(api::internal_error());
}

std::string text_of(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return "";
  return std::string(value->as_string());
}

std::int64_t int_of(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_int64()) return 0;
  return value->as_int64();
}

bool bool_of(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->as_bool();
}

std::string ledger_currency(std::string_view currency) {
  std::string upper(currency);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

}  // namespace till::payments
