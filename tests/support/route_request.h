// Runs a request through a Router as the server would, without sockets, for tests of route
// handlers: splits the target into path and query, matches the route, fills the path
// parameters and calls the handler.
#pragma once

#include <optional>
#include <string_view>

#include "api/http.h"
#include "api/router.h"

namespace till::testing {

// nullopt when no route matches. `headers` (and the strings they view), `target` and `body`
// must live until the call returns.
std::optional<api::Response> route_request(const api::Router& router, std::string_view method,
                                           std::string_view target, std::string_view body,
                                           const api::HeaderList& headers);

}  // namespace till::testing
