// money/currency.h — the currencies Till knows: ISO 4217 fiat and on-chain stablecoin tokens.
//
// A currency's exponent says how many decimal places its smallest unit has (USD 2, JPY 0,
// KWD 3, USDC 6, DAI 18). Amounts are integers in that smallest unit, so the exponent is the
// one fact every parser, formatter and converter needs. Currencies live in one static,
// immutable registry: a `const Currency*` from find_currency is valid for the whole process
// and identifies the currency (two amounts are in the same currency iff the pointers match).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace till::money {

// 18 decimals is the largest in use (DAI and most ERC-20 tokens); 10^18 still leaves i128
// amounts room for 10^20 whole units.
inline constexpr int exponent_max = 18;

// ISO codes are 3 letters; token symbols are longer (USDC). Longer input is never a currency.
inline constexpr std::size_t currency_code_length_max = 8;

enum class CurrencyKind : std::uint8_t { fiat, token };

// One contract of a token on one EVM chain. A token may be deployed on several chains; only
// deployments whose contract has exactly the token's decimals are listed, so the exponent
// holds on every chain.
struct TokenDeployment {
  std::string_view chain;             // "ethereum", "base", "polygon", ...
  std::uint64_t chain_id;             // EIP-155 chain id: 1 for Ethereum mainnet
  std::string_view contract_address;  // 0x + 40 hex digits, EIP-55 checksummed
};

struct Currency {
  std::string_view code;       // uppercase: "USD", "USDC"
  std::uint16_t numeric_code;  // ISO 4217 numeric code; 0 for tokens
  int exponent;                // decimal places of the smallest unit, 0..exponent_max
  CurrencyKind kind;
  std::string_view name;
  std::span<const TokenDeployment> deployments;  // empty for fiat
};

// Case-insensitive ("usd" and "USD" both find US Dollar: Stripe sends lowercase codes).
// Returns nullptr for anything that is not a known code.
const Currency* find_currency(std::string_view code);

// Every registered currency, sorted by code.
std::span<const Currency> all_currencies();

}  // namespace till::money
