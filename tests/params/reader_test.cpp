// Reader: typed access by schema, with errors that name the full bracket path.
#include "params/reader.h"

#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>

#include "params/params.h"
#include "support.h"

namespace till::params {
namespace {

using testing::error_of;
using testing::form;
using testing::json;

constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

void expect_error(const api::ApiError& error, std::string_view code, std::string_view param) {
  EXPECT_EQ(error.status, 400u);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.code, code);
  EXPECT_EQ(error.param, param);
}

TEST(JoinParam, BracketForm) {
  EXPECT_EQ(join_param("", "amount"), "amount");
  EXPECT_EQ(join_param("card", "number"), "card[number]");
  EXPECT_EQ(join_param("items[0]", "price"), "items[0][price]");
}

TEST(Reader, StringValues) {
  const auto params = json(R"({"a":"text","e":"","n":null,"num":5,"h":{"x":"y"},"l":["x"]})");
  Reader reader(params);
  EXPECT_EQ(**reader.string("a", 10), "text");
  EXPECT_EQ(**reader.string("e", 10), "");
  EXPECT_EQ(**reader.string("n", 10), "");  // null reads as "", Stripe's "unset"
  EXPECT_FALSE(*reader.string("absent", 10));
  expect_error(error_of(reader.string("num", 10)), "parameter_invalid", "num");
  expect_error(error_of(reader.string("h", 10)), "parameter_invalid", "h");
  const api::ApiError list = error_of(reader.string("l", 10));
  EXPECT_NE(list.message.find("expected a string, got a list"), std::string::npos);
  const api::ApiError too_long = error_of(reader.string("a", 3));
  expect_error(too_long, "parameter_invalid", "a");
  EXPECT_NE(too_long.message.find("at most 3 bytes"), std::string::npos) << too_long.message;
  EXPECT_TRUE(reader.string("a", 4));  // exactly the limit
}

TEST(Reader, IntegersFromFormAndJson) {
  const auto from_form = form("a=123&b=-5&c=0&z=007");
  Reader reader(from_form);
  EXPECT_EQ(**reader.integer("a", 0, 1000), 123);
  EXPECT_EQ(**reader.integer("b", -10, 10), -5);
  EXPECT_EQ(**reader.integer("c", 0, 0), 0);
  EXPECT_EQ(**reader.integer("z", 0, 10), 7);
  EXPECT_FALSE(*reader.integer("absent", 0, 1));
  const auto from_json = json(R"({"a":123,"b":"-5","m":-9223372036854775808})");
  Reader typed(from_json);
  EXPECT_EQ(**typed.integer("a", 0, 1000), 123);
  EXPECT_EQ(**typed.integer("b", -10, 10), -5);
  EXPECT_EQ(**typed.integer("m", kInt64Min, kInt64Max), kInt64Min);
}

TEST(Reader, IntegerSyntaxIsStrict) {
  for (const std::string_view text :
       {"12.5", "1e3", " 1", "1 ", "+1", "0x10", "abc", "--1", "-", "1,000", "١"}) {
    boost::json::object params;
    params["amount"] = text;
    Reader reader(params);
    const api::ApiError error = error_of(reader.integer("amount", kInt64Min, kInt64Max));
    expect_error(error, "parameter_invalid_integer", "amount");
    EXPECT_EQ(error.message, "Invalid integer: " + std::string(text)) << text;
  }
  const auto typed = json(R"({"a":12.5,"b":1e3,"c":true,"d":{"x":1},"e":[1],"f":1.0})");
  Reader reader(typed);
  EXPECT_EQ(error_of(reader.integer("a", 0, 100)).message, "Invalid integer: 12.5");
  EXPECT_EQ(error_of(reader.integer("b", 0, 10000)).code, "parameter_invalid_integer");
  EXPECT_EQ(error_of(reader.integer("c", 0, 1)).message, "Invalid integer: true");
  EXPECT_EQ(error_of(reader.integer("d", 0, 1)).message, "Invalid integer: a hash");
  EXPECT_EQ(error_of(reader.integer("e", 0, 1)).message, "Invalid integer: a list");
  EXPECT_EQ(error_of(reader.integer("f", 0, 1)).code, "parameter_invalid_integer");
}

TEST(Reader, IntegerEmptyIsParameterInvalidEmpty) {
  const auto params = json(R"({"amount":"","other":null})");
  Reader reader(params);
  const api::ApiError error = error_of(reader.integer("amount", 1, 100));
  expect_error(error, "parameter_invalid_empty", "amount");
  EXPECT_EQ(error.message,
            "You passed an empty string for 'amount'. We assume empty values are an attempt to "
            "unset a parameter; however 'amount' cannot be unset. You should remove 'amount' from "
            "your request or supply a non-empty value.");
  expect_error(error_of(reader.integer("other", 1, 100)), "parameter_invalid_empty", "other");
}

TEST(Reader, IntegerBounds) {
  const auto params = json(R"({"low":"0","high":"100000000","huge":"99999999999999999999",
               "tiny":"-99999999999999999999","big":18446744073709551615})");
  Reader reader(params);
  const api::ApiError low = error_of(reader.integer("low", 1, 99999999));
  expect_error(low, "parameter_invalid_integer", "low");
  EXPECT_EQ(low.message, "This value must be greater than or equal to 1.");
  const api::ApiError high = error_of(reader.integer("high", 1, 99999999));
  EXPECT_EQ(high.message, "This value must be less than or equal to 99999999.");
  EXPECT_EQ(error_of(reader.integer("huge", kInt64Min, kInt64Max)).message,
            "This value must be less than or equal to 9223372036854775807.");
  EXPECT_EQ(error_of(reader.integer("tiny", kInt64Min, kInt64Max)).message,
            "This value must be greater than or equal to -9223372036854775808.");
  EXPECT_EQ(error_of(reader.integer("big", kInt64Min, kInt64Max)).message,
            "This value must be less than or equal to 9223372036854775807.");
}

