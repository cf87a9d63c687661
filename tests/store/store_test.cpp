// The store's behaviour, the same on both backends: values, placeholders, transactions, retries,
// the connection pool and the prepared-statement cache.
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/detail/pooled_database.h"
#include "store/store_fixture.h"

namespace till::store::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

StoreResult<void> ok_or_error(const StoreResult<std::int64_t>& result) {
  if (!result) return Unexpected<StoreError>(result.error());
  return {};
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         backend_name);

TEST_P(StoreTest, OpensAndDescribesItselfWithoutSecrets) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->dialect(), dialect());
  EXPECT_STORE_OK(db->ping());
  if (dialect() == Dialect::sqlite) {
    EXPECT_EQ(db->describe(), "sqlite:" + options().data_dir + "/till.db");
  } else {
    EXPECT_EQ(db->describe(), options().database_url);  // postgres://till@127.0.0.1:PORT/db
  }
}

TEST_P(StoreTest, EveryValueTypeRoundTrips) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  script(*db,
         "CREATE TABLE sample (id BIGINT PRIMARY KEY, i BIGINT, t TEXT, b {{BLOB}}, f BOOLEAN)");
  const std::string unicode = "h\xC3\xA9llo \xE2\x9C\x93 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\x89";
  const Blob with_nul = {0x00, 0x01, 0x00, 0xff, 0x00};
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::string insert = "INSERT INTO sample (id, i, t, b, f) VALUES ($1, $2, $3, $4, $5)";
  ASSERT_STORE_OK(db->transact([&](Connection& c) -> StoreResult<void> {
    for (const std::vector<Value>& row : std::vector<std::vector<Value>>{
             {std::int64_t{1}, min, std::string(), Blob{}, false},
             {std::int64_t{2}, max, unicode, with_nul, true},
             {std::int64_t{3}, nullptr, nullptr, nullptr, nullptr},
             {std::int64_t{4}, std::int64_t{0}, std::string("it's \"$1\""), Blob{0x00}, false}}) {
      StoreResult<std::int64_t> inserted = c.execute(insert, row);
      if (!inserted) return Unexpected<StoreError>(inserted.error());
      EXPECT_EQ(inserted.value(), 1);
    }
    return {};
  }));

  int rows = 0;
  ASSERT_STORE_OK(db->read([&](Connection& c) {
    return c.query("SELECT id, i, t, b, f FROM sample ORDER BY id", {}, [&](const Row& row) {
      rows++;
      ASSERT_EQ(row.column_count(), 5);
      switch (row.get<std::int64_t>(0)) {
        case 1:
          EXPECT_EQ(row.get_int64(1), min);
          EXPECT_EQ(row.get_text(2), "");
          EXPECT_FALSE(row.is_null(2));  // empty text is not NULL
          EXPECT_EQ(row.get<Blob>(3), Blob{});
          EXPECT_FALSE(row.is_null(3));  // nor is an empty blob
          EXPECT_FALSE(row.get_bool(4));
          break;
        case 2:
          EXPECT_EQ(row.get<std::int64_t>(1), max);
          EXPECT_EQ(row.get<std::string>(2), unicode);
          EXPECT_EQ(row.get<Blob>(3), with_nul);
          EXPECT_TRUE(row.get<bool>(4));
          break;
        case 3:
          for (int column = 1; column < 5; column++) EXPECT_TRUE(row.is_null(column));
          EXPECT_EQ(row.get<std::optional<std::int64_t>>(1), std::nullopt);
          EXPECT_EQ(row.get<std::optional<std::string>>(2), std::nullopt);
          EXPECT_EQ(row.get<std::optional<Blob>>(3), std::nullopt);
          EXPECT_EQ(row.get<std::optional<bool>>(4), std::nullopt);
          break;
        case 4:
          EXPECT_EQ(row.get<std::optional<std::int64_t>>(1), std::optional<std::int64_t>(0));
          EXPECT_EQ(row.get<std::string>(2), "it's \"$1\"");
          EXPECT_EQ(row.get<std::optional<Blob>>(3), std::optional<Blob>(Blob{0x00}));
          EXPECT_EQ(row.get<std::optional<bool>>(4), std::optional<bool>(false));
          break;
        default:
          ADD_FAILURE() << "unexpected row";
      }
    });
  }));
  EXPECT_EQ(rows, 4);
}

