// Helpers shared by the money tests: registry lookups that must succeed, i128 literals too
// large for C++ integer literals, and a currency per exponent 0..18.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "base/int128.h"
#include "money/amount.h"
#include "money/currency.h"

namespace till::money::testing {

inline constexpr i128 i128_max = static_cast<i128>((u128{1} << 127) - 1);
inline constexpr i128 i128_min = -i128_max - 1;

inline const Currency& currency(std::string_view code) {
  const Currency* found = find_currency(code);
  if (found == nullptr) ADD_FAILURE() << "unknown currency " << code;
  return found != nullptr ? *found : *find_currency("USD");
}

// An i128 from its decimal text, for values beyond 64-bit literals.
inline i128 minor(std::string_view text) {
  const Result<i128> parsed = parse_minor_units(text);
  if (!parsed) ADD_FAILURE() << "bad minor-unit literal " << text;
  return parsed ? *parsed : 0;
}

inline Amount amount(std::string_view text, std::string_view code) {
  const Result<Amount> parsed = parse_decimal(text, currency(code));
  if (!parsed) ADD_FAILURE() << "bad amount literal " << text << " " << code;
  return parsed ? *parsed : Amount(0, currency(code));
}

// Test-only currencies with every exponent 0..18 (the registry has only some of them).
inline const std::array<Currency, 19>& currencies_by_exponent() {
  static const std::array<Currency, 19> table = [] {
    std::array<Currency, 19> result{};
    for (int exponent = 0; exponent <= 18; exponent++) {
      result[static_cast<std::size_t>(exponent)] =
          Currency{"TST", 0, exponent, CurrencyKind::fiat, "Test", {}};
    }
    return result;
  }();
  return table;
}

// Random i128 values biased to the interesting places: small, every bit width, and within a
// few units of both ends of the range.
inline i128 random_i128(std::mt19937_64& random) {
  const auto word = [&] { return static_cast<u128>(random()); };
  const u128 bits = (word() << 64) | word();
  switch (random() % 4) {
    case 0:
      return static_cast<i128>(random() % 2001) - 1000;
    case 1:
      return static_cast<i128>(bits >> (random() % 128));  // any width, either sign
    case 2:
      return i128_max - static_cast<i128>(random() % 1000);
    default:
      return i128_min + static_cast<i128>(random() % 1000);
  }
}

}  // namespace till::money::testing
