// libFuzzer target for the money parsers and the arithmetic behind them. Arbitrary bytes are
// read as a decimal amount in currencies of every kind of exponent, as integer minor units and
// as an FX rate; whatever parses must format back and parse to the same value (and, where the
// text is already canonical, format to the same text). The bytes are also read as raw i128
// operands for rounded division, conversion and allocation, whose results must keep their
// defining invariants.
//
// Build (clang): see `make fuzz`.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "money/allocate.h"
#include "money/amount.h"
#include "money/currency.h"
#include "money/fx.h"
#include "money/rounding.h"

namespace {

using till::i128;
using till::u128;
namespace money = till::money;

// Checks that hold in release fuzz builds too, whatever assert() is compiled to.
void require(bool condition) {
  if (!condition) std::abort();
}

constexpr std::array<std::string_view, 6> currency_codes = {"USD", "JPY",  "KWD",
                                                            "CLF", "USDC", "DAI"};
constexpr std::array<money::RoundingMode, 7> modes = {
    money::RoundingMode::half_even,      money::RoundingMode::half_up,
    money::RoundingMode::half_down,      money::RoundingMode::toward_zero,
    money::RoundingMode::away_from_zero, money::RoundingMode::floor,
    money::RoundingMode::ceiling};

bool is_canonical_decimal(std::string_view text, int exponent) {
  const std::size_t point = text.find('.');
  const std::size_t decimals = point == std::string_view::npos ? 0 : text.size() - point - 1;
  const bool negative_zero = text.starts_with('-') && text.find_first_of("123456789") == text.npos;
  return static_cast<int>(decimals) == exponent && !negative_zero;
}

void fuzz_decimal(std::string_view text, const money::Currency& currency) {
  const till::Result<money::Amount> parsed = money::parse_decimal(text, currency);
  if (!parsed) {
    const std::string& code = parsed.error().code;
    require(code == "invalid_amount" || code == "too_many_decimals" || code == "amount_overflow");
    return;
  }
  const std::string formatted = money::format_decimal(*parsed);
  const till::Result<money::Amount> reparsed = money::parse_decimal(formatted, currency);
  require(reparsed.has_value());
  require(reparsed->minor_units() == parsed->minor_units());
  if (is_canonical_decimal(text, currency.exponent)) require(formatted == text);
}

void fuzz_minor_units(std::string_view text) {
  const till::Result<i128> parsed = money::parse_minor_units(text);
  if (!parsed) {
    const std::string& code = parsed.error().code;
    require(code == "invalid_amount" || code == "amount_overflow");
    return;
  }
  require(money::to_string_minor(*parsed) == text);  // one spelling per value
}

// One rounded quotient per mode, in the order of `modes`; empty where it overflowed.
using Quotients = std::array<std::optional<i128>, modes.size()>;

// Every mode lands on the floor or the ceiling, which are at most one unit apart.
void check_modes(const Quotients& results) {
  const std::optional<i128>& floor = results[5];
  const std::optional<i128>& ceiling = results[6];
  if (!floor || !ceiling) return;  // overflow at the edge of the range
  require(*ceiling - *floor == 0 || *ceiling - *floor == 1);
  for (const std::optional<i128>& result : results) {
    if (result) require(*result == *floor || *result == *ceiling);
  }
}

void fuzz_fx_rate(std::string_view text, const money::Amount& amount) {
  const till::Result<money::FxRate> rate = money::parse_fx_rate(text);
  if (!rate) {
    const std::string& code = rate.error().code;
    require(code == "invalid_fx_rate" || code == "too_many_decimals");
    return;
  }
  require(money::is_valid(*rate));
  require(money::format_fx_rate(*rate) == text);
  Quotients results;
  for (std::size_t m = 0; m < modes.size(); m++) {
    const auto converted = money::convert(amount, *money::find_currency("DAI"), *rate, modes[m]);
    if (converted) results[m] = converted->minor_units();
  }
  check_modes(results);
  (void)money::invert(*rate, money::fx_rate_scale_max, money::RoundingMode::half_even);
}

i128 read_i128(const std::uint8_t* data) {
  i128 value = 0;
  std::memcpy(&value, data, sizeof(value));
  return value;
}

void fuzz_division(i128 numerator, i128 denominator) {
  Quotients results;
  for (std::size_t m = 0; m < modes.size(); m++) {
    const till::Result<i128> quotient = money::divide_rounded(numerator, denominator, modes[m]);
    if (quotient) results[m] = *quotient;
  }
  check_modes(results);
}

void fuzz_allocation(const money::Amount& total, const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint64_t> ratios(size / sizeof(std::uint64_t));
  if (!ratios.empty()) std::memcpy(ratios.data(), data, ratios.size() * sizeof(std::uint64_t));
  const auto parts = money::allocate(total, ratios);
  if (!parts) return;
  i128 sum = 0;
  for (const money::Amount& part : *parts) {
    require(!__builtin_add_overflow(sum, part.minor_units(), &sum));
  }
  require(sum == total.minor_units());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const std::string_view code : currency_codes) {
    fuzz_decimal(text, *money::find_currency(code));
  }
  fuzz_minor_units(text);
  const money::Currency& usd = *money::find_currency("USD");
  const i128 minor_units = size >= 16 ? read_i128(data) : static_cast<i128>(size) * 12345;
  fuzz_fx_rate(text, money::Amount(minor_units, usd));
  if (size >= 32) {
    fuzz_division(read_i128(data), read_i128(data + 16));
    fuzz_allocation(money::Amount(read_i128(data), usd), data + 16, size - 16);
  }
  return 0;
}