TEST_P(StoreTest, PlaceholdersAreReusedOutOfOrderAndNotRewrittenInLiterals) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  ASSERT_STORE_OK(db->read([&](Connection& c) {
    return c.query("SELECT $2, $1, $1, '$1', 'it''s $2' -- $3 is a comment\n /* and $4 too */",
                   {std::int64_t{7}, std::string("second")}, [&](const Row& row) {
                     EXPECT_EQ(row.get_text(0), "second");
                     EXPECT_EQ(row.get_int64(1), 7);
                     EXPECT_EQ(row.get_int64(2), 7);
                     EXPECT_EQ(row.get_text(3), "$1");
                     EXPECT_EQ(row.get_text(4), "it's $2");
                   });
  }));
}

TEST_P(StoreTest, WrongParameterCountOrSeveralStatementsAreInvalidArguments) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  const StoreError too_few = error_of(*db, "SELECT $1, $2", {std::int64_t{1}});
  EXPECT_EQ(too_few.kind, ErrorKind::invalid_argument);
  EXPECT_THAT(too_few.message, HasSubstr("uses 2 parameters but 1 values"));
  const StoreError too_many = error_of(*db, "SELECT 1", {std::int64_t{1}});
  EXPECT_EQ(too_many.kind, ErrorKind::invalid_argument);
  EXPECT_THAT(too_many.message, HasSubstr("uses 0 parameters but 1 values"));
  const StoreError two = error_of(*db, "SELECT 1; SELECT 2");
  EXPECT_EQ(two.kind, ErrorKind::invalid_argument);
  const StoreError missing = error_of(*db, "SELECT * FROM no_such_table");
  EXPECT_EQ(missing.kind, ErrorKind::invalid_argument);
  EXPECT_THAT(missing.message, HasSubstr("no_such_table"));
}

TEST_P(StoreTest, ExecuteReportsRowsWritten) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  script(*db, "CREATE TABLE t (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)");
  ASSERT_STORE_OK(db->transact([&](Connection& c) -> StoreResult<void> {
    for (std::int64_t id = 1; id <= 3; id++) {
      EXPECT_EQ(c.execute("INSERT INTO t (id, v) VALUES ($1, 0)", {id}).value(), 1);
    }
    EXPECT_EQ(c.execute("UPDATE t SET v = v + 1").value(), 3);
    EXPECT_EQ(c.execute("DELETE FROM t WHERE id = $1", {std::int64_t{2}}).value(), 1);
    EXPECT_EQ(c.execute("SELECT id FROM t").value(), 0);
    return {};
  }));
}

TEST_P(StoreTest, QueryOneReturnsTheOnlyRowOrNothing) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  script(*db, "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT)");
  script(*db, "INSERT INTO t (id, name) VALUES (1, 'one'), (2, NULL)");
  ASSERT_STORE_OK(db->read([&](Connection& c) -> StoreResult<void> {
    const std::string by_id = "SELECT name FROM t WHERE id = $1";
    EXPECT_EQ(c.query_one<std::string>(by_id, {std::int64_t{1}}).value(), "one");
    EXPECT_EQ(c.query_one<std::string>(by_id, {std::int64_t{9}}).value(), std::nullopt);
    // A row whose value is NULL is not "no row".
    StoreResult<std::optional<std::optional<std::string>>> null_name =
        c.query_one<std::optional<std::string>>(by_id, {std::int64_t{2}});
    EXPECT_TRUE(null_name.value().has_value());
    EXPECT_EQ(*null_name.value(), std::nullopt);
    StoreResult<std::optional<std::int64_t>> many = c.query_one<std::int64_t>("SELECT id FROM t");
    EXPECT_FALSE(many);
    if (!many) {
      EXPECT_EQ(many.error().kind, ErrorKind::invalid_argument);
    }
    return {};
  }));
}

