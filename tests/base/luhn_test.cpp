#include "base/luhn.h"

#include <gtest/gtest.h>

namespace till {
namespace {

TEST(Luhn, ChecksTheCheckDigitOfDigitsOnly) {
  for (const char* valid : {"4242424242424242", "378282246310005", "6011111111111117", "18"}) {
    EXPECT_TRUE(luhn_valid(valid)) << valid;
  }
  for (const char* invalid :
       {"4242424242424241", "4242 4242 4242 4242", "42424242a2424242", "", "0", "-18"}) {
    EXPECT_FALSE(luhn_valid(invalid)) << invalid;
  }
}

}  // namespace
}  // namespace till
