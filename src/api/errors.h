// api/errors.h — API errors in Stripe's shape.
//
// Every error a client sees is `{"error": {"type", "code", "message", "param", ...}}` with the
// matching HTTP status, so the official Stripe SDKs raise the right exception class and
// developers can branch on `code`. Messages say what was wrong and what to do.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "api/http.h"

namespace till::api {

struct ApiError {
  unsigned status = 400;
  std::string type = "invalid_request_error";  // api_error, card_error, idempotency_error, ...
  std::string code;                            // machine-readable, e.g. parameter_unknown
  std::string message;
  std::string param;         // the offending parameter, when there is one
  std::string decline_code;  // card_error only
};

// Stripe's error body, `{"error": {...}}`; empty fields are omitted.
boost::json::object error_object(const ApiError& error);
std::string error_body(const ApiError& error);
Response error_response(const ApiError& error);

// The errors the HTTP layer itself produces.
ApiError unrecognized_url(std::string_view method, std::string_view path);
ApiError body_too_large(std::size_t limit_bytes);
ApiError headers_too_large(std::size_t limit_bytes);
ApiError malformed_request(std::string_view detail);
ApiError internal_error();
ApiError service_unavailable(std::string_view detail);

}  // namespace till::api
