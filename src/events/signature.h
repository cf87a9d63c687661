// events/signature.h — Stripe's webhook signature: `Stripe-Signature: t=<unix>,v1=<hex>,...`.
//
// v1 is the lower-case hex HMAC-SHA256, keyed with the endpoint's whole secret string
// ("whsec_..."), of "<t>.<payload>". Receivers verify it with the official SDKs'
// `webhooks.constructEvent`, which accepts any one matching v1 within its tolerance of t; so
// during a secret roll's overlap every current secret adds its own v1.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/digest.h"

namespace till::events {

// The header value for `payload` sent at `timestamp` (unix seconds), one v1 per secret (at
// least one).
std::string signature_header(std::int64_t timestamp, std::string_view payload,
                             std::span<const std::string> secrets);

// Mints an endpoint secret: "whsec_" + 32 base62 characters from the CSPRNG (~190 bits).
std::string new_endpoint_secret();

}  // namespace till::events
