// Every statement on the merchants and api_keys tables (migration 0003_merchants.sql).

#include "merchant/internal.h"
#include "store/string_map_json.h"

namespace till::merchant::sql {

namespace {

using store::Row;
using store::Value;

std::string metadata_to_json(const Metadata& metadata) {
  return store::string_map_to_json(metadata);
}

Metadata metadata_from_json(std::string_view json) { return store::string_map_from_json(json); }

Value optional_value(const std::optional<std::int64_t>& value) {
  if (!value) return nullptr;
  return *value;
}

constexpr std::string_view kMerchantColumns = "id, name, metadata_json, created_at_unix_ms";

Merchant merchant_from_row(const Row& row) {
  return Merchant{row.get<std::string>(0), row.get<std::string>(1),
                  metadata_from_json(row.get_text(2)), row.get_int64(3)};
}

constexpr std::string_view kKeyColumns =
    "id, merchant_id, mode, secret_last4, created_at_unix_ms, expires_at_unix_ms,"
    " revoked_at_unix_ms, replaced_by_key_id, secret_sha256";

ApiKey key_from_row(const Row& row) {
  ApiKey key;
  key.id = row.get<std::string>(0);
  key.merchant_id = row.get<std::string>(1);
  // The column's CHECK allows only the two names.
  key.mode = parse_mode(row.get_text(2)).value_or(Mode::test);
  key.secret_last4 = row.get<std::string>(3);
  key.created_at_unix_ms = row.get_int64(4);
  key.expires_at_unix_ms = row.get<std::optional<std::int64_t>>(5);
  key.revoked_at_unix_ms = row.get<std::optional<std::int64_t>>(6);
  key.replaced_by_key_id = row.get<std::optional<std::string>>(7).value_or("");
  return key;
}

// Pages are fetched one row long: the extra row only says whether there is a next page.
template <class T>
void trim_page(Page<T>& page, std::size_t limit) {
  page.has_more = page.items.size() > limit;
  if (page.has_more) page.items.pop_back();
}

}  // namespace

StoreResult<void> insert_merchant(Connection& connection, const Merchant& merchant) {
  auto inserted = connection.execute(
      "INSERT INTO merchants (id, name, metadata_json, created_at_unix_ms)"
      " VALUES ($1, $2, $3, $4)",
      {merchant.id, merchant.name, metadata_to_json(merchant.metadata),
       merchant.created_at_unix_ms});
  if (!inserted) return unexpected(inserted.error());
  return {};
}

StoreResult<std::optional<Merchant>> select_merchant(Connection& connection,
                                                     const std::string& id) {
  std::optional<Merchant> merchant;
  auto result =
      connection.query("SELECT " + std::string(kMerchantColumns) + " FROM merchants WHERE id = $1",
                       {id}, [&](const Row& row) { merchant = merchant_from_row(row); });
  if (!result) return unexpected(result.error());
  return merchant;
}

StoreResult<bool> merchant_exists(Connection& connection, const std::string& id) {
  auto found = connection.query_one<std::int64_t>("SELECT 1 FROM merchants WHERE id = $1", {id});
  if (!found) return unexpected(found.error());
  return found->has_value();
}

StoreResult<Page<Merchant>> select_merchants(Connection& connection,
                                             const std::string& starting_after, std::size_t limit) {
  Page<Merchant> page;
  const auto fetch = static_cast<std::int64_t>(limit + 1);
  const auto on_row = [&](const Row& row) { page.items.push_back(merchant_from_row(row)); };
  const std::string select = "SELECT " + std::string(kMerchantColumns) + " FROM merchants";
  auto result = starting_after.empty()
                    ? connection.query(select + " ORDER BY id DESC LIMIT $1", {fetch}, on_row)
                    : connection.query(select + " WHERE id < $1 ORDER BY id DESC LIMIT $2",
                                       {starting_after, fetch}, on_row);
  if (!result) return unexpected(result.error());
  trim_page(page, limit);
  return page;
}

StoreResult<void> insert_key(Connection& connection, const ApiKey& key,
                             const std::string& secret_sha256_hex) {
  auto inserted = connection.execute(
      "INSERT INTO api_keys (id, merchant_id, mode, secret_sha256, secret_last4,"
      " created_at_unix_ms, expires_at_unix_ms, revoked_at_unix_ms, replaced_by_key_id)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
      {key.id, key.merchant_id, std::string(to_string(key.mode)), secret_sha256_hex,
       key.secret_last4, key.created_at_unix_ms, optional_value(key.expires_at_unix_ms),
       optional_value(key.revoked_at_unix_ms)});
  if (!inserted) return unexpected(inserted.error());
  return {};
}

StoreResult<std::optional<KeyRow>> select_key(Connection& connection, const std::string& id,
                                              bool for_update) {
  std::string statement = "SELECT " + std::string(kKeyColumns) + " FROM api_keys WHERE id = $1";
  if (for_update && connection.dialect() == store::Dialect::postgres) statement += " FOR UPDATE";
  std::optional<KeyRow> key;
  auto result = connection.query(statement, {id}, [&](const Row& row) {
    key = KeyRow{key_from_row(row), row.get<std::string>(8)};
  });
  if (!result) return unexpected(result.error());
  return key;
}

StoreResult<std::optional<KeyLookup>> select_key_by_secret(Connection& connection,
                                                           const std::string& secret_sha256_hex) {
  std::optional<KeyLookup> lookup;
  auto result = connection.query(
      "SELECT id, merchant_id, mode, expires_at_unix_ms, revoked_at_unix_ms FROM api_keys"
      " WHERE secret_sha256 = $1",
      {secret_sha256_hex}, [&](const Row& row) {
        lookup = KeyLookup{row.get<std::string>(0), row.get<std::string>(1),
                           parse_mode(row.get_text(2)).value_or(Mode::test),
                           row.get<std::optional<std::int64_t>>(3), !row.is_null(4)};
      });
  if (!result) return unexpected(result.error());
  return lookup;
}

StoreResult<Page<ApiKey>> select_keys(Connection& connection, const std::string& merchant_id,
                                      const std::string& starting_after, std::size_t limit) {
  Page<ApiKey> page;
  const auto fetch = static_cast<std::int64_t>(limit + 1);
  const auto on_row = [&](const Row& row) { page.items.push_back(key_from_row(row)); };
  const std::string select =
      "SELECT " + std::string(kKeyColumns) + " FROM api_keys WHERE merchant_id = $1";
  auto result =
      starting_after.empty()
          ? connection.query(select + " ORDER BY id DESC LIMIT $2", {merchant_id, fetch}, on_row)
          : connection.query(select + " AND id < $2 ORDER BY id DESC LIMIT $3",
                             {merchant_id, starting_after, fetch}, on_row);
  if (!result) return unexpected(result.error());
  trim_page(page, limit);
  return page;
}

StoreResult<bool> key_belongs_to(Connection& connection, const std::string& key_id,
                                 const std::string& merchant_id) {
  auto found = connection.query_one<std::int64_t>(
      "SELECT 1 FROM api_keys WHERE id = $1 AND merchant_id = $2", {key_id, merchant_id});
  if (!found) return unexpected(found.error());
  return found->has_value();
}

StoreResult<std::int64_t> count_usable_keys(Connection& connection, const std::string& merchant_id,
                                            std::int64_t now_unix_ms) {
  auto count = connection.query_one<std::int64_t>(
      "SELECT COUNT(*) FROM api_keys WHERE merchant_id = $1 AND revoked_at_unix_ms IS NULL"
      " AND (expires_at_unix_ms IS NULL OR expires_at_unix_ms > $2)",
      {merchant_id, now_unix_ms});
  if (!count) return unexpected(count.error());
  return count->value_or(0);
}

StoreResult<void> set_key_rolled(Connection& connection, const std::string& id,
                                 std::int64_t expires_at_unix_ms,
                                 const std::string& replaced_by_key_id) {
  auto updated = connection.execute(
      "UPDATE api_keys SET expires_at_unix_ms = $2, replaced_by_key_id = $3 WHERE id = $1",
      {id, expires_at_unix_ms, replaced_by_key_id});
  if (!updated) return unexpected(updated.error());
  return {};
}

StoreResult<void> set_key_revoked(Connection& connection, const std::string& id,
                                  std::int64_t revoked_at_unix_ms) {
  auto updated = connection.execute(
      "UPDATE api_keys SET revoked_at_unix_ms = $2 WHERE id = $1 AND revoked_at_unix_ms IS NULL",
      {id, revoked_at_unix_ms});
  if (!updated) return unexpected(updated.error());
  return {};
}

}  // namespace till::merchant::sql
