// Query parameters of the admin GET routes.
#include "admin/query.h"

#include <gtest/gtest.h>

#include <array>

namespace till::admin {
namespace {

constexpr std::array<std::string_view, 2> kAllowed = {"limit", "starting_after"};

// The server's views point into its request buffer, with the rest of the request after the
// query; the last value must end where the view ends (Boost 1.81's parse_query got this
// wrong, which is why query.cpp parses an origin-form target instead).
TEST(AdminQuery, ValuesEndWhereTheViewEnds) {
  const std::string buffer = "limit=1&starting_after=je_a%3A3 HTTP/1.1\r\nHost: x\r\n";
  const std::string_view query = std::string_view(buffer).substr(0, buffer.find(' '));
  auto params = parse_query(query, kAllowed);
  ASSERT_TRUE(params) << params.error().message;
  ASSERT_NE(find_query_param(*params, "limit"), nullptr);
  EXPECT_EQ(*find_query_param(*params, "limit"), "1");
  EXPECT_EQ(*find_query_param(*params, "starting_after"), "je_a:3");  // percent-decoded
  auto limit = read_limit(*params);
  ASSERT_TRUE(limit);
  EXPECT_EQ(*limit, 1u);
}

TEST(AdminQuery, UnknownNamesAreRefused) {
  auto params = parse_query("limit=5&ending_before=x", kAllowed);
  ASSERT_FALSE(params);
  EXPECT_EQ(params.error().code, "parameter_unknown");
  EXPECT_EQ(params.error().param, "ending_before");
}

TEST(AdminQuery, EmptyQueryAndRepeatedNames) {
  auto none = parse_query("", kAllowed);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto repeated = parse_query("limit=5&limit=7", kAllowed);
  ASSERT_TRUE(repeated);
  EXPECT_EQ(*find_query_param(*repeated, "limit"), "7");
}

TEST(AdminQuery, LimitDefaultsAndBounds) {
  auto defaulted = read_limit({});
  ASSERT_TRUE(defaulted);
  EXPECT_EQ(*defaulted, kListLimitDefault);
  for (const char* good : {"1", "1000"}) {
    EXPECT_TRUE(read_limit({{"limit", good}})) << good;
  }
  for (const char* bad : {"0", "1001", "-1", "", "ten", "5x", " 5", "99999999999999999999"}) {
    auto limit = read_limit({{"limit", bad}});
    ASSERT_FALSE(limit) << bad;
    EXPECT_EQ(limit.error().code, "parameter_invalid_integer");
    EXPECT_EQ(limit.error().param, "limit");
  }
}

TEST(AdminQuery, Int64Parameters) {
  auto absent = read_int64({}, "as_of_unix_ms");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  auto present = read_int64({{"as_of_unix_ms", "1700000000000"}}, "as_of_unix_ms");
  ASSERT_TRUE(present);
  EXPECT_EQ(**present, 1700000000000);
  auto bad = read_int64({{"as_of_unix_ms", "1.5"}}, "as_of_unix_ms");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().param, "as_of_unix_ms");
}

}  // namespace
}  // namespace till::admin
