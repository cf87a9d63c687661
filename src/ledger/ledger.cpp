// The public Ledger: reads go straight to the database; writes go through the committer
// thread, which group-commits many callers' batches in one transaction (see ledger.h).
#include "ledger/ledger.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "base/ids.h"
#include "ledger/account_index.h"
#include "ledger/internal.h"
#include "money/currency.h"

namespace till::ledger {

using detail::GroupState;

namespace {

constexpr std::size_t kAccountCacheEntriesMax = 1'000'000;
constexpr std::size_t kBalanceCacheEntriesMax = 1'000'000;
constexpr std::size_t kOwnerBytesMax = 255;
constexpr std::size_t kNameBytesMax = 255;

LedgerError error(std::string code, std::string message, std::string field = {}) {
  return LedgerError{std::move(code), std::move(message), std::move(field)};
}

LedgerError unavailable(const store::StoreError& store_error) {
  return error("ledger_unavailable", "the ledger database failed: " + store_error.message);
}

// A caller's request to the committer: a batch of entries, an expiry sweep, or a unit of work.
struct Submission {
  std::vector<EntrySpec> specs;
  GroupWork work;  // set: work run through Ledger::run, no specs
  bool name_entries_in_fields = true;
  std::size_t expire_limit = 0;  // > 0: an expiry sweep, no specs
  std::promise<LedgerResult<std::vector<Entry>>> done;
};

// A group the committer applied ahead, against its cached balances, for the writer thread to
// write and commit while the committer applies the next group (see ADR 0014).
struct WriteJob {
  std::vector<std::unique_ptr<Submission>> group;
  GroupState state;
  detail::sql::GroupRows rows;  // built by the committer, written by the writer
  std::vector<LedgerResult<std::vector<Entry>>> results;
  std::int64_t first_entry_seq = 0;  // ledger_meta.next_entry_seq the writer must find
  std::chrono::steady_clock::time_point started;
};

// committed / failed: the writer answered every caller. stale: someone else wrote the ledger
// since the balances the group was applied against; nobody was answered, the group runs again.
enum class WriteOutcome { committed, failed, stale };

bool pipelinable(const std::vector<std::unique_ptr<Submission>>& group) {
  return std::all_of(group.begin(), group.end(), [](const auto& submission) {
    return !submission->work && submission->expire_limit == 0;
  });
}

// The registry's code for `text` (any case), or nullopt for a currency Till does not know.
std::optional<std::string> normalize_currency(std::string_view text) {
  const money::Currency* currency = money::find_currency(text);
  if (currency == nullptr) return std::nullopt;
  return std::string(currency->code);
}

LedgerResult<void> validate_account_spec(const AccountSpec& spec) {
  if (!normalize_currency(spec.currency)) {
    return unexpected(
        error("currency_invalid",
              "currency must be an ISO 4217 code or a supported token (e.g. usd, jpy, "
              "USDC); got '" +
                  spec.currency.substr(0, 16) + "'",
              "currency"));
  }
  if (spec.owner.empty() || spec.owner.size() > kOwnerBytesMax) {
    return unexpected(error("owner_invalid",
                            "owner is required (1-255 bytes), e.g. a merchant id or \"platform\"",
                            "owner"));
  }
  if (spec.name.size() > kNameBytesMax)
    return unexpected(error("name_invalid", "name is at most 255 bytes", "name"));
  if ((spec.flags & ~kAccountFlagsAll) != 0 || spec.flags == kAccountFlagsAll) {
    return unexpected(
        error("flags_invalid",
              "flags may forbid debits exceeding credits or credits exceeding debits, not both",
              "flags"));
  }
  if (spec.metadata.size() > kMetadataKeysMax) {
    return unexpected(error("metadata_invalid", "metadata has more than 50 keys", "metadata"));
  }
  for (const auto& [key, value] : spec.metadata) {
    if (key.empty() || key.size() > kMetadataKeyBytesMax || value.size() > kMetadataValueBytesMax) {
      return unexpected(error("metadata_invalid",
                              "metadata keys are 1-40 bytes and values at most 500",
                              "metadata[" + key + "]"));
    }
  }
  return {};
}

// Runs one read query on a pooled connection and returns its value, or the store's failure.
template <class T, class Query>
store::StoreResult<T> read_value(store::Database& database, const Query& query) {
  std::optional<T> value;
  auto done = database.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = query(connection);
    if (!found) return unexpected(found.error());
    value.emplace(std::move(found).value());
    return {};
  });
  if (!done) return unexpected(std::move(done).error());
  return std::move(*value);
}

}  // namespace

