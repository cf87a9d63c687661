#include "routing/config_store.h"

#include <cassert>
#include <limits>

namespace till::routing {

namespace {

using store::Connection;
using store::Row;
using store::StoreResult;

constexpr std::string_view kColumns = "version, config, created_at, created_by";

StoredConfig read_stored(const Row& row) {
  return StoredConfig{row.get_int64(0), row.get<std::string>(1), row.get_int64(2),
                      row.get<std::string>(3)};
}

StoreResult<std::int64_t> insert_next(Connection& connection, const std::string& merchant_id,
                                      bool livemode, const std::string& text,
                                      const std::string& created_by, std::int64_t now_ms) {
  auto latest = connection.query_one<std::optional<std::int64_t>>(
      "SELECT MAX(version) FROM routing_configs WHERE merchant_id = $1 AND livemode = $2",
      {merchant_id, livemode});
  if (!latest) return unexpected(latest.error());
  const std::int64_t version = latest->value_or(std::nullopt).value_or(0) + 1;
  auto inserted = connection.execute(
      "INSERT INTO routing_configs (merchant_id, livemode, version, config, created_at, "
      "created_by) VALUES ($1, $2, $3, $4, $5, $6)",
      {merchant_id, livemode, version, text, now_ms, created_by});
  if (!inserted) return unexpected(inserted.error());
  return version;
}

}  // namespace

StoreResult<std::int64_t> save_config(store::Database& database, std::string_view merchant_id,
                                      bool livemode, std::string_view json_text,
                                      std::string_view created_by, std::int64_t now_ms) {
  assert(!merchant_id.empty());
  assert(created_by.size() <= kCreatedByBytesMax);
  const std::string merchant(merchant_id);
  const std::string text(json_text);
  const std::string by(created_by);
  for (int attempt = 1;; ++attempt) {
    std::int64_t version = 0;
    auto saved = database.transact([&](Connection& connection) -> StoreResult<void> {
      auto inserted = insert_next(connection, merchant, livemode, text, by, now_ms);
      if (!inserted) return unexpected(inserted.error());
      version = *inserted;
      return {};
    });
    if (saved) return version;
    if (saved.error().kind != store::ErrorKind::constraint || attempt >= kSaveAttemptsMax) {
      return unexpected(saved.error());
    }
  }
}

StoreResult<std::optional<StoredConfig>> active_config(Connection& connection,
                                                       std::string_view merchant_id,
                                                       bool livemode) {
  auto latest = list_versions(connection, merchant_id, livemode, 1);
  if (!latest) return unexpected(latest.error());
  if (latest->empty()) return std::optional<StoredConfig>{};
  return std::optional<StoredConfig>(std::move(latest->front()));
}

StoreResult<std::optional<StoredConfig>> active_config(store::Database& database,
                                                       std::string_view merchant_id,
                                                       bool livemode) {
  std::optional<StoredConfig> found;
  auto read = database.read([&](Connection& connection) -> StoreResult<void> {
    auto active = active_config(connection, merchant_id, livemode);
    if (!active) return unexpected(active.error());
    found = std::move(*active);
    return {};
  });
  if (!read) return unexpected(read.error());
  return found;
}

StoreResult<std::vector<StoredConfig>> list_versions(Connection& connection,
                                                     std::string_view merchant_id, bool livemode,
                                                     std::size_t limit,
                                                     std::optional<std::int64_t> before_version) {
  assert(limit >= 1 && limit <= kVersionsPageMax);
  std::vector<StoredConfig> versions;
  auto queried = connection.query(
      "SELECT " + std::string(kColumns) +
          " FROM routing_configs WHERE merchant_id = $1 AND livemode = $2 AND version < $3 "
          "ORDER BY version DESC LIMIT " +
          std::to_string(limit),
      {std::string(merchant_id), livemode,
       before_version.value_or(std::numeric_limits<std::int64_t>::max())},
      [&](const Row& row) { versions.push_back(read_stored(row)); });
  if (!queried) return unexpected(queried.error());
  return versions;
}

StoreResult<std::vector<StoredConfig>> list_versions(store::Database& database,
                                                     std::string_view merchant_id, bool livemode,
                                                     std::size_t limit,
                                                     std::optional<std::int64_t> before_version) {
  std::vector<StoredConfig> found;
  auto read = database.read([&](Connection& connection) -> StoreResult<void> {
    auto listed = list_versions(connection, merchant_id, livemode, limit, before_version);
    if (!listed) return unexpected(listed.error());
    found = std::move(*listed);
    return {};
  });
  if (!read) return unexpected(read.error());
  return found;
}

}  // namespace till::routing
