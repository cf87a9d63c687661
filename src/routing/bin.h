// routing/bin.h — what a card number's leading digits say: brand, issuing country, funding.
//
// A static table compiled in (no file, no network): Stripe's documented test cards, exactly,
// and ranges by leading digits for everything else (brand only; country "" and funding
// "unknown"). The longest matching prefix wins, so a test card's own entry beats its brand's
// range. Prefixes are up to kBinPrefixDigitsMax digits long rather than the usual 6–8:
// Stripe's country test cards (4000 00cc c…, ccc = ISO 3166 numeric) differ only in the 9th
// digit for some pairs (SE 752 / CH 756).
//
// Only the first kBinPrefixDigitsMax digits are read; the number is never stored or logged.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace till::routing {

constexpr std::size_t kBinPrefixDigitsMax = 10;

struct BinInfo {
  std::string brand;    // visa, mastercard, amex, discover, diners, jcb, unionpay, unknown
  std::string country;  // ISO 3166-1 alpha-2, upper case; "" when unknown
  std::string funding;  // credit, debit, prepaid, unknown
};

// Accepts a whole card number or any prefix of one; spaces and '-' are ignored. Anything else
// that is not a digit (or no digit at all) gives {"unknown", "", "unknown"}.
BinInfo lookup_bin(std::string_view card_number_or_prefix);

}  // namespace till::routing