TEST(Reader, MessagesQuoteAtMost40BytesAndNeverCardNumbers) {
  const auto params = form("amount=" + std::string(100, '9') + "x&card[number]=4242424242424242x" +
                           "&card[cvc]=12a&confirm=" + std::string(100, 'y'));
  Reader reader(params);
  const api::ApiError amount = error_of(reader.integer("amount", 0, 1));
  EXPECT_EQ(amount.message, "Invalid integer: " + std::string(40, '9') + "...");
  auto card = reader.hash("card");
  ASSERT_TRUE(card && *card);
  const api::ApiError number = error_of((*card)->integer("number", 0, kInt64Max));
  expect_error(number, "parameter_invalid_integer", "card[number]");
  EXPECT_EQ(number.message.find("4242"), std::string::npos) << number.message;
  const api::ApiError cvc = error_of((*card)->boolean("cvc"));
  EXPECT_EQ(cvc.message.find("12a"), std::string::npos) << cvc.message;
  const api::ApiError confirm = error_of(reader.boolean("confirm"));
  EXPECT_EQ(confirm.message.find(std::string(41, 'y')), std::string::npos) << confirm.message;
}

TEST(Reader, Booleans) {
  const auto params = json(R"({"t":"true","f":"false","jt":true,"jf":false,"y":"yes","one":"1",
                               "e":"","n":null,"T":"True","F":"FALSE"})");
  Reader reader(params);
  EXPECT_TRUE(**reader.boolean("t"));
  EXPECT_FALSE(**reader.boolean("f"));
  EXPECT_TRUE(**reader.boolean("jt"));
  EXPECT_FALSE(**reader.boolean("jf"));
  EXPECT_FALSE(*reader.boolean("absent"));
  const api::ApiError yes = error_of(reader.boolean("y"));
  expect_error(yes, "parameter_invalid_boolean", "y");
  EXPECT_EQ(yes.message, "Invalid boolean: yes");
  expect_error(error_of(reader.boolean("one")), "parameter_invalid_boolean", "one");
  // stripe-python 5 (Debian's) sends Python's spelling; Stripe accepts it.
  EXPECT_TRUE(**reader.boolean("T"));
  EXPECT_FALSE(**reader.boolean("F"));
  expect_error(error_of(reader.boolean("e")), "parameter_invalid_empty", "e");
  expect_error(error_of(reader.boolean("n")), "parameter_invalid_empty", "n");
}

