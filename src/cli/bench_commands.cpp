// `till bench ledger`: the ledger's throughput and latency benchmark (docs/benchmarks.md).
//
// Throughput: N transfers among M accounts, submitted as batches by a few client threads,
// every commit synced. Latency: many threads each posting single entries, the way API
// requests would, with the acknowledgement latency of every entry recorded.
// `--acks-file` appends the id of every acknowledged entry (after its commit is durable), so
// the crash test can kill -9 this process and then check that nothing acknowledged was lost.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

#include "base/clock.h"
#include "cli/commands.h"
#include "ledger/ledger.h"
#include "store/migrations.h"
#include "store/store.h"

namespace till::cli {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

std::optional<std::vector<ledger::Account>> create_bench_accounts(ledger::Ledger& ledger,
                                                                  std::size_t count) {
  std::vector<ledger::Account> accounts;
  while (accounts.size() < count) {
    std::vector<ledger::AccountSpec> specs(
        std::min(ledger::kEntriesPerBatchMax, count - accounts.size()));
    for (auto& spec : specs) {
      spec.type = ledger::AccountType::asset;
      spec.currency = "USD";
      spec.owner = "bench";
    }
    auto created = ledger.create_accounts(specs);
    if (!created) {
      std::fprintf(stderr, "till bench: cannot create accounts: %s\n",
                   created.error().message.c_str());
      return std::nullopt;
    }
    accounts.insert(accounts.end(), created->begin(), created->end());
  }
  return accounts;
}

ledger::EntrySpec random_transfer(const std::vector<ledger::Account>& accounts,
                                  std::mt19937_64& random) {
  std::uniform_int_distribution<std::size_t> pick(0, accounts.size() - 1);
  const std::size_t from = pick(random);
  std::size_t to = pick(random);
  if (to == from) to = (to + 1) % accounts.size();
  const auto amount = static_cast<i128>(1 + random() % 100'000);
  ledger::EntrySpec spec;
  spec.postings = {{accounts[from].id, ledger::Side::debit, amount},
                   {accounts[to].id, ledger::Side::credit, amount}};
  return spec;
}

// Appends acknowledged entry ids, one per line, flushed per batch.
class AckLog {
 public:
  explicit AckLog(const std::string& path)
      : file_(path.empty() ? nullptr : std::fopen(path.c_str(), "a")) {}
  ~AckLog() {
    if (file_ != nullptr) std::fclose(file_);
  }
  bool ok(const std::string& path) const { return path.empty() || file_ != nullptr; }
  void record(const std::vector<ledger::Entry>& entries) {
    if (file_ == nullptr) return;
    std::lock_guard lock(mutex_);
    for (const auto& entry : entries) std::fprintf(file_, "%s\n", entry.id.c_str());
    std::fflush(file_);
  }

 private:
  std::FILE* file_;
  std::mutex mutex_;
};

struct ThroughputResult {
  std::uint64_t transfers = 0;
  std::uint64_t failures = 0;
  double seconds = 0;
};

ThroughputResult run_throughput(ledger::Ledger& ledger,
                                const std::vector<ledger::Account>& accounts,
                                const BenchLedgerOptions& options, AckLog& acks) {
  std::atomic<std::uint64_t> next_batch{0};
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> failures{0};
  const std::uint64_t batch_count =
      (options.transfers + options.batch_size - 1) / options.batch_size;
  const auto started = SteadyClock::now();
  std::vector<std::thread> clients;
  clients.reserve(static_cast<std::size_t>(options.clients));
  for (int c = 0; c < options.clients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937_64 random(options.seed + static_cast<std::uint64_t>(c));
      for (std::uint64_t batch = next_batch++; batch < batch_count; batch = next_batch++) {
        const std::uint64_t size = std::min<std::uint64_t>(
            options.batch_size, options.transfers - batch * options.batch_size);
        std::vector<ledger::EntrySpec> specs;
        specs.reserve(size);
        for (std::uint64_t i = 0; i < size; ++i) specs.push_back(random_transfer(accounts, random));
        auto posted = ledger.post_batch(std::move(specs));
        if (!posted) {
          failures += size;
          std::fprintf(stderr, "till bench: batch failed: %s\n", posted.error().message.c_str());
          continue;
        }
        acks.record(*posted);
        done += size;
      }
    });
  }
  for (auto& client : clients) client.join();
  const auto elapsed = std::chrono::duration<double>(SteadyClock::now() - started).count();
  return ThroughputResult{done.load(), failures.load(), elapsed};
}