TEST_P(StoreTest, CommittedWorkPersistsAndFailedWorkRollsBack) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  script(*db, "CREATE TABLE t (id BIGINT PRIMARY KEY)");
  ASSERT_STORE_OK(db->transact(
      [](Connection& c) { return ok_or_error(c.execute("INSERT INTO t (id) VALUES (1)")); }));
  int attempts = 0;
  StoreResult<void> failed = db->transact([&](Connection& c) -> StoreResult<void> {
    attempts++;
    StoreResult<std::int64_t> inserted = c.execute("INSERT INTO t (id) VALUES (2)");
    EXPECT_TRUE(inserted);
    return store_fail(ErrorKind::other, "the work decided to fail");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::other);
  EXPECT_EQ(failed.error().message, "the work decided to fail");
  EXPECT_EQ(attempts, 1);  // not a retryable kind

  std::vector<std::int64_t> ids;
  ASSERT_STORE_OK(db->read([&](Connection& c) {
    return c.query("SELECT id FROM t ORDER BY id", {},
                   [&](const Row& row) { ids.push_back(row.get_int64(0)); });
  }));
  EXPECT_EQ(ids, std::vector<std::int64_t>{1});
  const DatabaseStats stats = db->stats();
  EXPECT_GE(stats.commit_count, 1u);
  EXPECT_EQ(stats.rollback_count, 1u);
  EXPECT_EQ(stats.retry_count, 0u);
}

// The commit-time sync setting of the transaction `work` runs in: SQLite's PRAGMA synchronous
// (2 = FULL, 1 = NORMAL) or PostgreSQL's synchronous_commit ("on" / "off").
std::string sync_setting(Connection& c) {
  std::string setting;
  const bool sqlite = c.dialect() == Dialect::sqlite;
  auto done =
      c.query(sqlite ? "PRAGMA synchronous" : "SHOW synchronous_commit", {}, [&](const Row& row) {
        setting = sqlite ? std::to_string(row.get_int64(0)) : std::string(row.get_text(0));
      });
  EXPECT_TRUE(done) << done.error().message;
  return setting;
}

TEST_P(StoreTest, AnUnsyncedTransactionCommitsAndLeavesTheConnectionSynced) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  script(*db, "CREATE TABLE t (id BIGINT PRIMARY KEY)");
  const bool sqlite = GetParam() == Dialect::sqlite;
  const std::string synced = sqlite ? "2" : "on";
  const std::string unsynced = sqlite ? "1" : "off";  // SQLite NORMAL: never OFF
  std::string inside;
  ASSERT_STORE_OK(db->transact(
      [&](Connection& c) {
        inside = sync_setting(c);
        return ok_or_error(c.execute("INSERT INTO t (id) VALUES (1)"));
      },
      TxOptions{Isolation::read_committed, false}));
  EXPECT_EQ(inside, unsynced);
  ASSERT_STORE_OK(db->flush_log());
  // A failed unsynced transaction restores the setting too.
  ASSERT_FALSE(db->transact(
      [&](Connection&) -> StoreResult<void> { return store_fail(ErrorKind::other, "no"); },
      TxOptions{Isolation::read_committed, false}));
  std::string after;
  ASSERT_STORE_OK(db->transact([&](Connection& c) {
    after = sync_setting(c);
    return ok_or_error(c.execute("INSERT INTO t (id) VALUES (2)"));
  }));
  EXPECT_EQ(after, synced);
  std::int64_t rows = 0;
  ASSERT_STORE_OK(db->read([&](Connection& c) {
    return c.query("SELECT COUNT(*) FROM t", {}, [&](const Row& row) { rows = row.get_int64(0); });
  }));
  EXPECT_EQ(rows, 2);
}

