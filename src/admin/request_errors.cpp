#include "admin/request_errors.h"

namespace till::admin {

namespace {

api::ApiError bad_request(std::string code, std::string message, std::string param) {
  api::ApiError error;
  error.status = 400;
  error.type = "invalid_request_error";
  error.code = std::move(code);
  error.message = std::move(message);
  error.param = std::move(param);
  return error;
}

}  // namespace

api::ApiError json_invalid(std::string_view detail) {
  return bad_request("json_invalid",
                     "The request body is not valid JSON (" + std::string(detail) +
                         "). The admin API takes a JSON object, e.g. with "
                         "`-H 'Content-Type: application/json' -d '{...}'`.",
                     "");
}

api::ApiError parameter_unknown(std::string param) {
  std::string message = "Received unknown parameter: " + param + ".";
  return bad_request("parameter_unknown", std::move(message), std::move(param));
}

api::ApiError parameter_missing(std::string param) {
  std::string message = "Missing required param: " + param + ".";
  return bad_request("parameter_missing", std::move(message), std::move(param));
}

api::ApiError parameter_invalid(std::string param, std::string_view expected) {
  std::string message = "Invalid " + param + ": expected " + std::string(expected) + ".";
  return bad_request("parameter_invalid", std::move(message), std::move(param));
}

api::ApiError parameter_invalid_integer(std::string param, std::string_view expected) {
  std::string message = "Invalid " + param + ": expected " + std::string(expected) + ".";
  return bad_request("parameter_invalid_integer", std::move(message), std::move(param));
}

}  // namespace till::admin
