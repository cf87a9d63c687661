#include "payments/connector_accounts.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace till::payments {

namespace {

constexpr std::string_view kColumns =
    "id, merchant_id, livemode, connector, display_name, base_url, credentials_sealed, "
    "timeout_ms, status, created_at_unix_ms, updated_at_unix_ms";

std::string seal_credentials(const vault::Vault& vault, const ConnectorAccount& account) {
  boost::json::object credentials;
  for (const auto& [name, secret] : account.credentials) credentials[name] = secret;
  // Bound to the account id: a sealed blob copied onto another account does not open.
  return vault.seal(boost::json::serialize(credentials), account.id);
}

store::StoreResult<std::map<std::string, std::string>> open_credentials(const vault::Vault& vault,
                                                                        std::string_view id,
                                                                        std::string_view sealed) {
  auto opened = vault.open(sealed, id);
  if (!opened) {
    return store::store_fail(store::ErrorKind::corrupt,
                             "connector account " + std::string(id) +
                                 ": credentials do not open: " + opened.error().message);
  }
  boost::system::error_code failure;
  const boost::json::value parsed = boost::json::parse(*opened, failure);
  if (failure || !parsed.is_object()) {
    return store::store_fail(store::ErrorKind::corrupt,
                             "connector account " + std::string(id) + ": credentials unreadable");
  }
  std::map<std::string, std::string> credentials;
  for (const auto& member : parsed.as_object()) {
    if (member.value().is_string()) {
      credentials[std::string(member.key())] = std::string(member.value().as_string());
    }
  }
  return credentials;
}

store::StoreResult<std::vector<ConnectorAccount>> select_accounts(
    store::Connection& connection, const vault::Vault& vault, const std::string& where,
    const std::vector<store::Value>& params) {
  std::vector<ConnectorAccount> accounts;
  std::vector<std::string> sealed;
  auto read = connection.query(
      "SELECT " + std::string(kColumns) + " FROM connector_accounts WHERE " + where, params,
      [&](const store::Row& row) {
        ConnectorAccount account;
        account.id = std::string(row.get_text(0));
        account.merchant_id = std::string(row.get_text(1));
        account.livemode = row.get_bool(2);
        account.connector = std::string(row.get_text(3));
        account.display_name = std::string(row.get_text(4));
        account.base_url = std::string(row.get_text(5));
        sealed.emplace_back(row.get_text(6));
        account.timeout_ms = row.get_int64(7);
        account.status = std::string(row.get_text(8));
        account.created_at_unix_ms = row.get_int64(9);
        account.updated_at_unix_ms = row.get_int64(10);
        accounts.push_back(std::move(account));
      });
  if (!read) return unexpected(read.error());
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    auto credentials = open_credentials(vault, accounts[i].id, sealed[i]);
    if (!credentials) return unexpected(credentials.error());
    accounts[i].credentials = std::move(*credentials);
  }
  return accounts;
}

}  // namespace

connectors::AccountConfig connector_config(const ConnectorAccount& account) {
  connectors::AccountConfig config;
  config.account_id = account.id;
  config.connector = account.connector;
  config.base_url = account.base_url;
  config.credentials = account.credentials;
  config.timeout = std::chrono::milliseconds(account.timeout_ms);
  return config;
}

boost::json::object connector_account_json(const ConnectorAccount& account) {
  boost::json::array credential_names;
  for (const auto& [name, secret] : account.credentials) credential_names.emplace_back(name);
  return boost::json::object{{"id", account.id},
                             {"object", "connector_account"},
                             {"merchant", account.merchant_id},
                             {"livemode", account.livemode},
                             {"connector", account.connector},
                             {"display_name", account.display_name},
                             {"base_url", account.base_url},
                             {"credentials_set", std::move(credential_names)},
                             {"timeout_ms", account.timeout_ms},
                             {"status", account.status},
                             {"created_at_unix_ms", account.created_at_unix_ms},
                             {"updated_at_unix_ms", account.updated_at_unix_ms}};
}

store::StoreResult<void> insert_connector_account(store::Connection& connection,
                                                  const vault::Vault& vault,
                                                  const ConnectorAccount& account) {
  auto inserted = connection.execute(
      "INSERT INTO connector_accounts (" + std::string(kColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      {account.id, account.merchant_id, account.livemode, account.connector, account.display_name,
       account.base_url, seal_credentials(vault, account), account.timeout_ms, account.status,
       account.created_at_unix_ms, account.updated_at_unix_ms});
  if (!inserted) return unexpected(inserted.error());
  return {};
}

store::StoreResult<std::optional<ConnectorAccount>> find_connector_account(
    store::Connection& connection, const vault::Vault& vault, std::string_view id,
    std::string_view merchant_id) {
  auto found = merchant_id.empty()
                   ? select_accounts(connection, vault, "id = $1", {std::string(id)})
                   : select_accounts(connection, vault, "id = $1 AND merchant_id = $2",
                                     {std::string(id), std::string(merchant_id)});
  if (!found) return unexpected(found.error());
  if (found->empty()) return std::optional<ConnectorAccount>{};
  return std::optional<ConnectorAccount>(std::move(found->front()));
}

store::StoreResult<std::vector<ConnectorAccount>> connector_accounts_of(
    store::Connection& connection, const vault::Vault& vault, std::string_view merchant_id,
    std::optional<bool> livemode) {
  const std::string limit = " ORDER BY created_at_unix_ms, id LIMIT " +
                            std::to_string(kConnectorAccountsPerMerchantMax * 2);
  if (livemode) {
    return select_accounts(connection, vault, "merchant_id = $1 AND livemode = $2" + limit,
                           {std::string(merchant_id), *livemode});
  }
  return select_accounts(connection, vault, "merchant_id = $1" + limit, {std::string(merchant_id)});
}

store::StoreResult<bool> update_connector_account(store::Connection& connection,
                                                  const vault::Vault& vault,
                                                  const ConnectorAccount& account) {
  auto updated = connection.execute(
      "UPDATE connector_accounts SET status = $3, base_url = $4, credentials_sealed = $5, "
      "updated_at_unix_ms = $6 WHERE id = $1 AND merchant_id = $2",
      {account.id, account.merchant_id, account.status, account.base_url,
       seal_credentials(vault, account), account.updated_at_unix_ms});
  if (!updated) return unexpected(updated.error());
  return *updated == 1;
}

}  // namespace till::payments
