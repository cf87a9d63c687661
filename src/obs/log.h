// obs/log.h — structured logging: one JSON object per line.
//
// Every line carries `ts` (RFC 3339 UTC), `level` and `msg`, then the caller's fields in
// order. Lines go to stderr by default (12-factor: the platform collects them). Before a line
// is written, anything shaped like a secret key, webhook secret or card number is masked
// (redact_secrets), as a last line of defence behind the rule that callers never log such
// values in the first place.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace till::obs {

enum class LogLevel { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

std::optional<LogLevel> parse_log_level(std::string_view text);
std::string_view to_string(LogLevel level);

// A field value. Doubles are allowed here (latencies, ratios) — never for money, which is
// logged as integer minor units.
using LogValue = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

struct LogField {
  std::string_view key;
  LogValue value;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, long v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, long long v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, unsigned v) : key(k), value(std::uint64_t{v}) {}
  LogField(std::string_view k, unsigned long v) : key(k), value(std::uint64_t{v}) {}
  LogField(std::string_view k, unsigned long long v) : key(k), value(std::uint64_t{v}) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
};

// Where finished lines go. The default writes to stderr; tests install a capturing sink.
using LogSink = std::function<void(std::string_view line)>;

// Sets the minimum level and the sink (nullptr = stderr). Call once at start-up, before
// other threads log; later calls are for tests.
void init_logging(LogLevel level_min, LogSink sink = nullptr);
void set_log_level(LogLevel level_min);
bool log_enabled(LogLevel level);

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

inline void debug(std::string_view message, std::initializer_list<LogField> fields = {}) {
  log(LogLevel::debug, message, fields);
}
inline void info(std::string_view message, std::initializer_list<LogField> fields = {}) {
  log(LogLevel::info, message, fields);
}
inline void warn(std::string_view message, std::initializer_list<LogField> fields = {}) {
  log(LogLevel::warn, message, fields);
}
inline void error(std::string_view message, std::initializer_list<LogField> fields = {}) {
  log(LogLevel::error, message, fields);
}

// Builds the JSON line (without trailing newline) exactly as log() would write it. Exposed
// for tests and fuzzing.
std::string format_log_line(std::string_view timestamp, LogLevel level, std::string_view message,
                            std::initializer_list<LogField> fields);

// Appends `text` as a JSON string literal (quotes included). Invalid UTF-8 becomes U+FFFD, so
// a log line is always valid JSON whatever bytes a client sent.
void append_json_string(std::string& out, std::string_view text);

// Masks, in place, API keys (sk_/rk_/pk_ live|test), webhook secrets (whsec_), bearer
// credentials and digit runs that pass the Luhn check (card numbers). Returns how many
// values were masked.
int redact_secrets(std::string& line);

}  // namespace till::obs
