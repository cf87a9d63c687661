// connectors/registry.h — the connectors Till knows, by name, and how to make one.
//
// Payments and the admin API code against this and connector.h only. The admin API lists
// connectors() and checks an account with validate_account() before storing it; payments
// calls make_connector() with a stored account. Adding a connector: a folder beside
// sandbox_card/, one row in registry.cpp's table (docs/connectors.md, "Adding a connector").
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "connectors/connector.h"
#include "connectors/http_client.h"

namespace till::connectors {

struct ConnectorInfo {
  std::string_view name;         // the registry name an AccountConfig names
  std::string_view description;  // one line, for operators
  std::span<const std::string_view> required_credentials;  // keys of AccountConfig::credentials
  bool needs_base_url = false;                             // talks to a processor over the network
};

// Limits validate_account enforces.
inline constexpr std::chrono::milliseconds kAccountTimeoutMax{120'000};
inline constexpr std::size_t kCredentialBytesMax = 4096;
inline constexpr std::size_t kBaseUrlBytesMax = 2048;

// Every registered connector, in a fixed order.
std::span<const ConnectorInfo> connectors();
const ConnectorInfo* find_connector(std::string_view name);

// The account is usable: a known connector; every required credential present, non-empty,
// printable ASCII (they travel in headers); base_url `http(s)://host[:port]` (an optional
// path prefix; no user info, query or fragment) when the connector needs one; timeout within
// 1 ms..kAccountTimeoutMax. The message names the problem and never quotes a credential.
Expected<void, std::string> validate_account(const AccountConfig& account);

// A connector for the account, or nullptr when validate_account fails. Network connectors
// share shared_http_client() (one connection pool per process), or `http` when given.
std::unique_ptr<Connector> make_connector(const AccountConfig& account);
std::unique_ptr<Connector> make_connector(const AccountConfig& account,
                                          std::shared_ptr<HttpClient> http);

}  // namespace till::connectors
