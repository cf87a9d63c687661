#include "params/errors.h"

namespace till::params {

api::ApiError request_error(std::string code, std::string message, std::string param) {
  api::ApiError error;
  error.status = 400;
  error.type = "invalid_request_error";
  error.code = std::move(code);
  error.message = std::move(message);
  error.param = std::move(param);
  return error;
}

api::ApiError parameter_unknown(std::string param, std::string_view shown) {
  std::string message = "Received unknown parameter: " + std::string(shown);
  return request_error("parameter_unknown", std::move(message), std::move(param));
}

api::ApiError parameter_missing(std::string param) {
  std::string message = "Missing required param: " + param + ".";
  return request_error("parameter_missing", std::move(message), std::move(param));
}

api::ApiError parameter_invalid_empty(std::string param) {
  const std::string quoted = "'" + param + "'";
  std::string message = "You passed an empty string for " + quoted +
                        ". We assume empty values are an attempt to unset a parameter; however " +
                        quoted + " cannot be unset. You should remove " + quoted +
                        " from your request or supply a non-empty value.";
  return request_error("parameter_invalid_empty", std::move(message), std::move(param));
}

api::ApiError parameter_invalid(std::string param, std::string_view shown, std::string_view rule) {
  std::string message = "Invalid " + std::string(shown) + ": " + std::string(rule);
  return request_error("parameter_invalid", std::move(message), std::move(param));
}

api::ApiError parameter_invalid_integer(std::string param, std::string message) {
  return request_error("parameter_invalid_integer", std::move(message), std::move(param));
}

api::ApiError parameter_invalid_boolean(std::string param, std::string message) {
  return request_error("parameter_invalid_boolean", std::move(message), std::move(param));
}

}  // namespace till::params
