// connectors/psp_iso8583/psp_iso8583.h — the connector for processors speaking the
// ISO-8583-style wire of docs/sandbox-psp.md (JSON objects keyed by data-element numbers).
//
// Credentials: api_key (sent as X-Acquirer-Key), webhook_secret (verifies Psp-Signature).
// base_url: http(s)://host:port. Mapping tables: docs/connectors.md.
#pragma once

#include <memory>

#include "connectors/connector.h"
#include "connectors/http_client.h"

namespace till::connectors::psp_iso8583 {

inline constexpr std::string_view kName = "psp_iso8583";

// The account must be valid (registry.h validate_account).
std::unique_ptr<Connector> make(const AccountConfig& account, std::shared_ptr<HttpClient> http);

}  // namespace till::connectors::psp_iso8583
