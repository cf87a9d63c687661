#include "obs/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cassert>
#include <charconv>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>

#include "base/clock.h"
#include "base/luhn.h"

namespace till::obs {

namespace {

constexpr std::size_t kLogLineBytesMax = 64 * 1024;  // longer lines are cut, never dropped

std::atomic<int> g_level_min{static_cast<int>(LogLevel::info)};

// The sink is replaced only by init_logging (start-up, tests); reads take a shared copy so a
// line being written keeps its sink alive.
std::mutex g_sink_mutex;
std::shared_ptr<LogSink> g_sink;

std::shared_ptr<spdlog::logger> make_stderr_logger() {
  // spdlog gives a thread-safe, unbuffered stderr sink; the JSON line is built by us, so the
  // pattern is the bare message.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("till", std::move(sink));
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

void write_line(std::string_view line) {
  std::shared_ptr<LogSink> sink;
  {
    std::lock_guard lock(g_sink_mutex);
    sink = g_sink;
  }
  if (sink && *sink) {
    (*sink)(line);
    return;
  }
  static const std::shared_ptr<spdlog::logger> stderr_logger = make_stderr_logger();
  stderr_logger->info(std::string_view(line));
}

void append_value(std::string& out, const LogValue& value) {
  char buffer[64];
  if (const auto* text = std::get_if<std::string_view>(&value)) {
    append_json_string(out, *text);
  } else if (const auto* signed_value = std::get_if<std::int64_t>(&value)) {
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, *signed_value);
    out.append(buffer, result.ptr);
  } else if (const auto* unsigned_value = std::get_if<std::uint64_t>(&value)) {
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, *unsigned_value);
    out.append(buffer, result.ptr);
  } else if (const auto* real = std::get_if<double>(&value)) {
    if (!std::isfinite(*real)) {
      out.append("null");  // JSON has no NaN/Inf
    } else {
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, *real);
      out.append(buffer, result.ptr);
    }
  } else {
    out.append(std::get<bool>(value) ? "true" : "false");
  }
}

// Length of the valid UTF-8 sequence starting at text[0], or 0 if it is invalid.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  std::uint32_t code_point = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07u;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto continuation = static_cast<unsigned char>(text[i]);
    if ((continuation & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (continuation & 0x3Fu);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  static constexpr std::array<std::uint32_t, 5> kMinimum = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMinimum[length]) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  if (code_point > 0x10FFFF) return 0;
  return length;
}

bool is_token_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Characters that glue digits into a larger identifier (pi_4242..., abc4242...).
bool is_word_char(char c) { return is_token_char(c) || c == '_'; }

// Masks the token characters that follow each occurrence of `prefix`. Returns the count.
int mask_after_prefix(std::string& line, std::string_view prefix, bool token_allows_punctuation) {
  int masked = 0;
  std::size_t position = 0;
  while ((position = line.find(prefix, position)) != std::string::npos) {
    std::size_t end = position + prefix.size();
    auto is_secret_char = [&](char c) {
      return is_token_char(c) || (token_allows_punctuation &&
                                  std::string_view("._~+/=-").find(c) != std::string_view::npos);
    };
    while (end < line.size() && is_secret_char(line[end])) ++end;
    const std::size_t secret_length = end - position - prefix.size();
    if (secret_length > 0) {
      line.replace(position + prefix.size(), secret_length, "[REDACTED]");
      ++masked;
    }
    position += prefix.size();
  }
  return masked;
}

