#include "admin/auth.h"

#include <openssl/crypto.h>

#include <cassert>

namespace till::admin {

namespace {

constexpr std::string_view kBearerScheme = "Bearer";

api::ApiError unauthorized(std::string message) {
  api::ApiError error;
  error.status = 401;
  error.type = "authentication_error";
  error.message = std::move(message);
  return error;
}

}  // namespace

std::optional<std::string_view> bearer_credential(std::string_view authorization) {
  if (authorization.size() <= kBearerScheme.size()) return std::nullopt;
  if (!api::iequals(authorization.substr(0, kBearerScheme.size()), kBearerScheme)) {
    return std::nullopt;
  }
  std::string_view rest = authorization.substr(kBearerScheme.size());
  if (rest.front() != ' ') return std::nullopt;  // "Bearerx..." is another scheme
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

AdminAuth::AdminAuth(std::string_view token) : token_digest_(sha256(token)) {
  assert(!token.empty());
}

bool AdminAuth::allows(std::string_view authorization) const {
  const std::optional<std::string_view> credential = bearer_credential(authorization);
  // Hash even when the header is absent, so a missing header costs the same as a wrong one.
  const auto presented = sha256(credential.value_or(std::string_view()));
  const bool equal = CRYPTO_memcmp(presented.data(), token_digest_.data(), presented.size()) == 0;
  return credential.has_value() && equal;
}

std::optional<api::ApiError> AdminAuth::check(const api::Request& request) const {
  const std::string_view authorization = request.header("Authorization");
  if (authorization.empty()) {
    return unauthorized(
        "No admin token provided. Send it as `Authorization: Bearer <admin.token>`.");
  }
  if (!allows(authorization)) {
    return unauthorized(
        "Invalid admin token. Send the configured admin.token as `Authorization: Bearer "
        "<token>`.");
  }
  return std::nullopt;
}

}  // namespace till::admin
