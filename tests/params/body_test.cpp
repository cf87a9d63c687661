// decode_body and decode_request: the Content-Type and the method choose the decoder.
#include <gtest/gtest.h>

#include <string>

#include "params/params.h"
#include "support.h"

namespace till::params {
namespace {

using testing::error_of;
using testing::object_of;

api::Request post(std::string_view body, std::string_view content_type = {},
                  std::string_view query = {}) {
  api::Request request;
  request.method = "POST";
  request.body = body;
  request.query = query;
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  return request;
}

boost::json::object body_of(const api::Request& request) {
  auto decoded = decode_body(request);
  EXPECT_TRUE(decoded) << decoded.error().message;
  return decoded ? *decoded : boost::json::object();
}

TEST(DecodeBody, FormByDefaultAndByContentType) {
  EXPECT_EQ(body_of(post("a=1")), object_of(R"({"a":"1"})"));
  for (const std::string_view type :
       {"application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
        "Application/X-WWW-Form-URLencoded", " application/x-www-form-urlencoded ;charset=UTF-8"}) {
    EXPECT_EQ(body_of(post("a=1", type)), object_of(R"({"a":"1"})")) << type;
  }
}

TEST(DecodeBody, JsonByContentType) {
  for (const std::string_view type : {"application/json", "application/json; charset=utf-8",
                                      "APPLICATION/JSON", "application/json\t;charset=utf-8"}) {
    EXPECT_EQ(body_of(post(R"({"a":1})", type)), object_of(R"({"a":1})")) << type;
  }
  // The header is matched case-insensitively by name as well.
  api::Request request = post(R"({"a":1})");
  request.headers.emplace_back("content-type", "application/json");
  EXPECT_EQ(body_of(request), object_of(R"({"a":1})"));
}

TEST(DecodeBody, FormTypeMeansFormEvenIfTheBodyLooksLikeJson) {
  const auto decoded = body_of(post(R"({"a":1})", "application/x-www-form-urlencoded"));
  EXPECT_TRUE(decoded.contains(R"({"a":1})"));
}

TEST(DecodeBody, EmptyBodyIsEmptyWhateverTheType) {
  EXPECT_EQ(body_of(post("")), object_of("{}"));
  EXPECT_EQ(body_of(post("", "application/json")), object_of("{}"));
  EXPECT_EQ(body_of(post("", "text/plain")), object_of("{}"));
}

TEST(DecodeBody, OtherTypesAreRefused) {
  for (const std::string_view type :
       {"text/plain", "multipart/form-data; boundary=x", "application/jsonx", "application/xml",
        "json", "application/x-www-form-urlencodedx"}) {
    const api::ApiError error = error_of(decode_body(post("a=1", type)));
    EXPECT_EQ(error.status, 400u) << type;
    EXPECT_EQ(error.code, "content_type_unsupported") << type;
    EXPECT_NE(error.message.find("Content-Type"), std::string::npos) << error.message;
    EXPECT_NE(error.message.find("application/json"), std::string::npos) << error.message;
  }
  const std::string long_type = "text/" + std::string(100, 'x');
  const api::ApiError error = error_of(decode_body(post("a=1", long_type)));
  EXPECT_EQ(error.message.find(std::string(41, 'x')), std::string::npos) << error.message;
}

TEST(DecodeBody, ErrorsOfTheChosenDecoder) {
  EXPECT_EQ(error_of(decode_body(post("a=1&a=2"))).param, "a");
  EXPECT_EQ(error_of(decode_body(post("a=1", "application/json"))).code, "json_invalid");
}

TEST(DecodeRequest, QueryForGetHeadAndDelete) {
  for (const std::string_view method : {"GET", "HEAD", "DELETE"}) {
    api::Request request;
    request.method = method;
    request.query = "limit=3&expand[]=customer&created[gte]=5";
    request.body = "ignored=1";  // a body on these methods is not read
    auto decoded = decode_request(request);
    ASSERT_TRUE(decoded) << method;
    EXPECT_EQ(*decoded, object_of(R"({"limit":"3","expand":["customer"],"created":{"gte":"5"}})"))
        << method;
  }
  api::Request bad;
  bad.method = "GET";
  bad.query = "limit=1&limit=2";
  EXPECT_EQ(error_of(decode_request(bad)).param, "limit");
}

TEST(DecodeRequest, PostMergesBodyAndQuery) {
  auto decoded = decode_request(post("amount=100", {}, "expand[]=customer"));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, object_of(R"({"amount":"100","expand":["customer"]})"));
  auto only_body = decode_request(post(R"({"amount":100})", "application/json"));
  ASSERT_TRUE(only_body);
  EXPECT_EQ(*only_body, object_of(R"({"amount":100})"));
  auto only_query = decode_request(post("", {}, "a=1"));
  ASSERT_TRUE(only_query);
  EXPECT_EQ(*only_query, object_of(R"({"a":"1"})"));
}

TEST(DecodeRequest, PostClashBetweenBodyAndQueryIsRefused) {
  const api::ApiError error = error_of(decode_request(post("amount=100", {}, "amount=1")));
  EXPECT_EQ(error.code, "parameter_invalid");
  EXPECT_EQ(error.param, "amount");
  EXPECT_EQ(error_of(decode_request(post("expand[]=a", {}, "expand[]=b"))).param, "expand");
  EXPECT_EQ(error_of(decode_request(post("amount=100", {}, "a=1&a=2"))).param, "a");
  EXPECT_EQ(error_of(decode_request(post("a=%", {}, "b=1"))).param, "a");
}

}  // namespace
}  // namespace till::params
