// libFuzzer target for the log encoder and redaction: whatever bytes a client sends and a log
// field carries, the line must be valid JSON (checked with Boost.JSON) and redaction must not
// crash or leave a line that fails to parse.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "obs/log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string line = till::obs::format_log_line(
      "2026-01-01T00:00:00.000Z", till::obs::LogLevel::info, input, {{"field", input}});
  boost::system::error_code ec;
  boost::json::parse(line, ec);
  if (ec) std::abort();
  std::string copy(input);
  till::obs::redact_secrets(copy);
  return 0;
}
