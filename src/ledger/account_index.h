// ledger/account_index.h — keeps ledger_account_postings (the postings by account) behind the
// head of the journal. See docs/adr/0014-ledger-throughput.md.
//
// Group commits append postings in entry order; inserting each into a per-account index at
// once would touch one index region per account in every group. The indexer instead copies
// the journal's unindexed tail in batches sorted by account, so each index page it writes
// takes many rows. Readers stay exact: they read the index up to its mark and the journal's
// tail above it in one snapshot (sql.cpp).
//
// One thread per Ledger. It wakes when enough postings were committed (or some were and the
// ledger went quiet), reads up to batch_rows_max postings after the mark, sorts them, inserts
// them in slices of slice_rows (each its own short, unsynced transaction, so the committer
// never waits long for SQLite's one writer), then advances the mark. Everything it writes is
// derived from the synced journal: lost work is redone, and inserts skip rows already there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "obs/metrics.h"
#include "store/store.h"

namespace till::ledger::detail {

struct AccountIndexOptions {
  std::size_t batch_rows_max = 262'144;        // postings read, sorted and indexed per batch
  std::size_t slice_rows = 4'096;              // postings per indexing transaction
  std::size_t eager_rows = 65'536;             // this many unindexed postings start a batch at once
  std::chrono::milliseconds quiet_delay{200};  // fewer start one after this long
  std::chrono::milliseconds retry_delay{1000};  // after a database failure
  int yield_factor = 1;    // after each slice, wait this many times as long as it took
  bool run_thread = true;  // false: only index_batch() / catch_up() index
};

class AccountIndexer {
 public:
  AccountIndexer(store::Database& database, AccountIndexOptions options,
                 obs::MetricsRegistry* metrics);
  ~AccountIndexer();  // stops the thread (a batch in progress finishes its slice first)
  AccountIndexer(const AccountIndexer&) = delete;
  AccountIndexer& operator=(const AccountIndexer&) = delete;

  // The committer reports each durable group's postings.
  void committed(std::size_t postings);

  // Indexes one batch; returns the postings it indexed (0: caught up).
  store::StoreResult<std::size_t> index_batch();
  // Indexes batches until caught up with what is committed now.
  store::StoreResult<std::size_t> catch_up();

 private:
  void run();

  store::Database& database_;
  const AccountIndexOptions options_;
  obs::Counter* rows_indexed_ = nullptr;
  obs::Gauge* lag_postings_ = nullptr;
  std::mutex batch_mutex_;  // one batch at a time (the thread and callers of catch_up)
  std::mutex mutex_;
  std::condition_variable wake_;
  std::size_t unindexed_postings_ = 0;  // committed since the current batch read the tail
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything above is constructed
};

}  // namespace till::ledger::detail
