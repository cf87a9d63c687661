// cli/commands.h — the `till` subcommands. main.cpp parses the command line with CLI11 and
// calls one of these; each returns the process exit status.
//
// Exit statuses: 0 success, 1 runtime failure (database unreachable, port in use, ...),
// 2 invalid configuration or usage.
#pragma once

#include <cstdint>
#include <string>

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

struct BenchLedgerOptions {
  std::size_t accounts = 10'000;
  std::uint64_t transfers = 1'000'000;
  std::uint64_t batch_size = 8'190;
  int clients = 4;                // threads submitting batches (2 queued while 2 are in the pipeline)
  int single_entry_writers = 64;  // latency phase; 0 skips it
  std::int64_t latency_duration_ms = 5'000;
  std::uint64_t seed = 1;
  std::string acks_file;  // append acknowledged entry ids here
};
// `till bench ledger`: throughput and acknowledgement latency of the ledger (see
// docs/benchmarks.md). Writes benchmark accounts and entries into the configured database.
int run_bench_ledger(const config::ConfigSources& sources, const BenchLedgerOptions& options);

struct BenchWebhooksOptions {
  std::uint64_t events = 100'000;
  int receiver_threads = 1;          // I/O threads of the in-process receiver
  std::int64_t timeout_seconds = 600;  // give up (and fail) after this long
};
// `till bench webhooks`: delivers a backlog of events to an in-process receiver and reports
// deliveries/s and the time to drain it (see docs/benchmarks.md).
int run_bench_webhooks(const config::ConfigSources& sources, const BenchWebhooksOptions& options);

// `till vault rotate-key`: re-encrypts vaulted cards under vault.active_key, `batch_size` per
// transaction; exit 0 only when no card failed. `till vault generate-key`: prints a fresh
// base64 32-byte key.
int run_vault_rotate_key(const config::ConfigSources& sources, std::size_t batch_size);
int run_vault_generate_key();

// `till sandbox-psp`: the simulated card processor (docs/sandbox-psp.md). Takes no
// configuration file: every instance is described by its flags alone.
struct SandboxPspFlags {
  std::string listen = "127.0.0.1:0";
  std::string data_dir;
  std::string api_key;
  std::string admin_token;
  std::string webhook_url;
  std::string webhook_secret;
  std::string wire = "json";
  std::string name = "sandbox-psp";
  std::string log_level = "info";
};
int run_sandbox_psp(const SandboxPspFlags& flags);

// Loads configuration and prints every problem to stderr. nullopt when there were problems.
std::optional<config::Config> load_config_or_report(const config::ConfigSources& sources);

}  // namespace till::cli
