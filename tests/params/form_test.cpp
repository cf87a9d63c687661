// decode_form: Rack-style bracket nesting as the Stripe SDKs send it, and every refusal with
// its code and param.
#include <gtest/gtest.h>

#include <string>

#include "params/params.h"
#include "support.h"

namespace till::params {
namespace {

using testing::error_of;
using testing::form;
using testing::object_of;

TEST(DecodeForm, ScalarsAreStrings) {
  EXPECT_EQ(form("a=1"), object_of(R"({"a":"1"})"));
  EXPECT_EQ(form("a=1&b=two"), object_of(R"({"a":"1","b":"two"})"));
  EXPECT_EQ(form(""), object_of("{}"));
}

TEST(DecodeForm, PlusIsASpaceAndPercentEscapesDecode) {
  EXPECT_EQ(form("a=hello+world"), object_of(R"({"a":"hello world"})"));
  EXPECT_EQ(form("a=100%25+%2B1"), object_of(R"({"a":"100% +1"})"));
  EXPECT_EQ(form("a=Caf%C3%A9"), object_of(R"({"a":"Café"})"));
  EXPECT_EQ(form("a=x%26y%3Dz"), object_of(R"({"a":"x&y=z"})"));
  EXPECT_EQ(form("a=%2f%2F"), object_of(R"({"a":"//"})"));  // either case of hex digit
  EXPECT_EQ(form("first+name=x"), object_of(R"({"first name":"x"})"));
}

TEST(DecodeForm, EmptyValuesAndKeysWithoutEquals) {
  EXPECT_EQ(form("a="), object_of(R"({"a":""})"));
  EXPECT_EQ(form("a"), object_of(R"({"a":""})"));
  EXPECT_EQ(form("a&b=1"), object_of(R"({"a":"","b":"1"})"));
  EXPECT_EQ(form("a=b=c"), object_of(R"({"a":"b=c"})"));  // only the first '=' splits
}

TEST(DecodeForm, EmptyPairsAreSkipped) {
  EXPECT_EQ(form("&a=1&&b=2&"), object_of(R"({"a":"1","b":"2"})"));
  EXPECT_EQ(form("&"), object_of("{}"));
}

TEST(DecodeForm, BracketsNest) {
  EXPECT_EQ(form("a[b]=1&a[c][d]=2"), object_of(R"({"a":{"b":"1","c":{"d":"2"}}})"));
  EXPECT_EQ(form("card[number]=4242&card[exp_month]=12"),
            object_of(R"({"card":{"number":"4242","exp_month":"12"}})"));
}

TEST(DecodeForm, EmptyBracketsMakeAList) {
  EXPECT_EQ(form("a[]=1&a[]=2"), object_of(R"({"a":["1","2"]})"));
  EXPECT_EQ(form("a[b][]=1&a[b][]=2"), object_of(R"({"a":{"b":["1","2"]}})"));
  EXPECT_EQ(form("expand[]="), object_of(R"({"expand":[""]})"));
}

TEST(DecodeForm, IndicesStayObjectKeys) {
  // Only the schema knows whether metadata[0] is a key or an index (Reader decides).
  EXPECT_EQ(form("a[0]=x&a[1]=y"), object_of(R"({"a":{"0":"x","1":"y"}})"));
  EXPECT_EQ(form("a[0][price]=p"), object_of(R"({"a":{"0":{"price":"p"}}})"));
  EXPECT_EQ(form("items[0][price]=p&items[0][quantity]=2&items[1][price]=q"),
            object_of(R"({"items":{"0":{"price":"p","quantity":"2"},"1":{"price":"q"}}})"));
}

TEST(DecodeForm, PercentEncodedBracketsAreBrackets) {
  EXPECT_EQ(form("a%5Bb%5D=1"), object_of(R"({"a":{"b":"1"}})"));
  EXPECT_EQ(form("a%5bb%5d=1"), object_of(R"({"a":{"b":"1"}})"));
  EXPECT_EQ(form("a%5B%5D=1&a[]=2"), object_of(R"({"a":["1","2"]})"));
  EXPECT_EQ(form("metadata%5Ba+b%5D=c"), object_of(R"({"metadata":{"a b":"c"}})"));
}

TEST(DecodeForm, BracketsInValuesAreText) {
  // stripe-node un-escapes %5B/%5D in values as well as names.
  EXPECT_EQ(form("description=Caf%C3%A9%20[test]%20%2B%20100%25"),
            object_of(R"({"description":"Café [test] + 100%"})"));
  EXPECT_EQ(form("a=]["), object_of(R"({"a":"]["})"));
}

// What the pinned stripe-node (node_modules/stripe, queryStringifyRequestData) sends for a few
// typical requests, captured verbatim.
TEST(DecodeForm, WhatStripeNodeSends) {
  EXPECT_EQ(form("amount=2000&currency=usd&capture_method=manual&confirm=true&metadata[order_id]"
                 "=6735&metadata[a%20b]=x%26y%3Dz"),
            object_of(R"({"amount":"2000","currency":"usd","capture_method":"manual",
                          "confirm":"true","metadata":{"order_id":"6735","a b":"x&y=z"}})"));
  EXPECT_EQ(
      form("line_items[0][price]=price_1&line_items[0][quantity]=2&line_items[1][price]=price_2&"
           "line_items[1][quantity]=1&mode=payment&expand[0]=payment_intent&expand[1]=customer"),
      object_of(R"({"line_items":{"0":{"price":"price_1","quantity":"2"},
                                  "1":{"price":"price_2","quantity":"1"}},
                    "mode":"payment","expand":{"0":"payment_intent","1":"customer"}})"));
  EXPECT_EQ(form("metadata=&description="), object_of(R"({"metadata":"","description":""})"));
  EXPECT_EQ(form("created[gte]=1700000000&created[lt]=1800000000&limit=3"),
            object_of(R"({"created":{"gte":"1700000000","lt":"1800000000"},"limit":"3"})"));
}

// The server's views point into its request buffer; the decoder must stop where the view ends.
TEST(DecodeForm, NeverReadsPastTheView) {
  const std::string buffer = "limit=1&starting_after=x%3Ay HTTP/1.1\r\nHost: x\r\n";
  const std::string_view query = std::string_view(buffer).substr(0, buffer.find(' '));
  EXPECT_EQ(form(query), object_of(R"({"limit":"1","starting_after":"x:y"})"));
  // A '%' escape cut by the end of the view is an error, not completed by the next bytes.
  const std::string cut = "a=%41%4142";
  EXPECT_EQ(error_of(decode_form(std::string_view(cut).substr(0, 7))).param, "a");
  EXPECT_EQ(form(std::string_view(cut).substr(0, 5)), object_of(R"({"a":"A"})"));
}

struct Refusal {
  std::string_view text;
  std::string_view param;
};

void expect_refused(std::string_view text, std::string_view param,
                    std::string_view code = "parameter_invalid") {
  const api::ApiError error = error_of(decode_form(text));
  EXPECT_EQ(error.status, 400u) << text;
  EXPECT_EQ(error.type, "invalid_request_error") << text;
  EXPECT_EQ(error.code, code) << text;
  EXPECT_EQ(error.param, param) << text;
  EXPECT_FALSE(error.message.empty()) << text;
}

TEST(DecodeForm, ScalarAndHashConflict) {
  expect_refused("a=1&a[b]=2", "a[b]");
  expect_refused("a[b]=2&a=1", "a");
  expect_refused("a=1&a[]=2", "a[]");
  expect_refused("a[]=2&a=1", "a");
  expect_refused("a[b]=1&a[b][c]=2", "a[b][c]");
  expect_refused("a[b]=1&a[b][]=2", "a[b][]");
  const api::ApiError error = error_of(decode_form("card=1&card[number]=2"));
  EXPECT_NE(error.message.find("card is sent both as a value and as a hash"), std::string::npos)
      << error.message;
}

// NUL is valid UTF-8, but PostgreSQL text cannot hold it: refused at the door, naming the key.
TEST(DecodeForm, NulCharactersAreRefused) {
  expect_refused("email=a%00b", "email");
  expect_refused("metadata[k]=%00", "metadata[k]");
  // A NUL in a name is not echoed as is (errors are shown to people and logged).
  expect_refused("na%00me=x", "na?me");
}

TEST(DecodeForm, RepeatedScalar) {
  expect_refused("a=1&a=2", "a");
  expect_refused("a=1&a=1", "a");
  expect_refused("a[b]=1&a[b]=2", "a[b]");
  expect_refused("a[0]=x&a[0]=y", "a[0]");
  expect_refused("a=1&a%3D=2&a=3", "a");
}

TEST(DecodeForm, ListAndHashMixed) {
  expect_refused("a[]=1&a[x]=2", "a[x]");
  expect_refused("a[x]=1&a[]=2", "a[]");
  expect_refused("a[0]=1&a[]=2", "a[]");
  expect_refused("a[]=1&a[0][b]=2", "a[0][b]");
}

TEST(DecodeForm, GarbledBrackets) {
  for (const std::string_view key :
       {"a[b", "a]", "a[b]c", "a[b[c]]", "a[b]]", "a[b][", "a[]]", "a][b", "a[b]x[c]"}) {
    expect_refused(std::string(key) + "=1", key);
  }
  expect_refused("a%5Bb=1", "a[b");  // decoded first, so named as decoded
}

TEST(DecodeForm, EmptyBracketsOnlyLast) {
  expect_refused("a[][b]=1", "a[][b]");
  expect_refused("a[][]=1", "a[][]");
  expect_refused("a[b][][c]=1", "a[b][][c]");
}

TEST(DecodeForm, EmptyName) {
  expect_refused("=1", "");
  expect_refused("=", "");
  expect_refused("[a]=1", "[a]");
  expect_refused("[]=1", "[]");
  expect_refused("]=1", "]");
}

TEST(DecodeForm, InvalidPercentEncoding) {
  expect_refused("a%zz=1", "a%zz");
  expect_refused("a%2=1", "a%2");
  expect_refused("a%=1", "a%");
  expect_refused("a=%", "a");
  expect_refused("a=%4", "a");
  expect_refused("a=%G0", "a");
  expect_refused("a[b]=x%", "a[b]");
}

TEST(DecodeForm, InvalidUtf8) {
  expect_refused("a=%FF", "a");
  expect_refused("a=%C3", "a");               // truncated sequence
  expect_refused("a=%C0%AF", "a");            // overlong '/'
  expect_refused("a=%ED%A0%80", "a");         // UTF-16 surrogate
  expect_refused("a=%F4%90%80%80", "a");      // above U+10FFFF
  expect_refused("a=\xC3", "a");              // raw bytes too
  expect_refused("b%FF=1", "b\xEF\xBF\xBD");  // the param is valid UTF-8 whatever was sent
  EXPECT_EQ(form("a=%F0%9F%98%80"), object_of(R"({"a":"😀"})"));
}

TEST(DecodeForm, NestingDepth) {
  const std::string eight = "a[b][c][d][e][f][g][h]";
  EXPECT_EQ(form(eight + "=1").at("a").at("b").at("c").at("d").at("e").at("f").at("g").at("h"),
            "1");
  EXPECT_TRUE(decode_form("a[b][c][d][e][f][g][]=1"));  // the list is the eighth level
  expect_refused(eight + "[i]=1", eight + "[i]");
  expect_refused(eight + "[]=1", eight + "[]");
  expect_refused(eight + "[i][j][k][l][m][n][o][p][q][r]=1",
                 eight + "[i][j][k][l][m][n][o][p][q][r]");
}

TEST(DecodeForm, ParameterCount) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "a[]=" + std::to_string(i) + "&";
  auto decoded = decode_form(text);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->at("a").as_array().size(), 2000u);
  text += "b=1";
  const api::ApiError error = error_of(decode_form(text));
  EXPECT_EQ(error.code, "parameters_exceeded_max");
  EXPECT_EQ(error.status, 400u);
  EXPECT_EQ(error.param, "");
}

TEST(DecodeForm, KeyLength) {
  const std::string longest(512, 'k');
  EXPECT_TRUE(decode_form(longest + "=1"));
  EXPECT_TRUE(decode_form("m[" + std::string(509, 'k') + "]=1"));
  const api::ApiError error = error_of(decode_form(longest + "k=1"));
  EXPECT_EQ(error.code, "parameter_invalid");
  EXPECT_EQ(error.param, std::string(40, 'k') + "...");
  // The limit is on the decoded name: escapes do not count thrice.
  std::string escaped;
  for (int i = 0; i < 512; ++i) escaped += "%6B";
  EXPECT_TRUE(decode_form(escaped + "=1"));
}

TEST(DecodeForm, TotalSize) {
  const std::string value(kTextBytesMax - 2, 'v');
  EXPECT_TRUE(decode_form("a=" + value));
  const api::ApiError error = error_of(decode_form("a=" + value + "v"));
  EXPECT_EQ(error.status, 400u);
  EXPECT_EQ(error.code, "parameters_too_large");
}

TEST(DecodeForm, MessagesQuoteAtMost40BytesOfTheKey) {
  const std::string key = "secret" + std::string(200, 's') + "[";
  const api::ApiError error = error_of(decode_form(key + "=1"));
  EXPECT_EQ(error.message.find(std::string(41, 's')), std::string::npos) << error.message;
  EXPECT_EQ(error.param, key);  // the param field names it in full (it is under 512 bytes)
}

}  // namespace
}  // namespace till::params