TEST_P(StoreTest, WorkThatThrowsLeavesNoOpenTransactionBehind) {
  StoreOptions one = options();
  one.pool_size = 1;
  auto db = open(one);
  ASSERT_NE(db, nullptr);
  script(*db, "CREATE TABLE t (id BIGINT PRIMARY KEY)");
  EXPECT_THROW((void)db->transact([](Connection& c) -> StoreResult<void> {
    EXPECT_TRUE(c.execute("INSERT INTO t (id) VALUES (1)"));
    throw std::runtime_error("bug in work");
  }),
               std::runtime_error);
  // The same connection is reused: it must not still be inside the aborted transaction.
  ASSERT_STORE_OK(db->transact(
      [](Connection& c) { return ok_or_error(c.execute("INSERT INTO t (id) VALUES (2)")); }));
  std::int64_t count = -1;
  ASSERT_STORE_OK(db->read([&](Connection& c) -> StoreResult<void> {
    count = c.query_one<std::int64_t>("SELECT count(*) FROM t WHERE id = 1").value().value();
    return {};
  }));
  EXPECT_EQ(count, 0);
}

TEST_P(StoreTest, ConstraintViolationsAreReportedAndNotRetried) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  script(*db,
         "CREATE TABLE parent (id BIGINT PRIMARY KEY);"
         "CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES parent);"
         "INSERT INTO parent (id) VALUES (1);");
  int attempts = 0;
  StoreResult<void> duplicate = db->transact([&](Connection& c) {
    attempts++;
    return ok_or_error(c.execute("INSERT INTO parent (id) VALUES (1)"));
  });
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind, ErrorKind::constraint);
  EXPECT_EQ(attempts, 1);
  // Foreign keys are enforced on both (SQLite needs PRAGMA foreign_keys=ON for that).
  StoreResult<void> orphan = db->transact([](Connection& c) {
    return ok_or_error(c.execute("INSERT INTO child (id, parent_id) VALUES (1, 99)"));
  });
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().kind, ErrorKind::constraint);
}

TEST_P(StoreTest, SwallowedStatementErrorStillRollsBackTheTransaction) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  script(*db, "CREATE TABLE t (id BIGINT PRIMARY KEY); INSERT INTO t (id) VALUES (1);");
  StoreResult<void> result = db->transact([](Connection& c) -> StoreResult<void> {
    EXPECT_TRUE(c.execute("INSERT INTO t (id) VALUES (2)"));
    EXPECT_FALSE(c.execute("INSERT INTO t (id) VALUES (1)"));  // duplicate; error ignored
    return {};
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::constraint);
  EXPECT_THAT(result.error().message, HasSubstr("was not returned from the work function"));
  std::int64_t count = -1;
  ASSERT_STORE_OK(db->read([&](Connection& c) -> StoreResult<void> {
    count = c.query_one<std::int64_t>("SELECT count(*) FROM t").value().value();
    return {};
  }));
  EXPECT_EQ(count, 1);  // row 2 was rolled back with the rest
}

TEST_P(StoreTest, ReadTransactionsCannotWrite) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  script(*db, "CREATE TABLE t (id BIGINT PRIMARY KEY)");
  StoreResult<void> result = db->read(
      [](Connection& c) { return ok_or_error(c.execute("INSERT INTO t (id) VALUES (1)")); });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::invalid_argument);
}

