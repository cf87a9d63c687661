#include "admin/responses.h"

#include <boost/json/serialize.hpp>

namespace till::admin {

api::Response ok(const boost::json::object& body) {
  return api::json_response(200, boost::json::serialize(body));
}

api::Response failure(const api::ApiError& error) {
  api::Response response = api::error_response(error);
  if (error.status == 429 || error.status == 503) response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace till::admin
