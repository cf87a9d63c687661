// store/detail/sql_text.h — the little SQL lexing the store needs: finding `$N` placeholders.
//
// Till's SQL is written once with PostgreSQL's `$N` placeholders. SQLite reads `$1` as a
// *named* parameter whose index is its order of first appearance, so `$2 ... $1` would bind
// backwards; rewriting to `?N` keeps N the index on both backends. The scan skips string
// literals ('...', E'...'), quoted identifiers ("..."), dollar-quoted bodies ($tag$...$tag$)
// and comments, so a `$1` inside them is left alone.
#pragma once

#include <string>
#include <string_view>

#include "store/store.h"

namespace till::store::detail {

struct ScannedSql {
  std::string text;         // SQLite: `$N` rewritten to `?N`; PostgreSQL: unchanged
  int parameter_count = 0;  // highest N used, which is how many values must be bound
};

// invalid_argument for `$0` or N above parameter_count_max.
StoreResult<ScannedSql> scan_placeholders(std::string_view sql, Dialect dialect);

// The start of `sql` for error messages (statements carry no values: those are bound).
constexpr std::size_t sql_excerpt_length_max = 200;
std::string sql_excerpt(std::string_view sql);

// invalid_argument unless `given` values match the `expected` parameters of `sql`.
StoreResult<void> check_parameter_count(int expected, std::size_t given, std::string_view sql);

// True when `sql` holds only whitespace, `;` and comments (what may follow the one statement
// given to execute/query).
bool is_blank_sql(std::string_view sql);

}  // namespace till::store::detail