// The committer's metrics. Handles are resolved once; updates are lock-free.
struct CommitterMetrics {
  explicit CommitterMetrics(obs::MetricsRegistry& registry)
      : groups_committed(registry.counter("till_ledger_groups_committed_total",
                                          "Group-commit transactions committed.")),
        groups_failed(registry.counter("till_ledger_groups_failed_total",
                                       "Group-commit transactions that failed (every batch in "
                                       "them was answered ledger_unavailable).")),
        entries_committed(registry.counter("till_ledger_entries_committed_total",
                                           "Journal entries written (replays not counted).")),
        batches_accepted(registry.counter("till_ledger_batches_total",
                                          "Batches answered, by outcome.",
                                          {{"outcome", "accepted"}})),
        batches_rejected(registry.counter("till_ledger_batches_total",
                                          "Batches answered, by outcome.",
                                          {{"outcome", "rejected"}})),
        queue_depth(
            registry.gauge("till_ledger_queue_batches", "Batches waiting for the committer.")),
        commit_duration(
            registry.histogram("till_ledger_group_commit_duration_seconds",
                               "Time to load, validate, write and durably commit one group.", {},
                               obs::default_latency_buckets_ns())) {}
  obs::Counter& groups_committed;
  obs::Counter& groups_failed;
  obs::Counter& entries_committed;
  obs::Counter& batches_accepted;
  obs::Counter& batches_rejected;
  obs::Gauge& queue_depth;
  obs::Histogram& commit_duration;
};

// How many entries a unit of work counts as when sizing a group: its entries are not known
// until it runs; a payment posts one to three.
constexpr std::size_t kWorkEntriesEstimate = 4;

std::size_t group_weight(const Submission& submission) {
  return submission.work ? kWorkEntriesEstimate : submission.specs.size();
}

detail::AccountIndexOptions account_index_options(const LedgerOptions& options) {
  detail::AccountIndexOptions index;
  index.run_thread = options.index_accounts_in_background;
  return index;
}

class Ledger::Impl final : public detail::GroupLoader {
 public:
  Impl(store::Database& database, const Clock& clock, LedgerOptions options)
      : database_(database),
        clock_(clock),
        options_(options),
        metrics_(options.metrics != nullptr ? std::make_unique<CommitterMetrics>(*options.metrics)
                                            : nullptr),
        indexer_(database, account_index_options(options), options.metrics),
        pipeline_(options.pipeline_groups.value_or(database.dialect() == store::Dialect::sqlite)),
        writer_([this] { run_writer(); }),
        committer_([this] { run_committer(); }) {
    assert(options_.group_entries_max >= kEntriesPerBatchMax);
  }

