// money/currency.cpp — the currency registry: one sorted, compile-time-checked table.
//
// Fiat: every code on ISO 4217 list one whose minor unit is defined, as of the 2025
// amendments. Left out: codes whose minor unit ISO gives as "N.A." (precious metals XAU XAG
// XPD XPT, bond units XBA..XBD, XDR, XSU, XUA, the test code XTS and XXX), because an amount
// in them has no smallest unit; and withdrawn codes (HRK 2023, SLL, ZWL 2024). ANG is kept
// beside its successor XCG (both numeric 532) while processors still send it.
//
// Tokens: well-known mainnet contracts, checked against EIP-55 checksums. Binance-Peg USDC
// and USDT on BNB Chain use 18 decimals, not 6, so they are not deployments of these tokens.
#include "money/currency.h"

#include <algorithm>
#include <array>
#include <cassert>

namespace till::money {
namespace {

constexpr Currency fiat(std::string_view code, std::uint16_t numeric_code, int exponent,
                        std::string_view name) {
  return Currency{code, numeric_code, exponent, CurrencyKind::fiat, name, {}};
}

constexpr Currency token(std::string_view code, int exponent, std::string_view name,
                         std::span<const TokenDeployment> deployments) {
  return Currency{code, 0, exponent, CurrencyKind::token, name, deployments};
}

constexpr TokenDeployment usdc_deployments[] = {
    {"ethereum", 1, "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"},
    {"optimism", 10, "0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85"},
    {"polygon", 137, "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"},
    {"base", 8453, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"},
    {"arbitrum", 42161, "0xaf88d065e77c8cC2239327C5EDb3A432268e5831"},
    {"avalanche", 43114, "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E"},
};

constexpr TokenDeployment usdt_deployments[] = {
    {"ethereum", 1, "0xdAC17F958D2ee523a2206206994597C13D831ec7"},
    {"optimism", 10, "0x94b008aA00579c1307B0EF2c499aD98a8ce58e58"},
    {"polygon", 137, "0xc2132D05D31c914a87C6611C10748AEb04B58e8F"},
    {"arbitrum", 42161, "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9"},
    {"avalanche", 43114, "0x9702230A8Ea53601f5cD2dc00fDBc13d4dF4A8c7"},
};

constexpr TokenDeployment eurc_deployments[] = {
    {"ethereum", 1, "0x1aBaEA1f7C830bD89Acc67eC4af516284b1bC33c"},
    {"base", 8453, "0x60a3E35Cc302bFA44Cb288Bc5a4F316Fdb1adb42"},
    {"avalanche", 43114, "0xC891EB4cbdEFf6e073e859e987815Ed1505c2ACD"},
};

constexpr TokenDeployment dai_deployments[] = {
    {"ethereum", 1, "0x6B175474E89094C44Da98b954EedeAC495271d0F"},
    {"optimism", 10, "0xDA10009cBd5D07dd0CeCc66161FC93D7c9000da1"},
    {"polygon", 137, "0x8f3Cf7ad23Cd3CaDbD9735AFf958023239c6A063"},
    {"base", 8453, "0x50c5725949A6F0c72E6C4a641F24049A917DB0Cb"},
    {"arbitrum", 42161, "0xDA10009cBd5D07dd0CeCc66161FC93D7c9000da1"},
};

// Sorted by code: find_currency binary-searches it (checked below at compile time).
constexpr Currency currencies[] = {
    fiat("AED", 784, 2, "UAE Dirham"),
    fiat("AFN", 971, 2, "Afghani"),
    fiat("ALL", 8, 2, "Lek"),
    fiat("AMD", 51, 2, "Armenian Dram"),
    fiat("ANG", 532, 2, "Netherlands Antillean Guilder"),
    fiat("AOA", 973, 2, "Kwanza"),
    fiat("ARS", 32, 2, "Argentine Peso"),
    fiat("AUD", 36, 2, "Australian Dollar"),
    fiat("AWG", 533, 2, "Aruban Florin"),
    fiat("AZN", 944, 2, "Azerbaijan Manat"),
    fiat("BAM", 977, 2, "Convertible Mark"),
    fiat("BBD", 52, 2, "Barbados Dollar"),
    fiat("BDT", 50, 2, "Taka"),
    fiat("BGN", 975, 2, "Bulgarian Lev"),
    fiat("BHD", 48, 3, "Bahraini Dinar"),
    fiat("BIF", 108, 0, "Burundi Franc"),
    fiat("BMD", 60, 2, "Bermudian Dollar"),
    fiat("BND", 96, 2, "Brunei Dollar"),
    fiat("BOB", 68, 2, "Boliviano"),
    fiat("BOV", 984, 2, "Mvdol"),
    fiat("BRL", 986, 2, "Brazilian Real"),
    fiat("BSD", 44, 2, "Bahamian Dollar"),
    fiat("BTN", 64, 2, "Ngultrum"),
    fiat("BWP", 72, 2, "Pula"),
    fiat("BYN", 933, 2, "Belarusian Ruble"),
    fiat("BZD", 84, 2, "Belize Dollar"),
    fiat("CAD", 124, 2, "Canadian Dollar"),
    fiat("CDF", 976, 2, "Congolese Franc"),
    fiat("CHE", 947, 2, "WIR Euro"),
    fiat("CHF", 756, 2, "Swiss Franc"),
    fiat("CHW", 948, 2, "WIR Franc"),
    fiat("CLF", 990, 4, "Unidad de Fomento"),
    fiat("CLP", 152, 0, "Chilean Peso"),
    fiat("CNY", 156, 2, "Yuan Renminbi"),
    fiat("COP", 170, 2, "Colombian Peso"),
    fiat("COU", 970, 2, "Unidad de Valor Real"),
    fiat("CRC", 188, 2, "Costa Rican Colon"),
    fiat("CUC", 931, 2, "Peso Convertible"),
    fiat("CUP", 192, 2, "Cuban Peso"),
    fiat("CVE", 132, 2, "Cabo Verde Escudo"),
    fiat("CZK", 203, 2, "Czech Koruna"),
    token("DAI", 18, "Dai Stablecoin", dai_deployments),
    fiat("DJF", 262, 0, "Djibouti Franc"),
    fiat("DKK", 208, 2, "Danish Krone"),
    fiat("DOP", 214, 2, "Dominican Peso"),
    fiat("DZD", 12, 2, "Algerian Dinar"),
    fiat("EGP", 818, 2, "Egyptian Pound"),
    fiat("ERN", 232, 2, "Nakfa"),
    fiat("ETB", 230, 2, "Ethiopian Birr"),
    fiat("EUR", 978, 2, "Euro"),
    token("EURC", 6, "EURC (Circle euro stablecoin)", eurc_deployments),
    fiat("FJD", 242, 2, "Fiji Dollar"),
    fiat("FKP", 238, 2, "Falkland Islands Pound"),
    fiat("GBP", 826, 2, "Pound Sterling"),
    fiat("GEL", 981, 2, "Lari"),
    fiat("GHS", 936, 2, "Ghana Cedi"),
    fiat("GIP", 292, 2, "Gibraltar Pound"),
    fiat("GMD", 270, 2, "Dalasi"),
    fiat("GNF", 324, 0, "Guinean Franc"),
    fiat("GTQ", 320, 2, "Quetzal"),
    fiat("GYD", 328, 2, "Guyana Dollar"),
    fiat("HKD", 344, 2, "Hong Kong Dollar"),
    fiat("HNL", 340, 2, "Lempira"),
    fiat("HTG", 332, 2, "Gourde"),
    fiat("HUF", 348, 2, "Forint"),
    fiat("IDR", 360, 2, "Rupiah"),
    fiat("ILS", 376, 2, "New Israeli Sheqel"),
    fiat("INR", 356, 2, "Indian Rupee"),
    fiat("IQD", 368, 3, "Iraqi Dinar"),
    fiat("IRR", 364, 2, "Iranian Rial"),
    fiat("ISK", 352, 0, "Iceland Krona"),
    fiat("JMD", 388, 2, "Jamaican Dollar"),
    fiat("JOD", 400, 3, "Jordanian Dinar"),
    fiat("JPY", 392, 0, "Yen"),
    fiat("KES", 404, 2, "Kenyan Shilling"),
    fiat("KGS", 417, 2, "Som"),
    fiat("KHR", 116, 2, "Riel"),
    fiat("KMF", 174, 0, "Comorian Franc"),
    fiat("KPW", 408, 2, "North Korean Won"),
    fiat("KRW", 410, 0, "Won"),
    fiat("KWD", 414, 3, "Kuwaiti Dinar"),
    fiat("KYD", 136, 2, "Cayman Islands Dollar"),
    fiat("KZT", 398, 2, "Tenge"),
    fiat("LAK", 418, 2, "Lao Kip"),
    fiat("LBP", 422, 2, "Lebanese Pound"),
    fiat("LKR", 144, 2, "Sri Lanka Rupee"),
    fiat("LRD", 430, 2, "Liberian Dollar"),
    fiat("LSL", 426, 2, "Loti"),
    fiat("LYD", 434, 3, "Libyan Dinar"),
    fiat("MAD", 504, 2, "Moroccan Dirham"),
    fiat("MDL", 498, 2, "Moldovan Leu"),
    fiat("MGA", 969, 2, "Malagasy Ariary"),
    fiat("MKD", 807, 2, "Denar"),
    fiat("MMK", 104, 2, "Kyat"),
    fiat("MNT", 496, 2, "Tugrik"),
    fiat("MOP", 446, 2, "Pataca"),
    fiat("MRU", 929, 2, "Ouguiya"),
    fiat("MUR", 480, 2, "Mauritius Rupee"),
    fiat("MVR", 462, 2, "Rufiyaa"),
    fiat("MWK", 454, 2, "Malawi Kwacha"),
    fiat("MXN", 484, 2, "Mexican Peso"),
    fiat("MXV", 979, 2, "Mexican Unidad de Inversion (UDI)"),
    fiat("MYR", 458, 2, "Malaysian Ringgit"),
    fiat("MZN", 943, 2, "Mozambique Metical"),
    fiat("NAD", 516, 2, "Namibia Dollar"),
    fiat("NGN", 566, 2, "Naira"),
    fiat("NIO", 558, 2, "Cordoba Oro"),
    fiat("NOK", 578, 2, "Norwegian Krone"),
    fiat("NPR", 524, 2, "Nepalese Rupee"),
    fiat("NZD", 554, 2, "New Zealand Dollar"),
    fiat("OMR", 512, 3, "Rial Omani"),
    fiat("PAB", 590, 2, "Balboa"),
    fiat("PEN", 604, 2, "Sol"),
    fiat("PGK", 598, 2, "Kina"),
    fiat("PHP", 608, 2, "Philippine Peso"),
    fiat("PKR", 586, 2, "Pakistan Rupee"),
    fiat("PLN", 985, 2, "Zloty"),
    fiat("PYG", 600, 0, "Guarani"),
    fiat("QAR", 634, 2, "Qatari Rial"),
    fiat("RON", 946, 2, "Romanian Leu"),
    fiat("RSD", 941, 2, "Serbian Dinar"),
    fiat("RUB", 643, 2, "Russian Ruble"),
    fiat("RWF", 646, 0, "Rwanda Franc"),
    fiat("SAR", 682, 2, "Saudi Riyal"),
    fiat("SBD", 90, 2, "Solomon Islands Dollar"),
    fiat("SCR", 690, 2, "Seychelles Rupee"),
    fiat("SDG", 938, 2, "Sudanese Pound"),
    fiat("SEK", 752, 2, "Swedish Krona"),
    fiat("SGD", 702, 2, "Singapore Dollar"),
    fiat("SHP", 654, 2, "Saint Helena Pound"),
    fiat("SLE", 925, 2, "Leone"),
    fiat("SOS", 706, 2, "Somali Shilling"),
    fiat("SRD", 968, 2, "Surinam Dollar"),
    fiat("SSP", 728, 2, "South Sudanese Pound"),
    fiat("STN", 930, 2, "Dobra"),
    fiat("SVC", 222, 2, "El Salvador Colon"),
    fiat("SYP", 760, 2, "Syrian Pound"),
    fiat("SZL", 748, 2, "Lilangeni"),
    fiat("THB", 764, 2, "Baht"),
    fiat("TJS", 972, 2, "Somoni"),
    fiat("TMT", 934, 2, "Turkmenistan New Manat"),
    fiat("TND", 788, 3, "Tunisian Dinar"),
    fiat("TOP", 776, 2, "Pa'anga"),
    fiat("TRY", 949, 2, "Turkish Lira"),
    fiat("TTD", 780, 2, "Trinidad and Tobago Dollar"),
    fiat("TWD", 901, 2, "New Taiwan Dollar"),
    fiat("TZS", 834, 2, "Tanzanian Shilling"),
    fiat("UAH", 980, 2, "Hryvnia"),
    fiat("UGX", 800, 0, "Uganda Shilling"),
    fiat("USD", 840, 2, "US Dollar"),
    token("USDC", 6, "USD Coin", usdc_deployments),
    token("USDT", 6, "Tether USD", usdt_deployments),
    fiat("USN", 997, 2, "US Dollar (Next day)"),
    fiat("UYI", 940, 0, "Uruguay Peso en Unidades Indexadas (UI)"),
    fiat("UYU", 858, 2, "Peso Uruguayo"),
    fiat("UYW", 927, 4, "Unidad Previsional"),
    fiat("UZS", 860, 2, "Uzbekistan Sum"),
    fiat("VED", 926, 2, "Bolívar Soberano"),
    fiat("VES", 928, 2, "Bolívar Soberano"),
    fiat("VND", 704, 0, "Dong"),
    fiat("VUV", 548, 0, "Vatu"),
    fiat("WST", 882, 2, "Tala"),
    fiat("XAF", 950, 0, "CFA Franc BEAC"),
    fiat("XCD", 951, 2, "East Caribbean Dollar"),
    fiat("XCG", 532, 2, "Caribbean Guilder"),
    fiat("XOF", 952, 0, "CFA Franc BCEAO"),
    fiat("XPF", 953, 0, "CFP Franc"),
    fiat("YER", 886, 2, "Yemeni Rial"),
    fiat("ZAR", 710, 2, "Rand"),
    fiat("ZMW", 967, 2, "Zambian Kwacha"),
    fiat("ZWG", 924, 2, "Zimbabwe Gold"),
};

constexpr bool is_upper_code(std::string_view code) {
  if (code.empty() || code.size() > currency_code_length_max) return false;
  return std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

constexpr bool is_contract_address(std::string_view address) {
  if (address.size() != 42 || address.substr(0, 2) != "0x") return false;
  return std::all_of(address.begin() + 2, address.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

constexpr bool is_valid_entry(const Currency& currency) {
  if (!is_upper_code(currency.code) || currency.name.empty()) return false;
  if (currency.exponent < 0 || currency.exponent > exponent_max) return false;
  if (currency.kind == CurrencyKind::fiat) {
    return currency.code.size() == 3 && currency.numeric_code > 0 && currency.numeric_code < 1000 &&
           currency.deployments.empty();
  }
  if (currency.numeric_code != 0 || currency.deployments.empty()) return false;
  return std::all_of(currency.deployments.begin(), currency.deployments.end(),
                     [](const TokenDeployment& deployment) {
                       return !deployment.chain.empty() && deployment.chain_id > 0 &&
                              is_contract_address(deployment.contract_address);
                     });
}

constexpr bool is_valid_registry() {
  for (std::size_t i = 0; i < std::size(currencies); i++) {
    if (!is_valid_entry(currencies[i])) return false;
    if (i > 0 && !(currencies[i - 1].code < currencies[i].code)) return false;
  }
  return true;
}

static_assert(is_valid_registry(), "currency table: bad entry, or codes not sorted and unique");

}  // namespace

const Currency* find_currency(std::string_view code) {
  if (code.empty() || code.size() > currency_code_length_max) return nullptr;
  std::array<char, currency_code_length_max> upper{};
  for (std::size_t i = 0; i < code.size(); i++) {
    const char c = code[i];
    upper[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  const std::string_view wanted(upper.data(), code.size());
  const auto* found = std::lower_bound(
      std::begin(currencies), std::end(currencies), wanted,
      [](const Currency& currency, std::string_view key) { return currency.code < key; });
  if (found == std::end(currencies) || found->code != wanted) return nullptr;
  assert(found->exponent >= 0 && found->exponent <= exponent_max);
  return found;
}

std::span<const Currency> all_currencies() { return currencies; }

}  // namespace till::money
