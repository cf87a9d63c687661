// money/amount.h — an exact amount of money: an integer count of a currency's smallest unit.
//
// Amounts are i128 minor units (cents for USD, wei-like 10^-18 units for DAI): 64 bits cannot
// hold 10^18-decimal token balances. Arithmetic is checked and returns errors instead of
// wrapping; amounts in different currencies never mix silently.
//
// Decimal text is strict (see parse_decimal): every accepted string means exactly one
// amount, and an amount with more decimals than its currency has is an error, never rounded.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "base/int128.h"
#include "base/result.h"
#include "money/currency.h"

namespace till::money {

class Amount {
 public:
  Amount(i128 minor_units, const Currency& currency)
      : minor_units_(minor_units), currency_(&currency) {}

  i128 minor_units() const { return minor_units_; }
  const Currency& currency() const { return *currency_; }

 private:
  i128 minor_units_;
  const Currency* currency_;  // never null; registry entries live for the whole process
};

inline bool same_currency(const Amount& a, const Amount& b) {
  return &a.currency() == &b.currency();
}

// Comparing amounts in different currencies is a bug (there is no exchange rate in a
// comparison), so these assert same_currency rather than answer "not equal".
bool operator==(const Amount& a, const Amount& b);
std::strong_ordering operator<=>(const Amount& a, const Amount& b);

// Errors: currency_mismatch (add, subtract), amount_overflow (result outside i128).
Result<Amount> add(const Amount& a, const Amount& b);
Result<Amount> subtract(const Amount& a, const Amount& b);
Result<Amount> negate(const Amount& a);
Result<Amount> multiply(const Amount& a, i128 factor);

// Parses decimal text in major units: "12.34" USD is 1234 cents.
//   accepted: "12.34", "12.3" (1230), "12" (1200), "0.05", "-12.34", "-0" (zero)
//   invalid_amount:    "", "+1", "12.", ".5", "01", "1e5", "1,000", "0x10", " 1", "1 "
//   too_many_decimals: more fraction digits than the currency's exponent ("12.345" USD,
//                      "12.340" USD too, "1.5" JPY) — the message names the exponent
//   amount_overflow:   the value is outside i128 minor units
Result<Amount> parse_decimal(std::string_view text, const Currency& currency);

// Exactly `exponent` decimals: "12.34", "-0.05", "1000" (JPY), "0.000000000000000001" (DAI).
// Zero is "0.00", never "-0.00". parse_decimal(format_decimal(a)) == a for every amount.
std::string format_decimal(const Amount& amount);

// Integer minor units as Stripe sends them (`amount=1234`): "0" or -?[1-9][0-9]*.
// No '+', no leading zeros, no "-0": one spelling per value. Errors: invalid_amount,
// amount_overflow.
Result<i128> parse_minor_units(std::string_view text);

// The canonical text parse_minor_units accepts: "1234", "-5", "0".
std::string to_string_minor(i128 minor_units);

}  // namespace till::money
