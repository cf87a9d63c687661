// The OpenAPI document (src/payments/openapi.json, embedded in the binary) against the route
// table: every /v1 route Till registers is an operation of the document and every operation
// is a route, so the document stays exactly what Till implements. The parameters and
// response shapes are checked against the running server by tests/compat/openapi.test.js;
// the `openapi_lint` test lints the document with Redocly.
#include "payments/openapi.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "base/clock.h"
#include "ledger/ledger.h"
#include "merchant/merchant.h"
#include "payments/payments.h"
#include "support/route_request.h"
#include "support/route_request.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::payments {
namespace {

using Operation = std::pair<std::string, std::string>;  // method (upper case), path pattern

constexpr const char* kOperationMethods[] = {"get",     "put",  "post",  "delete",
                                             "options", "head", "patch", "trace"};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return text;
}

boost::json::object parsed_document() {
  boost::system::error_code error;
  boost::json::value document = boost::json::parse(openapi_document(), error);
  EXPECT_FALSE(error) << "the embedded OpenAPI document is not JSON: " << error.message();
  return document.is_object() ? document.as_object() : boost::json::object();
}

std::set<Operation> document_operations(const boost::json::object& document) {
  std::set<Operation> operations;
  const boost::json::value* paths = document.if_contains("paths");
  if (paths == nullptr || !paths->is_object()) return operations;
  for (const auto& [path, item] : paths->as_object()) {
    if (!item.is_object()) continue;
    for (const char* method : kOperationMethods) {
      if (item.as_object().contains(method)) {
        operations.emplace(upper(method), std::string(path));
      }
    }
  }
  return operations;
}

// Every merchant API route, as `till serve` registers them.
class OpenApiRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = till::testing::open_fresh_database(store::Dialect::sqlite, temp_.path());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(database).value();
    ledger_ = std::make_unique<ledger::Ledger>(*database_, clock_);
    merchants_ = std::make_unique<merchant::MerchantStore>(*database_, clock_);
    authenticator_ = std::make_unique<merchant::Authenticator>(*merchants_);
    api_ = std::make_unique<PaymentsApi>(*database_, *ledger_, clock_, *authenticator_);
    api_->add_routes(router_);  // GET /v1/openapi.json included (add_openapi_route)
  }
  void TearDown() override {
    api_.reset();
    authenticator_.reset();
    merchants_.reset();
    ledger_.reset();
    database_.reset();
  }

  std::set<Operation> route_operations() const {
    std::set<Operation> operations;
    for (const api::Route& route : router_.routes()) {
      if (route.pattern.starts_with("/v1/")) operations.emplace(route.method, route.pattern);
    }
    return operations;
  }

  till::testing::TempDir temp_;
  ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<merchant::MerchantStore> merchants_;
  std::unique_ptr<merchant::Authenticator> authenticator_;
  std::unique_ptr<PaymentsApi> api_;
  api::Router router_;
};

TEST_F(OpenApiRoutes, EveryRouteIsDocumented) {
  const std::set<Operation> documented = document_operations(parsed_document());
  const std::set<Operation> routes = route_operations();
  ASSERT_FALSE(routes.empty());
  for (const auto& [method, pattern] : routes) {
    EXPECT_TRUE(documented.contains({method, pattern}))
        << method << " " << pattern << " is a route but not in src/payments/openapi.json";
  }
}

TEST_F(OpenApiRoutes, EveryDocumentedOperationIsARoute) {
  const std::set<Operation> documented = document_operations(parsed_document());
  const std::set<Operation> routes = route_operations();
  ASSERT_FALSE(documented.empty());
  for (const auto& [method, pattern] : documented) {
    EXPECT_TRUE(routes.contains({method, pattern}))
        << method << " " << pattern
        << " is in src/payments/openapi.json but Till has no such route";
  }
}

TEST_F(OpenApiRoutes, ServesTheDocumentWithoutAKey) {
  const auto match = router_.match("GET", "/v1/openapi.json");
  ASSERT_TRUE(match.has_value());
  // The body is a constant: no reason to hop to the blocking pool.
  EXPECT_EQ(match->route->execution, api::Execution::io_thread);
  const auto routed =
      till::testing::route_request(router_, "GET", "/v1/openapi.json", "", {});  // no key
  ASSERT_TRUE(routed.has_value());
  const api::Response& response = *routed;
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, openapi_document());
}

TEST(OpenApiDocument, IsOpenApi31WithTheSecuritySchemesAndNoKeyForItself) {
  const boost::json::object document = parsed_document();
  ASSERT_TRUE(document.contains("openapi"));
  EXPECT_TRUE(document.at("openapi").as_string().starts_with("3.1."));
  const auto& schemes = document.at("components").at("securitySchemes").as_object();
  EXPECT_EQ(schemes.at("bearerAuth").at("scheme").as_string(), "bearer");
  EXPECT_EQ(schemes.at("basicAuth").at("scheme").as_string(), "basic");
  const auto& self = document.at("paths").at("/v1/openapi.json").at("get").as_object();
  ASSERT_TRUE(self.contains("security"));
  EXPECT_TRUE(self.at("security").as_array().empty()) << "/v1/openapi.json needs no key";
}

TEST(OpenApiDocument, EveryPostTakesAnIdempotencyKey) {
  const boost::json::object document = parsed_document();
  for (const auto& [path, item] : document.at("paths").as_object()) {
    const boost::json::value* post = item.as_object().if_contains("post");
    if (post == nullptr) continue;
    bool keyed = false;
    if (const boost::json::value* parameters = post->as_object().if_contains("parameters")) {
      for (const boost::json::value& parameter : parameters->as_array()) {
        const boost::json::value* ref = parameter.as_object().if_contains("$ref");
        keyed = keyed || (ref != nullptr && ref->as_string().ends_with("/Idempotency-Key"));
      }
    }
    EXPECT_TRUE(keyed) << "POST " << path << " does not document the Idempotency-Key header";
  }
}

}  // namespace
}  // namespace till::payments
