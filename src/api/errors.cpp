#include "api/errors.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace till::api {

boost::json::object error_object(const ApiError& error) {
  boost::json::object inner;
  inner["type"] = error.type;
  if (!error.code.empty()) inner["code"] = error.code;
  inner["message"] = error.message;
  if (!error.param.empty()) inner["param"] = error.param;
  if (!error.decline_code.empty()) inner["decline_code"] = error.decline_code;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return outer;
}

std::string error_body(const ApiError& error) {
  return boost::json::serialize(error_object(error));
}

Response error_response(const ApiError& error) {
  return json_response(error.status, error_body(error));
}

ApiError unrecognized_url(std::string_view method, std::string_view path) {
  ApiError error;
  error.status = 404;
  error.message = "Unrecognized request URL (" + std::string(method) + ": " + std::string(path) +
                  "). Please see the API reference in docs/ for the endpoints Till serves.";
  return error;
}

ApiError body_too_large(std::size_t limit_bytes) {
  ApiError error;
  error.status = 413;
  error.code = "request_too_large";
  error.message = "The request body is larger than the limit of " + std::to_string(limit_bytes) +
                  " bytes. Send a smaller request.";
  return error;
}

ApiError headers_too_large(std::size_t limit_bytes) {
  ApiError error;
  error.status = 431;
  error.code = "request_header_fields_too_large";
  error.message = "The request line and headers are larger than the limit of " +
                  std::to_string(limit_bytes) + " bytes.";
  return error;
}

ApiError malformed_request(std::string_view detail) {
  ApiError error;
  error.status = 400;
  error.code = "malformed_request";
  error.message = "The request could not be parsed as HTTP/1.1: " + std::string(detail) + ".";
  return error;
}

ApiError internal_error() {
  ApiError error;
  error.status = 500;
  error.type = "api_error";
  error.message =
      "An internal error occurred. The failure was logged with this request's Request-Id; "
      "quote it when you report the problem.";
  return error;
}

ApiError service_unavailable(std::string_view detail) {
  ApiError error;
  error.status = 503;
  error.type = "api_error";
  error.code = "service_unavailable";
  error.message = std::string(detail);
  return error;
}

}  // namespace till::api