  ~Impl() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    committer_.join();  // drains the pipeline first
    {
      std::lock_guard lock(writer_mutex_);
      writer_stopping_ = true;
    }
    writer_wake_.notify_all();
    writer_.join();
  }

  LedgerResult<std::vector<Entry>> submit(std::vector<EntrySpec> specs, bool name_entries,
                                          std::size_t expire_limit) {
    auto submission = std::make_unique<Submission>();
    submission->specs = std::move(specs);
    submission->name_entries_in_fields = name_entries;
    submission->expire_limit = expire_limit;
    return enqueue(std::move(submission));
  }

  LedgerResult<void> submit_work(GroupWork work) {
    auto submission = std::make_unique<Submission>();
    submission->work = std::move(work);
    auto done = enqueue(std::move(submission));
    if (!done) return unexpected(std::move(done).error());
    return {};
  }

  store::StoreResult<void> load(store::Connection& connection, detail::References& references,
                                GroupState& state) override {
    // Keys the group already knows keep their in-group value (load_keyed_entries overwrites).
    std::erase_if(references.idempotency_keys,
                  [&](const std::string& key) { return state.keyed_entries.count(key) > 0; });
    if (auto r = detail::sql::load_keyed_entries(connection, references.idempotency_keys, state);
        !r)
      return r;
    if (auto r = detail::sql::load_holds(connection, references.hold_entry_ids, state); !r)
      return r;
    if (auto r =
            detail::sql::load_reversal_targets(connection, references.reversal_entry_ids, state);
        !r)
      return r;
    for (const auto& [id, hold] : state.holds) {
      references.account_ids.push_back(hold.debit_account_id);
      references.account_ids.push_back(hold.credit_account_id);
    }
    for (const auto& [id, target] : state.reversal_targets) {
      for (const Posting& posting : target.posted_postings)
        references.account_ids.push_back(posting.account_id);
    }
    return load_accounts(connection, references.account_ids, state);
  }

 private:
  LedgerResult<std::vector<Entry>> enqueue(std::unique_ptr<Submission> submission) {
    auto future = submission->done.get_future();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return unexpected(error("ledger_stopping", "the ledger is shutting down"));
      if (queue_.size() >= kQueuedBatchesMax) {
        return unexpected(
            error("ledger_overloaded", "too many batches are waiting; retry shortly"));
      }
      queue_.push_back(std::move(submission));
      if (metrics_) metrics_->queue_depth.set(static_cast<std::int64_t>(queue_.size()));
    }
    wake_.notify_one();
    return future.get();
  }

 public:
  store::Database& database() { return database_; }
  detail::AccountIndexer& indexer() { return indexer_; }
  const Clock& clock() { return clock_; }

 private:
  void run_committer() {
    while (true) {
      std::vector<std::unique_ptr<Submission>> group;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty() || writer_finished_; });
        if (queue_.empty()) {
          // The writer finished with nothing new queued: collect its outcome now, since a
          // stale group's callers are answered only when it runs again. Or stopping, and all
          // queued work is done.
          const bool stop = stopping_ && !writer_finished_;
          writer_finished_ = false;
          lock.unlock();
          drain();
          if (stop) return;
          continue;
        }
        // Pipelined with nothing in flight, a half-size group gets the writer going sooner, so
        // two full batches waiting become two overlapping groups; otherwise as large as
        // allowed (fewer groups: fewer balance rows written).
        const std::size_t limit =
            pipeline_ && !in_flight_ ? std::max(kEntriesPerBatchMax, options_.group_entries_max / 2)
                                     : options_.group_entries_max;
        std::size_t entries = 0;
        while (!queue_.empty() &&
               (group.empty() || entries + group_weight(*queue_.front()) <= limit)) {
          entries += group_weight(*queue_.front());
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        if (metrics_) metrics_->queue_depth.set(static_cast<std::int64_t>(queue_.size()));
      }
      process(group);
    }
  }

  // Plain batches are pipelined when the cached balances are known to be the database's:
  // applied here while the writer commits the previous group. Everything else (work units,
  // expiry sweeps, a cold cache) runs the classic way, alone, inside its transaction.
  void process(std::vector<std::unique_ptr<Submission>>& group) {
    if (!pipeline_ || !pipelinable(group) || balance_cache_next_entry_seq_ < 0) {
      drain();
      commit_group(group);
      return;
    }
    // A group that names what the one in flight creates or changes (an idempotency key, a
    // hold, an entry to reverse) waits until that is in the database to be read.
    if (in_flight_ && conflicts(group, *in_flight_)) drain();
    auto job = apply_ahead(group);
    if (!job) {  // could not read: the classic path reports the failure to its callers
      drain();
      commit_group(group);
      return;
    }
    if (drain() != WriteOutcome::committed) {
      // It was applied on top of the group that did not commit (the caches are reset).
      commit_group(job->group);
      return;
    }
    hand_over(std::move(job));
  }

  static bool names_new_entry(const GroupState& state, const std::string& id) {
    return std::any_of(state.new_entries.begin(), state.new_entries.end(),
                       [&](const detail::NewEntry& entry) { return entry.entry.id == id; });
  }

  static bool conflicts(const std::vector<std::unique_ptr<Submission>>& group,
                        const WriteJob& in_flight) {
    const GroupState& state = in_flight.state;  // read-only on both threads
    for (const auto& submission : group) {
      for (const EntrySpec& spec : submission->specs) {
        if (!spec.idempotency_key.empty() && state.keyed_entries.count(spec.idempotency_key) > 0)
          return true;
        if (!spec.pending_entry_id.empty() && (state.holds.count(spec.pending_entry_id) > 0 ||
                                               names_new_entry(state, spec.pending_entry_id)))
          return true;
        if (!spec.reverses_entry_id.empty() &&
            (state.reversal_targets.count(spec.reverses_entry_id) > 0 ||
             names_new_entry(state, spec.reverses_entry_id)))
          return true;
      }
    }
    return false;
  }

  // Applies a group against the cached balances, reading what else it needs on a read
  // connection (committed data: whatever the group in flight touches is cached or waited
  // for, see conflicts()). Leaves the caches as if the group had committed.
  std::unique_ptr<WriteJob> apply_ahead(std::vector<std::unique_ptr<Submission>>& group) {
    auto job = std::make_unique<WriteJob>();
    job->started = std::chrono::steady_clock::now();
    job->first_entry_seq = balance_cache_next_entry_seq_;
    // Everything is collected afresh in each attempt: load() consumes the references.
    auto loaded = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
      job->state = GroupState{};
      job->state.now_unix_ms = clock_.now_unix_ms();
      job->state.next_entry_seq = job->first_entry_seq;
      detail::References references;
      for (const auto& submission : group)
        detail::collect_references(submission->specs, references);
      return load(connection, references, job->state);
    });
    if (!loaded) return nullptr;
    for (const auto& submission : group) {
      job->results.push_back(detail::apply_batch(job->state, submission->specs, clock_,
                                                 submission->name_entries_in_fields));
    }
    job->rows = detail::sql::prepare_group_rows(job->state);
    remember_balances(true, job->state);
    remember_accounts(job->state);
    job->group = std::move(group);
    return job;
  }

  void hand_over(std::unique_ptr<WriteJob> job) {
    assert(!in_flight_);
    in_flight_ = std::move(job);
    {
      std::lock_guard lock(writer_mutex_);
      writer_has_job_ = true;
    }
    writer_wake_.notify_all();
  }

  // Waits for the group in flight, if any. A failed group leaves the caches reset; a stale
  // one is run again the classic way (its callers have not been answered yet).
  WriteOutcome drain() {
    if (!in_flight_) return WriteOutcome::committed;
    WriteOutcome outcome = WriteOutcome::committed;
    {
      std::unique_lock lock(writer_mutex_);
      writer_wake_.wait(lock, [this] { return !writer_has_job_; });
      outcome = writer_outcome_;
    }
    std::unique_ptr<WriteJob> job = std::move(in_flight_);
    if (outcome != WriteOutcome::committed) forget_balances();
    if (outcome == WriteOutcome::stale) commit_group(job->group);
    return outcome;
  }

  void run_writer() {
    while (true) {
      {
        std::unique_lock lock(writer_mutex_);
        writer_wake_.wait(lock, [this] { return writer_stopping_ || writer_has_job_; });
        if (!writer_has_job_) return;
      }
      const WriteOutcome outcome = write_job(*in_flight_);
      {
        std::lock_guard lock(writer_mutex_);
        writer_outcome_ = outcome;
        writer_has_job_ = false;
      }
      writer_wake_.notify_all();
      {
        std::lock_guard lock(mutex_);
        writer_finished_ = true;
      }
      wake_.notify_all();
    }
  }

  // On the writer thread: the group's transaction, then its callers' answers.
  WriteOutcome write_job(WriteJob& job) {
    bool stale = false;
    const auto committed =
        database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
          stale = false;
          auto next = detail::sql::lock_next_entry_seq(connection);
          if (!next) return unexpected(next.error());
          if (*next != job.first_entry_seq) {
            stale = true;
            return store::store_fail(store::ErrorKind::other,
                                     "another writer committed to the ledger meanwhile");
          }
          return detail::sql::write_group_rows(connection, job.rows);
        });
    if (!committed && stale) return WriteOutcome::stale;
    record_group(committed.has_value(), job.state, job.results,
                 std::chrono::steady_clock::now() - job.started);
    answer(job.group, committed, job.results);
    if (!committed) return WriteOutcome::failed;
    indexer_.committed(posting_count(job.state));
    return WriteOutcome::committed;
  }

  static void answer(std::vector<std::unique_ptr<Submission>>& group,
                     const store::StoreResult<void>& committed,
                     std::vector<LedgerResult<std::vector<Entry>>>& results) {
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (committed) {
        group[i]->done.set_value(std::move(results[i]));
      } else {
        group[i]->done.set_value(unexpected(unavailable(committed.error())));
      }
    }
  }

  static std::size_t posting_count(const GroupState& state) {
    std::size_t postings = 0;
    for (const auto& entry : state.new_entries) postings += entry.entry.postings.size();
    return postings;
  }

  // Loads everything the group's submissions refer to, inside the group's transaction.
  store::StoreResult<void> load_state(store::Connection& connection,
                                      const std::vector<std::unique_ptr<Submission>>& group,
                                      GroupState& state, std::vector<std::string>& due_holds) {
    auto next = detail::sql::lock_next_entry_seq(connection);
    if (!next) return unexpected(next.error());
    state.next_entry_seq = *next;
    // Another writer (a second process on the file, another node on PostgreSQL) committed
    // since this committer's last group: its cached balances may be stale.
    if (*next != balance_cache_next_entry_seq_) balance_cache_.clear();
    detail::References references;
    std::size_t expire_limit = 0;
    for (const auto& submission : group) {
      detail::collect_references(submission->specs, references);
      expire_limit += submission->expire_limit;
    }
    if (expire_limit > 0) {
      auto due = detail::sql::find_due_holds(connection, state.now_unix_ms, expire_limit);
      if (!due) return unexpected(due.error());
      due_holds = std::move(due).value();
      references.hold_entry_ids.insert(references.hold_entry_ids.end(), due_holds.begin(),
                                       due_holds.end());
    }
    return load(connection, references, state);
  }

  // Accounts never change after creation (but for metadata), so the committer caches them.
  store::StoreResult<void> load_accounts(store::Connection& connection,
                                         const std::vector<std::string>& ids, GroupState& state) {
    std::vector<std::string> missing;
    for (const std::string& id : ids) {
      const auto cached = account_cache_.find(id);
      if (cached != account_cache_.end()) {
        state.accounts_by_id.try_emplace(id, cached->second);  // no copy when already there
      } else {
        missing.push_back(id);
      }
    }
    if (auto r = detail::sql::load_accounts(connection, missing, state.accounts_by_id); !r)
      return r;
    std::vector<std::int64_t> missing_balances;
    for (const auto& [id, account] : state.accounts_by_id) {
      if (state.balances.count(account.seq) > 0) continue;
      const auto cached = balance_cache_.find(account.seq);
      if (cached != balance_cache_.end()) {
        state.balances.emplace(account.seq, cached->second);
      } else {
        missing_balances.push_back(account.seq);
      }
    }
    return detail::sql::load_balances(connection, missing_balances, state);
  }

  void forget_balances() {
    balance_cache_.clear();
    balance_cache_next_entry_seq_ = -1;
  }

  // After a group: its balances are the database's now, until someone else writes.
  void remember_balances(bool committed, const GroupState& state) {
    if (!committed) {
      forget_balances();
      return;
    }
    if (balance_cache_.size() + state.balances.size() > kBalanceCacheEntriesMax) {
      balance_cache_.clear();
    }
    for (const auto& [seq, balance] : state.balances) {
      detail::BalanceState& slot = balance_cache_[seq];
      slot = balance;
      slot.dirty = false;
    }
    balance_cache_next_entry_seq_ = state.next_entry_seq;
  }

  void commit_group(std::vector<std::unique_ptr<Submission>>& group) {
    GroupState state;
    std::vector<LedgerResult<std::vector<Entry>>> results;
    // The work runs again from scratch if the store retries (busy / serialization failure).
    auto work = [&](store::Connection& connection) -> store::StoreResult<void> {
      state = GroupState{};
      state.now_unix_ms = clock_.now_unix_ms();
      results.clear();
      std::vector<std::string> due_holds;
      if (auto loaded = load_state(connection, group, state, due_holds); !loaded) return loaded;
      for (const auto& submission : group) {
        if (submission->work) {
          GroupTransaction transaction(connection, state, clock_, *this);
          if (auto done = submission->work(transaction); !done) return done;
          results.emplace_back(std::vector<Entry>{});
        } else if (submission->expire_limit > 0) {
          const std::size_t first = state.new_entries.size();
          detail::apply_expiries(state, due_holds, clock_);
          due_holds.clear();  // one sweep takes all that are due
          std::vector<Entry> expired;
          for (std::size_t i = first; i < state.new_entries.size(); ++i)
            expired.push_back(state.new_entries[i].entry);
          results.emplace_back(std::move(expired));
        } else {
          results.push_back(detail::apply_batch(state, submission->specs, clock_,
                                                submission->name_entries_in_fields));
        }
      }
      return detail::sql::write_group(connection, state);
    };
    const auto started = std::chrono::steady_clock::now();
    const auto committed = database_.transact(work);
    record_group(committed.has_value(), state, results, std::chrono::steady_clock::now() - started);
    answer(group, committed, results);
    remember_balances(committed.has_value(), state);
    if (committed) {
      remember_accounts(state);
      indexer_.committed(posting_count(state));
    }
  }

  void remember_accounts(const GroupState& state) {
    if (account_cache_.size() > kAccountCacheEntriesMax) account_cache_.clear();
    for (const auto& [id, account] : state.accounts_by_id) account_cache_.try_emplace(id, account);
  }

  void record_group(bool committed, const GroupState& state,
                    const std::vector<LedgerResult<std::vector<Entry>>>& results,
                    std::chrono::steady_clock::duration elapsed) {
    if (!metrics_) return;
    metrics_->commit_duration.observe_ns(
        std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
    if (!committed) {
      metrics_->groups_failed.increment();
      return;
    }
    metrics_->groups_committed.increment();
    metrics_->entries_committed.increment(state.new_entries.size());
    for (const auto& result : results) {
      (result ? metrics_->batches_accepted : metrics_->batches_rejected).increment();
    }
  }

  store::Database& database_;
  const Clock& clock_;
  const LedgerOptions options_;
  const std::unique_ptr<CommitterMetrics> metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Submission>> queue_;
  bool stopping_ = false;
  bool writer_finished_ = false;  // under mutex_: the committer has an outcome to collect
  std::unordered_map<std::string, detail::AccountInfo> account_cache_;  // committer thread only
  // Balances as the committer's last group left them, valid while ledger_meta's
  // next_entry_seq is what that group wrote (-1: nothing cached). Committer thread only.
  std::unordered_map<std::int64_t, detail::BalanceState> balance_cache_;
  std::int64_t balance_cache_next_entry_seq_ = -1;
  detail::AccountIndexer indexer_;
  // The pipeline: the group the writer thread is committing (committer thread owns the
  // pointer; the writer uses the job between hand_over and its outcome).
  const bool pipeline_;
  std::unique_ptr<WriteJob> in_flight_;
  std::mutex writer_mutex_;
  std::condition_variable writer_wake_;
  bool writer_has_job_ = false;
  WriteOutcome writer_outcome_ = WriteOutcome::committed;
  bool writer_stopping_ = false;
  std::thread writer_;
  std::thread committer_;  // last: starts after everything above is constructed
};

