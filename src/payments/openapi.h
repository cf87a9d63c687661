// payments/openapi.h — the merchant API's OpenAPI 3.1 document (src/payments/openapi.json),
// embedded in the binary at build time (embed_openapi.cmake) and served without a key at
// GET /v1/openapi.json. It describes exactly the /v1 routes Till registers and the parameters
// their handlers accept: tests/payments/openapi_test.cpp compares it with the route table,
// the `openapi_lint` test runs Redocly's linter over it.
#pragma once

#include <string_view>

#include "api/router.h"

namespace till::payments {

// The document, byte for byte as src/payments/openapi.json was at build time.
std::string_view openapi_document();

// Registers GET /v1/openapi.json: no authentication, answered on the I/O thread (the body is
// a constant), Content-Type application/json.
void add_openapi_route(api::Router& router);

}  // namespace till::payments
