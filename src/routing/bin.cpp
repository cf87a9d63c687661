#include "routing/bin.h"

#include <array>
#include <cassert>
#include <vector>

namespace till::routing {

namespace {

// A range of prefixes of one length: a number matches when its first `low.size()` digits
// are between `low` and `high` (inclusive; same length, so text order is number order).
struct Entry {
  std::string low;
  std::string high;
  std::string_view brand;
  std::string_view country;
  std::string_view funding;
};

// Stripe's international test cards are Visa credit cards numbered 4000 00 + the country's
// ISO 3166 numeric code + ….
struct CountryCode {
  std::string_view numeric;
  std::string_view alpha2;
};
constexpr auto kCountryTestCards = std::to_array<CountryCode>({
    {"000", "US"},  // 4000 0000 0000 …: the generic test cards (declines, 3-D Secure)
    {"032", "AR"}, {"036", "AU"}, {"040", "AT"}, {"056", "BE"}, {"076", "BR"}, {"100", "BG"},
    {"112", "BY"}, {"124", "CA"}, {"152", "CL"}, {"156", "CN"}, {"158", "TW"}, {"170", "CO"},
    {"188", "CR"}, {"191", "HR"}, {"196", "CY"}, {"203", "CZ"}, {"208", "DK"}, {"218", "EC"},
    {"233", "EE"}, {"246", "FI"}, {"250", "FR"}, {"276", "DE"}, {"292", "GI"}, {"300", "GR"},
    {"344", "HK"}, {"348", "HU"}, {"356", "IN"}, {"372", "IE"}, {"380", "IT"}, {"392", "JP"},
    {"428", "LV"}, {"438", "LI"}, {"440", "LT"}, {"442", "LU"}, {"458", "MY"}, {"470", "MT"},
    {"484", "MX"}, {"528", "NL"}, {"554", "NZ"}, {"578", "NO"}, {"591", "PA"}, {"600", "PY"},
    {"604", "PE"}, {"616", "PL"}, {"620", "PT"}, {"642", "RO"}, {"682", "SA"}, {"702", "SG"},
    {"703", "SK"}, {"705", "SI"}, {"724", "ES"}, {"752", "SE"}, {"756", "CH"}, {"764", "TH"},
    {"784", "AE"}, {"826", "GB"}, {"840", "US"}, {"858", "UY"},
});

Entry exact(const std::string& prefix, std::string_view brand, std::string_view country,
            std::string_view funding) {
  return Entry{prefix, prefix, brand, country, funding};
}

Entry range(std::string low, std::string high, std::string_view brand) {
  assert(low.size() == high.size() && low <= high);
  return Entry{std::move(low), std::move(high), brand, "", "unknown"};
}

std::vector<Entry> build_table() {
  std::vector<Entry> table = {
      // Stripe's test cards by brand (docs: "Testing" → "Cards by brand").
      exact("424242", "visa", "US", "credit"),           // 4242 4242 4242 4242
      exact("40000566", "visa", "US", "debit"),          // 4000 0566 5566 5556
      exact("400005826", "visa", "GB", "debit"),         // 4000 0582 6000 0005
      exact("555555555", "mastercard", "US", "credit"),  // 5555 5555 5555 4444
      exact("55555582", "mastercard", "GB", "credit"),   // 5555 5582 6555 4449
      exact("222300", "mastercard", "US", "credit"),     // 2223 0031 2200 3222
      exact("520082", "mastercard", "US", "debit"),      // 5200 8282 8282 8210
      exact("510510", "mastercard", "US", "prepaid"),    // 5105 1051 0510 5100
      exact("378282", "amex", "US", "credit"),           // 3782 822463 10005
      exact("371449", "amex", "US", "credit"),           // 3714 496353 98431
      exact("601111", "discover", "US", "credit"),       // 6011 1111 1111 1117
      exact("601100", "discover", "US", "credit"),       // 6011 0009 9013 9424
      exact("601198", "discover", "US", "debit"),        // 6011 9811 1111 1113
      exact("305693", "diners", "US", "credit"),         // 3056 9300 0902 0004
      exact("362272", "diners", "US", "credit"),         // 3622 720627 1667
      exact("356600", "jcb", "JP", "credit"),            // 3566 0020 2036 0505
      exact("353011", "jcb", "JP", "credit"),            // 3530 1113 3330 0000
      // 6200 0000 0000 0005 (credit) and …0047 (debit) differ only in digit 15, past any
      // prefix a BIN table reads: both are credit here.
      exact("620000", "unionpay", "CN", "credit"),
      exact("620550", "unionpay", "CN", "credit"),  // 6205 5000 0000 0000 004 (19 digits)
      // Brands by leading digits.
      range("4", "4", "visa"),
      range("51", "55", "mastercard"),
      range("2221", "2720", "mastercard"),
      range("34", "34", "amex"),
      range("37", "37", "amex"),
      range("6011", "6011", "discover"),
      range("644", "649", "discover"),
      range("65", "65", "discover"),
      range("300", "305", "diners"),
      range("3095", "3095", "diners"),
      range("36", "36", "diners"),
      range("38", "39", "diners"),
      range("3528", "3589", "jcb"),
      range("62", "62", "unionpay"),
      range("81", "81", "unionpay"),
  };
  for (const CountryCode& code : kCountryTestCards) {
    table.push_back(exact("400000" + std::string(code.numeric), "visa", code.alpha2, "credit"));
  }
  for (const Entry& entry : table) assert(entry.low.size() <= kBinPrefixDigitsMax);
  return table;
}

const std::vector<Entry>& table() {
  static const std::vector<Entry> built = build_table();
  return built;
}

}  // namespace

BinInfo lookup_bin(std::string_view card_number_or_prefix) {
  BinInfo unknown{"unknown", "", "unknown"};
  std::string digits;
  for (char c : card_number_or_prefix) {
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9') return unknown;
    if (digits.size() < kBinPrefixDigitsMax) digits.push_back(c);
  }
  const Entry* best = nullptr;
  for (const Entry& entry : table()) {
    const std::size_t length = entry.low.size();
    if (length > digits.size() || (best != nullptr && length <= best->low.size())) continue;
    const std::string_view prefix = std::string_view(digits).substr(0, length);
    if (prefix >= entry.low && prefix <= entry.high) best = &entry;
  }
  if (best == nullptr) return unknown;
  return BinInfo{std::string(best->brand), std::string(best->country), std::string(best->funding)};
}

}  // namespace till::routing
