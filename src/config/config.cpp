// Loading: defaults, then the TOML file, then TILL_* environment variables, then flags. Each
// layer stores the values it can and records a problem for each it cannot, so one pass over
// all layers finds every problem. Only a run with no problems yields a Config.
#include "config/config.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#include "config/settings.h"
#include "config/text.h"

namespace till::config {
namespace {

using internal::find_setting_by_env;
using internal::find_setting_by_key;
using internal::printable;
using internal::Setting;
using internal::ValueKind;
using Problems = std::vector<ConfigProblem>;
using Pairs = std::vector<std::pair<std::string, std::string>>;

// A configuration file is a few dozen lines; anything over 1 MiB is a wrong path (a log, a
// database), refused before parsing so it cannot cost memory or time.
constexpr std::size_t config_file_size_max_bytes = 1024 * 1024;
constexpr std::size_t read_chunk_size_bytes = 16 * 1024;
constexpr std::string_view env_prefix = "TILL_";
// TILL_* variables that are not settings. Every other TILL_* name must be a setting, so a
// misspelt variable is reported instead of silently doing nothing.
constexpr std::string_view config_file_env = "TILL_CONFIG";

// ---- "did you mean" ----

enum class NameSpace : std::uint8_t { key, env, section };

std::string candidate_name(const Setting& setting, NameSpace space) {
  switch (space) {
    case NameSpace::key:
      return std::string(setting.key);
    case NameSpace::env:
      return internal::env_name(setting.key);
    case NameSpace::section:
      return std::string(internal::section_of(setting.key));
  }
  assert(false);
  return {};
}

// Matching the last part alone counts as close too: `[storage] listen` or TILL_DATA_DIR is
// the right name in the wrong place, and the full-name distance would be large.
std::size_t distance_to(std::string_view unknown, const Setting& setting, NameSpace space) {
  using internal::edit_distance;
  using internal::leaf_of;
  const std::size_t full = edit_distance(unknown, candidate_name(setting, space));
  switch (space) {
    case NameSpace::key:
      return std::min(full, edit_distance(leaf_of(unknown), leaf_of(setting.key)));
    case NameSpace::env:
      return std::min(full, edit_distance(unknown, internal::env_name(leaf_of(setting.key))));
    case NameSpace::section:
      return full;
  }
  assert(false);
  return full;
}

// "; did you mean 'x'?" for the closest name within a typo or two, or "" when none is close.
std::string did_you_mean(std::string_view unknown, NameSpace space) {
  if (unknown.empty() || unknown.size() > internal::suggestion_name_length_max) return {};
  const Setting* best = nullptr;
  std::size_t best_distance = 0;
  for (const Setting& setting : internal::settings()) {
    const std::size_t distance = distance_to(unknown, setting, space);
    if (best == nullptr || distance < best_distance) {
      best = &setting;
      best_distance = distance;
    }
  }
  assert(best != nullptr);
  const bool close = best_distance <= 2 || best_distance * 4 <= unknown.size();
  if (!close || best_distance >= unknown.size()) return {};
  return "; did you mean '" + candidate_name(*best, space) + "'?";
}

// ---- storing one value ----

std::string range_text(const Setting& setting) {
  return "between " + std::to_string(setting.value_min) + " and " +
         std::to_string(setting.value_max);
}

Result<void> store_integer(const Setting& setting, std::int64_t value, Config& config) {
  assert(setting.kind == ValueKind::integer);
  if (value < setting.value_min || value > setting.value_max) {
    return fail("out_of_range",
                "must be " + range_text(setting) + ", got " + std::to_string(value));
  }
  setting.store_integer(config, value);
  return {};
}

// Environment variables and flags are text whatever the setting's type.
Result<void> store_string(const Setting& setting, std::string_view text, Config& config) {
  if (setting.kind == ValueKind::text) return setting.store_text(config, text);
  const std::optional<std::int64_t> value = internal::parse_decimal(text);
  if (!value) {
    return fail("not_an_integer",
                "expected an integer " + range_text(setting) + ", got '" + printable(text) + "'");
  }
  return store_integer(setting, *value, config);
}

// ---- the TOML file ----

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "an unknown type";
}

bool is_section(std::string_view name) {
  const auto& all = internal::settings();
  return std::any_of(all.begin(), all.end(), [name](const Setting& setting) {
    return internal::section_of(setting.key) == name;
  });
}

// Problems found in the file, sorted by line before they are reported: toml++ iterates tables
// in key order, but an operator reads the file top to bottom.
struct FileLayer {
  std::string_view source_name;
  Config* config;
  std::vector<std::pair<std::uint32_t, ConfigProblem>> found;

