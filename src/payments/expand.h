// payments/expand.h — Stripe's `expand[]`: replace an id in a response with the object it
// names (internal to payments). Paths are dotted ("latest_charge.balance_transaction"; in
// lists "data.customer"), at most four levels, and only through fields that hold ids of
// objects Till has. Paths are checked before a request executes, so a bad one is a 400 that
// changes nothing; expansion itself happens when the reply is built.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/errors.h"
#include "base/result.h"
#include "params/params.h"
#include "store/store.h"

namespace till::payments {

constexpr std::size_t kExpandPathsMax = 20;
constexpr std::size_t kExpandDepthMax = 4;

// Reads and checks `expand` for an object of `kind` (or a list of them when `list`).
Expected<std::vector<std::string>, api::ApiError> read_expand(params::Reader& reader,
                                                              std::string_view kind, bool list);

// Expands `paths` in `object` (of `kind`), reading the named objects of the same merchant
// and mode through `connection`. An id that names nothing stays an id.
store::StoreResult<void> expand_object(store::Connection& connection,
                                       const std::string& merchant_id, bool livemode,
                                       boost::json::object& object,
                                       const std::vector<std::string>& paths);

// Runs expand_object in a read transaction; for handlers that answer outside a unit of work.
store::StoreResult<void> expand_read(store::Database& database, const std::string& merchant_id,
                                     bool livemode, boost::json::object& object,
                                     const std::vector<std::string>& paths);

}  // namespace till::payments
