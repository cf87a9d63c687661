// libFuzzer target for the admin API's request parsers: JSON bodies for accounts, entries and
// batches, and query strings. Any bytes must give either a value or an error naming a
// parameter — never a crash, hang or exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "admin/ledger_requests.h"
#include "admin/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)till::admin::parse_account_request(input);
  (void)till::admin::parse_entry_request(input);
  (void)till::admin::parse_batch_request(input);
  static constexpr std::string_view kAllowed[] = {"limit", "starting_after", "as_of_unix_ms"};
  if (auto params = till::admin::parse_query(input, kAllowed)) {
    (void)till::admin::read_limit(*params);
    (void)till::admin::read_int64(*params, "as_of_unix_ms");
  }
  return 0;
}
