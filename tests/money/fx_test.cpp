#include "money/fx.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
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

FxRate rate(std::string_view text) {
  const Result<FxRate> parsed = parse_fx_rate(text);
  if (!parsed) ADD_FAILURE() << "bad rate literal " << text;
  return parsed ? *parsed : FxRate{1, 0};
}

struct RateCase {
  std::string_view text;
  std::int64_t mantissa;
  int scale;
};

// clang-format off
constexpr RateCase rate_cases[] = {
    {"1.0825",   10825, 4},
    {"151.37",   15137, 2},
    {"0.000123", 123,   6},
    {"2",        2,     0},
    {"1.10",     110,   2},   // the scale is kept as written
    {"0.000000000000000001", 1, 18},
};
// clang-format on

TEST(FxRate, ParsesExactDecimalsAndFormatsThemBack) {
  for (const RateCase& c : rate_cases) {
    SCOPED_TRACE(std::string(c.text));
    const Result<FxRate> parsed = parse_fx_rate(c.text);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->mantissa, i128{c.mantissa});
    EXPECT_EQ(parsed->scale, c.scale);
    EXPECT_EQ(format_fx_rate(*parsed), c.text);
  }
  const FxRate largest = rate("170141183460469231731.687303715884105727");
  EXPECT_EQ(largest.mantissa, i128_max);
  EXPECT_EQ(largest.scale, 18);
}

struct RejectCase {
  std::string_view text;
  std::string_view error;
};

// clang-format off
constexpr RejectCase rejected_rates[] = {
    {"",        "invalid_fx_rate"},
    {"0",       "invalid_fx_rate"},   // a rate is positive
    {"0.0000",  "invalid_fx_rate"},
    {"-1.5",    "invalid_fx_rate"},
    {"-0",      "invalid_fx_rate"},
    {"+1.5",    "invalid_fx_rate"},
    {"1.",      "invalid_fx_rate"},
    {".5",      "invalid_fx_rate"},
    {"01.5",    "invalid_fx_rate"},
    {"1e3",     "invalid_fx_rate"},
    {"1,5",     "invalid_fx_rate"},
    {" 1.5",    "invalid_fx_rate"},
    {"1.5 ",    "invalid_fx_rate"},
    {"1/3",     "invalid_fx_rate"},
    {"170141183460469231731687303715884105728", "invalid_fx_rate"},  // mantissa 2^127
    {"1.0000000000000000001", "too_many_decimals"},                 // 19 decimals
};
// clang-format on

TEST(FxRate, RejectsAnythingElse) {
  for (const RejectCase& c : rejected_rates) {
    SCOPED_TRACE(std::string(c.text));
    const Result<FxRate> parsed = parse_fx_rate(c.text);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, c.error);
  }
}

struct ConvertCase {
  std::string_view amount;
  std::string_view from;
  std::string_view to;
  std::string_view rate;
  RoundingMode mode;
  std::string_view expected;  // amount text in `to`, or an error code
};

using enum RoundingMode;

