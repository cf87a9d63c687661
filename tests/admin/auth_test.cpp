// The admin token check: the Bearer scheme, exact matches only, and 401s that never repeat
// what the client sent.
#include "admin/auth.h"

#include <gtest/gtest.h>

namespace till::admin {
namespace {

constexpr std::string_view kToken = "test-admin-token-0123456789abcdef";

TEST(AdminAuth, ReadsTheBearerCredential) {
  EXPECT_EQ(bearer_credential("Bearer abc"), "abc");
  EXPECT_EQ(bearer_credential("bearer abc"), "abc");
  EXPECT_EQ(bearer_credential("BEARER   abc  "), "abc");
  EXPECT_FALSE(bearer_credential(""));
  EXPECT_FALSE(bearer_credential("Bearer"));
  EXPECT_FALSE(bearer_credential("Bearer "));
  EXPECT_FALSE(bearer_credential("Bearerabc"));
  EXPECT_FALSE(bearer_credential("Basic abc"));
  EXPECT_FALSE(bearer_credential("abc"));
}

TEST(AdminAuth, AllowsOnlyTheExactToken) {
  const AdminAuth auth(kToken);
  EXPECT_TRUE(auth.allows("Bearer " + std::string(kToken)));
  EXPECT_TRUE(auth.allows("bearer " + std::string(kToken)));
  EXPECT_FALSE(auth.allows(""));
  EXPECT_FALSE(auth.allows(std::string(kToken)));
  EXPECT_FALSE(auth.allows("Basic " + std::string(kToken)));
  EXPECT_FALSE(auth.allows("Bearer " + std::string(kToken) + "0"));
  EXPECT_FALSE(auth.allows("Bearer " + std::string(kToken.substr(1))));
  EXPECT_FALSE(auth.allows("Bearer " + std::string(kToken.substr(0, kToken.size() - 1))));
  EXPECT_FALSE(auth.allows("Bearer TEST-ADMIN-TOKEN-0123456789ABCDEF"));
}

api::Request request_with(std::string_view authorization) {
  api::Request request;
  request.method = "GET";
  request.path = "/admin/v1/ledger/accounts";
  if (!authorization.empty()) request.headers.emplace_back("authorization", authorization);
  return request;
}

TEST(AdminAuth, MissingOrWrongTokenIs401WithoutEchoingIt) {
  const AdminAuth auth(kToken);
  EXPECT_FALSE(auth.check(request_with("Bearer " + std::string(kToken))));
  for (const std::string_view presented :
       {"", "Bearer wrong-token-that-must-not-echo", "Basic wrong"}) {
    SCOPED_TRACE(presented);
    const auto denied = auth.check(request_with(presented));
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 401u);
    EXPECT_EQ(denied->type, "authentication_error");
    EXPECT_EQ(denied->message.find("wrong"), std::string::npos) << denied->message;
    EXPECT_EQ(denied->message.find(kToken), std::string::npos) << denied->message;
  }
}

}  // namespace
}  // namespace till::admin