Ledger::Ledger(store::Database& database, const Clock& clock, LedgerOptions options)
    : impl_(std::make_unique<Impl>(database, clock, options)) {}

Ledger::~Ledger() = default;

LedgerResult<Account> Ledger::create_account(const AccountSpec& spec) {
  auto accounts = create_accounts({spec});
  if (!accounts) {
    LedgerError failure = std::move(accounts).error();
    const std::string prefix = "accounts[0].";
    if (failure.field.rfind(prefix, 0) == 0) failure.field.erase(0, prefix.size());
    return unexpected(std::move(failure));
  }
  return std::move(accounts->front());
}

LedgerResult<std::vector<Account>> Ledger::create_accounts(const std::vector<AccountSpec>& specs) {
  if (specs.empty() || specs.size() > kEntriesPerBatchMax) {
    return unexpected(error("batch_size_invalid",
                            "1 to " + std::to_string(kEntriesPerBatchMax) + " accounts at once",
                            "accounts"));
  }
  std::vector<Account> accounts;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const AccountSpec& spec = specs[i];
    if (auto valid = validate_account_spec(spec); !valid) {
      LedgerError failure = valid.error();
      failure.field = "accounts[" + std::to_string(i) + "]." + failure.field;
      return unexpected(std::move(failure));
    }
    accounts.push_back(Account{new_id("la", impl_->clock()), spec.type,
                               *normalize_currency(spec.currency), spec.owner, spec.name,
                               spec.flags, spec.metadata, impl_->clock().now_unix_ms()});
  }
  auto done =
      impl_->database().transact([&](store::Connection& connection) -> store::StoreResult<void> {
        // Takes the committer's lock first on PostgreSQL, so account seqs are assigned in order.
        if (auto locked = detail::sql::lock_next_entry_seq(connection); !locked)
          return unexpected(locked.error());
        return detail::sql::insert_accounts(connection, accounts);
      });
  if (!done) return unexpected(unavailable(done.error()));
  return accounts;
}

