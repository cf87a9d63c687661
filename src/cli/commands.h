// cli/commands.h — the `till` subcommands. main.cpp parses the command line with CLI11 and
// calls one of these; each returns the process exit status.
//
// Exit statuses: 0 success, 1 runtime failure (database unreachable, port in use, ...),
// 2 invalid configuration or usage.
#pragma once

#include "config/config.h"

namespace till::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int run_serve(const config::ConfigSources& sources);
int run_migrate(const config::ConfigSources& sources);
// `till ledger verify`: exit 0 when every ledger invariant holds, 1 on violations or errors.
int run_ledger_verify(const config::ConfigSources& sources);
int run_config_check(const config::ConfigSources& sources);
int run_config_keys();
int run_version();

// Loads configuration and prints every problem to stderr. nullopt when there were problems.
std::optional<config::Config> load_config_or_report(const config::ConfigSources& sources);

}  // namespace till::cli
