// sandbox_psp/settlement.h — the daily settlement report and its fee, pure functions.
//
// A row per capture (`charge`, fee 2.9 % + 30 minor units) and per refund (`refund`, negative
// amount, fee 0) booked on one UTC day. The fee is integer arithmetic with half-even rounding:
// no floating point touches an amount.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox_psp/books.h"
#include "sandbox_psp/sandbox_psp.h"

namespace till::sandbox_psp {

constexpr std::int64_t kFeePerMille = 29;    // 2.9 %
constexpr std::int64_t kFeeFixedMinor = 30;  // + 30 minor units

// 2.9 % of `amount` rounded half-even to a minor unit, + 30. `amount` is 0..10^12.
std::int64_t charge_fee(std::int64_t amount);

struct SettlementDay {
  std::string date;  // YYYY-MM-DD
  std::int64_t start_unix_ms = 0;
  std::int64_t end_unix_ms = 0;  // exclusive
};

// "2026-03-01.csv" -> that UTC day; nullopt for anything else (including 2026-02-30).
std::optional<SettlementDay> parse_settlement_file_name(std::string_view file);

// The CSV (header + rows). References are the wire's: authorization ids (json) or RRNs
// (iso8583).
std::string settlement_csv(const std::vector<BookedMovement>& rows, const std::string& date,
                           Wire wire);

}  // namespace till::sandbox_psp
