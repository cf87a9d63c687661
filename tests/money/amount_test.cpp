#include "money/amount.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

#include "money_test_support.h"

namespace till::money {
namespace {

using testing::amount;
using testing::currency;
using testing::i128_max;
using testing::i128_min;
using testing::minor;

struct ParseCase {
  std::string_view text;
  std::string_view code;
  std::string_view minor_units;  // expected, as decimal text
};

// clang-format off
constexpr ParseCase accepted[] = {
    {"12.34", "USD", "1234"},
    {"12",    "USD", "1200"},
    {"12.3",  "USD", "1230"},
    {"0.1",   "USD", "10"},
    {"0.05",  "USD", "5"},
    {"0",     "USD", "0"},
    {"-0",    "USD", "0"},
    {"-0.00", "USD", "0"},
    {"-12.34", "usd", "-1234"},
    {"1000",  "JPY", "1000"},
    {"-7",    "JPY", "-7"},
    {"1.234", "KWD", "1234"},
    {"1.5",   "KWD", "1500"},
    {"0.0001", "CLF", "1"},
    {"1.000001", "USDC", "1000001"},
    {"1",     "DAI", "1000000000000000000"},
    {"0.000000000000000001", "DAI", "1"},
    {"170141183460469231731687303715884105.727", "KWD", "170141183460469231731687303715884105727"},
    {"-170141183460469231731687303715884105.728", "KWD", "-170141183460469231731687303715884105728"},
    {"170141183460469231731687303715884105727", "JPY", "170141183460469231731687303715884105727"},
    {"170141183460469231731.687303715884105727", "DAI", "170141183460469231731687303715884105727"},
};
// clang-format on

TEST(ParseDecimal, AcceptsStrictDecimals) {
  for (const ParseCase& c : accepted) {
    SCOPED_TRACE(std::string(c.text) + " " + std::string(c.code));
    const Result<Amount> parsed = parse_decimal(c.text, currency(c.code));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->minor_units(), minor(c.minor_units));
    EXPECT_EQ(&parsed->currency(), &currency(c.code));
  }
}

struct RejectCase {
  std::string_view text;
  std::string_view code;
  std::string_view error;
};

// clang-format off
constexpr RejectCase rejected[] = {
    {"",        "USD", "invalid_amount"},
    {"-",       "USD", "invalid_amount"},
    {"+12.34",  "USD", "invalid_amount"},   // one spelling per value: no '+'
    {"12.",     "USD", "invalid_amount"},   // a '.' needs digits on both sides
    {".5",      "USD", "invalid_amount"},
    {"-.5",     "USD", "invalid_amount"},
    {"012",     "USD", "invalid_amount"},   // no leading zeros
    {"00.5",    "USD", "invalid_amount"},
    {"-01",     "USD", "invalid_amount"},
    {"1e5",     "USD", "invalid_amount"},
    {"1E5",     "USD", "invalid_amount"},
    {"1,000",   "USD", "invalid_amount"},
    {"1_000",   "USD", "invalid_amount"},
    {"0x10",    "USD", "invalid_amount"},
    {" 12",     "USD", "invalid_amount"},
    {"12 ",     "USD", "invalid_amount"},
    {"1 2",     "USD", "invalid_amount"},
    {"12.3.4",  "USD", "invalid_amount"},
    {"--1",     "USD", "invalid_amount"},
    {"inf",     "USD", "invalid_amount"},
    {"NaN",     "USD", "invalid_amount"},
    {"１２",    "USD", "invalid_amount"},   // full-width digits
    {"12.345",  "USD", "too_many_decimals"},  // never rounded
    {"12.340",  "USD", "too_many_decimals"},  // the decimals are the contract, zeros too
    {"1.5",     "JPY", "too_many_decimals"},
    {"1.0",     "JPY", "too_many_decimals"},
    {"1.2345",  "KWD", "too_many_decimals"},
    {"0.0000000000000000001", "DAI", "too_many_decimals"},
    {"1701411834604692317316873037158841057.28", "USD", "amount_overflow"},
    {"-1701411834604692317316873037158841057.29", "USD", "amount_overflow"},
    {"170141183460469231731687303715884105728", "JPY", "amount_overflow"},
    {"99999999999999999999999999999999999999999999999999", "JPY", "amount_overflow"},
    {"340282366920938463463374607431768211456", "JPY", "amount_overflow"},  // 2^128
    {"170141183460469231732", "DAI", "amount_overflow"},
};
// clang-format on

TEST(ParseDecimal, RejectsAnythingElseWithANamedError) {
  for (const RejectCase& c : rejected) {
    SCOPED_TRACE(std::string(c.text) + " " + std::string(c.code));
    const Result<Amount> parsed = parse_decimal(c.text, currency(c.code));
    ASSERT_FALSE(parsed) << "parsed as " << to_string_minor(parsed->minor_units());
    EXPECT_EQ(parsed.error().code, c.error);
    EXPECT_FALSE(parsed.error().message.empty());
  }
}

TEST(ParseDecimal, TooManyDecimalsNamesTheExponent) {
  const Result<Amount> parsed = parse_decimal("12.345", currency("USD"));
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("USD"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("exponent 2"), std::string::npos);
}

struct FormatCase {
  std::string_view minor_units;
  std::string_view code;
  std::string_view text;
};

// clang-format off
constexpr FormatCase formatted[] = {
    {"1234",  "USD", "12.34"},
    {"-5",    "USD", "-0.05"},
    {"0",     "USD", "0.00"},
    {"-1234", "USD", "-12.34"},
    {"100",   "USD", "1.00"},
    {"1000",  "JPY", "1000"},
    {"0",     "JPY", "0"},
    {"-1",    "JPY", "-1"},
    {"1",     "KWD", "0.001"},
    {"1",     "CLF", "0.0001"},
    {"1",     "USDC", "0.000001"},
    {"1",     "DAI", "0.000000000000000001"},
    {"-1500000000000000000", "DAI", "-1.500000000000000000"},
    {"170141183460469231731687303715884105727", "USD", "1701411834604692317316873037158841057.27"},
    {"-170141183460469231731687303715884105728", "USD", "-1701411834604692317316873037158841057.28"},
    {"170141183460469231731687303715884105727", "DAI", "170141183460469231731.687303715884105727"},
    {"-170141183460469231731687303715884105728", "DAI", "-170141183460469231731.687303715884105728"},
    {"-170141183460469231731687303715884105728", "JPY", "-170141183460469231731687303715884105728"},
};
// clang-format on

TEST(FormatDecimal, WritesExactlyTheExponentsDecimals) {
  for (const FormatCase& c : formatted) {
    SCOPED_TRACE(std::string(c.minor_units) + " " + std::string(c.code));
    EXPECT_EQ(format_decimal(Amount(minor(c.minor_units), currency(c.code))), c.text);
  }
}

TEST(FormatDecimal, NegativeZeroParsesToPlainZero) {
  EXPECT_EQ(format_decimal(amount("-0", "USD")), "0.00");
  EXPECT_EQ(format_decimal(amount("-0.00", "USD")), "0.00");
}

TEST(DecimalText, RoundTripsRandomAmountsForEveryExponent) {
  std::mt19937_64 random(20260401);
  for (const Currency& test_currency : testing::currencies_by_exponent()) {
    SCOPED_TRACE("exponent " + std::to_string(test_currency.exponent));
    for (const i128 value : {i128_max, i128_min, i128{0}, i128{1}, i128{-1}}) {
      const Amount original(value, test_currency);
      const Result<Amount> reparsed = parse_decimal(format_decimal(original), test_currency);
      ASSERT_TRUE(reparsed) << format_decimal(original);
      EXPECT_EQ(*reparsed, original);
    }
    for (int i = 0; i < 5'000; i++) {
      const Amount original(testing::random_i128(random), test_currency);
      const std::string text = format_decimal(original);
      const Result<Amount> reparsed = parse_decimal(text, test_currency);
      ASSERT_TRUE(reparsed) << text;
      ASSERT_EQ(reparsed->minor_units(), original.minor_units()) << text;
      ASSERT_EQ(format_decimal(*reparsed), text);
    }
  }
}

struct MinorCase {
  std::string_view text;
  std::string_view error;  // empty: accepted, and to_string_minor gives the text back
};

// clang-format off
constexpr MinorCase minor_cases[] = {
    {"1234", ""}, {"0", ""}, {"-1", ""}, {"-1234", ""},
    {"170141183460469231731687303715884105727", ""},
    {"-170141183460469231731687303715884105728", ""},
    {"",      "invalid_amount"},
    {"-",     "invalid_amount"},
    {"-0",    "invalid_amount"},   // zero has one spelling: "0"
    {"+1",    "invalid_amount"},
    {"01",    "invalid_amount"},
    {"00",    "invalid_amount"},
    {"12.34", "invalid_amount"},
    {"12.0",  "invalid_amount"},
    {"1e3",   "invalid_amount"},
    {" 1",    "invalid_amount"},
    {"1 ",    "invalid_amount"},
    {"1,000", "invalid_amount"},
    {"0x10",  "invalid_amount"},
    {"170141183460469231731687303715884105728", "amount_overflow"},
    {"-170141183460469231731687303715884105729", "amount_overflow"},
    {"1000000000000000000000000000000000000000000", "amount_overflow"},
};
// clang-format on

TEST(ParseMinorUnits, AcceptsOnlyCanonicalIntegers) {
  for (const MinorCase& c : minor_cases) {
    SCOPED_TRACE(std::string(c.text));
    const Result<i128> parsed = parse_minor_units(c.text);
    if (c.error.empty()) {
      ASSERT_TRUE(parsed) << parsed.error().message;
      EXPECT_EQ(to_string_minor(*parsed), c.text);
    } else {
      ASSERT_FALSE(parsed);
      EXPECT_EQ(parsed.error().code, c.error);
    }
  }
}

TEST(ToStringMinor, WritesTheExtremesExactly) {
  EXPECT_EQ(to_string_minor(i128_max), "170141183460469231731687303715884105727");
  EXPECT_EQ(to_string_minor(i128_min), "-170141183460469231731687303715884105728");
  EXPECT_EQ(to_string_minor(0), "0");
  EXPECT_EQ(to_string_minor(-42), "-42");
}

TEST(ToStringMinor, RoundTripsRandomValues) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 20'000; i++) {
    const i128 value = testing::random_i128(random);
    const Result<i128> reparsed = parse_minor_units(to_string_minor(value));
    ASSERT_TRUE(reparsed) << to_string_minor(value);
    ASSERT_EQ(*reparsed, value);
  }
}

