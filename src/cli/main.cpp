// till — one binary, many subcommands (see `till --help`).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>

#include "cli/admin_commands.h"
#include "cli/commands.h"

namespace {

// Flags shared by commands that load configuration. Each flag is an override of one dotted
// configuration key, applied with the highest precedence.
struct ConfigFlags {
  std::string config_file;
  std::string listen;
  std::string data_dir;
  std::string database;
  std::string log_level;

  void add_to(CLI::App& command, bool with_server_flags) {
    command.add_option("--config", config_file, "TOML configuration file (default: $TILL_CONFIG)");
    command.add_option("--data-dir", data_dir, "Directory for the embedded SQLite database");
    command.add_option("--database", database, "postgres://... URL; selects PostgreSQL");
    command.add_option("--log-level", log_level, "trace, debug, info, warn or error");
    if (with_server_flags) command.add_option("--listen", listen, "HOST:PORT to listen on");
  }

  till::config::ConfigSources to_sources() const {
    till::config::ConfigSources sources;
    if (!config_file.empty()) sources.file_path = config_file;
    sources.env = till::config::till_environment();
    auto add = [&](const char* key, const std::string& value) {
      if (!value.empty()) sources.flags.emplace_back(key, value);
    };
    add("server.listen", listen);
    add("storage.data_dir", data_dir);
    add("storage.database_url", database);
    add("log.level", log_level);
    return sources;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Till — a self-hosted payments platform. See README.md and docs/."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");

  ConfigFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP APIs and background workers");
  serve_flags.add_to(*serve, true);
  till::cli::ServeOptions serve_options;
  serve->add_flag("--demo-merchant", serve_options.demo_merchant,
                  "Create (once) and print a demo merchant with a test secret key, kept in "
                  "<data-dir>/demo-merchant.json");

  ConfigFlags migrate_flags;
  CLI::App* migrate = app.add_subcommand("migrate", "Apply pending database migrations");
  migrate_flags.add_to(*migrate, false);

  CLI::App* ledger = app.add_subcommand("ledger", "Inspect the ledger");
  ledger->require_subcommand(1);
  ConfigFlags verify_flags;
  CLI::App* verify = ledger->add_subcommand(
      "verify", "Recompute the ledger from its postings; exit 1 if any invariant is broken");
  verify_flags.add_to(*verify, false);

  CLI::App* config = app.add_subcommand("config", "Inspect configuration");
  config->require_subcommand(1);
  ConfigFlags check_flags;
  CLI::App* check = config->add_subcommand(
      "check", "Validate configuration from file, environment and flags; exit 2 on problems");
  check_flags.add_to(*check, true);
  CLI::App* keys = config->add_subcommand("keys", "List every setting with its default");

