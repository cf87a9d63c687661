// `till config check`, `till config keys`, `till version`, and the shared config loader.
#include <cstdio>
#include <iostream>

#include "cli/build_info.h"
#include "cli/commands.h"

namespace till::cli {

std::optional<config::Config> load_config_or_report(const config::ConfigSources& sources) {
  auto loaded = config::load_config(sources);
  if (loaded) return std::move(loaded).value();
  const auto& problems = loaded.error();
  std::fprintf(stderr, "till: invalid configuration (%zu problem%s):\n", problems.size(),
               problems.size() == 1 ? "" : "s");
  for (const auto& problem : problems) {
    std::fprintf(stderr, "  %s\n", config::to_string(problem).c_str());
  }
  return std::nullopt;
}

int run_config_check(const config::ConfigSources& sources) {
  if (!load_config_or_report(sources)) return kExitUsage;
  std::puts("configuration OK");
  return kExitOk;
}

int run_config_keys() {
  for (const auto& doc : config::setting_docs()) {
    std::cout << doc.key << "\n  env: " << doc.env;
    if (!doc.flag.empty()) std::cout << "\n  flag: " << doc.flag;
    std::cout << "\n  default: " << (doc.default_value.empty() ? "(empty)" : doc.default_value)
              << "\n  " << doc.description << "\n\n";
  }
  return kExitOk;
}

int run_version() {
  std::cout << "till " << build_version() << " (commit " << build_commit() << ", " << __VERSION__
            << ")\n";
  return kExitOk;
}

}  // namespace till::cli