// clang-format off
const ConvertCase convert_cases[] = {
    // amount        from    to      rate       mode            expected
    {"100.00",      "USD",  "JPY",  "151.37",  half_even,      "15137"},
    {"1.23",        "USD",  "JPY",  "151.37",  half_even,      "186"},     // 186.1851
    {"1.23",        "USD",  "JPY",  "151.37",  ceiling,        "187"},
    {"-100.00",     "USD",  "JPY",  "151.37",  half_even,      "-15137"},
    {"15137",       "JPY",  "USD",  "0.006606", half_even,     "100.00"},  // 99.995022
    {"15137",       "JPY",  "USD",  "0.006606", floor,         "99.99"},
    {"1",           "JPY",  "KWD",  "0.002",   half_even,      "0.002"},
    {"100.00",      "USD",  "KWD",  "0.3075",  half_even,      "30.750"},
    {"1.01",        "USD",  "KWD",  "0.30712", half_even,      "0.310"},   // 0.3101912
    {"1.01",        "USD",  "KWD",  "0.30712", ceiling,        "0.311"},
    {"12.34",       "EUR",  "DAI",  "1.0825",  half_even,      "13.358050000000000000"},
    {"1.234567",    "USDC", "USD",  "1",       half_even,      "1.23"},
    {"1.234567",    "USDC", "USD",  "1",       ceiling,        "1.24"},
    {"1.5",         "CLF",  "CLP",  "37000.5", half_even,      "55501"},   // 55500.75
    {"-19.99",      "EUR",  "USD",  "0.9237",  half_even,      "-18.46"},  // -18.464763
    {"-19.99",      "EUR",  "USD",  "0.9237",  floor,          "-18.47"},
    {"-19.99",      "EUR",  "USD",  "0.9237",  ceiling,        "-18.46"},
    {"0.0000005",   "DAI",  "USDC", "1",       half_even,      "0.000000"},
    {"0.0000005",   "DAI",  "USDC", "1",       half_up,        "0.000001"},
    {"0",           "USD",  "JPY",  "151.37",  ceiling,        "0"},
    // Every mode at an exact half: 0.025 USDC is 2.5 cents.
    {"0.025000",    "USDC", "USD",  "1",       half_even,      "0.02"},
    {"0.035000",    "USDC", "USD",  "1",       half_even,      "0.04"},
    {"0.025000",    "USDC", "USD",  "1",       half_up,        "0.03"},
    {"0.025000",    "USDC", "USD",  "1",       half_down,      "0.02"},
    {"0.025000",    "USDC", "USD",  "1",       toward_zero,    "0.02"},
    {"0.025000",    "USDC", "USD",  "1",       away_from_zero, "0.03"},
    {"0.025000",    "USDC", "USD",  "1",       floor,          "0.02"},
    {"0.025000",    "USDC", "USD",  "1",       ceiling,        "0.03"},
    {"-0.025000",   "USDC", "USD",  "1",       half_even,      "-0.02"},
    {"-0.025000",   "USDC", "USD",  "1",       half_up,        "-0.03"},
    {"-0.025000",   "USDC", "USD",  "1",       half_down,      "-0.02"},
    {"-0.025000",   "USDC", "USD",  "1",       toward_zero,    "-0.02"},
    {"-0.025000",   "USDC", "USD",  "1",       away_from_zero, "-0.03"},
    {"-0.025000",   "USDC", "USD",  "1",       floor,          "-0.03"},
    {"-0.025000",   "USDC", "USD",  "1",       ceiling,        "-0.02"},
    {"-0.005000",   "USDC", "USD",  "1",       ceiling,        "0.00"},    // never "-0.00"
    // Near the limits: the product needs 254 bits, the result fits exactly.
    {"10000000000000000.00", "USD", "USD", "170141183460469231731.687303715884105727",
                                           half_even, "1701411834604692317316873037158841057.27"},
    {"-10000000000000000.00", "USD", "USD", "170141183460469231731.687303715884105727",
                                           half_even, "-1701411834604692317316873037158841057.27"},
    {"10000000000000000.01", "USD", "USD", "170141183460469231731.687303715884105727",
                                           half_even, "amount_overflow"},
    {"170141183460469231731.687303715884105727", "DAI", "USD", "1",
                                           half_even, "170141183460469231731.69"},
    {"-170141183460469231731.687303715884105728", "DAI", "DAI", "1",
                                           half_even, "-170141183460469231731.687303715884105728"},
    {"1701411834604692317316873037158841057.27", "USD", "DAI", "1",
                                           half_even, "amount_overflow"},
    {"1701411834604692317316873037158841057.27", "USD", "USD", "1.5",
                                           half_even, "amount_overflow"},
    {"1701411834604692317316873037158841057.27", "USD", "USD", "0.5",
                                           half_even, "850705917302346158658436518579420528.64"},
    {"170141183460469231731687303715884105727", "JPY", "DAI", "170141183460469231731687303715884105727",
                                           half_even, "amount_overflow"},  // beyond 256 bits
};
// clang-format on

