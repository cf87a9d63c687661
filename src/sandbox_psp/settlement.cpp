#include "sandbox_psp/settlement.h"

#include <cassert>
#include <chrono>

#include "sandbox_psp/formats.h"

namespace till::sandbox_psp {

namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

bool digits(std::string_view text) {
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

int to_int(std::string_view text) {
  int value = 0;
  for (const char c : text) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

std::int64_t charge_fee(std::int64_t amount) {
  assert(amount >= 0 && amount <= kAmountMax);
  const std::int64_t scaled = amount * kFeePerMille;  // <= 2.9e13: far inside int64
  std::int64_t fee = scaled / 1000;
  const std::int64_t remainder = scaled % 1000;
  // Half-even: above half rounds up, exactly half rounds to the even neighbour.
  if (remainder > 500 || (remainder == 500 && fee % 2 == 1)) ++fee;
  return fee + kFeeFixedMinor;
}

std::optional<SettlementDay> parse_settlement_file_name(std::string_view file) {
  constexpr std::string_view kSuffix = ".csv";
  if (file.size() != 10 + kSuffix.size() || !file.ends_with(kSuffix)) return std::nullopt;
  const std::string_view date = file.substr(0, 10);
  if (date[4] != '-' || date[7] != '-' || !digits(date.substr(0, 4)) ||
      !digits(date.substr(5, 2)) || !digits(date.substr(8, 2))) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day day{year{to_int(date.substr(0, 4))},
                           month{static_cast<unsigned>(to_int(date.substr(5, 2)))},
                           std::chrono::day{static_cast<unsigned>(to_int(date.substr(8, 2)))}};
  if (!day.ok()) return std::nullopt;
  const std::int64_t days = sys_days(day).time_since_epoch().count();
  return SettlementDay{std::string(date), days * kMsPerDay, (days + 1) * kMsPerDay};
}

std::string settlement_csv(const std::vector<BookedMovement>& rows, const std::string& date,
                           Wire wire) {
  std::string csv = "processor_reference,type,amount,fee,currency,booked_date\n";
  for (const BookedMovement& row : rows) {
    const bool charge = row.type == "charge";
    assert(charge ? row.amount > 0 : row.amount < 0);
    csv += wire == Wire::json ? row.authorization_id : row.rrn;
    csv += ',';
    csv += row.type;
    csv += ',';
    csv += std::to_string(row.amount);
    csv += ',';
    csv += std::to_string(charge ? charge_fee(row.amount) : 0);
    csv += ',';
    csv += row.currency;
    csv += ',';
    csv += date;
    csv += '\n';
  }
  return csv;
}

}  // namespace till::sandbox_psp
