// config/settings.h — the one table of settings (internal to the config module).
//
// Every place that knows about a setting — TOML, environment, flags, validation, defaults,
// `setting_docs()` and therefore the documentation — reads it from this table, so adding a
// setting is adding one row.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "config/config.h"

namespace till::config::internal {

enum class ValueKind : std::uint8_t { integer, text };

struct Setting {
  std::string_view key;   // dotted, "<section>.<name>": "server.listen"
  std::string_view flag;  // "--listen", or empty when the setting has no flag of its own
  ValueKind kind;
  std::int64_t value_min;  // integer settings: inclusive bounds, checked before store_integer
  std::int64_t value_max;
  void (*store_integer)(Config&, std::int64_t);           // integer settings only
  Result<void> (*store_text)(Config&, std::string_view);  // text settings only: checks, stores
  std::string (*show)(const Config&);  // the current value, written as a user would write it
  std::string_view description;
};

std::span<const Setting> settings();

// nullptr when no setting has that key / environment variable name.
const Setting* find_setting_by_key(std::string_view key);
const Setting* find_setting_by_env(std::string_view env_name);

// "server.listen" -> "TILL_SERVER_LISTEN".
std::string env_name(std::string_view key);

// "server.listen" -> "server"; the text before the first '.'.
std::string_view section_of(std::string_view key);
// "server.listen" -> "listen"; the text after the last '.', or all of it.
std::string_view leaf_of(std::string_view key);

}  // namespace till::config::internal
