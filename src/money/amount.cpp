// money/amount.cpp — checked arithmetic and exact decimal text for amounts.
#include "money/amount.h"

#include <cassert>
#include <optional>

#include "money/detail/decimal.h"
#include "money/detail/integer.h"

namespace till::money {
namespace {

Unexpected<Error> currency_mismatch(std::string_view operation, const Amount& a, const Amount& b) {
  return fail("currency_mismatch", "cannot " + std::string(operation) + " " +
                                       std::string(a.currency().code) + " and " +
                                       std::string(b.currency().code) + " amounts");
}

Unexpected<Error> amount_overflow(std::string_view currency_code) {
  return fail("amount_overflow", "the " + std::string(currency_code) +
                                     " amount is outside the 128-bit range of minor units");
}

}  // namespace

bool operator==(const Amount& a, const Amount& b) {
  assert(same_currency(a, b));
  return a.minor_units() == b.minor_units();
}

std::strong_ordering operator<=>(const Amount& a, const Amount& b) {
  assert(same_currency(a, b));
  return a.minor_units() <=> b.minor_units();
}

Result<Amount> add(const Amount& a, const Amount& b) {
  if (!same_currency(a, b)) return currency_mismatch("add", a, b);
  i128 sum = 0;
  if (__builtin_add_overflow(a.minor_units(), b.minor_units(), &sum)) {
    return amount_overflow(a.currency().code);
  }
  return Amount(sum, a.currency());
}

Result<Amount> subtract(const Amount& a, const Amount& b) {
  if (!same_currency(a, b)) return currency_mismatch("subtract", a, b);
  i128 difference = 0;
  if (__builtin_sub_overflow(a.minor_units(), b.minor_units(), &difference)) {
    return amount_overflow(a.currency().code);
  }
  return Amount(difference, a.currency());
}

Result<Amount> negate(const Amount& a) {
  i128 negated = 0;
  if (__builtin_sub_overflow(i128{0}, a.minor_units(), &negated)) {
    return amount_overflow(a.currency().code);
  }
  return Amount(negated, a.currency());
}

Result<Amount> multiply(const Amount& a, i128 factor) {
  i128 product = 0;
  if (__builtin_mul_overflow(a.minor_units(), factor, &product)) {
    return amount_overflow(a.currency().code);
  }
  return Amount(product, a.currency());
}

Result<Amount> parse_decimal(std::string_view text, const Currency& currency) {
  assert(currency.exponent >= 0 && currency.exponent <= exponent_max);
  const std::optional<detail::DecimalParts> parts = detail::split_decimal(text);
  if (!parts) {
    return fail("invalid_amount",
                "amount must be a plain decimal like 12.34 or -0.50: digits with at most one "
                "'.', an optional leading '-', no '+', exponent, separators, spaces or "
                "leading zeros");
  }
  const auto exponent = static_cast<std::size_t>(currency.exponent);
  if (parts->fraction_digits.size() > exponent) {
    return fail("too_many_decimals",
                std::string(currency.code) + " amounts have at most " + std::to_string(exponent) +
                    " decimal places (exponent " + std::to_string(exponent) + "); got " +
                    std::to_string(parts->fraction_digits.size()) + ". Amounts are never rounded");
  }
  u128 magnitude = 0;
  const int zeros = static_cast<int>(exponent - parts->fraction_digits.size());
  if (!detail::append_digits(magnitude, parts->integer_digits) ||
      !detail::append_digits(magnitude, parts->fraction_digits) ||
      !detail::append_zeros(magnitude, zeros)) {
    return amount_overflow(currency.code);
  }
  const std::optional<i128> minor_units = detail::from_magnitude(parts->negative, magnitude);
  if (!minor_units) return amount_overflow(currency.code);
  return Amount(*minor_units, currency);
}

std::string format_decimal(const Amount& amount) {
  const i128 minor_units = amount.minor_units();
  return detail::format_scaled(minor_units < 0, detail::magnitude(minor_units),
                               amount.currency().exponent);
}

Result<i128> parse_minor_units(std::string_view text) {
  const std::optional<detail::DecimalParts> parts = detail::split_decimal(text);
  const bool canonical = parts && parts->fraction_digits.empty() &&
                         text.find('.') == std::string_view::npos &&
                         !(parts->negative && parts->integer_digits == "0");
  if (!canonical) {
    return fail("invalid_amount",
                "amount must be an integer in the currency's smallest unit, like 1234: digits "
                "and an optional leading '-', no '+', '.', spaces or leading zeros");
  }
  u128 magnitude = 0;
  if (!detail::append_digits(magnitude, parts->integer_digits)) {
    return fail("amount_overflow", "amount is outside the 128-bit range of minor units");
  }
  const std::optional<i128> minor_units = detail::from_magnitude(parts->negative, magnitude);
  if (!minor_units) {
    return fail("amount_overflow", "amount is outside the 128-bit range of minor units");
  }
  return *minor_units;
}

std::string to_string_minor(i128 minor_units) {
  return detail::format_scaled(minor_units < 0, detail::magnitude(minor_units), 0);
}

}  // namespace till::money
