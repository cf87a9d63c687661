// payments/objects.h — reading, listing and answering with stored objects (internal).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "params/params.h"
#include "payments/object_store.h"
#include "payments/service.h"

namespace till::payments {

// The object `id` of `kind` if it belongs to the caller's merchant and mode; anything else is
// "no such object" (another merchant's ids are indistinguishable from ids that do not exist).
store::StoreResult<std::optional<ObjectRow>> find_owned(store::Connection& connection,
                                                        const Call& call, std::string_view kind,
                                                        const std::string& id);
// The same in its own read transaction.
store::StoreResult<std::optional<ObjectRow>> read_owned(Services& services, const Call& call,
                                                        std::string_view kind,
                                                        const std::string& id);

// Reads Stripe's list parameters (limit 1..100, default 10; starting_after; ending_before;
// created as an integer or a range) into `query`, whose owner and kind are set here.
std::optional<api::ApiError> read_list_params(params::Reader& reader, const Call& call,
                                              std::string_view kind, ListQuery& query);

// 400 resource_missing for a list cursor that is not one of the listed objects: starting_after
// when given (it wins over ending_before, as in the lists), else ending_before.
api::ApiError no_such_cursor(std::string_view kind, const std::string& starting_after,
                             const std::string& ending_before);

// GET handlers' common tail: runs the list query, expands, answers Stripe's list object.
Reply list_reply(Services& services, const Call& call, const ListQuery& query, std::string url,
                 const std::vector<std::string>& expand);

// Answers one object, expanded, read outside a unit of work.
Reply object_reply(Services& services, const Call& call, boost::json::object body,
                   const std::vector<std::string>& expand);

// Reads `expand` and finishes the reader (unknown parameters → 400). For handlers whose only
// other parameters are in the path.
Expected<std::vector<std::string>, api::ApiError> read_expand_only(const Call& call,
                                                                   std::string_view kind);

// GET /v1/<kinds>/{id}: the stored object, expanded.
Reply retrieve(Services& services, Call& call, std::string_view kind);

}  // namespace till::payments
