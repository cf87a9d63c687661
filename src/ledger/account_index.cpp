// The ledger's account indexer (see account_index.h).
#include "ledger/account_index.h"

#include <algorithm>
#include <cassert>
#include <span>
#include <vector>

#include "ledger/internal.h"
#include "obs/log.h"

namespace till::ledger::detail {

AccountIndexer::AccountIndexer(store::Database& database, AccountIndexOptions options,
                               obs::MetricsRegistry* metrics)
    : database_(database), options_(options) {
  assert(options_.slice_rows > 0 && options_.slice_rows <= options_.batch_rows_max);
  // A batch always makes progress: it holds at least one whole entry.
  assert(options_.batch_rows_max > kPostingsPerEntryMax);
  if (metrics != nullptr) {
    rows_indexed_ = &metrics->counter("till_ledger_account_index_postings_total",
                                      "Postings copied into the ledger's account index.");
    lag_postings_ = &metrics->gauge(
        "till_ledger_account_index_lag_postings",
        "Committed postings not yet in the account index (readers scan them in the journal).");
  }
  if (options_.run_thread) thread_ = std::thread([this] { run(); });
}

AccountIndexer::~AccountIndexer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AccountIndexer::committed(std::size_t postings) {
  if (postings == 0) return;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    // The first postings start the thread's quiet-delay timer; enough of them end it early.
    wake = unindexed_postings_ == 0 || (unindexed_postings_ < options_.eager_rows &&
                                        unindexed_postings_ + postings >= options_.eager_rows);
    unindexed_postings_ += postings;
    if (lag_postings_ != nullptr)
      lag_postings_->set(static_cast<std::int64_t>(unindexed_postings_));
  }
  if (wake) wake_.notify_one();
}

store::StoreResult<std::size_t> AccountIndexer::index_batch() {
  std::lock_guard batch_lock(batch_mutex_);
  {
    // Postings committed from here on are read by this batch or counted for the next.
    std::lock_guard lock(mutex_);
    unindexed_postings_ = 0;
  }
  std::vector<IndexedPosting> postings;
  std::int64_t through = 0;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    postings.clear();
    auto mark = sql::select_index_mark(connection);
    if (!mark) return unexpected(mark.error());
    auto last = sql::select_postings_after(connection, *mark, options_.batch_rows_max, postings);
    if (!last) return unexpected(last.error());
    through = *last;  // the mark itself when nothing is new
    return {};
  });
  if (!read) return unexpected(read.error());
  if (postings.empty()) return std::size_t{0};
  // By account, then entry: each account's rows land together at the end of its region.
  std::sort(postings.begin(), postings.end(), [](const auto& a, const auto& b) {
    return std::tie(a.account_seq, a.entry_seq, a.posting_index) <
           std::tie(b.account_seq, b.entry_seq, b.posting_index);
  });
  const store::TxOptions unsynced{store::Isolation::read_committed, false};
  for (std::size_t done = 0; done < postings.size(); done += options_.slice_rows) {
    const std::span<const IndexedPosting> slice(
        postings.data() + done, std::min(options_.slice_rows, postings.size() - done));
    const auto slice_started = std::chrono::steady_clock::now();
    auto written = database_.transact(
        [&](store::Connection& connection) {
          return sql::insert_account_postings(connection, slice);
        },
        unsynced);
    if (!written) return unexpected(written.error());
    // Flushed here, outside every lock, instead of by the committer's next synced commit.
    if (auto flushed = database_.flush_log(); !flushed) return unexpected(flushed.error());
    // Catching up on a backlog must not crowd out the commits acknowledging callers: leave
    // the database (the one SQLite writer, the disk's syncs) to them as long again.
    if (done + slice.size() < postings.size() && options_.yield_factor > 0) {
      const auto spent = std::chrono::steady_clock::now() - slice_started;
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, spent * options_.yield_factor, [this] { return stopping_; });
      if (stopping_) return unexpected(store::StoreError{store::ErrorKind::other, "stopping"});
    }
  }
  // Last, and in order after the slices in the log: a mark that survives a crash implies
  // the rows below it did.
  auto advanced = database_.transact(
      [&](store::Connection& connection) { return sql::advance_index_mark(connection, through); },
      unsynced);
  if (!advanced) return unexpected(advanced.error());
  if (rows_indexed_ != nullptr) rows_indexed_->increment(postings.size());
  return postings.size();
}

store::StoreResult<std::size_t> AccountIndexer::catch_up() {
  std::size_t total = 0;
  while (true) {
    auto indexed = index_batch();
    if (!indexed) return indexed;
    if (*indexed == 0) return total;
    total += *indexed;
  }
}

void AccountIndexer::run() {
  // A first pass at start: the tail a previous process left (or the whole journal of a
  // database from before the account index) is indexed without waiting for new postings.
  bool pending = true;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (!pending) {
        wake_.wait(lock, [&] { return stopping_ || unindexed_postings_ > 0; });
        // Let a trickle accumulate (a bigger batch writes fewer pages per posting), unless
        // enough arrives to start now.
        wake_.wait_for(lock, options_.quiet_delay,
                       [&] { return stopping_ || unindexed_postings_ >= options_.eager_rows; });
      }
      if (stopping_) return;
    }
    auto indexed = index_batch();
    if (!indexed) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;  // the batch gave way to shutting down
      }
      obs::warn("ledger account index: batch failed; readers scan the journal's tail meanwhile",
                {{"error", indexed.error().message}});
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.retry_delay, [&] { return stopping_; });
      pending = true;
      continue;
    }
    // A full batch means more was waiting: go again at once.
    pending = *indexed >= options_.batch_rows_max - kPostingsPerEntryMax;
    std::lock_guard lock(mutex_);
    if (lag_postings_ != nullptr)
      lag_postings_->set(static_cast<std::int64_t>(unindexed_postings_));
  }
}

}  // namespace till::ledger::detail
