// admin/request_errors.h — the 400s the admin API itself produces while reading a request
// (internal to admin). `param` is the request's JSON path, in the same form the ledger uses
// for its own errors: "postings[1].amount", "entries[2].postings[0].account_id",
// "metadata[order]".
#pragma once

#include <string>
#include <string_view>

#include "api/errors.h"
#include "base/result.h"

namespace till::admin {

template <class T>
using ApiResult = Expected<T, api::ApiError>;

api::ApiError json_invalid(std::string_view detail);
api::ApiError parameter_unknown(std::string param);
api::ApiError parameter_missing(std::string param);
// A value of the wrong type or outside its set of names; `expected` says what would do.
api::ApiError parameter_invalid(std::string param, std::string_view expected);
// A value that should be an integer (amounts, times, limits) and is not.
api::ApiError parameter_invalid_integer(std::string param, std::string_view expected);

}  // namespace till::admin
