// SQLite-only behaviour: durability pragmas, damaged files, unusable paths, WAL concurrency.
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/random.h"
#include "store/store_fixture.h"

namespace till::store::testing {
namespace {

using ::testing::HasSubstr;

class SqliteTest : public ::testing::Test {
 protected:
  StoreOptions options() const {
    StoreOptions options;
    options.data_dir = dir_.path() + "/data";
    return options;
  }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
};

struct Pragmas {
  std::string journal_mode;
  std::int64_t synchronous = -1;
  std::int64_t foreign_keys = -1;
  std::int64_t query_only = -1;
};

StoreResult<void> read_pragmas(Connection& c, Pragmas& pragmas) {
  pragmas.journal_mode = c.query_one<std::string>("PRAGMA journal_mode").value().value();
  pragmas.synchronous = c.query_one<std::int64_t>("PRAGMA synchronous").value().value();
  pragmas.foreign_keys = c.query_one<std::int64_t>("PRAGMA foreign_keys").value().value();
  pragmas.query_only = c.query_one<std::int64_t>("PRAGMA query_only").value().value();
  return {};
}

TEST_F(SqliteTest, WalAndFullSyncAreSetOnWriterAndReaders) {
  StoreResult<std::unique_ptr<Database>> db = open_database(options());
  ASSERT_STORE_OK(db);
  Pragmas writer;
  Pragmas reader;
  ASSERT_STORE_OK(db.value()->transact([&](Connection& c) { return read_pragmas(c, writer); }));
  ASSERT_STORE_OK(db.value()->read([&](Connection& c) { return read_pragmas(c, reader); }));
  for (const Pragmas* pragmas : {&writer, &reader}) {
    EXPECT_EQ(pragmas->journal_mode, "wal");
    EXPECT_EQ(pragmas->synchronous, 2);  // FULL
    EXPECT_EQ(pragmas->foreign_keys, 1);
  }
  EXPECT_EQ(writer.query_only, 0);
  EXPECT_EQ(reader.query_only, 1);
}

TEST_F(SqliteTest, BusyTimeoutComesFromOptions) {
  StoreOptions with_timeout = options();
  with_timeout.busy_timeout_ms = 1234;
  StoreResult<std::unique_ptr<Database>> db = open_database(with_timeout);
  ASSERT_STORE_OK(db);
  std::int64_t timeout_ms = 0;
  ASSERT_STORE_OK(db.value()->read([&](Connection& c) -> StoreResult<void> {
    timeout_ms = c.query_one<std::int64_t>("PRAGMA busy_timeout").value().value();
    return {};
  }));
  EXPECT_EQ(timeout_ms, 1234);
}

TEST_F(SqliteTest, FileOfRandomBytesIsReportedCorrupt) {
  std::filesystem::create_directories(options().data_dir);
  const std::string path = options().data_dir + "/till.db";
  std::vector<std::uint8_t> noise(8192);
  random_bytes(noise);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(noise.data()),
             static_cast<std::streamsize>(noise.size()));
  StoreResult<std::unique_ptr<Database>> db = open_database(options());
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::corrupt);
  EXPECT_THAT(db.error().message, HasSubstr(path + " is not a SQLite database or is corrupted"));
}

TEST_F(SqliteTest, DataDirThatCannotBeCreatedIsAConnectionError) {
  const std::string file = dir().path() + "/a-file";
  std::ofstream(file) << "not a directory";
  StoreOptions blocked = options();
  blocked.data_dir = file + "/data";
  StoreResult<std::unique_ptr<Database>> db = open_database(blocked);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::connection);
  EXPECT_THAT(db.error().message, HasSubstr("cannot create data directory " + blocked.data_dir));
}

TEST_F(SqliteTest, DatabasePathThatIsADirectoryIsAConnectionError) {
  std::filesystem::create_directories(options().data_dir + "/till.db");
  StoreResult<std::unique_ptr<Database>> db = open_database(options());
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::connection);
  EXPECT_THAT(db.error().message,
              HasSubstr("cannot open SQLite database " + options().data_dir + "/till.db"));
}

TEST_F(SqliteTest, ReadersDoNotWaitForTheWriter) {
  StoreResult<std::unique_ptr<Database>> opened = open_database(options());
  ASSERT_STORE_OK(opened);
  Database& db = *opened.value();
  ASSERT_STORE_OK(db.transact([](Connection& c) {
    return c.execute_script("CREATE TABLE t (id BIGINT PRIMARY KEY); INSERT INTO t VALUES (1);");
  }));
  std::atomic<bool> written{false};
  std::atomic<bool> release{false};
  std::thread writer([&] {
    EXPECT_STORE_OK(db.transact([&](Connection& c) -> StoreResult<void> {
      EXPECT_TRUE(c.execute("INSERT INTO t (id) VALUES (2)"));
      written = true;
      wait_until([&] { return release.load(); });
      return {};
    }));
  });
  ASSERT_TRUE(wait_until([&] { return written.load(); }));
  std::int64_t rows = -1;
  const auto started = std::chrono::steady_clock::now();
  StoreResult<void> read = db.read([&](Connection& c) -> StoreResult<void> {
    rows = c.query_one<std::int64_t>("SELECT count(*) FROM t").value().value();
    return {};
  });
  const auto waited = std::chrono::steady_clock::now() - started;
  release = true;
  writer.join();
  ASSERT_STORE_OK(read);
  EXPECT_EQ(rows, 1);  // the uncommitted row is invisible
  EXPECT_LT(waited, std::chrono::seconds(1));
}

// The background checkpointer copies committed WAL pages into the database file while the
// process writes. (It used to be a silent no-op: its connection had not read the file, so it
// did not know the database was in WAL mode, and the WAL grew to the writer's 1 GiB
// autocheckpoint, which then stalled a commit for most of a second.)
TEST_F(SqliteTest, TheBackgroundCheckpointerCopiesTheWalIntoTheDatabaseFile) {
  StoreResult<std::unique_ptr<Database>> opened = open_database(options());
  ASSERT_STORE_OK(opened);
  Database& db = *opened.value();
  ASSERT_STORE_OK(db.transact([](Connection& c) {
    return c.execute_script("CREATE TABLE t (id BIGINT PRIMARY KEY, payload TEXT NOT NULL);");
  }));
  const std::string file = options().data_dir + "/till.db";
  const auto size_before = std::filesystem::file_size(file);
  for (int i = 0; i < 200; ++i) {
    ASSERT_STORE_OK(db.transact([&](Connection& c) -> StoreResult<void> {
      auto inserted = c.execute("INSERT INTO t (id, payload) VALUES ($1, $2)",
                                {std::int64_t{i}, std::string(4000, 'x')});
      if (!inserted) return unexpected(inserted.error());
      return {};
    }));
  }
  // ~800 KB went into the WAL; well within the writer's own 1 GiB autocheckpoint.
  EXPECT_TRUE(wait_until([&] { return std::filesystem::file_size(file) > size_before + 500'000; }))
      << "database file still " << std::filesystem::file_size(file) << " bytes";
}

}  // namespace
}  // namespace till::store::testing
