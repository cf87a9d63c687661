// routing/config_store.h — the routing_configs table (migration 0007): every version of every
// merchant's routing configuration, per mode.
//
// Versions are append-only (the database refuses UPDATE and DELETE): a change is a new
// version, the active configuration is the latest one, and going back means saving an old
// version's text again. So "which rules routed this payment" always has an answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace till::routing {

constexpr std::size_t kCreatedByBytesMax = 255;
constexpr std::size_t kVersionsPageMax = 100;
// Two writers saving for the same merchant and mode at once both pick the same next version;
// the loser's insert fails on the primary key and is tried again with the next number.
constexpr int kSaveAttemptsMax = 16;

struct StoredConfig {
  std::int64_t version = 0;     // 1, 2, … per merchant and mode
  std::string text;             // the JSON as saved (validated by parse_config before)
  std::int64_t created_at = 0;  // unix ms
  std::string created_by;       // who saved it ("admin_api", a staff member, …)
};

// Stores `json_text` (already validated with parse_config) as the next version and returns
// that version.
store::StoreResult<std::int64_t> save_config(store::Database& database,
                                             std::string_view merchant_id, bool livemode,
                                             std::string_view json_text,
                                             std::string_view created_by, std::int64_t now_ms);

// The latest version, or nullopt when the merchant has none in this mode.
store::StoreResult<std::optional<StoredConfig>> active_config(store::Connection& connection,
                                                              std::string_view merchant_id,
                                                              bool livemode);
store::StoreResult<std::optional<StoredConfig>> active_config(store::Database& database,
                                                              std::string_view merchant_id,
                                                              bool livemode);

// Versions newest first: at most `limit` (1..kVersionsPageMax), only those below
// `before_version` when it is set (the next page starts below the last version seen).
store::StoreResult<std::vector<StoredConfig>> list_versions(
    store::Connection& connection, std::string_view merchant_id, bool livemode,
    std::size_t limit = kVersionsPageMax, std::optional<std::int64_t> before_version = {});
store::StoreResult<std::vector<StoredConfig>> list_versions(
    store::Database& database, std::string_view merchant_id, bool livemode,
    std::size_t limit = kVersionsPageMax, std::optional<std::int64_t> before_version = {});

}  // namespace till::routing
