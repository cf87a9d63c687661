// Inspection, reports and fault injection (admin token): GET /charges, GET
// /settlements/YYYY-MM-DD.csv, POST/GET/DELETE /admin/faults. Faults never apply here.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "obs/log.h"
#include "sandbox_psp/formats.h"
#include "sandbox_psp/routes.h"
#include "sandbox_psp/settlement.h"

namespace till::sandbox_psp {

namespace {

namespace json = boost::json;

std::optional<api::Response> check_admin(RouteContext& context, const api::Request& request) {
  return check_credential(bearer_token(request), context.options.admin_token, "admin token");
}

json::object charge_json(const Authorization& a) {
  json::object out;
  out["id"] = a.id;
  out["idempotency_key"] = a.idempotency_key;
  out["reference"] = a.reference;
  out["status"] = a.status;
  out["amount"] = a.amount;
  out["captured_amount"] = a.captured_amount;
  out["refunded_amount"] = a.refunded_amount;
  out["currency"] = a.currency;
  out["created"] = a.created_unix_ms / 1000;
  out["rrn"] = a.rrn;
  if (a.decline_code.empty()) {
    out["decline_code"] = nullptr;
  } else {
    out["decline_code"] = a.decline_code;
  }
  return out;
}

api::Response charges(RouteContext& context, api::Request& request) {
  if (auto refused = check_admin(context, request)) return *refused;
  std::int64_t limit = kChargesPageMax;
  if (auto text = query_param(request.query, "limit")) {
    const auto [end, failure] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (failure != std::errc() || end != text->data() + text->size() || limit < 1 ||
        limit > kChargesPageMax) {
      return error_response(400, "parameter_invalid", "limit must be an integer from 1 to 1000",
                            "limit");
    }
  }
  const std::string after = query_param(request.query, "starting_after").value_or("");
  std::optional<std::vector<Authorization>> page;
  auto done = context.processor.database().read([&](Connection& connection) -> StoreResult<void> {
    // One more than asked tells whether another page follows.
    auto listed = list_authorizations(connection, after, limit + 1);
    if (!listed) return Unexpected(std::move(listed).error());
    page = std::move(*listed);
    return {};
  });
  if (!done) return store_failure(done.error());
  if (!page) {
    return error_response(400, "parameter_invalid", "starting_after names no authorization",
                          "starting_after");
  }
  const bool has_more = static_cast<std::int64_t>(page->size()) > limit;
  if (has_more) page->pop_back();
  json::array data;
  data.reserve(page->size());
  for (const Authorization& a : *page) data.push_back(charge_json(a));
  json::object body;
  body["data"] = std::move(data);
  body["has_more"] = has_more;
  return api::json_response(200, json::serialize(body));
}

api::Response settlement(RouteContext& context, api::Request& request) {
  if (auto refused = check_admin(context, request)) return *refused;
  const std::string_view file = request.path_param("file");
  const auto day = parse_settlement_file_name(file);
  if (!day) {
    return error_response(404, "resource_missing",
                          "settlement reports are named YYYY-MM-DD.csv (a valid UTC date)");
  }
  std::vector<BookedMovement> rows;
  auto done = context.processor.database().read([&](Connection& connection) -> StoreResult<void> {
    auto booked = booked_between(connection, day->start_unix_ms, day->end_unix_ms);
    if (!booked) return Unexpected(std::move(booked).error());
    rows = std::move(*booked);
    return {};
  });
  if (!done) return store_failure(done.error());
  return api::text_response(200, "text/csv", settlement_csv(rows, day->date, context.options.wire));
}

api::Response get_faults(RouteContext& context, api::Request& request) {
  if (auto refused = check_admin(context, request)) return *refused;
  return api::json_response(200, json::serialize(faults_to_json(context.faults.get())));
}

api::Response set_faults(RouteContext& context, api::Request& request) {
  if (auto refused = check_admin(context, request)) return *refused;
  boost::system::error_code failure;
  const json::value body = json::parse(request.body, failure);
  if (failure) return error_response(400, "body_invalid", "the body must be a JSON object");
  auto config = parse_faults(body);
  if (!config) {
    return error_response(400, "parameter_invalid", config.error().message, config.error().param);
  }
  context.faults.set(*config);
  const std::string shown = json::serialize(faults_to_json(*config));
  obs::info("faults set", {{"psp", context.options.name}, {"faults", shown}});
  return api::json_response(200, shown);
}

api::Response clear_faults(RouteContext& context, api::Request& request) {
  if (auto refused = check_admin(context, request)) return *refused;
  context.faults.set(FaultConfig{});
  obs::info("faults cleared", {{"psp", context.options.name}});
  return api::json_response(200, json::serialize(faults_to_json(FaultConfig{})));
}

}  // namespace

void add_admin_routes(api::Router& router, RouteContext& context) {
  using api::Execution;
  RouteContext* c = &context;
  router.add("GET", "/charges", Execution::blocking,
             [c](api::Request& r) { return charges(*c, r); });
  router.add("GET", "/settlements/{file}", Execution::blocking,
             [c](api::Request& r) { return settlement(*c, r); });
  router.add("GET", "/admin/faults", Execution::blocking,
             [c](api::Request& r) { return get_faults(*c, r); });
  router.add("POST", "/admin/faults", Execution::blocking,
             [c](api::Request& r) { return set_faults(*c, r); });
  router.add("DELETE", "/admin/faults", Execution::blocking,
             [c](api::Request& r) { return clear_faults(*c, r); });
}

}  // namespace till::sandbox_psp