  void add(const toml::source_region& where, std::string key, std::string message) {
    std::string source = printable(source_name, internal::path_shown_length_max);
    if (where.begin.line > 0) source += ":" + std::to_string(where.begin.line);
    found.emplace_back(where.begin.line,
                       ConfigProblem{std::move(key), std::move(source), std::move(message)});
  }
};

// A quoted number is the commonest type error (env habits); say how to write it.
std::string quote_hint(const toml::node& node) {
  const toml::value<std::string>* text = node.as_string();
  if (text == nullptr || !internal::parse_decimal(text->get())) return {};
  return " (write " + text->get() + " without quotes)";
}

void read_value(const Setting& setting, const toml::node& node, FileLayer& layer) {
  const std::string key(setting.key);
  Result<void> stored;
  if (setting.kind == ValueKind::integer) {
    const toml::value<std::int64_t>* integer = node.as_integer();
    if (integer == nullptr) {
      layer.add(node.source(), key,
                "expected an integer, got " + type_name(node) + quote_hint(node));
      return;
    }
    stored = store_integer(setting, integer->get(), *layer.config);
  } else {
    const toml::value<std::string>* text = node.as_string();
    if (text == nullptr) {
      layer.add(node.source(), key, "expected a string, got " + type_name(node));
      return;
    }
    stored = setting.store_text(*layer.config, text->get());
  }
  if (!stored) layer.add(node.source(), key, stored.error().message);
}

void read_section(const toml::key& name, const toml::node& node, FileLayer& layer) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    layer.add(node.source(), std::string(name.str()),
              "expected a table ([" + std::string(name.str()) + "]), got " + type_name(node));
    return;
  }
  for (auto&& [leaf, value] : *table) {
    const std::string key = std::string(name.str()) + "." + std::string(leaf.str());
    const Setting* setting = find_setting_by_key(key);
    if (setting == nullptr) {
      layer.add(leaf.source(), printable(key), "unknown key" + did_you_mean(key, NameSpace::key));
    } else {
      read_value(*setting, value, layer);
    }
  }
}

void read_root(const toml::table& root, FileLayer& layer) {
  for (auto&& [name, node] : root) {
    if (is_section(name.str())) {
      read_section(name, node, layer);
    } else if (node.is_table()) {
      layer.add(name.source(), printable(name.str()),
                "unknown table" + did_you_mean(name.str(), NameSpace::section));
    } else {
      layer.add(name.source(), printable(name.str()),
                "unknown key" + did_you_mean(name.str(), NameSpace::key));
    }
  }
}

void load_toml(std::string_view text, std::string_view source_name, Config& config,
               Problems& problems) {
  const std::string shown_name = printable(source_name, internal::path_shown_length_max);
  if (text.size() > config_file_size_max_bytes) {
    problems.push_back({"", shown_name, "larger than the 1 MiB limit for a configuration file"});
    return;
  }
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    // Syntax errors are the one failure toml++ reports by exception; it is caught here so no
    // input can make load_config throw.
    const toml::source_position& at = error.source().begin;
    problems.push_back(
        {"", shown_name + ":" + std::to_string(at.line) + ":" + std::to_string(at.column),
         "invalid TOML: " + printable(error.description(), 256)});
    return;
  }
  FileLayer layer{source_name, &config, {}};
  read_root(root, layer);
  std::stable_sort(layer.found.begin(), layer.found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [line, problem] : layer.found) problems.push_back(std::move(problem));
}

// The reason the file cannot be read, or its contents.
Expected<std::string, std::string> read_file(const std::string& path) {
  if (path.empty()) return unexpected(std::string("the path is empty"));
  if (path.find('\0') != std::string::npos) return unexpected(std::string("the path has a NUL"));
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             std::fclose);
  if (file == nullptr) return unexpected(std::generic_category().message(errno));
  std::string text;
  char chunk[read_chunk_size_bytes];
  while (true) {
    const std::size_t count = std::fread(chunk, 1, sizeof chunk, file.get());
    text.append(chunk, count);
    if (text.size() > config_file_size_max_bytes) {
      return unexpected(std::string("larger than the 1 MiB limit for a configuration file"));
    }
    if (count < sizeof chunk) break;
  }
  if (std::ferror(file.get())) return unexpected(std::generic_category().message(errno));
  return text;
}

