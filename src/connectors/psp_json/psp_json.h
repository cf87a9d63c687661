// connectors/psp_json/psp_json.h — the connector for processors speaking the JSON REST wire
// of docs/sandbox-psp.md (`till sandbox-psp`, and real processors of the same shape).
//
// Credentials: api_key (sent as `Authorization: Bearer`), webhook_secret (verifies
// Psp-Signature). base_url: http(s)://host:port. Mapping tables: docs/connectors.md.
#pragma once

#include <memory>

#include "connectors/connector.h"
#include "connectors/http_client.h"

namespace till::connectors::psp_json {

inline constexpr std::string_view kName = "psp_json";

// The account must be valid (registry.h validate_account).
std::unique_ptr<Connector> make(const AccountConfig& account, std::shared_ptr<HttpClient> http);

}  // namespace till::connectors::psp_json