TEST(Reader, OneOf) {
  static constexpr std::array<std::string_view, 3> kCaptureMethods = {"automatic",
                                                                      "automatic_async", "manual"};
  const auto params = form("capture_method=manual&bad=later&empty=&list[]=manual");
  Reader reader(params);
  EXPECT_EQ(**reader.one_of("capture_method", kCaptureMethods), "manual");
  EXPECT_FALSE(*reader.one_of("absent", kCaptureMethods));
  const api::ApiError bad = error_of(reader.one_of("bad", kCaptureMethods));
  expect_error(bad, "parameter_invalid", "bad");
  EXPECT_EQ(bad.message, "Invalid bad: must be one of automatic, automatic_async, manual");
  expect_error(error_of(reader.one_of("empty", kCaptureMethods)), "parameter_invalid_empty",
               "empty");
  expect_error(error_of(reader.one_of("list", kCaptureMethods)), "parameter_invalid", "list");
}

TEST(Reader, StringListInEveryEncoding) {
  const std::vector<std::string> expected = {"customer", "payment_method"};
  for (const std::string_view text :
       {"expand[]=customer&expand[]=payment_method", "expand[0]=customer&expand[1]=payment_method",
        "expand[1]=payment_method&expand[0]=customer"}) {
    const auto params = form(text);
    Reader reader(params);
    EXPECT_EQ(**reader.string_list("expand", 10, 100), expected) << text;
    EXPECT_FALSE(reader.finish()) << text;
  }
  const auto typed = json(R"({"expand":["customer","payment_method"]})");
  Reader reader(typed);
  EXPECT_EQ(**reader.string_list("expand", 10, 100), expected);
  EXPECT_FALSE(*reader.string_list("absent", 10, 100));
}

TEST(Reader, StringListEmptyMeansEmptyList) {
  const auto params = json(R"({"a":"","b":null,"c":[]})");
  Reader reader(params);
  EXPECT_TRUE((*reader.string_list("a", 10, 10))->empty());
  EXPECT_TRUE((*reader.string_list("b", 10, 10))->empty());
  EXPECT_TRUE((*reader.string_list("c", 10, 10))->empty());
}

TEST(Reader, StringListRefusals) {
  struct Case {
    std::string_view text;
    std::string_view param;
  };
  for (const Case& c :
       {Case{"a=x", "a"}, Case{"a[0]=x&a[2]=y", "a[2]"}, Case{"a[1]=x", "a[1]"},
        Case{"a[00]=x", "a[00]"}, Case{"a[0]=x&a[01]=y", "a[01]"}, Case{"a[-1]=x", "a[-1]"},
        Case{"a[x]=1", "a[x]"}, Case{"a[%2B0]=x", "a[+0]"}, Case{"a[0][b]=x", "a[0]"},
        Case{"a[0]=x&a[1][]=y", "a[1]"}}) {
    const auto params = form(c.text);
    Reader reader(params);
    const api::ApiError error = error_of(reader.string_list("a", 10, 100));
    expect_error(error, "parameter_invalid", c.param);
  }
  const auto typed = json(R"({"a":["x",1],"b":{"0":"x"},"c":{"1":"x"}})");
  Reader reader(typed);
  expect_error(error_of(reader.string_list("a", 10, 100)), "parameter_invalid", "a[1]");
  EXPECT_EQ(**reader.string_list("b", 10, 100), std::vector<std::string>{"x"});
  expect_error(error_of(reader.string_list("c", 10, 100)), "parameter_invalid", "c[1]");
}

TEST(Reader, StringListLimits) {
  const auto params = form("a[]=x&a[]=y&a[]=z&b[0]=x&b[1]=y&b[2]=z&c[]=long");
  Reader reader(params);
  EXPECT_TRUE(reader.string_list("a", 3, 1));
  const api::ApiError many = error_of(reader.string_list("a", 2, 10));
  expect_error(many, "parameter_invalid", "a");
  EXPECT_NE(many.message.find("at most 2 items"), std::string::npos) << many.message;
  expect_error(error_of(reader.string_list("b", 2, 10)), "parameter_invalid", "b");
  expect_error(error_of(reader.string_list("c", 2, 3)), "parameter_invalid", "c[0]");
}

