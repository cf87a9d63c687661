// decode_json: JSON bodies keep their types; the same limits as forms, with the offending
// parameter named in bracket form.
#include <gtest/gtest.h>

#include <string>

#include "params/params.h"
#include "support.h"

namespace till::params {
namespace {

using testing::error_of;
using testing::json;
using testing::object_of;

TEST(DecodeJson, KeepsTypes) {
  const auto decoded = json(R"({"a":1,"b":true,"c":null,"d":[1,"x"],"e":{"f":1.5},"g":"s",
                                "h":-7,"i":18446744073709551615})");
  EXPECT_TRUE(decoded.at("a").is_int64());
  EXPECT_TRUE(decoded.at("b").is_bool());
  EXPECT_TRUE(decoded.at("c").is_null());
  EXPECT_TRUE(decoded.at("d").is_array());
  EXPECT_TRUE(decoded.at("e").at("f").is_double());
  EXPECT_TRUE(decoded.at("g").is_string());
  EXPECT_EQ(decoded.at("h").as_int64(), -7);
  EXPECT_TRUE(decoded.at("i").is_uint64());
  EXPECT_EQ(json("{}"), object_of("{}"));
  EXPECT_EQ(json(" \n{\"a\" : \"b\"}\n "), object_of(R"({"a":"b"})"));
}

TEST(DecodeJson, LongStringsAndKeysInParts) {
  // Long keys and strings reach the handler in several parts; both must arrive whole.
  const std::string key(500, 'k');
  const std::string value(100000, 'v');
  const auto decoded = json("{\"" + key + "\":\"" + value + "\",\"esc\\u00e9\":\"a\\nb\"}");
  EXPECT_EQ(decoded.at(key).as_string(), value);
  EXPECT_EQ(decoded.at("escé").as_string(), "a\nb");
}

// NUL is valid JSON, but PostgreSQL text cannot hold it: refused, naming the member.
TEST(DecodeJson, NulCharactersAreRefused) {
  for (const auto& [text, param] : {std::pair{R"({"email":"a\u0000b"})", "email"},
                                    std::pair{R"({"metadata":{"k":"\u0000"}})", "metadata[k]"}}) {
    const api::ApiError error = error_of(decode_json(text));
    EXPECT_EQ(error.status, 400u) << text;
    EXPECT_EQ(error.param, param) << text;
    EXPECT_NE(error.message.find("NUL"), std::string::npos) << error.message;
  }
  EXPECT_EQ(error_of(decode_json(R"({"a\u0000":"x"})")).status, 400u);
}

TEST(DecodeJson, MustBeAnObject) {
  for (const auto& [text, kind] :
       {std::pair{"[]", "a list"}, std::pair{"\"x\"", "a string"}, std::pair{"1", "a number"},
        std::pair{"null", "null"}, std::pair{"true", "a boolean"}}) {
    const api::ApiError error = error_of(decode_json(text));
    EXPECT_EQ(error.status, 400u);
    EXPECT_EQ(error.code, "json_invalid") << text;
    EXPECT_NE(error.message.find(std::string("must be a JSON object, not ") + kind),
              std::string::npos)
        << error.message;
  }
}

TEST(DecodeJson, SyntaxErrors) {
  for (const char* text : {"", "{", "{\"a\":", "{\"a\":1,}", "{'a':1}", "{\"a\":1} x", "{\"a\":01}",
                           "{\"a\":\"\xFF\"}", "{\"a\":NaN}", "{/*c*/}"}) {
    const api::ApiError error = error_of(decode_json(text));
    EXPECT_EQ(error.code, "json_invalid") << text;
    EXPECT_EQ(error.type, "invalid_request_error");
    EXPECT_NE(error.message.find("not valid JSON"), std::string::npos) << error.message;
  }
}

TEST(DecodeJson, NestingDepth) {
  // Eight containers, the top-level object included, as for forms.
  EXPECT_TRUE(decode_json(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}})"));
  EXPECT_TRUE(decode_json(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":[1]}}}}}}})"));
  const api::ApiError error =
      error_of(decode_json(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{}}}}}}}}})"));
  EXPECT_EQ(error.code, "parameter_invalid");
  EXPECT_EQ(error.param, "a[b][c][d][e][f][g][h]");
  // Lists name the index of the element that went too deep.
  const api::ApiError in_list =
      error_of(decode_json(R"({"a":[1,{"b":{"c":{"d":{"e":{"f":{"g":[]}}}}}}]})"));
  EXPECT_EQ(in_list.param, "a[1][b][c][d][e][f][g]");
  // Far deeper than Boost's own limit still answers the codec's error.
  const std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(error_of(decode_json(deep)).param, "a[0][0][0][0][0][0][0]");
}

TEST(DecodeJson, DuplicateKeysAreRefused) {
  EXPECT_EQ(error_of(decode_json(R"({"amount":1,"amount":100})")).param, "amount");
  const api::ApiError nested = error_of(decode_json(R"({"a":[{"b":1},{"c":1,"c":2}]})"));
  EXPECT_EQ(nested.code, "parameter_invalid");
  EXPECT_EQ(nested.param, "a[1][c]");
  EXPECT_TRUE(decode_json(R"({"a":{"b":1},"c":{"b":1}})"));  // same key, different objects
}

TEST(DecodeJson, KeysMustBeUsableInBracketPaths) {
  EXPECT_EQ(error_of(decode_json(R"({"":1})")).param, "");
  EXPECT_EQ(error_of(decode_json(R"({"a":{"":1}})")).param, "a[]");
  EXPECT_EQ(error_of(decode_json(R"({"a[b]":1})")).param, "a[b]");
  EXPECT_EQ(error_of(decode_json(R"({"a":{"x]":1}})")).code, "parameter_invalid");
}

TEST(DecodeJson, KeyLength) {
  const std::string longest(512, 'k');
  EXPECT_TRUE(decode_json("{\"" + longest + "\":1}"));
  const api::ApiError error = error_of(decode_json("{\"m\":{\"" + longest + "k\":1}}"));
  EXPECT_EQ(error.code, "parameter_invalid");
  EXPECT_EQ(error.param, "m[" + std::string(38, 'k') + "...");
}

TEST(DecodeJson, ValueCount) {
  std::string text = "{\"a\":[";
  for (int i = 0; i < 1999; ++i) text += std::string(i == 0 ? "" : ",") + "1";
  EXPECT_TRUE(decode_json(text + "]}"));  // the list and its 1999 elements
  const api::ApiError error = error_of(decode_json(text + ",1]}"));
  EXPECT_EQ(error.code, "parameters_exceeded_max");
  EXPECT_EQ(error.status, 400u);
}

TEST(DecodeJson, TotalSize) {
  const std::string filler(kTextBytesMax - 8, 'v');
  EXPECT_TRUE(decode_json("{\"a\":\"" + filler + "\"}"));
  EXPECT_EQ(error_of(decode_json("{\"a\":\"" + filler + "v\"}")).code, "parameters_too_large");
}

}  // namespace
}  // namespace till::params
