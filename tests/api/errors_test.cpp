#include "api/errors.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace till::api {
namespace {

TEST(Errors, UseStripesShapeAndOmitEmptyFields) {
  ApiError error;
  error.status = 400;
  error.code = "parameter_unknown";
  error.message = "Received unknown parameter: foo";
  error.param = "foo";
  const auto body = boost::json::parse(error_body(error)).as_object();
  const auto& inner = body.at("error").as_object();
  EXPECT_EQ(inner.at("type").as_string(), "invalid_request_error");
  EXPECT_EQ(inner.at("code").as_string(), "parameter_unknown");
  EXPECT_EQ(inner.at("param").as_string(), "foo");
  EXPECT_FALSE(inner.contains("decline_code"));
}

TEST(Errors, HttpLayerErrorsHaveTheRightStatus) {
  EXPECT_EQ(unrecognized_url("GET", "/nope").status, 404u);
  EXPECT_NE(unrecognized_url("GET", "/nope").message.find("GET: /nope"), std::string::npos);
  EXPECT_EQ(body_too_large(10).status, 413u);
  EXPECT_EQ(headers_too_large(10).status, 431u);
  EXPECT_EQ(malformed_request("bad").status, 400u);
  EXPECT_EQ(internal_error().status, 500u);
  EXPECT_EQ(internal_error().type, "api_error");
  EXPECT_EQ(service_unavailable("db down").status, 503u);
}

TEST(Errors, MessagesAreEscapedIntoValidJson) {
  ApiError error;
  error.message = "quote \" backslash \\ newline \n";
  const auto body = boost::json::parse(error_body(error)).as_object();
  EXPECT_EQ(body.at("error").at("message").as_string(), error.message);
}

}  // namespace
}  // namespace till::api
