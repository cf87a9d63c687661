// admin/query.h — query-string parameters of the admin GET routes (internal to admin;
// exposed for tests). Unknown names are refused like unknown body fields.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin/request_errors.h"

namespace till::admin {

constexpr std::size_t kListLimitDefault = 10;  // Stripe's default page size
constexpr std::size_t kQueryParamsMax = 16;    // no admin route takes more than three

using QueryParams = std::vector<std::pair<std::string, std::string>>;  // percent-decoded

// Decodes `query` (without '?'); every name must be in `allowed`. A repeated name keeps its
// last value.
ApiResult<QueryParams> parse_query(std::string_view query,
                                   std::span<const std::string_view> allowed);

// The value of `name`, or nullptr.
const std::string* find_query_param(const QueryParams& params, std::string_view name);

// ?limit=1..kListLimitMax, default kListLimitDefault.
ApiResult<std::size_t> read_limit(const QueryParams& params);

// An optional integer parameter such as ?as_of_unix_ms=.
ApiResult<std::optional<std::int64_t>> read_int64(const QueryParams& params, std::string_view name);

}  // namespace till::admin