void load_file(const ConfigSources& sources, Config& config, Problems& problems) {
  std::optional<std::string> path = sources.file_path;
  std::string_view named_by = "";
  if (!path) {
    // An empty TILL_CONFIG counts as unset: `TILL_CONFIG=${TILL_CONFIG}` in compose files
    // produces one, and it means "no file".
    for (const auto& [name, value] : sources.env) {
      if (name == config_file_env && !value.empty()) path = value;
    }
    named_by = " (named by TILL_CONFIG)";
  }
  if (!path) return;
  Expected<std::string, std::string> text = read_file(*path);
  if (!text) {
    problems.push_back(
        {"", printable(*path, internal::path_shown_length_max),
         "cannot read configuration file" + std::string(named_by) + ": " + text.error()});
    return;
  }
  load_toml(*text, *path, config, problems);
}

// ---- environment and flags ----

void apply_env(const Pairs& env, Config& config, Problems& problems) {
  for (const auto& [name, value] : env) {
    if (!name.starts_with(env_prefix) || name == config_file_env) continue;
    const std::string source = "env " + printable(name);
    const Setting* setting = find_setting_by_env(name);
    if (setting == nullptr) {
      problems.push_back({printable(name), source,
                          "unknown environment variable" + did_you_mean(name, NameSpace::env)});
      continue;
    }
    Result<void> stored = store_string(*setting, value, config);
    if (!stored) problems.push_back({std::string(setting->key), source, stored.error().message});
  }
}

void apply_flags(const Pairs& flags, Config& config, Problems& problems) {
  for (const auto& [key, value] : flags) {
    const Setting* setting = find_setting_by_key(key);
    if (setting == nullptr) {
      problems.push_back({printable(key), "flag --" + printable(key),
                          "unknown setting" + did_you_mean(key, NameSpace::key)});
      continue;
    }
    // A setting without a flag of its own can still come from the CLI (e.g. a generic
    // `--set key=value`); it is then named by its key.
    const std::string flag = setting->flag.empty() ? "--" + key : std::string(setting->flag);
    Result<void> stored = store_string(*setting, value, config);
    if (!stored) problems.push_back({key, "flag " + flag, stored.error().message});
  }
}

Expected<Config, Problems> finish(Config config, Problems problems) {
  if (!problems.empty()) return unexpected(std::move(problems));
  return config;
}

}  // namespace

std::string to_string(const ConfigProblem& problem) {
  if (problem.key.empty()) return problem.source + ": " + problem.message;
  return problem.source + ": " + problem.key + ": " + problem.message;
}

Expected<Config, std::vector<ConfigProblem>> load_config(const ConfigSources& sources) {
  Config config;
  Problems problems;
  load_file(sources, config, problems);
  apply_env(sources.env, config, problems);
  apply_flags(sources.flags, config, problems);
  return finish(std::move(config), std::move(problems));
}

Expected<Config, std::vector<ConfigProblem>> load_config(std::string_view toml_text,
                                                         std::string_view source_name,
                                                         const ConfigSources& sources) {
  assert(!sources.file_path.has_value());
  Config config;
  Problems problems;
  load_toml(toml_text, source_name, config, problems);
  apply_env(sources.env, config, problems);
  apply_flags(sources.flags, config, problems);
  return finish(std::move(config), std::move(problems));
}

std::vector<std::pair<std::string, std::string>> till_environment() {
  Pairs env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; entry++) {
    const std::string_view text(*entry);
    if (!text.starts_with(env_prefix)) continue;
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) {
      env.emplace_back(std::string(text), std::string());
    } else {
      env.emplace_back(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
  }
  return env;
}

std::vector<SettingDoc> setting_docs() {
  const Config defaults;
  std::vector<SettingDoc> docs;
  for (const Setting& setting : internal::settings()) {
    docs.push_back(SettingDoc{std::string(setting.key), internal::env_name(setting.key),
                              std::string(setting.flag), setting.show(defaults),
                              std::string(setting.description)});
  }
  return docs;
}

}  // namespace till::config