// Two transactions read the same counter and write it back incremented. Without isolation and
// retries one increment would be lost. SQLite: B finds A's write lock (busy) and retries.
// PostgreSQL (SERIALIZABLE): B commits first, A's write then fails to serialize and A re-runs.
TEST_P(StoreTest, ConflictingTransactionsAreRetriedUntilTheySucceed) {
  auto setup = open();
  ASSERT_NE(setup, nullptr);
  create_counter(*setup);
  StoreOptions fast = options();
  fast.busy_timeout_ms = 20;
  fast.retry_attempts_max = 50;
  auto a = open(fast);
  auto b = open(fast);
  ASSERT_TRUE(a && b);

  std::atomic<bool> a_has_read{false};
  std::atomic<bool> b_done{false};
  std::atomic<int> a_attempts{0};
  std::atomic<int> b_attempts{0};
  auto increment = [](Connection& c) -> StoreResult<void> {
    StoreResult<std::optional<std::int64_t>> n =
        c.query_one<std::int64_t>("SELECT n FROM counter WHERE id = 1");
    if (!n) return Unexpected<StoreError>(n.error());
    return ok_or_error(c.execute("UPDATE counter SET n = $1 WHERE id = 1", {**n + 1}));
  };
  StoreResult<void> a_result;
  std::thread a_thread([&] {
    a_result = a->transact(
        [&](Connection& c) -> StoreResult<void> {
          if (a_attempts.fetch_add(1) == 0) {
            StoreResult<std::optional<std::int64_t>> n =
                c.query_one<std::int64_t>("SELECT n FROM counter WHERE id = 1");
            if (!n) return Unexpected<StoreError>(n.error());
            a_has_read = true;
            // Let B run into us before we write.
            EXPECT_TRUE(wait_until([&] { return b_done || b->stats().retry_count > 0; }));
            return ok_or_error(c.execute("UPDATE counter SET n = $1 WHERE id = 1", {**n + 1}));
          }
          return increment(c);
        },
        {Isolation::serializable});
  });
  ASSERT_TRUE(wait_until([&] { return a_has_read.load(); }));
  StoreResult<void> b_result = b->transact(
      [&](Connection& c) {
        b_attempts++;
        return increment(c);
      },
      {Isolation::serializable});
  b_done = true;
  a_thread.join();

  ASSERT_STORE_OK(a_result);
  ASSERT_STORE_OK(b_result);
  EXPECT_EQ(counter_value(*setup), 2);  // neither increment was lost
  if (dialect() == Dialect::postgres) {
    EXPECT_EQ(a_attempts, 2);  // A's first attempt failed to serialize and was re-run
    EXPECT_EQ(a->stats().retry_count, 1u);
    EXPECT_EQ(b_attempts, 1);
  } else {
    EXPECT_EQ(a_attempts, 1);
    EXPECT_GE(b->stats().retry_count, 1u);  // B's BEGIN IMMEDIATE was busy at least once
    EXPECT_EQ(b_attempts, 1);               // work only runs once the lock is held
  }
}

TEST_P(StoreTest, RetriesGiveUpAfterRetryAttemptsMax) {
  auto holder = open();
  ASSERT_NE(holder, nullptr);
  create_counter(*holder);
  StoreOptions impatient = options();
  impatient.busy_timeout_ms = 20;
  impatient.retry_attempts_max = 3;
  auto b = open(impatient);
  ASSERT_NE(b, nullptr);

  std::atomic<bool> holding{false};
  std::atomic<bool> release{false};
  StoreResult<void> holder_result;
  std::thread holder_thread([&] {
    holder_result = holder->transact([&](Connection& c) -> StoreResult<void> {
      StoreResult<std::int64_t> updated = c.execute("UPDATE counter SET n = n + 1 WHERE id = 1");
      holding = true;
      wait_until([&] { return release.load(); });
      return ok_or_error(updated);
    });
  });
  ASSERT_TRUE(wait_until([&] { return holding.load(); }));
  int attempts = 0;
  StoreResult<void> result = b->transact([&](Connection& c) {
    attempts++;
    return ok_or_error(c.execute("UPDATE counter SET n = 42 WHERE id = 1"));
  });
  release = true;
  holder_thread.join();

  ASSERT_STORE_OK(holder_result);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::busy);
  EXPECT_THAT(result.error().message, HasSubstr("gave up after 3 attempts"));
  EXPECT_EQ(b->stats().retry_count, 2u);
  // PostgreSQL: each attempt's UPDATE waited lock_timeout. SQLite: BEGIN IMMEDIATE never got
  // the write lock, so the work never started.
  EXPECT_EQ(attempts, dialect() == Dialect::postgres ? 3 : 0);
  EXPECT_EQ(counter_value(*holder), 1);
}