TEST(Reader, NestedHashesNameTheFullPath) {
  const auto params = form(
      "payment_method_data[type]=card&payment_method_data[card][exp_month]=thirteen&"
      "payment_method_data[card][exp_year]=2030&payment_method_data[card][foo]=1");
  Reader reader(params);
  auto data = reader.hash("payment_method_data");
  ASSERT_TRUE(data && *data);
  Reader& data_reader = **data;
  EXPECT_EQ(data_reader.prefix(), "payment_method_data");
  EXPECT_EQ(**data_reader.string("type", 20), "card");
  auto card = data_reader.hash("card");
  ASSERT_TRUE(card && *card);
  Reader& card_reader = **card;
  EXPECT_EQ(card_reader.prefix(), "payment_method_data[card]");
  expect_error(error_of(card_reader.integer("exp_month", 1, 12)), "parameter_invalid_integer",
               "payment_method_data[card][exp_month]");
  EXPECT_EQ(**card_reader.integer("exp_year", 2000, 2100), 2030);
  const std::optional<api::ApiError> unknown = card_reader.finish();
  ASSERT_TRUE(unknown);
  expect_error(*unknown, "parameter_unknown", "payment_method_data[card][foo]");
  EXPECT_EQ(unknown->message, "Received unknown parameter: payment_method_data[card][foo]");
  EXPECT_FALSE(data_reader.finish());  // "card" was asked for; its contents are card's
  EXPECT_FALSE(reader.finish());
}

TEST(Reader, HashRefusals) {
  const auto params = json(R"({"s":"x","e":"","n":null,"l":["x"],"i":1})");
  Reader reader(params);
  expect_error(error_of(reader.hash("s")), "parameter_invalid", "s");
  expect_error(error_of(reader.hash("e")), "parameter_invalid_empty", "e");
  expect_error(error_of(reader.hash("n")), "parameter_invalid_empty", "n");
  expect_error(error_of(reader.hash("l")), "parameter_invalid", "l");
  expect_error(error_of(reader.hash("i")), "parameter_invalid", "i");
  EXPECT_FALSE(*reader.hash("absent"));
  const auto nested = form("card[billing][x]=1");
  Reader outer(nested);
  auto card = outer.hash("card");
  ASSERT_TRUE(card && *card);
  expect_error(error_of((*card)->string("billing", 10)), "parameter_invalid", "card[billing]");
}

TEST(Reader, HashLists) {
  for (const auto& params : {form("items[0][price]=p&items[1][price]=q&items[1][quantity]=2"),
                             json(R"({"items":[{"price":"p"},{"price":"q","quantity":2}]})")}) {
    Reader reader(params);
    auto items = reader.hash_list("items", 10);
    ASSERT_TRUE(items && *items);
    ASSERT_EQ((*items)->size(), 2u);
    Reader& second = (**items)[1];
    EXPECT_EQ(second.prefix(), "items[1]");
    EXPECT_EQ(**second.string("price", 10), "q");
    EXPECT_EQ(**second.integer("quantity", 1, 10), 2);
    EXPECT_FALSE(second.finish());
    const std::optional<api::ApiError> unknown = (**items)[0].finish();
    ASSERT_TRUE(unknown);
    expect_error(*unknown, "parameter_unknown", "items[0][price]");
  }
  const auto bad = json(R"({"a":[{"x":1},"y"],"b":{"0":{"x":1},"2":{"x":1}}})");
  Reader reader(bad);
  expect_error(error_of(reader.hash_list("a", 10)), "parameter_invalid", "a[1]");
  expect_error(error_of(reader.hash_list("b", 10)), "parameter_invalid", "b[2]");
  expect_error(error_of(reader.hash_list("a", 1)), "parameter_invalid", "a");
}

TEST(Reader, MetadataFromForm) {
  const auto params = form("metadata[order_id]=6735&metadata[gone]=&metadata[0]=zero");
  Reader reader(params);
  auto update = reader.metadata("metadata");
  ASSERT_TRUE(update && *update);
  EXPECT_FALSE((*update)->clear_all);
  ASSERT_EQ((*update)->entries.size(), 3u);
  EXPECT_EQ((*update)->entries.at("order_id"), "6735");
  EXPECT_EQ((*update)->entries.at("gone"), std::nullopt);  // unset that key
  EXPECT_EQ((*update)->entries.at("0"), "zero");           // a key, not an index
  EXPECT_FALSE(*reader.metadata("absent"));

  const auto clear = form("metadata=");
  Reader clear_reader(clear);
  auto cleared = clear_reader.metadata("metadata");
  ASSERT_TRUE(cleared && *cleared);
  EXPECT_TRUE((*cleared)->clear_all);
  EXPECT_TRUE((*cleared)->entries.empty());
}