TEST(Convert, AcrossExponentsAndModes) {
  for (const ConvertCase& c : convert_cases) {
    SCOPED_TRACE(std::string(c.amount) + " " + std::string(c.from) + " -> " + std::string(c.to) +
                 " @ " + std::string(c.rate) + " " + std::string(to_string(c.mode)));
    const Result<Amount> converted =
        convert(amount(c.amount, c.from), currency(c.to), rate(c.rate), c.mode);
    if (c.expected == "amount_overflow") {
      ASSERT_FALSE(converted);
      EXPECT_EQ(converted.error().code, c.expected);
      continue;
    }
    ASSERT_TRUE(converted) << converted.error().message;
    EXPECT_EQ(&converted->currency(), &currency(c.to));
    EXPECT_EQ(format_decimal(*converted), c.expected);
  }
}

TEST(Convert, InvalidRatesAreErrors) {
  const Amount usd = amount("1", "USD");
  for (const FxRate bad : {FxRate{0, 2}, FxRate{-5, 2}, FxRate{1, -1}, FxRate{1, 19}}) {
    EXPECT_EQ(convert(usd, currency("EUR"), bad, half_even).error().code, "invalid_fx_rate");
  }
}

TEST(Convert, WithAnInverseRate) {
  const Result<FxRate> inverse = invert(rate("151.37"), 10, half_even);
  ASSERT_TRUE(inverse);
  EXPECT_EQ(format_fx_rate(*inverse), "0.0066063289");  // 1 / 151.37 = 0.00660632886…
  EXPECT_EQ(format_fx_rate(*invert(rate("151.37"), 10, floor)), "0.0066063288");
  EXPECT_EQ(format_fx_rate(*invert(rate("0.5"), 0, half_even)), "2");
  EXPECT_EQ(format_fx_rate(*invert(rate("0.000000000000000001"), 0, half_even)),
            "1000000000000000000");
  const Result<Amount> back = convert(amount("15137", "JPY"), currency("USD"), *inverse, half_even);
  ASSERT_TRUE(back);
  EXPECT_EQ(format_decimal(*back), "100.00");  // 100.0000005593
  EXPECT_EQ(invert(rate("151.37"), 0, half_even).error().code, "invalid_fx_rate");  // 0
  EXPECT_EQ(invert(rate("151.37"), 19, half_even).error().code, "too_many_decimals");
  EXPECT_EQ(invert(FxRate{0, 0}, 2, half_even).error().code, "invalid_fx_rate");
}

constexpr std::array<RoundingMode, 7> all_modes = {half_even,      half_up, half_down, toward_zero,
                                                   away_from_zero, floor,   ceiling};

// With small inputs the exact quotient fits i128, so divide_rounded (tested on its own) gives
// an independent answer that checks the exponent bookkeeping of convert.
TEST(Convert, AgreesWithI128DivisionOnSmallInputs) {
  std::mt19937_64 random(1825);
  const auto& by_exponent = testing::currencies_by_exponent();
  for (int i = 0; i < 20'000; i++) {
    const Currency& from = by_exponent[random() % 19];
    const Currency& to = by_exponent[random() % 19];
    // |amount| < 2^29 and rate < 2^30, so even the product times 10^18 stays below 2^120.
    const i128 minor_units = static_cast<i128>(random() % (std::uint64_t{1} << 30)) -
                             static_cast<i128>(std::uint64_t{1} << 29);
    const FxRate fx_rate{static_cast<i128>(random() % (std::uint64_t{1} << 30)) + 1,
                         static_cast<int>(random() % 19)};
    const int shift = to.exponent - fx_rate.scale - from.exponent;  // -36..18
    i128 numerator = minor_units * fx_rate.mantissa;
    i128 denominator = 1;
    for (int k = 0; k < shift; k++) numerator *= 10;
    for (int k = 0; k > shift; k--) denominator *= 10;
    for (const RoundingMode mode : all_modes) {
      const Result<Amount> converted = convert(Amount(minor_units, from), to, fx_rate, mode);
      ASSERT_TRUE(converted);
      ASSERT_EQ(converted->minor_units(), *divide_rounded(numerator, denominator, mode))
          << "case " << i << " " << to_string(mode);
    }
  }
}

}  // namespace
}  // namespace till::money