LedgerResult<Account> Ledger::get_account(const std::string& account_id) {
  auto account =
      read_value<std::optional<Account>>(impl_->database(), [&](store::Connection& connection) {
        return detail::sql::select_account(connection, account_id);
      });
  if (!account) return unexpected(unavailable(account.error()));
  if (!account->has_value()) {
    return unexpected(error("account_not_found", "no ledger account '" + account_id + "'", "id"));
  }
  return std::move(**account);
}

LedgerResult<Page<Account>> Ledger::list_accounts(const std::string& starting_after,
                                                  std::size_t limit) {
  if (limit == 0 || limit > kListLimitMax) {
    return unexpected(error("limit_invalid", "limit must be between 1 and 1000", "limit"));
  }
  auto page = read_value<Page<Account>>(impl_->database(), [&](store::Connection& connection) {
    return detail::sql::select_accounts(connection, starting_after, limit);
  });
  if (!page) return unexpected(unavailable(page.error()));
  return std::move(page).value();
}

LedgerResult<std::vector<Entry>> Ledger::post_batch(std::vector<EntrySpec> specs) {
  if (specs.empty() || specs.size() > kEntriesPerBatchMax) {
    return unexpected(error("batch_size_invalid",
                            "a batch has 1 to " + std::to_string(kEntriesPerBatchMax) +
                                " entries; got " + std::to_string(specs.size()),
                            "entries"));
  }
  return impl_->submit(std::move(specs), true, 0);
}