struct LatencyResult {
  std::vector<std::int64_t> latencies_us;
  double seconds = 0;
};

LatencyResult run_latency(ledger::Ledger& ledger, const std::vector<ledger::Account>& accounts,
                          const BenchLedgerOptions& options, AckLog& acks) {
  LatencyResult result;
  std::mutex mutex;
  const auto started = SteadyClock::now();
  const auto deadline = started + std::chrono::milliseconds(options.latency_duration_ms);
  std::vector<std::thread> writers;
  writers.reserve(static_cast<std::size_t>(options.single_entry_writers));
  for (int w = 0; w < options.single_entry_writers; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937_64 random(options.seed * 31 + static_cast<std::uint64_t>(w));
      std::vector<std::int64_t> mine;
      while (SteadyClock::now() < deadline) {
        const auto sent = SteadyClock::now();
        auto posted = ledger.post(random_transfer(accounts, random));
        if (!posted) continue;
        mine.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - sent)
                .count());
        acks.record({*posted});
      }
      std::lock_guard lock(mutex);
      result.latencies_us.insert(result.latencies_us.end(), mine.begin(), mine.end());
    });
  }
  for (auto& writer : writers) writer.join();
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  return result;
}

std::int64_t percentile(const std::vector<std::int64_t>& sorted, int percent) {
  if (sorted.empty()) return 0;
  const std::size_t index =
      std::min(sorted.size() - 1, sorted.size() * static_cast<std::size_t>(percent) / 100);
  return sorted[index];
}

}  // namespace

int run_bench_ledger(const config::ConfigSources& sources, const BenchLedgerOptions& options) {
  const auto config = load_config_or_report(sources);
  if (!config) return kExitUsage;
  store::StoreOptions store_options;
  store_options.data_dir = config->storage.data_dir;
  store_options.database_url = config->storage.database_url;
  store_options.pool_size = config->storage.pool_size;
  auto database = store::open_database(store_options);
  if (!database) {
    std::fprintf(stderr, "till bench: cannot open the database: %s\n",
                 database.error().message.c_str());
    return kExitFailure;
  }
  if (auto migrated = store::migrate(**database); !migrated) {
    std::fprintf(stderr, "till bench: migration failed: %s\n", migrated.error().message.c_str());
    return kExitFailure;
  }
  ledger::Ledger ledger(**database, SystemClock::instance());
  const auto accounts = create_bench_accounts(ledger, options.accounts);
  if (!accounts) return kExitFailure;
  AckLog acks(options.acks_file);
  if (!acks.ok(options.acks_file)) {
    std::fprintf(stderr, "till bench: cannot open %s\n", options.acks_file.c_str());
    return kExitFailure;
  }
  std::printf("till bench ledger: %s, %zu accounts, commits synced\n",
              (*database)->describe().c_str(), options.accounts);
  std::fflush(stdout);
  if (options.transfers > 0) {
    const auto result = run_throughput(ledger, *accounts, options, acks);
    std::printf(
        "throughput: %llu transfers in %.2f s = %.0f transfers/s (batches of %llu, %d clients, "
        "%llu failed)\n",
        static_cast<unsigned long long>(result.transfers), result.seconds,
        static_cast<double>(result.transfers) / result.seconds,
        static_cast<unsigned long long>(options.batch_size), options.clients,
        static_cast<unsigned long long>(result.failures));
    std::fflush(stdout);
  }
  if (options.single_entry_writers > 0) {
    const auto result = run_latency(ledger, *accounts, options, acks);
    std::printf(
        "latency: %d single-entry writers, %zu entries in %.2f s = %.0f entries/s; "
        "ack latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
        options.single_entry_writers, result.latencies_us.size(), result.seconds,
        static_cast<double>(result.latencies_us.size()) / result.seconds,
        static_cast<double>(percentile(result.latencies_us, 50)) / 1000.0,
        static_cast<double>(percentile(result.latencies_us, 99)) / 1000.0,
        static_cast<double>(result.latencies_us.empty() ? 0 : result.latencies_us.back()) / 1000.0);
  }
  std::printf("peak memory (RSS): %.1f MiB\n", static_cast<double>(peak_rss_kib()) / 1024.0);
  return kExitOk;
}

}  // namespace till::cli
