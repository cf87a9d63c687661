// A merchant API in-process over a real database (SQLite or PostgreSQL): the ledger, the
// merchant store and authenticator, and every /v1 route, called through the router as the
// server would (no sockets). For the payments tests; the compatibility suite in tests/compat
// drives the real binary with the official SDK.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <optional>
#include <string>

#include "events/delivery_store.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"
#include "merchant/merchant.h"
#include "payments/payments.h"
#include "payments/service.h"
#include "support/route_request.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::payments::testing {

struct ApiReply {
  unsigned status = 0;
  boost::json::object body;
  std::vector<std::pair<std::string, std::string>> headers;

  const boost::json::object& error() const { return body.at("error").as_object(); }
  std::string error_field(std::string_view key) const {
    const auto* field = error().if_contains(key);
    return field == nullptr || !field->is_string() ? std::string()
                                                   : std::string(field->as_string());
  }
  std::string text(std::string_view key) const {
    const auto* field = body.if_contains(key);
    return field == nullptr || !field->is_string() ? std::string()
                                                   : std::string(field->as_string());
  }
  std::int64_t integer(std::string_view key) const { return body.at(key).as_int64(); }
  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return "";
  }
};

class PaymentsFixture : public ::testing::TestWithParam<store::Dialect> {
 protected:
  void SetUp() override {
    auto database = till::testing::open_fresh_database(GetParam(), temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    ledger_ = std::make_unique<ledger::Ledger>(*database_, clock_);
    merchants_ = std::make_unique<merchant::MerchantStore>(*database_, clock_);
    authenticator_ = std::make_unique<merchant::Authenticator>(*merchants_);
    api_ = std::make_unique<PaymentsApi>(*database_, *ledger_, clock_, *authenticator_);
    api_->add_routes(router_);
    key_ = new_merchant_key();
  }
  void TearDown() override {
    api_.reset();
    authenticator_.reset();
    merchants_.reset();
    ledger_.reset();
    database_.reset();
  }

  std::string new_merchant_key(bool live = false) {
    merchant::MerchantSpec spec;
    spec.name = "Test merchant";
    auto created = merchants_->create_merchant(spec);
    EXPECT_TRUE(created);
    if (!created) return "";
    if (merchant_id_.empty()) merchant_id_ = created->merchant.id;
    if (!live) return created->test_key->secret;
    auto issued = merchants_->issue_key(created->merchant.id, merchant::Mode::live);
    EXPECT_TRUE(issued);
    return issued ? issued->secret : "";
  }

  // Calls the route for (method, target) as the server would. `body` is a form body.
  ApiReply call(std::string_view method, std::string_view target, std::string_view body = "",
                const std::string& idempotency_key = "", std::optional<std::string> key = {}) {
    const std::string authorization = "Bearer " + key.value_or(key_);
    api::HeaderList headers;
    headers.emplace_back("Authorization", authorization);
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
    auto routed = till::testing::route_request(router_, method, target, body, headers);
    if (!routed) return ApiReply{404, {}, {}};
    const api::Response& response = *routed;
    boost::system::error_code error;
    auto parsed = boost::json::parse(response.body, error);
    EXPECT_FALSE(error) << response.body;
    return ApiReply{response.status, error ? boost::json::object() : parsed.as_object(),
                    response.headers};
  }
  ApiReply post(std::string_view path, std::string_view body, const std::string& key = "") {
    return call("POST", path, body, key);
  }
  ApiReply get(std::string_view target) { return call("GET", target); }

  // Rows in the merchant API's tables and ledger entries: "nothing changed" checks.
  std::int64_t count(const std::string& table) {
    std::int64_t rows = -1;
    auto read = database_->read([&](store::Connection& connection) -> store::StoreResult<void> {
      auto counted = connection.query_one<std::int64_t>("SELECT COUNT(*) FROM " + table);
      if (!counted) return unexpected(counted.error());
      rows = counted->value_or(-1);
      return {};
    });
    EXPECT_TRUE(read);
    return rows;
  }
  // Events written but not yet fanned out to endpoints (the outbox, whatever its form).
  std::int64_t outbox_size() {
    std::int64_t events = -1;
    auto read = database_->read([&](store::Connection& connection) -> store::StoreResult<void> {
      auto counted = events::backlog(connection);
      if (!counted) return unexpected(counted.error());
      events = counted->outbox_events;
      return {};
    });
    EXPECT_TRUE(read);
    return events;
  }
  std::string state_snapshot() {
    return std::to_string(count("payment_objects")) + "/" +
           std::to_string(count("ledger_entries")) + "/" +
           std::to_string(count("idempotency_keys"));
  }

  void expect_ledger_verified() {
    auto report = ledger::verify_ledger(*database_);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->violations.empty()) << report->violations.front().message;
  }

  till::testing::TempDir temp_;
  ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<merchant::MerchantStore> merchants_;
  std::unique_ptr<merchant::Authenticator> authenticator_;
  std::unique_ptr<PaymentsApi> api_;
  api::Router router_;
  std::string key_;
  std::string merchant_id_;  // key_'s merchant
};

}  // namespace till::payments::testing
