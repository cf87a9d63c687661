#include "admin/query.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

#include "ledger/ledger.h"

namespace till::admin {

namespace {

// Strict decimal: digits with an optional leading '-', nothing else.
std::optional<std::int64_t> parse_decimal(std::string_view text) {
  std::int64_t parsed = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, parsed);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return parsed;
}

}  // namespace

ApiResult<QueryParams> parse_query(std::string_view query,
                                   std::span<const std::string_view> allowed) {
  QueryParams params;
  if (query.empty()) return params;
  // Parsed as an origin-form target, not with boost::urls::parse_query: in Boost 1.81 the
  // latter reads the last value past the end of a view that is not NUL-terminated (the
  // server's views point into the request buffer), so "limit=1" came back as "1 HTTP/1.1...".
  const std::string target = "/?" + std::string(query);
  const auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return unexpected(parameter_invalid("query", "a well-formed query string"));
  const auto decoded = parsed->params();
  if (decoded.size() > kQueryParamsMax) {
    return unexpected(parameter_invalid("query", "at most 16 query parameters"));
  }
  for (const auto& param : decoded) {
    std::string name = param.key;
    bool known = false;
    for (std::string_view candidate : allowed) known = known || name == candidate;
    if (!known) return unexpected(parameter_unknown(std::move(name)));
    std::string text = param.has_value ? param.value : std::string();
    bool replaced = false;
    for (auto& [existing, existing_value] : params) {
      if (existing == name) {
        existing_value = text;
        replaced = true;
      }
    }
    if (!replaced) params.emplace_back(std::move(name), std::move(text));
  }
  return params;
}

const std::string* find_query_param(const QueryParams& params, std::string_view name) {
  for (const auto& [key, text] : params) {
    if (key == name) return &text;
  }
  return nullptr;
}

ApiResult<std::size_t> read_limit(const QueryParams& params) {
  const std::string* text = find_query_param(params, "limit");
  if (text == nullptr) return kListLimitDefault;
  const std::optional<std::int64_t> limit = parse_decimal(*text);
  const auto limit_max = static_cast<std::int64_t>(ledger::kListLimitMax);
  if (!limit || *limit < 1 || *limit > limit_max) {
    return unexpected(parameter_invalid_integer("limit", "an integer from 1 to 1000"));
  }
  return static_cast<std::size_t>(*limit);
}

ApiResult<std::optional<std::int64_t>> read_int64(const QueryParams& params,
                                                  std::string_view name) {
  const std::string* text = find_query_param(params, name);
  if (text == nullptr) return std::optional<std::int64_t>();
  const std::optional<std::int64_t> parsed = parse_decimal(*text);
  if (!parsed) return unexpected(parameter_invalid_integer(std::string(name), "an integer"));
  return std::optional<std::int64_t>(*parsed);
}

}  // namespace till::admin
