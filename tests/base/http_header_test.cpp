#include "base/http_header.h"

#include <gtest/gtest.h>

#include <string>

namespace till {
namespace {

TEST(HttpHeader, NamesAreTokens) {
  EXPECT_TRUE(is_header_name("Idempotency-Key"));
  EXPECT_TRUE(is_header_name("X-Acquirer-Key"));
  EXPECT_TRUE(is_header_name("a!#$%&'*+-.^_`|~9"));
  EXPECT_FALSE(is_header_name(""));
  EXPECT_FALSE(is_header_name("Bad Name"));
  EXPECT_FALSE(is_header_name("Name:"));
  EXPECT_FALSE(is_header_name("Name\r\nX-Injected"));
}

TEST(HttpHeader, ValuesCannotEndTheHeader) {
  EXPECT_TRUE(is_header_value(""));
  EXPECT_TRUE(is_header_value("t=1,v1=abc; anything: else"));
  EXPECT_FALSE(is_header_value("a\r\nX-Injected: 1"));
  EXPECT_FALSE(is_header_value("a\nb"));
  EXPECT_FALSE(is_header_value(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace till
