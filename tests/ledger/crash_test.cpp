// Crash test: kill -9 a process that is posting to the ledger under load, then prove that
// every entry it acknowledged is present, nothing is half-written (`till ledger verify`), and
// the database keeps working.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>
#include <thread>

#include "ledger/ledger.h"
#include "store/store.h"
#include "support/postgres_server.h"
#include "support/test_database.h"
#include "support/till_process.h"

namespace till::ledger {
namespace {

using namespace std::chrono_literals;
using store::Dialect;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(file, line)) {
    if (line.size() == 3 + 22 && line.rfind("je_", 0) == 0)
      lines.push_back(line);  // a torn last line is skipped
  }
  return lines;
}

class LedgerCrashTest : public ::testing::TestWithParam<Dialect> {};

TEST_P(LedgerCrashTest, AcknowledgedEntriesSurviveKillNine) {
  testing::TempDir temp;
  auto options = testing::fresh_database_options(GetParam(), temp.path() + "/var");
  ASSERT_TRUE(options) << options.error().message;
  std::vector<std::string> database_args = {"--data-dir", options->data_dir};
  if (!options->database_url.empty()) database_args = {"--database", options->database_url};
  const std::string acks = temp.path() + "/acks.txt";

  std::vector<std::string> args = {"bench",
                                   "ledger",
                                   "--accounts",
                                   "200",
                                   "--transfers",
                                   "5000000",
                                   "--batch-size",
                                   "100",
                                   "--clients",
                                   "4",
                                   "--single-entry-writers",
                                   "0",
                                   "--acks-file",
                                   acks};
  args.insert(args.end(), database_args.begin(), database_args.end());
  testing::TillProcess load(args);
  // Let it acknowledge a good number of entries, then pull the plug mid-flight.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (read_lines(acks).size() < 20000 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_FALSE(load.wait_exit(1ms).has_value()) << load.captured_stderr();
    std::this_thread::sleep_for(20ms);
  }
  load.send_signal(SIGKILL);
  load.wait_exit(10s);
  const auto acknowledged = read_lines(acks);
  ASSERT_GE(acknowledged.size(), 20000u);

  // Every invariant holds after the crash.
  std::vector<std::string> verify_args = {"ledger", "verify"};
  verify_args.insert(verify_args.end(), database_args.begin(), database_args.end());
  const auto verified = testing::run_till(verify_args);
  EXPECT_EQ(verified.exit_status, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find(": OK"), std::string::npos) << verified.out;

  // Every acknowledged entry is there.
  auto database = store::open_database(*options);
  ASSERT_TRUE(database) << database.error().message;
  std::set<std::string> present;
  auto read = (*database)->read([&](store::Connection& connection) -> store::StoreResult<void> {
    return connection.query("SELECT id FROM ledger_entries", {},
                            [&](const store::Row& row) { present.emplace(row.get_text(0)); });
  });
  ASSERT_TRUE(read) << read.error().message;
  std::size_t missing = 0;
  for (const auto& id : acknowledged) missing += present.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged entries";
  EXPECT_GE(present.size(), acknowledged.size());

  // And the ledger keeps working on the recovered database.
  ManualClock clock(4'000'000'000'000);
  Ledger ledger(**database, clock);
  auto a = ledger.create_account({AccountType::asset, "USD", "platform", "", 0, {}});
  auto b = ledger.create_account({AccountType::liability, "USD", "platform", "", 0, {}});
  ASSERT_TRUE(a && b);
  EntrySpec spec;
  spec.postings = {{a->id, Side::debit, 1}, {b->id, Side::credit, 1}};
  EXPECT_TRUE(ledger.post(spec));
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerCrashTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backend_name);

}  // namespace
}  // namespace till::ledger