TEST(Reader, MetadataFromJson) {
  for (const std::string_view text : {R"({"metadata":null})", R"({"metadata":""})"}) {
    const auto params = json(text);
    Reader reader(params);
    EXPECT_TRUE((**reader.metadata("metadata")).clear_all) << text;
  }
  const auto params = json(R"({"metadata":{"a":"1","b":null,"c":""}})");
  Reader reader(params);
  const MetadataUpdate update = **reader.metadata("metadata");
  EXPECT_FALSE(update.clear_all);
  EXPECT_EQ(update.entries.at("a"), "1");
  EXPECT_EQ(update.entries.at("b"), std::nullopt);
  EXPECT_EQ(update.entries.at("c"), std::nullopt);
  for (const std::string_view text :
       {R"({"metadata":{"k":1}})", R"({"metadata":{"k":true}})", R"({"metadata":{"k":["x"]}})",
        R"({"metadata":{"k":{"x":"y"}}})"}) {
    const auto bad = json(text);
    Reader bad_reader(bad);
    expect_error(error_of(bad_reader.metadata("metadata")), "parameter_invalid", "metadata[k]");
  }
  for (const std::string_view text :
       {R"({"metadata":"x"})", R"({"metadata":["x"]})", R"({"metadata":5})"}) {
    const auto bad = json(text);
    Reader bad_reader(bad);
    expect_error(error_of(bad_reader.metadata("metadata")), "parameter_invalid", "metadata");
  }
}

TEST(Reader, MetadataLimits) {
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += "metadata[k" + std::to_string(i) + "]=v&";
  const auto at_limit = form(fifty);
  Reader ok(at_limit);
  EXPECT_EQ((**ok.metadata("metadata")).entries.size(), 50u);
  const auto over = form(fifty + "metadata[k50]=v");
  Reader over_reader(over);
  const api::ApiError too_many = error_of(over_reader.metadata("metadata"));
  expect_error(too_many, "parameter_invalid", "metadata");
  EXPECT_NE(too_many.message.find("at most 50 keys"), std::string::npos) << too_many.message;

  // Keys and values are counted in characters, not bytes.
  std::string key40;
  for (int i = 0; i < 40; ++i) key40 += "é";
  std::string value500;
  for (int i = 0; i < 500; ++i) value500 += "€";
  boost::json::object longest;
  longest["metadata"] = boost::json::object({{key40, value500}});
  Reader longest_reader(longest);
  EXPECT_TRUE(longest_reader.metadata("metadata"));

  const std::string key41(41, 'k');
  const auto long_key = form("metadata[" + key41 + "]=v");
  Reader long_key_reader(long_key);
  const api::ApiError key_error = error_of(long_key_reader.metadata("metadata"));
  expect_error(key_error, "parameter_invalid", "metadata[" + key41 + "]");
  EXPECT_NE(key_error.message.find("1 to 40 characters"), std::string::npos);
  EXPECT_EQ(key_error.message.find(key41), std::string::npos);  // clipped in the message

  const auto long_value = form("metadata[k]=" + std::string(501, 'v'));
  Reader long_value_reader(long_value);
  const api::ApiError value_error = error_of(long_value_reader.metadata("metadata"));
  expect_error(value_error, "parameter_invalid", "metadata[k]");
  EXPECT_NE(value_error.message.find("at most 500 characters"), std::string::npos);

  const auto nested = form("metadata[a][b]=1");
  Reader nested_reader(nested);
  expect_error(error_of(nested_reader.metadata("metadata")), "parameter_invalid", "metadata[a]");
  const auto listed = form("metadata[]=x");
  Reader listed_reader(listed);
  expect_error(error_of(listed_reader.metadata("metadata")), "parameter_invalid", "metadata");
  // Brackets can only arrive through JSON built by hand (decode_json refuses them too).
  boost::json::object bracketed;
  bracketed["metadata"] = boost::json::object({{"a]", "x"}});
  Reader bracketed_reader(bracketed);
  expect_error(error_of(bracketed_reader.metadata("metadata")), "parameter_invalid",
               "metadata[a]]");
}

