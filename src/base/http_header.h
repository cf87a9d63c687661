// base/http_header.h — what may go into an outbound HTTP header (RFC 9110).
//
// Both outbound HTTP clients (events' webhook sender, connectors' processor client) check the
// headers a caller hands them with these before anything reaches libcurl, so no header can
// smuggle another (CR/LF injection) or a malformed name.
#pragma once

#include <string_view>

namespace till {

// A non-empty run of RFC 9110 token characters.
bool is_header_name(std::string_view name);
// No CR, LF or NUL: a value with one could end the header early and inject others.
bool is_header_value(std::string_view value);

}  // namespace till