TEST(AmountArithmetic, AddsAndSubtractsWithinOneCurrency) {
  const Result<Amount> sum = add(amount("12.34", "USD"), amount("0.66", "USD"));
  ASSERT_TRUE(sum);
  EXPECT_EQ(format_decimal(*sum), "13.00");
  const Result<Amount> difference = subtract(amount("1.00", "USD"), amount("1.01", "USD"));
  ASSERT_TRUE(difference);
  EXPECT_EQ(format_decimal(*difference), "-0.01");
}

TEST(AmountArithmetic, RefusesToMixCurrencies) {
  const Result<Amount> sum = add(amount("1", "USD"), amount("1", "EUR"));
  ASSERT_FALSE(sum);
  EXPECT_EQ(sum.error().code, "currency_mismatch");
  EXPECT_NE(sum.error().message.find("USD and EUR"), std::string::npos);
  const Result<Amount> difference = subtract(amount("1", "USDC"), amount("1", "USD"));
  ASSERT_FALSE(difference);
  EXPECT_EQ(difference.error().code, "currency_mismatch");
}

TEST(AmountArithmetic, OverflowIsAnErrorNeverAWrap) {
  const Currency& usd = currency("USD");
  const Amount max(i128_max, usd);
  const Amount min(i128_min, usd);
  const Amount one(1, usd);
  EXPECT_EQ(add(max, one).error().code, "amount_overflow");
  EXPECT_EQ(add(min, Amount(-1, usd)).error().code, "amount_overflow");
  EXPECT_EQ(subtract(min, one).error().code, "amount_overflow");
  EXPECT_EQ(subtract(Amount(0, usd), min).error().code, "amount_overflow");
  EXPECT_EQ(negate(min).error().code, "amount_overflow");
  EXPECT_EQ(multiply(max, 2).error().code, "amount_overflow");
  EXPECT_EQ(multiply(min, -1).error().code, "amount_overflow");
  EXPECT_EQ(multiply(Amount(i128{1} << 64, usd), i128{1} << 63).error().code, "amount_overflow");
  // ... while the last representable values still work.
  EXPECT_EQ(add(Amount(i128_max - 1, usd), one)->minor_units(), i128_max);
  EXPECT_EQ(subtract(Amount(i128_min + 1, usd), one)->minor_units(), i128_min);
  EXPECT_EQ(negate(max)->minor_units(), i128_min + 1);
  EXPECT_EQ(multiply(min, 1)->minor_units(), i128_min);
  EXPECT_EQ(multiply(Amount(i128{1} << 63, usd), -(i128{1} << 63))->minor_units(),
            -(i128{1} << 126));
}

TEST(AmountArithmetic, ComparesWithinOneCurrency) {
  EXPECT_LT(amount("1.99", "USD"), amount("2", "USD"));
  EXPECT_GT(amount("-1", "USD"), amount("-1.01", "USD"));
  EXPECT_EQ(amount("1.5", "USD"), amount("1.50", "USD"));
  EXPECT_NE(amount("1.5", "USD"), amount("1.51", "USD"));
  EXPECT_LE(Amount(i128_min, currency("DAI")), Amount(i128_max, currency("DAI")));
}

TEST(AmountArithmeticDeathTest, ComparingAcrossCurrenciesIsABug) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)(amount("1", "USD") == amount("1", "EUR")), "same_currency");
  EXPECT_DEATH((void)(amount("1", "USD") < amount("2", "USDC")), "same_currency");
}

}  // namespace
}  // namespace till::money