// Card numbers: 15..19 digits, optionally grouped by single spaces or dashes, first digit 2..6
// (the ranges card networks use), Luhn-valid, and not part of a longer alphanumeric token (so
// IDs and Unix timestamps, which start with 1, are left alone). All but the last four digits
// become '*'.
int mask_card_numbers(std::string& line) {
  constexpr std::size_t kPanDigitsMin = 15;
  constexpr std::size_t kPanDigitsMax = 19;
  int masked = 0;
  std::size_t i = 0;
  while (i < line.size()) {
    const bool starts_run =
        line[i] >= '0' && line[i] <= '9' && (i == 0 || !is_word_char(line[i - 1]));
    if (!starts_run) {
      ++i;
      continue;
    }
    std::string digits;
    std::size_t end = i;
    while (end < line.size()) {
      if (line[end] >= '0' && line[end] <= '9') {
        digits.push_back(line[end]);
        ++end;
      } else if ((line[end] == ' ' || line[end] == '-') && end + 1 < line.size() &&
                 line[end + 1] >= '0' && line[end + 1] <= '9' && end > i) {
        ++end;
      } else {
        break;
      }
      if (digits.size() > kPanDigitsMax) break;
    }
    const bool bounded = end >= line.size() || !is_word_char(line[end]);
    if (bounded && digits.size() >= kPanDigitsMin && digits.size() <= kPanDigitsMax &&
        digits[0] >= '2' && digits[0] <= '6' && luhn_valid(digits)) {
      std::size_t digits_left_to_mask = digits.size() - 4;
      for (std::size_t j = i; j < end && digits_left_to_mask > 0; ++j) {
        if (line[j] >= '0' && line[j] <= '9') {
          line[j] = '*';
          --digits_left_to_mask;
        }
      }
      ++masked;
    }
    i = end > i ? end : i + 1;
  }
  return masked;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "trace") return LogLevel::trace;
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn" || text == "warning") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  return std::nullopt;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "unknown";
}

void init_logging(LogLevel level_min, LogSink sink) {
  set_log_level(level_min);
  std::lock_guard lock(g_sink_mutex);
  g_sink = sink ? std::make_shared<LogSink>(std::move(sink)) : nullptr;
}

void set_log_level(LogLevel level_min) { g_level_min.store(static_cast<int>(level_min)); }

bool log_enabled(LogLevel level) { return static_cast<int>(level) >= g_level_min.load(); }

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!log_enabled(level)) return;
  const std::string timestamp = format_rfc3339_ms(std::chrono::system_clock::now());
  std::string line = format_log_line(timestamp, level, message, fields);
  write_line(line);
}

std::string format_log_line(std::string_view timestamp, LogLevel level, std::string_view message,
                            std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(128 + message.size());
  line.append("{\"ts\":");
  append_json_string(line, timestamp);
  line.append(",\"level\":\"");
  line.append(to_string(level));
  line.append("\",\"msg\":");
  append_json_string(line, message);
  for (const LogField& field : fields) {
    line.push_back(',');
    append_json_string(line, field.key);
    line.push_back(':');
    append_value(line, field.value);
  }
  line.push_back('}');
  redact_secrets(line);
  if (line.size() > kLogLineBytesMax) {
    // Cut inside the JSON would break parsers: replace with a valid, shorter line instead.
    std::string cut = "{\"ts\":";
    append_json_string(cut, timestamp);
    cut.append(",\"level\":\"");
    cut.append(to_string(level));
    cut.append("\",\"msg\":");
    append_json_string(cut, message.substr(0, 1024));
    cut.append(",\"truncated_bytes\":");
    cut.append(std::to_string(line.size()));
    cut.push_back('}');
    redact_secrets(cut);
    return cut;
  }
  return line;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20) {
      switch (c) {
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
      }
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      const std::size_t length = utf8_sequence_length(text.substr(i));
      if (length == 0) {
        out.append("\\ufffd");
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
    }
  }
  out.push_back('"');
}

int redact_secrets(std::string& line) {
  int masked = 0;
  for (std::string_view prefix : {"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"}) {
    masked += mask_after_prefix(line, prefix, false);
  }
  masked += mask_after_prefix(line, "Bearer ", true);
  masked += mask_after_prefix(line, "Basic ", true);
  masked += mask_card_numbers(line);
  return masked;
}

}  // namespace till::obs