TEST_P(StoreTest, ManyThreadsShareASmallPool) {
  StoreOptions small = options();
  small.pool_size = 2;
  auto db = open(small);
  ASSERT_NE(db, nullptr);
  create_counter(*db);
  constexpr int thread_count = 8;
  constexpr int transactions_per_thread = 25;
  std::atomic<int> failures{0};
  std::atomic<std::int64_t> last_seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < transactions_per_thread; i++) {
        StoreResult<void> result =
            (t + i) % 2 == 0
                ? db->transact([](Connection& c) {
                    return ok_or_error(c.execute("UPDATE counter SET n = n + 1 WHERE id = 1"));
                  })
                : db->read([&](Connection& c) -> StoreResult<void> {
                    StoreResult<std::optional<std::int64_t>> n =
                        c.query_one<std::int64_t>("SELECT n FROM counter WHERE id = 1");
                    if (!n) return Unexpected<StoreError>(n.error());
                    last_seen = **n;
                    return {};
                  });
        if (!result) {
          failures++;
          ADD_FAILURE() << result.error().message;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(counter_value(*db), thread_count * transactions_per_thread / 2);
  // Never more connections than the pool allows (SQLite: one writer plus the readers).
  EXPECT_LE(db->stats().connection_open_count, dialect() == Dialect::postgres ? 2u : 3u);
}

TEST_P(StoreTest, PoolExhaustionIsBusyAfterTheAcquireTimeout) {
  StoreOptions one = options();
  one.pool_size = 1;
  one.pool_acquire_timeout_ms = 100;
  auto db = open(one);
  ASSERT_NE(db, nullptr);
  std::atomic<bool> holding{false};
  std::atomic<bool> release{false};
  std::thread holder([&] {
    EXPECT_STORE_OK(db->transact([&](Connection&) -> StoreResult<void> {
      holding = true;
      wait_until([&] { return release.load(); });
      return {};
    }));
  });
  ASSERT_TRUE(wait_until([&] { return holding.load(); }));
  const auto started = std::chrono::steady_clock::now();
  StoreResult<void> result = db->transact([](Connection&) -> StoreResult<void> { return {}; });
  const auto waited = std::chrono::steady_clock::now() - started;
  release = true;
  holder.join();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::busy);
  EXPECT_THAT(result.error().message, HasSubstr("no free"));
  EXPECT_GE(waited, std::chrono::milliseconds(100));
  EXPECT_EQ(db->stats().retry_count, 0u);  // waiting for the pool is not retried on top
  EXPECT_STORE_OK(db->transact([](Connection&) -> StoreResult<void> { return {}; }));
}

TEST_P(StoreTest, PreparedStatementsAreCachedPerConnection) {
  StoreOptions one = options();
  one.pool_size = 1;  // so every transaction gets the same connection
  auto db = open(one);
  ASSERT_NE(db, nullptr);
  script(*db, "CREATE TABLE t (id BIGINT PRIMARY KEY)");
  const std::string insert = "INSERT INTO t (id) VALUES ($1)";
  std::uint64_t prepared_before = 0;
  std::uint64_t prepared_after = 0;
  std::size_t cache_before = 0;
  ASSERT_STORE_OK(db->transact([&](Connection& c) -> StoreResult<void> {
    prepared_before = c.statement_prepare_count();
    cache_before = c.statement_cache_size();
    for (std::int64_t id = 0; id < 10; id++) {
      StoreResult<std::int64_t> inserted = c.execute(insert, {id});
      if (!inserted) return Unexpected<StoreError>(inserted.error());
    }
    prepared_after = c.statement_prepare_count();
    EXPECT_EQ(c.statement_cache_size(), cache_before + 1);
    return {};
  }));
  EXPECT_EQ(prepared_after - prepared_before, 1u);
  ASSERT_STORE_OK(db->transact([&](Connection& c) {
    StoreResult<std::int64_t> inserted = c.execute(insert, {std::int64_t{10}});
    EXPECT_EQ(c.statement_prepare_count(), prepared_after);  // reused across transactions
    return ok_or_error(inserted);
  }));
}

