#include "store/detail/sql_text.h"

#include <cassert>
#include <cctype>

namespace till::store::detail {

namespace {

bool is_identifier_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || c == '$' || u >= 0x80;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Index just past the literal that opens at `start` with `quote` ('' or "" escape themselves;
// E'...' strings also escape with a backslash). Unterminated: the end of `sql` (the database
// reports the syntax error).
std::size_t skip_quoted(std::string_view sql, std::size_t start, char quote,
                        bool backslash_escapes) {
  std::size_t i = start + 1;
  while (i < sql.size()) {
    if (backslash_escapes && sql[i] == '\\') {
      i += 2;
    } else if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      i++;
    }
  }
  return sql.size();
}

// Index just past the comment at `start` ("--" to end of line, or "/*...*/"; PostgreSQL nests
// block comments, SQLite does not).
std::size_t skip_comment(std::string_view sql, std::size_t start, Dialect dialect) {
  if (sql[start] == '-') {
    const std::size_t end = sql.find('\n', start);
    return end == std::string_view::npos ? sql.size() : end + 1;
  }
  int depth = 0;
  std::size_t i = start;
  while (i + 1 < sql.size()) {
    if (sql[i] == '/' && sql[i + 1] == '*') {
      depth = (dialect == Dialect::postgres || depth == 0) ? depth + 1 : depth;
      i += 2;
    } else if (sql[i] == '*' && sql[i + 1] == '/') {
      depth--;
      i += 2;
      if (depth == 0) return i;
    } else {
      i++;
    }
  }
  return sql.size();
}

bool starts_comment(std::string_view sql, std::size_t i) {
  return i + 1 < sql.size() &&
         ((sql[i] == '-' && sql[i + 1] == '-') || (sql[i] == '/' && sql[i + 1] == '*'));
}

// A dollar quote `$tag$ ... $tag$` opening at `start`: the index past its end, or npos when
// `start` does not open one.
std::size_t skip_dollar_quoted(std::string_view sql, std::size_t start) {
  std::size_t tag_end = start + 1;
  while (tag_end < sql.size() && sql[tag_end] != '$') {
    if (!is_identifier_char(sql[tag_end])) return std::string_view::npos;
    tag_end++;
  }
  if (tag_end >= sql.size()) return std::string_view::npos;
  const std::string_view tag = sql.substr(start, tag_end - start + 1);
  const std::size_t close = sql.find(tag, tag_end + 1);
  return close == std::string_view::npos ? sql.size() : close + tag.size();
}

}  // namespace

StoreResult<ScannedSql> scan_placeholders(std::string_view sql, Dialect dialect) {
  ScannedSql scanned;
  scanned.text.reserve(sql.size());
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const bool after_identifier = i > 0 && is_identifier_char(sql[i - 1]);
    std::size_t skip_to = i;
    if (c == '\'') {
      const bool escape_string = dialect == Dialect::postgres && i > 0 &&
                                 (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                                 !(i > 1 && is_identifier_char(sql[i - 2]));
      skip_to = skip_quoted(sql, i, '\'', escape_string);
    } else if (c == '"') {
      skip_to = skip_quoted(sql, i, '"', false);
    } else if (starts_comment(sql, i)) {
      skip_to = skip_comment(sql, i, dialect);
    } else if (c == '$' && !after_identifier && i + 1 < sql.size() && is_digit(sql[i + 1])) {
      std::size_t end = i + 1;
      long long index = 0;
      while (end < sql.size() && is_digit(sql[end])) {
        index = index * 10 + (sql[end] - '0');
        if (index > parameter_count_max) break;
        end++;
      }
      if (index < 1 || index > parameter_count_max) {
        return store_fail(ErrorKind::invalid_argument,
                          "placeholder $" + std::string(sql.substr(i + 1, end - i)) +
                              " is out of range: placeholders are $1 .. $" +
                              std::to_string(parameter_count_max));
      }
      scanned.parameter_count = std::max(scanned.parameter_count, static_cast<int>(index));
      scanned.text.push_back(dialect == Dialect::sqlite ? '?' : '$');
      scanned.text.append(sql.substr(i + 1, end - i - 1));
      i = end;
      continue;
    } else if (c == '$' && !after_identifier && dialect == Dialect::postgres) {
      const std::size_t end = skip_dollar_quoted(sql, i);
      if (end != std::string_view::npos) skip_to = end;
    }
    if (skip_to == i) skip_to = i + 1;
    scanned.text.append(sql.substr(i, skip_to - i));
    i = skip_to;
  }
  assert(scanned.parameter_count <= parameter_count_max && "parameter count within limit");
  return scanned;
}

std::string sql_excerpt(std::string_view sql) {
  if (sql.size() <= sql_excerpt_length_max) return std::string(sql);
  return std::string(sql.substr(0, sql_excerpt_length_max)) + "...";
}

StoreResult<void> check_parameter_count(int expected, std::size_t given, std::string_view sql) {
  if (expected >= 0 && static_cast<std::size_t>(expected) == given) return {};
  return store_fail(ErrorKind::invalid_argument, "statement uses " + std::to_string(expected) +
                                                     " parameters but " + std::to_string(given) +
                                                     " values were given: " + sql_excerpt(sql));
}

bool is_blank_sql(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size()) {
    if (starts_comment(sql, i)) {
      i = skip_comment(sql, i, Dialect::sqlite);
    } else if (std::isspace(static_cast<unsigned char>(sql[i])) != 0 || sql[i] == ';') {
      i++;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace till::store::detail
