// admin/auth.h — the admin API's bearer-token check (internal to admin; exposed for tests).
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "api/errors.h"
#include "api/http.h"
#include "base/digest.h"

namespace till::admin {

// Holds only a SHA-256 digest of the configured token, and compares digests in constant
// time (CRYPTO_memcmp). Comparing digests rather than the tokens themselves means the time
// taken reveals neither how many leading characters matched nor the token's length.
class AdminAuth {
 public:
  explicit AdminAuth(std::string_view token);  // token must not be empty

  // True when `authorization` is "Bearer <token>" (scheme case-insensitive).
  bool allows(std::string_view authorization) const;

  // nullopt when the request carries the token; otherwise the 401 to answer. The error
  // never repeats what the client sent.
  std::optional<api::ApiError> check(const api::Request& request) const;

 private:
  std::array<std::uint8_t, kSha256Bytes> token_digest_{};
};

// The credential part of "Bearer <credential>", or nullopt for another scheme or none.
std::optional<std::string_view> bearer_credential(std::string_view authorization);

}  // namespace till::admin