  CLI::App* bench = app.add_subcommand("bench", "Benchmarks (write into the configured database)");
  bench->require_subcommand(1);
  ConfigFlags bench_flags;
  till::cli::BenchLedgerOptions bench_options;
  CLI::App* bench_ledger = bench->add_subcommand(
      "ledger", "Ledger throughput (batched transfers) and single-entry acknowledgement latency");
  bench_flags.add_to(*bench_ledger, false);
  bench_ledger
      ->add_option("--accounts", bench_options.accounts, "Accounts to spread transfers over")
      ->check(CLI::Range(2, 10'000'000));
  bench_ledger->add_option("--transfers", bench_options.transfers,
                           "Transfers in the throughput phase (0 skips it)");
  bench_ledger->add_option("--batch-size", bench_options.batch_size, "Transfers per batch")
      ->check(CLI::Range(1, 8190));
  bench_ledger->add_option("--clients", bench_options.clients, "Threads submitting batches")
      ->check(CLI::Range(1, 256));
  bench_ledger
      ->add_option("--single-entry-writers", bench_options.single_entry_writers,
                   "Threads posting one entry at a time in the latency phase (0 skips it)")
      ->check(CLI::Range(0, 1024));
  bench_ledger
      ->add_option("--latency-duration-ms", bench_options.latency_duration_ms,
                   "Length of the latency phase")
      ->check(CLI::Range(1, 3'600'000));
  bench_ledger->add_option("--seed", bench_options.seed, "Random seed");
  bench_ledger->add_option(
      "--acks-file", bench_options.acks_file,
      "Append the id of every acknowledged (durably committed) entry to this file");
  ConfigFlags bench_webhooks_flags;
  till::cli::BenchWebhooksOptions bench_webhooks_options;
  CLI::App* bench_webhooks = bench->add_subcommand(
      "webhooks", "Webhook delivery: drain a backlog of events to an in-process receiver");
  bench_webhooks_flags.add_to(*bench_webhooks, false);
  bench_webhooks->add_option("--events", bench_webhooks_options.events, "Events in the backlog")
      ->check(CLI::Range(1, 100'000'000));
  bench_webhooks
      ->add_option("--receiver-threads", bench_webhooks_options.receiver_threads,
                   "I/O threads of the receiver")
      ->check(CLI::Range(1, 64));
  bench_webhooks
      ->add_option("--timeout-seconds", bench_webhooks_options.timeout_seconds,
                   "Fail if the backlog is not delivered within this time")
      ->check(CLI::Range(1, 86'400));

  CLI::App* admin = app.add_subcommand(
      "admin", "Manage merchants and API keys directly in the configured database");
  admin->require_subcommand(1);
  CLI::App* admin_merchant = admin->add_subcommand("merchant", "Merchants");
  admin_merchant->require_subcommand(1);
  ConfigFlags merchant_create_flags;
  std::string merchant_name;
  till::cli::AdminOutput merchant_create_output;
  CLI::App* merchant_create = admin_merchant->add_subcommand(
      "create", "Create a merchant with a test secret key (printed once)");
  merchant_create_flags.add_to(*merchant_create, false);
  merchant_create->add_option("--name", merchant_name, "The merchant's name (1-255 bytes)")
      ->required();
  merchant_create->add_flag("--json", merchant_create_output.json,
                            "Print {\"merchant_id\",\"secret_key\",\"livemode\"} on one line");
  ConfigFlags merchant_list_flags;
  till::cli::AdminOutput merchant_list_output;
  CLI::App* merchant_list = admin_merchant->add_subcommand("list", "List merchants, newest first");
  merchant_list_flags.add_to(*merchant_list, false);
  merchant_list->add_flag("--json", merchant_list_output.json, "Print a JSON array on one line");

  CLI::App* admin_key = admin->add_subcommand("key", "Secret API keys");
  admin_key->require_subcommand(1);
  ConfigFlags key_issue_flags;
  std::string key_merchant;
  std::string key_mode;
  till::cli::AdminOutput key_issue_output;
  CLI::App* key_issue =
      admin_key->add_subcommand("issue", "Issue a secret key for a merchant (printed once)");
  key_issue_flags.add_to(*key_issue, false);
  key_issue->add_option("--merchant", key_merchant, "The merchant's id (acct_...)")->required();
  key_issue->add_option("--mode", key_mode, "test or live")
      ->required()
      ->check(CLI::IsMember({"test", "live"}));
  key_issue->add_flag("--json", key_issue_output.json,
                      "Print {\"key_id\",\"merchant_id\",\"secret_key\",\"livemode\"} on one line");
  ConfigFlags key_revoke_flags;
  std::string revoke_key_id;
  till::cli::AdminOutput key_revoke_output;
  CLI::App* key_revoke = admin_key->add_subcommand("revoke", "Revoke a key at once");
  key_revoke_flags.add_to(*key_revoke, false);
  key_revoke->add_option("KEY_ID", revoke_key_id, "The key's id (key_...)")->required();
  key_revoke->add_flag("--json", key_revoke_output.json, "Print the revoked key as JSON");

  CLI::App* vault = app.add_subcommand("vault", "Card vault keys (docs/vault.md)");
  vault->require_subcommand(1);
  ConfigFlags rotate_key_flags;
  std::size_t rotate_batch_size = 500;
  CLI::App* rotate_key = vault->add_subcommand(
      "rotate-key", "Re-encrypt vaulted cards under vault.active_key; exit 1 if any failed");
  rotate_key_flags.add_to(*rotate_key, false);
  rotate_key->add_option("--batch-size", rotate_batch_size, "Cards per transaction")
      ->check(CLI::Range(1, 10'000));
  CLI::App* generate_key =
      vault->add_subcommand("generate-key", "Print a fresh random key (base64 of 32 bytes)");

  till::cli::SandboxPspFlags psp_flags;
  CLI::App* sandbox_psp =
      app.add_subcommand("sandbox-psp", "Run the simulated card processor (docs/sandbox-psp.md)");
  sandbox_psp->add_option("--listen", psp_flags.listen, "HOST:PORT to listen on (port 0: any)");
  sandbox_psp->add_option("--data-dir", psp_flags.data_dir, "Directory of its SQLite books")
      ->required();
  sandbox_psp->add_option("--api-key", psp_flags.api_key, "Key callers present")->required();
  sandbox_psp->add_option("--admin-token", psp_flags.admin_token, "Token of the admin endpoints")
      ->required();
  sandbox_psp->add_option("--webhook-url", psp_flags.webhook_url, "Where to POST notifications");
  sandbox_psp->add_option("--webhook-secret", psp_flags.webhook_secret, "Key of Psp-Signature");
  sandbox_psp->add_option("--wire", psp_flags.wire, "Webhook format: json or iso8583")
      ->check(CLI::IsMember({"json", "iso8583"}));
  sandbox_psp->add_option("--name", psp_flags.name, "Instance name (logs, User-Agent)");
  sandbox_psp->add_option("--log-level", psp_flags.log_level, "trace, debug, info, warn or error");

  CLI::App* version = app.add_subcommand("version", "Print version and build information");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? till::cli::kExitOk : till::cli::kExitUsage;
  }

  if (serve->parsed()) return till::cli::run_serve(serve_flags.to_sources(), serve_options);
  if (migrate->parsed()) return till::cli::run_migrate(migrate_flags.to_sources());
  if (verify->parsed()) return till::cli::run_ledger_verify(verify_flags.to_sources());
  if (check->parsed()) return till::cli::run_config_check(check_flags.to_sources());
  if (keys->parsed()) return till::cli::run_config_keys();
  if (bench_ledger->parsed())
    return till::cli::run_bench_ledger(bench_flags.to_sources(), bench_options);
  if (bench_webhooks->parsed()) {
    return till::cli::run_bench_webhooks(bench_webhooks_flags.to_sources(),
                                         bench_webhooks_options);
  }
  if (merchant_create->parsed()) {
    return till::cli::run_admin_merchant_create(merchant_create_flags.to_sources(), merchant_name,
                                                merchant_create_output);
  }
  if (merchant_list->parsed()) {
    return till::cli::run_admin_merchant_list(merchant_list_flags.to_sources(),
                                              merchant_list_output);
  }
  if (key_issue->parsed()) {
    return till::cli::run_admin_key_issue(key_issue_flags.to_sources(), key_merchant, key_mode,
                                          key_issue_output);
  }
  if (key_revoke->parsed()) {
    return till::cli::run_admin_key_revoke(key_revoke_flags.to_sources(), revoke_key_id,
                                           key_revoke_output);
  }
  if (rotate_key->parsed()) {
    return till::cli::run_vault_rotate_key(rotate_key_flags.to_sources(), rotate_batch_size);
  }
  if (generate_key->parsed()) return till::cli::run_vault_generate_key();
  if (sandbox_psp->parsed()) return till::cli::run_sandbox_psp(psp_flags);
  if (version->parsed()) return till::cli::run_version();
  return till::cli::kExitUsage;
}
