// The BIN table: Stripe's test cards by brand and by country, and the brand ranges behind them.
#include "routing/bin.h"

#include <gtest/gtest.h>

namespace till::routing {
namespace {

struct Card {
  const char* number;
  const char* brand;
  const char* country;
  const char* funding;
};

void expect_card(const Card& card) {
  const BinInfo info = lookup_bin(card.number);
  EXPECT_EQ(info.brand, card.brand) << card.number;
  EXPECT_EQ(info.country, card.country) << card.number;
  EXPECT_EQ(info.funding, card.funding) << card.number;
}

TEST(BinTest, StripeTestCardsByBrand) {
  for (const Card& card : {
           Card{"4242424242424242", "visa", "US", "credit"},
           Card{"4000056655665556", "visa", "US", "debit"},
           Card{"5555555555554444", "mastercard", "US", "credit"},
           Card{"2223003122003222", "mastercard", "US", "credit"},
           Card{"5200828282828210", "mastercard", "US", "debit"},
           Card{"5105105105105100", "mastercard", "US", "prepaid"},
           Card{"378282246310005", "amex", "US", "credit"},
           Card{"371449635398431", "amex", "US", "credit"},
           Card{"6011111111111117", "discover", "US", "credit"},
           Card{"6011000990139424", "discover", "US", "credit"},
           Card{"6011981111111113", "discover", "US", "debit"},
           Card{"3056930009020004", "diners", "US", "credit"},
           Card{"36227206271667", "diners", "US", "credit"},
           Card{"3566002020360505", "jcb", "JP", "credit"},
           Card{"6200000000000005", "unionpay", "CN", "credit"},
           // The generic decline and 3-D Secure cards are US Visa credit cards.
           Card{"4000000000000002", "visa", "US", "credit"},
           Card{"4000000000009995", "visa", "US", "credit"},
       }) {
    expect_card(card);
  }
}

TEST(BinTest, StripeTestCardsByCountry) {
  for (const Card& card : {
           Card{"4000000760000002", "visa", "BR", "credit"},
           Card{"4000001240000000", "visa", "CA", "credit"},
           Card{"4000004840008001", "visa", "MX", "credit"},
           Card{"4000000400000008", "visa", "AT", "credit"},
           Card{"4000000560000004", "visa", "BE", "credit"},
           Card{"4000002760000016", "visa", "DE", "credit"},
           Card{"4000002500000003", "visa", "FR", "credit"},
           Card{"4000008260000000", "visa", "GB", "credit"},
           Card{"4000058260000005", "visa", "GB", "debit"},
           Card{"5555558265554449", "mastercard", "GB", "credit"},
           Card{"4000003920000003", "visa", "JP", "credit"},
           Card{"4000000360000006", "visa", "AU", "credit"},
           Card{"4000007240000007", "visa", "ES", "credit"},
           // Sweden and Switzerland differ only in the ninth digit.
           Card{"4000007520000008", "visa", "SE", "credit"},
           Card{"4000007560000009", "visa", "CH", "credit"},
       }) {
    expect_card(card);
  }
}

TEST(BinTest, FallsBackToTheBrandByLeadingDigits) {
  for (const Card& card : {
           Card{"4111111111111111", "visa", "", "unknown"},
           Card{"5425233430109903", "mastercard", "", "unknown"},
           Card{"2720990000000000", "mastercard", "", "unknown"},
           Card{"2221000000000009", "mastercard", "", "unknown"},
           Card{"340000000000009", "amex", "", "unknown"},
           Card{"6500000000000002", "discover", "", "unknown"},
           Card{"3530000000000000", "jcb", "", "unknown"},
           Card{"38520000023237", "diners", "", "unknown"},
           Card{"6212345678901265", "unionpay", "", "unknown"},
       }) {
    expect_card(card);
  }
}

TEST(BinTest, PrefixesSpacesAndGarbage) {
  EXPECT_EQ(lookup_bin("424242").country, "US");
  EXPECT_EQ(lookup_bin("4242 4242 4242 4242").brand, "visa");
  EXPECT_EQ(lookup_bin("4000-0027-6000-0016").country, "DE");
  EXPECT_EQ(lookup_bin("4").brand, "visa");
  EXPECT_EQ(lookup_bin("4").country, "");
  // Too short to tell the country card from any other Visa.
  EXPECT_EQ(lookup_bin("40000027").country, "");
  const BinInfo unknown = lookup_bin("");
  EXPECT_EQ(unknown.brand, "unknown");
  EXPECT_EQ(unknown.country, "");
  EXPECT_EQ(unknown.funding, "unknown");
  EXPECT_EQ(lookup_bin("9999999999999995").brand, "unknown");
  EXPECT_EQ(lookup_bin("4242x").brand, "unknown");
  EXPECT_EQ(lookup_bin("1234").brand, "unknown");
}

}  // namespace
}  // namespace till::routing