TEST_P(StoreTest, StatementCacheIsBounded) {
  StoreOptions one = options();
  one.pool_size = 1;
  auto db = open(one);
  ASSERT_NE(db, nullptr);
  ASSERT_STORE_OK(db->transact([&](Connection& c) -> StoreResult<void> {
    const std::size_t distinct = statement_cache_size_max + 44;
    for (std::size_t i = 0; i < distinct; i++) {
      StoreResult<std::int64_t> ran = c.execute("SELECT " + std::to_string(i));
      if (!ran) return Unexpected<StoreError>(ran.error());
    }
    EXPECT_EQ(c.statement_cache_size(), statement_cache_size_max);
    const std::uint64_t prepared = c.statement_prepare_count();
    EXPECT_TRUE(c.execute("SELECT " + std::to_string(distinct - 1)));  // recent: cached
    EXPECT_EQ(c.statement_prepare_count(), prepared);
    EXPECT_TRUE(c.execute("SELECT 0"));  // least recently used: evicted, prepared again
    EXPECT_EQ(c.statement_prepare_count(), prepared + 1);
    EXPECT_EQ(c.statement_cache_size(), statement_cache_size_max);
    return {};
  }));
}

TEST_P(StoreTest, AStatementCanRunAgainInsideItsOwnRowCallback) {
  auto db = open();
  ASSERT_NE(db, nullptr);
  script(*db, "CREATE TABLE t (id BIGINT PRIMARY KEY); INSERT INTO t (id) VALUES (1), (2);");
  const std::string all = "SELECT id FROM t ORDER BY id";
  std::vector<std::int64_t> seen;
  ASSERT_STORE_OK(db->read([&](Connection& c) {
    return c.query(all, {}, [&](const Row& outer) {
      seen.push_back(outer.get_int64(0));
      EXPECT_STORE_OK(
          c.query(all, {}, [&](const Row& inner) { seen.push_back(inner.get_int64(0)); }));
    });
  }));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 1, 2, 2, 1, 2}));
}

TEST(RetryBackoffTest, GrowsExponentiallyWithJitterUpToTheMaximum) {
  using detail::retry_backoff_ms;
  using detail::retry_backoff_ms_base;
  using detail::retry_backoff_ms_max;
  EXPECT_EQ(retry_backoff_ms(1, 0), retry_backoff_ms_base / 2);
  EXPECT_LE(retry_backoff_ms(1, std::numeric_limits<std::uint32_t>::max()), retry_backoff_ms_base);
  EXPECT_EQ(retry_backoff_ms(3, 0), retry_backoff_ms_base * 2);  // window [4b/2, 4b]
  for (std::uint32_t random : {0u, 1u, 12345u, 0xffffffffu}) {
    const std::int64_t delay_ms = retry_backoff_ms(30, random);
    EXPECT_GE(delay_ms, retry_backoff_ms_max / 2);
    EXPECT_LE(delay_ms, retry_backoff_ms_max);
  }
}

TEST(StoreOptionsTest, OutOfRangeOptionsAndUnknownUrlsAreRejected) {
  TempDir dir;
  StoreOptions options;
  options.data_dir = dir.path();
  options.pool_size = 0;
  StoreResult<std::unique_ptr<Database>> opened = open_database(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind, ErrorKind::invalid_argument);
  EXPECT_THAT(opened.error().message, HasSubstr("storage.pool_size is 0"));

  options.pool_size = 1;
  options.database_url = "mysql://root:hunter2@db/till";
  opened = open_database(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind, ErrorKind::invalid_argument);
  EXPECT_THAT(opened.error().message, HasSubstr("postgres://"));
  EXPECT_THAT(opened.error().message, Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace till::store::testing
