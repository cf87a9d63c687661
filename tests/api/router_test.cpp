#include "api/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace till::api {
namespace {

Handler named(std::string name) {
  return [name](Request&) { return json_response(200, name); };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/healthz", Execution::io_thread, named("health"));
    router_.add("GET", "/v1/customers", Execution::blocking, named("list"));
    router_.add("POST", "/v1/customers", Execution::blocking, named("create"));
    router_.add("GET", "/v1/customers/{id}", Execution::blocking, named("retrieve"));
    router_.add("POST", "/v1/payment_intents/{intent}/capture", Execution::blocking,
                named("capture"));
  }

  // Returns the handler's name, or "404".
  std::string route(std::string_view method, std::string_view path) {
    auto match = router_.match(method, path);
    if (!match) return "404";
    Request request;
    return match->route->handler(request).body;
  }

  Router router_;
};

TEST_F(RouterTest, MatchesMethodAndPathTable) {
  struct Case {
    const char* method;
    const char* path;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"GET", "/healthz", "health"},
      {"HEAD", "/healthz", "health"},  // HEAD is served by the GET route
      {"POST", "/healthz", "404"},
      {"GET", "/v1/customers", "list"},
      {"POST", "/v1/customers", "create"},
      {"GET", "/v1/customers/cus_123", "retrieve"},
      {"GET", "/v1/customers/", "404"},  // empty capture
      {"GET", "/v1/customers/cus_1/extra", "404"},
      {"POST", "/v1/payment_intents/pi_1/capture", "capture"},
      {"POST", "/v1/payment_intents/pi_1/confirm", "404"},
      {"GET", "", "404"},
      {"GET", "healthz", "404"},
      {"GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s", "404"},  // past the segment limit
  };
  for (const auto& test_case : cases) {
    EXPECT_EQ(route(test_case.method, test_case.path), test_case.expected)
        << test_case.method << " " << test_case.path;
  }
}

TEST_F(RouterTest, CapturesPathParameters) {
  auto match = router_.match("POST", "/v1/payment_intents/pi_42/capture");
  ASSERT_TRUE(match);
  ASSERT_EQ(match->params.size(), 1u);
  EXPECT_EQ(match->params[0].first, "intent");
  EXPECT_EQ(match->params[0].second, "pi_42");
  EXPECT_EQ(match->route->pattern, "/v1/payment_intents/{intent}/capture");
  EXPECT_EQ(match->route->execution, Execution::blocking);
}

TEST(Request, HeaderLookupIsCaseInsensitive) {
  Request request;
  request.headers = {{"Content-Type", "application/json"}, {"Idempotency-Key", "k1"}};
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_EQ(request.header("IDEMPOTENCY-KEY"), "k1");
  EXPECT_EQ(request.header("missing"), "");
}

}  // namespace
}  // namespace till::api