LedgerResult<Entry> Ledger::post(EntrySpec spec) {
  std::vector<EntrySpec> specs;
  specs.push_back(std::move(spec));
  auto entries = impl_->submit(std::move(specs), false, 0);
  if (!entries) return unexpected(std::move(entries).error());
  return std::move(entries->front());
}

LedgerResult<void> Ledger::run(GroupWork work) {
  assert(work);
  return impl_->submit_work(std::move(work));
}

std::int64_t GroupTransaction::now_unix_ms() const { return state_.now_unix_ms; }

LedgerResult<std::vector<Entry>> GroupTransaction::post(const std::vector<EntrySpec>& specs) {
  if (specs.empty() || specs.size() > kEntriesPerBatchMax) {
    return unexpected(error("batch_size_invalid",
                            "a batch has 1 to " + std::to_string(kEntriesPerBatchMax) +
                                " entries; got " + std::to_string(specs.size()),
                            "entries"));
  }
  detail::References references;
  detail::collect_references(specs, references);
  if (auto loaded = loader_.load(connection_, references, state_); !loaded) {
    return unexpected(unavailable(loaded.error()));
  }
  return detail::apply_batch(state_, specs, clock_, specs.size() > 1);
}

LedgerResult<Entry> Ledger::get_entry(const std::string& entry_id) {
  auto entry =
      read_value<std::optional<Entry>>(impl_->database(), [&](store::Connection& connection) {
        return detail::sql::select_entry(connection, entry_id);
      });
  if (!entry) return unexpected(unavailable(entry.error()));
  if (!entry->has_value()) {
    return unexpected(error("entry_not_found", "no journal entry '" + entry_id + "'", "id"));
  }
  return std::move(**entry);
}

