#include "money/currency.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "money_test_support.h"

namespace till::money {
namespace {

using testing::currency;

struct ExponentCase {
  std::string_view code;
  int exponent;
  std::uint16_t numeric_code;
};

// clang-format off
constexpr ExponentCase exponent_cases[] = {
    {"USD", 2, 840}, {"EUR", 2, 978}, {"GBP", 2, 826}, {"CHF", 2, 756}, {"INR", 2, 356},
    {"JPY", 0, 392}, {"KRW", 0, 410}, {"VND", 0, 704}, {"CLP", 0, 152}, {"ISK", 0, 352},
    {"XAF", 0, 950}, {"XOF", 0, 952}, {"UGX", 0, 800}, {"PYG", 0, 600}, {"RWF", 0, 646},
    {"KMF", 0, 174}, {"GNF", 0, 324}, {"DJF", 0, 262}, {"VUV", 0, 548}, {"XPF", 0, 953},
    {"BIF", 0, 108}, {"UYI", 0, 940},
    {"KWD", 3, 414}, {"BHD", 3, 48},  {"OMR", 3, 512}, {"JOD", 3, 400}, {"TND", 3, 788},
    {"LYD", 3, 434}, {"IQD", 3, 368},
    {"CLF", 4, 990}, {"UYW", 4, 927},
    {"USDC", 6, 0},  {"USDT", 6, 0},  {"EURC", 6, 0},  {"DAI", 18, 0},
};
// clang-format on

TEST(Currency, ExponentsAndNumericCodes) {
  for (const ExponentCase& c : exponent_cases) {
    SCOPED_TRACE(std::string(c.code));
    const Currency& found = currency(c.code);
    EXPECT_EQ(found.code, c.code);
    EXPECT_EQ(found.exponent, c.exponent);
    EXPECT_EQ(found.numeric_code, c.numeric_code);
  }
}

TEST(Currency, UnknownCodesAreNotFound) {
  const std::string_view unknown[] = {
      "",     "US",  "XXX",       "XAU",        "XTS",
      "HRK",  "ZWL", "USDD",      "US D",       "USD ",
      " USD", "U$D", "USDOLLARS", "\xC3\xBCSD", std::string_view("US\0", 3)};
  for (const std::string_view code : unknown) {
    EXPECT_EQ(find_currency(code), nullptr) << code;
  }
}

TEST(Currency, LookupIgnoresCase) {
  const Currency* usd = find_currency("USD");
  ASSERT_NE(usd, nullptr);
  EXPECT_EQ(find_currency("usd"), usd);
  EXPECT_EQ(find_currency("Usd"), usd);
  EXPECT_EQ(find_currency("uSdC"), find_currency("USDC"));
  EXPECT_EQ(find_currency("dai"), find_currency("DAI"));
  EXPECT_EQ(find_currency("usd")->code, "USD");  // the code itself is always uppercase
}

TEST(Currency, FiatHasNoDeployments) {
  const Currency& usd = currency("usd");
  EXPECT_EQ(usd.kind, CurrencyKind::fiat);
  EXPECT_EQ(usd.name, "US Dollar");
  EXPECT_TRUE(usd.deployments.empty());
}

struct DeploymentCase {
  std::string_view code;
  std::string_view chain;
  std::uint64_t chain_id;
  std::string_view contract_address;
};

// clang-format off
constexpr DeploymentCase deployment_cases[] = {
    {"USDC", "ethereum", 1,     "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"},
    {"USDC", "base",     8453,  "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"},
    {"USDC", "polygon",  137,   "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"},
    {"USDC", "arbitrum", 42161, "0xaf88d065e77c8cC2239327C5EDb3A432268e5831"},
    {"USDT", "ethereum", 1,     "0xdAC17F958D2ee523a2206206994597C13D831ec7"},
    {"EURC", "ethereum", 1,     "0x1aBaEA1f7C830bD89Acc67eC4af516284b1bC33c"},
    {"DAI",  "ethereum", 1,     "0x6B175474E89094C44Da98b954EedeAC495271d0F"},
};
// clang-format on

TEST(Currency, TokensCarryTheirChainDeployments) {
  for (const DeploymentCase& c : deployment_cases) {
    SCOPED_TRACE(std::string(c.code) + " on " + std::string(c.chain));
    const Currency& token = currency(c.code);
    EXPECT_EQ(token.kind, CurrencyKind::token);
    EXPECT_EQ(token.numeric_code, 0);
    const auto found = std::find_if(
        token.deployments.begin(), token.deployments.end(),
        [&](const TokenDeployment& deployment) { return deployment.chain == c.chain; });
    ASSERT_NE(found, token.deployments.end());
    EXPECT_EQ(found->chain_id, c.chain_id);
    EXPECT_EQ(found->contract_address, c.contract_address);
  }
}

TEST(Currency, EachTokenIsOnEthereumAndOnEachChainOnce) {
  for (const Currency& entry : all_currencies()) {
    if (entry.kind != CurrencyKind::token) continue;
    SCOPED_TRACE(std::string(entry.code));
    std::map<std::uint64_t, int> chains;
    for (const TokenDeployment& deployment : entry.deployments) chains[deployment.chain_id]++;
    EXPECT_EQ(chains[1], 1);
    for (const auto& [chain_id, count] : chains) EXPECT_EQ(count, 1) << chain_id;
  }
}

TEST(Currency, RegistryIsCompleteSortedAndWithinLimits) {
  int fiat_count = 0;
  std::map<std::uint16_t, std::string> numeric_codes;
  for (const Currency& entry : all_currencies()) {
    SCOPED_TRACE(std::string(entry.code));
    EXPECT_EQ(find_currency(entry.code), &entry);
    EXPECT_GE(entry.exponent, 0);
    EXPECT_LE(entry.exponent, exponent_max);
    if (entry.kind != CurrencyKind::fiat) continue;
    fiat_count++;
    auto [it, inserted] = numeric_codes.emplace(entry.numeric_code, std::string(entry.code));
    // ANG and its successor XCG share 532 while processors still send ANG.
    if (!inserted) {
      EXPECT_EQ(it->second + "/" + std::string(entry.code), "ANG/XCG");
    }
  }
  EXPECT_GE(fiat_count, 150);
  EXPECT_LE(fiat_count, 180);
  EXPECT_TRUE(std::is_sorted(all_currencies().begin(), all_currencies().end(),
                             [](const Currency& a, const Currency& b) { return a.code < b.code; }));
}

}  // namespace
}  // namespace till::money
