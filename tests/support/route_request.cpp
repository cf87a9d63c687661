#include "support/route_request.h"

namespace till::testing {

std::optional<api::Response> route_request(const api::Router& router, std::string_view method,
                                           std::string_view target, std::string_view body,
                                           const api::HeaderList& headers) {
  api::Request request;
  request.method = method;
  request.target = target;
  const std::size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string_view::npos) request.query = target.substr(question + 1);
  request.body = body;
  request.headers = headers;
  request.request_id = "req_test";
  const auto match = router.match(method, request.path);
  if (!match) return std::nullopt;
  request.path_params = match->params;
  return match->route->handler(request);
}

}  // namespace till::testing
