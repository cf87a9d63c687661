// `till ledger verify`: recompute the ledger from its postings and report every broken
// invariant (ledger/verify.h). Read-only: it never migrates or writes, so it is safe to run
// against a live production database at any time.
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "ledger/verify.h"
#include "obs/log.h"
#include "store/migrations.h"
#include "store/store.h"

namespace till::cli {

namespace {

// Verification runs one read transaction; one connection is all it uses.
constexpr int kVerifyPoolSize = 1;

store::StoreOptions verify_store_options(const config::StorageConfig& storage) {
  store::StoreOptions options;
  options.data_dir = storage.data_dir;
  options.database_url = storage.database_url;
  options.pool_size = kVerifyPoolSize;
  options.busy_timeout_ms = storage.busy_timeout_ms;
  options.retry_attempts_max = storage.retry_attempts_max;
  return options;
}

int verify_failure(std::string_view message) {
  std::fprintf(stderr, "till: ledger verify: %.*s\n", static_cast<int>(message.size()),
               message.data());
  return kExitFailure;
}

// Opening an SQLite database creates it; a verify pointed at the wrong directory must say so
// instead of leaving an empty database behind.
bool sqlite_file_missing(const config::StorageConfig& storage) {
  if (!storage.database_url.empty()) return false;
  std::error_code ignored;
  return !std::filesystem::exists(std::filesystem::path(storage.data_dir) / "till.db", ignored);
}

std::optional<std::string> schema_problem(store::Database& database) {
  auto status = store::schema_status(database);
  if (!status) return status.error().message;
  if (status->ready()) return std::nullopt;
  return "the database schema is at version " + std::to_string(status->database_version) +
         " but this binary needs version " + std::to_string(status->binary_version) +
         "; run `till migrate` first";
}

void print_report(const ledger::VerifyReport& report) {
  for (const ledger::Violation& violation : report.violations) {
    std::printf("violation: %s: %s\n", violation.code.c_str(), violation.message.c_str());
  }
  if (report.violations_omitted > 0) {
    std::printf("(%llu more violations not listed)\n",
                static_cast<unsigned long long>(report.violations_omitted));
  }
  std::printf("ledger verify: %llu accounts, %llu entries, %llu postings, %llu holds: ",
              static_cast<unsigned long long>(report.account_count),
              static_cast<unsigned long long>(report.entry_count),
              static_cast<unsigned long long>(report.posting_count),
              static_cast<unsigned long long>(report.hold_count));
  if (report.ok()) {
    std::printf("OK\n");
  } else {
    const auto count = static_cast<unsigned long long>(report.violation_count());
    std::printf("%llu violation%s\n", count, count == 1 ? "" : "s");
  }
  std::fflush(stdout);
}

}  // namespace

int run_ledger_verify(const config::ConfigSources& sources) {
  const auto config = load_config_or_report(sources);
  if (!config) return kExitUsage;
  obs::init_logging(*obs::parse_log_level(config->log.level));

  if (sqlite_file_missing(config->storage)) {
    return verify_failure("no database at " + config->storage.data_dir +
                          "/till.db (check --data-dir or --database)");
  }
  auto database = store::open_database(verify_store_options(config->storage));
  if (!database) return verify_failure("cannot open the database: " + database.error().message);
  if (auto problem = schema_problem(**database)) return verify_failure(*problem);

  auto report = ledger::verify_ledger(**database);
  if (!report) return verify_failure(report.error().message);
  print_report(*report);
  return report->ok() ? kExitOk : kExitFailure;
}

}  // namespace till::cli