TEST(Reader, RangeFilters) {
  const auto exact = form("created=123");
  Reader exact_reader(exact);
  const RangeFilter equal = **exact_reader.range("created");
  EXPECT_EQ(equal.gte, 123);
  EXPECT_EQ(equal.lte, 123);
  EXPECT_FALSE(equal.gt);
  EXPECT_FALSE(equal.lt);

  const auto bounds = form("created[gt]=1&created[lte]=5");
  Reader bounds_reader(bounds);
  const RangeFilter filter = **bounds_reader.range("created");
  EXPECT_EQ(filter.gt, 1);
  EXPECT_EQ(filter.lte, 5);
  EXPECT_FALSE(filter.gte);
  EXPECT_FALSE(filter.lt);
  EXPECT_FALSE(bounds_reader.finish());

  const auto all = json(R"({"created":{"gt":1,"gte":"2","lt":3,"lte":"4"}})");
  Reader all_reader(all);
  const RangeFilter every = **all_reader.range("created");
  EXPECT_EQ(every.gt, 1);
  EXPECT_EQ(every.gte, 2);
  EXPECT_EQ(every.lt, 3);
  EXPECT_EQ(every.lte, 4);
  EXPECT_FALSE(*all_reader.range("absent"));
}

TEST(Reader, RangeFilterRefusals) {
  const auto params = form("a[foo]=1&b[gt]=x&c=abc&d=&e[gte]=&f[]=1&g[gt][x]=1");
  Reader reader(params);
  const api::ApiError unknown = error_of(reader.range("a"));
  expect_error(unknown, "parameter_unknown", "a[foo]");
  EXPECT_EQ(unknown.message, "Received unknown parameter: a[foo]");
  expect_error(error_of(reader.range("b")), "parameter_invalid_integer", "b[gt]");
  expect_error(error_of(reader.range("c")), "parameter_invalid_integer", "c");
  expect_error(error_of(reader.range("d")), "parameter_invalid_empty", "d");
  expect_error(error_of(reader.range("e")), "parameter_invalid_empty", "e[gte]");
  expect_error(error_of(reader.range("f")), "parameter_invalid_integer", "f");
  expect_error(error_of(reader.range("g")), "parameter_invalid_integer", "g[gt]");
  const auto nested = form("list[created][gt]=x");
  Reader outer(nested);
  auto list = outer.hash("list");
  ASSERT_TRUE(list && *list);
  expect_error(error_of((*list)->range("created")), "parameter_invalid_integer",
               "list[created][gt]");
}

TEST(Reader, FinishReportsTheFirstKeyNeverAskedFor) {
  const auto params = form("amount=1&zeta=2&alpha=3");
  Reader reader(params);
  EXPECT_TRUE(reader.has("zeta"));
  EXPECT_FALSE(reader.has("absent"));
  (void)reader.integer("amount", 0, 10);
  const std::optional<api::ApiError> unknown = reader.finish();
  ASSERT_TRUE(unknown);
  expect_error(*unknown, "parameter_unknown", "zeta");  // first in the order sent; has() is no ask
  EXPECT_EQ(unknown->message, "Received unknown parameter: zeta");
  (void)reader.string("zeta", 10);
  (void)reader.string("alpha", 10);
  EXPECT_FALSE(reader.finish());
}

TEST(Reader, FinishCountsKeysAskedForEvenIfTheirValueWasWrong) {
  const auto params = form("amount=x");
  Reader reader(params);
  EXPECT_FALSE(reader.integer("amount", 0, 10));
  EXPECT_FALSE(reader.finish());
}

TEST(Reader, FinishClipsLongUnknownKeysInTheMessage) {
  const std::string key(300, 'u');
  const auto params = form("card[" + key + "]=1");
  Reader reader(params);
  auto card = reader.hash("card");
  ASSERT_TRUE(card && *card);
  const std::optional<api::ApiError> unknown = (*card)->finish();
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->param, "card[" + key + "]");
  EXPECT_EQ(unknown->message, "Received unknown parameter: card[" + std::string(40, 'u') + "...]");
}

TEST(Reader, Missing) {
  const api::ApiError error = Reader::missing("amount");
  expect_error(error, "parameter_missing", "amount");
  EXPECT_EQ(error.message, "Missing required param: amount.");
  const auto params = form("");
  Reader reader(params, "card");
  EXPECT_EQ(Reader::missing(join_param(reader.prefix(), "number")).param, "card[number]");
}

}  // namespace
}  // namespace till::params
