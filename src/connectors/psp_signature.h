// connectors/psp_signature.h — the processor's webhook signature, as docs/sandbox-psp.md
// specifies it for both wires:
//   Psp-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(webhook secret, "<t>.<body>")>
// Several v1 values may appear (a secret roll); one match is enough. Comparison is constant
// time, and the timestamp must be within a tolerance of now (a captured request cannot be
// replayed later).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/digest.h"

namespace till::connectors {

inline constexpr std::string_view kPspSignatureHeader = "Psp-Signature";
inline constexpr std::size_t kPspSignatureHeaderBytesMax = 2048;

// The header value a processor sends for `body` at `timestamp`.
std::string psp_signature(std::string_view secret, std::int64_t timestamp, std::string_view body);

// True when `header` carries a v1 matching `body` under `secret` and its t is within
// `tolerance_seconds` of `now`. Otherwise false, with `reason`: "missing signature",
// "malformed signature header", "timestamp outside tolerance", "bad signature".
bool verify_psp_signature(std::string_view header, std::string_view body, std::string_view secret,
                          std::int64_t now, std::int64_t tolerance_seconds, std::string& reason);

}  // namespace till::connectors