LedgerResult<Balance> Ledger::balance(const std::string& account_id,
                                      std::optional<std::int64_t> as_of_unix_ms) {
  auto balance =
      read_value<std::optional<Balance>>(impl_->database(), [&](store::Connection& connection) {
        return detail::sql::select_balance(connection, account_id, as_of_unix_ms);
      });
  if (!balance) return unexpected(unavailable(balance.error()));
  if (!balance->has_value()) {
    return unexpected(error("account_not_found", "no ledger account '" + account_id + "'", "id"));
  }
  return **balance;
}

LedgerResult<Page<Posting>> Ledger::list_postings(const std::string& account_id,
                                                  const std::string& starting_after,
                                                  std::size_t limit) {
  if (limit == 0 || limit > kListLimitMax) {
    return unexpected(error("limit_invalid", "limit must be between 1 and 1000", "limit"));
  }
  auto page = read_value<std::optional<Page<Posting>>>(
      impl_->database(), [&](store::Connection& connection) {
        return detail::sql::select_postings(connection, account_id, starting_after, limit);
      });
  if (!page) {
    if (page.error().kind == store::ErrorKind::invalid_argument) {
      return unexpected(error("cursor_invalid",
                              "starting_after is not a posting cursor from this account's list",
                              "starting_after"));
    }
    return unexpected(unavailable(page.error()));
  }
  if (!page->has_value()) {
    return unexpected(error("account_not_found", "no ledger account '" + account_id + "'", "id"));
  }
  return std::move(**page);
}

