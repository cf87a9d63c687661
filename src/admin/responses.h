// admin/responses.h — how every admin handler answers (internal to admin): 200 with a JSON
// object, or a Stripe-shaped error (with Retry-After on 429/503, which are worth retrying).
#pragma once

#include <boost/json/object.hpp>

#include "api/errors.h"
#include "api/http.h"

namespace till::admin {

api::Response ok(const boost::json::object& body);
api::Response failure(const api::ApiError& error);

}  // namespace till::admin
