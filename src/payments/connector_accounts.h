// payments/connector_accounts.h — a merchant's accounts at card processors (table
// connector_accounts, migration 0008).
//
// An account names a connector (connectors/registry.h), where the processor is, and the
// credentials Till uses there. Credentials are sealed by the vault (AES-256-GCM, bound to the
// account id) before they reach the database and opened only to build a connector; the API
// shows which credentials are set, never their values. Accounts belong to one mode: test
// payments route only to test accounts, live payments only to live ones.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "connectors/connector.h"
#include "store/store.h"
#include "vault/vault.h"

namespace till::payments {

constexpr std::size_t kConnectorAccountsPerMerchantMax = 32;
constexpr std::int64_t kConnectorTimeoutMsMin = 100;
constexpr std::int64_t kConnectorTimeoutMsMax = 60'000;

struct ConnectorAccount {
  std::string id;  // ca_...
  std::string merchant_id;
  bool livemode = false;
  std::string connector;  // registry name
  std::string display_name;
  std::string base_url;
  std::map<std::string, std::string> credentials;  // opened; never shown or logged
  std::int64_t timeout_ms = 5000;
  std::string status = "active";  // active | disabled
  std::int64_t created_at_unix_ms = 0;
  std::int64_t updated_at_unix_ms = 0;
};

// What a connector is built from (connectors/registry.h).
connectors::AccountConfig connector_config(const ConnectorAccount& account);

// The admin API's view: everything but the credential values (their names only).
boost::json::object connector_account_json(const ConnectorAccount& account);

store::StoreResult<void> insert_connector_account(store::Connection& connection,
                                                  const vault::Vault& vault,
                                                  const ConnectorAccount& account);
// `merchant_id` empty: any merchant's (processor webhooks name the account only).
store::StoreResult<std::optional<ConnectorAccount>> find_connector_account(
    store::Connection& connection, const vault::Vault& vault, std::string_view id,
    std::string_view merchant_id = "");
store::StoreResult<std::vector<ConnectorAccount>> connector_accounts_of(
    store::Connection& connection, const vault::Vault& vault, std::string_view merchant_id,
    std::optional<bool> livemode);
// Rewrites an account's changeable fields (status, base_url, credentials — sealed again),
// with a new updated_at so running processes build a fresh connector. False when no such
// account of the merchant.
store::StoreResult<bool> update_connector_account(store::Connection& connection,
                                                  const vault::Vault& vault,
                                                  const ConnectorAccount& account);

}  // namespace till::payments