LedgerResult<std::vector<TrialBalanceLine>> Ledger::trial_balance() {
  auto lines = read_value<std::vector<TrialBalanceLine>>(
      impl_->database(),
      [](store::Connection& connection) { return detail::sql::select_trial_balance(connection); });
  if (!lines) return unexpected(unavailable(lines.error()));
  return std::move(lines).value();
}

LedgerResult<std::size_t> Ledger::expire_due_holds(std::size_t limit) {
  if (limit == 0) return std::size_t{0};
  auto expired = impl_->submit({}, false, std::min(limit, kEntriesPerBatchMax));
  if (!expired) return unexpected(std::move(expired).error());
  return expired->size();
}

i128 Balance::available(AccountType type) const {
  const bool debit_normal = type == AccountType::asset || type == AccountType::expense;
  return debit_normal ? debits_posted - credits_posted - credits_pending
                      : credits_posted - debits_posted - debits_pending;
}

std::string_view to_string(AccountType type) {
  switch (type) {
    case AccountType::asset:
      return "asset";
    case AccountType::liability:
      return "liability";
    case AccountType::equity:
      return "equity";
    case AccountType::revenue:
      return "revenue";
    case AccountType::expense:
      return "expense";
  }
  return "asset";
}

std::optional<AccountType> parse_account_type(std::string_view text) {
  for (AccountType type : {AccountType::asset, AccountType::liability, AccountType::equity,
                           AccountType::revenue, AccountType::expense}) {
    if (text == to_string(type)) return type;
  }
  return std::nullopt;
}

std::string_view to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::standard:
      return "standard";
    case EntryKind::pending:
      return "pending";
    case EntryKind::post_pending:
      return "post_pending";
    case EntryKind::void_pending:
      return "void_pending";
    case EntryKind::expire_pending:
      return "expire_pending";
    case EntryKind::reversal:
      return "reversal";
  }
  return "standard";
}

std::string_view to_string(Side side) { return side == Side::debit ? "debit" : "credit"; }
std::string_view to_string(Layer layer) { return layer == Layer::posted ? "posted" : "pending"; }

std::string_view to_string(HoldStatus status) {
  switch (status) {
    case HoldStatus::open:
      return "open";
    case HoldStatus::posted:
      return "posted";
    case HoldStatus::voided:
      return "voided";
    case HoldStatus::expired:
      return "expired";
  }
  return "open";
}

LedgerResult<std::size_t> Ledger::catch_up_account_index() {
  auto indexed = impl_->indexer().catch_up();
  if (!indexed) return unexpected(unavailable(indexed.error()));
  return *indexed;
}

}  // namespace till::ledger
