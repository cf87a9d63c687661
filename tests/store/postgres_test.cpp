// PostgreSQL-only behaviour: connection errors without secrets, broken connections replaced,
// lock_timeout from options, PostgreSQL-only SQL syntax.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "store/store_fixture.h"
#include "support/postgres_server.h"

namespace till::store::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreResult<StoreOptions> options = fresh_database_options(Dialect::postgres, dir_);
    ASSERT_STORE_OK(options);
    options_ = options.value();
  }
  const StoreOptions& options() const { return options_; }

  std::unique_ptr<Database> open(const StoreOptions& options) {
    StoreResult<std::unique_ptr<Database>> db = open_database(options);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(db).value() : nullptr;
  }

  static std::int64_t backend_pid(Database& db) {
    std::int64_t pid = 0;
    EXPECT_STORE_OK(db.transact([&](Connection& c) -> StoreResult<void> {
      StoreResult<std::optional<std::int64_t>> got =
          c.query_one<std::int64_t>("SELECT pg_backend_pid()");
      if (!got) return Unexpected<StoreError>(got.error());
      pid = got.value().value();
      return {};
    }));
    return pid;
  }

 private:
  TempDir dir_;
  StoreOptions options_;
};

// A loopback port with nothing listening (bound, then released).
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

TEST_F(PostgresTest, UnreachableServerIsAConnectionErrorNamingHostAndPortButNotThePassword) {
  const int port = closed_port();
  StoreOptions wrong = options();
  wrong.database_url =
      "postgres://till:sup3r-s3cret-pw@127.0.0.1:" + std::to_string(port) + "/postgres";
  StoreResult<std::unique_ptr<Database>> db = open_database(wrong);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::connection);
  EXPECT_THAT(db.error().message, HasSubstr("127.0.0.1"));
  EXPECT_THAT(db.error().message, HasSubstr(std::to_string(port)));
  EXPECT_THAT(db.error().message, Not(HasSubstr("sup3r-s3cret-pw")));
}

TEST_F(PostgresTest, MalformedUrlIsAnInvalidArgumentWithoutThePassword) {
  StoreOptions wrong = options();
  wrong.database_url = "postgresql://till:sup3r-s3cret-pw@[::1/postgres";
  StoreResult<std::unique_ptr<Database>> db = open_database(wrong);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::invalid_argument);
  EXPECT_THAT(db.error().message, HasSubstr("not a valid PostgreSQL URL"));
  EXPECT_THAT(db.error().message, Not(HasSubstr("sup3r-s3cret-pw")));
}

TEST_F(PostgresTest, PasswordInTheUrlIsNotInDescribe) {
  StoreOptions with_password = options();
  // Trust authentication ignores the password, so the connection succeeds.
  with_password.database_url.replace(std::string("postgres://till").size(), 0, ":sup3r-s3cret-pw");
  auto db = open(with_password);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->describe(), options().database_url);
  EXPECT_THAT(db->describe(), Not(HasSubstr("sup3r-s3cret-pw")));
}

TEST_F(PostgresTest, IdleConnectionKilledByTheServerIsReplaced) {
  StoreOptions one = options();
  one.pool_size = 1;
  auto db = open(one);
  auto admin = open(options());
  ASSERT_TRUE(db && admin);
  const std::int64_t first_pid = backend_pid(*db);
  ASSERT_STORE_OK(admin->transact([&](Connection& c) -> StoreResult<void> {
    StoreResult<std::optional<bool>> killed =
        c.query_one<bool>("SELECT pg_terminate_backend($1::int)", {first_pid});
    if (!killed) return Unexpected<StoreError>(killed.error());
    EXPECT_EQ(killed.value(), std::optional<bool>(true));
    return {};
  }));
  // pg_terminate_backend only signals; wait until the backend is really gone.
  EXPECT_TRUE(wait_until([&] {
    std::int64_t alive = 1;
    EXPECT_STORE_OK(admin->read([&](Connection& c) -> StoreResult<void> {
      alive = c.query_one<std::int64_t>("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int",
                                        {first_pid})
                  .value()
                  .value();
      return {};
    }));
    return alive == 0;
  }));
  const std::int64_t second_pid = backend_pid(*db);  // succeeds on a fresh connection
  EXPECT_NE(second_pid, 0);
  EXPECT_NE(second_pid, first_pid);
  EXPECT_EQ(db->stats().connection_discard_count, 1u);
  EXPECT_EQ(db->stats().connection_open_count, 2u);
  EXPECT_STORE_OK(db->ping());
}

TEST_F(PostgresTest, ConnectionLostInsideATransactionIsReportedAndTheNextOneWorks) {
  StoreOptions one = options();
  one.pool_size = 1;
  auto db = open(one);
  ASSERT_NE(db, nullptr);
  int attempts = 0;
  StoreResult<void> lost = db->transact([&](Connection& c) -> StoreResult<void> {
    attempts++;
    StoreResult<std::int64_t> killed = c.execute("SELECT pg_terminate_backend(pg_backend_pid())");
    if (!killed) return Unexpected<StoreError>(killed.error());
    return {};
  });
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind, ErrorKind::connection);
  EXPECT_EQ(attempts, 1);  // a lost connection is not retried: the work may have been applied
  EXPECT_NE(backend_pid(*db), 0);
  EXPECT_EQ(db->stats().connection_discard_count, 1u);
}

TEST_F(PostgresTest, LockTimeoutComesFromBusyTimeout) {
  StoreOptions with_timeout = options();
  with_timeout.busy_timeout_ms = 250;
  auto db = open(with_timeout);
  ASSERT_NE(db, nullptr);
  std::string lock_timeout;
  ASSERT_STORE_OK(db->read([&](Connection& c) -> StoreResult<void> {
    lock_timeout = c.query_one<std::string>("SHOW lock_timeout").value().value();
    return {};
  }));
  EXPECT_EQ(lock_timeout, "250ms");
}

TEST_F(PostgresTest, DollarQuotesEscapeStringsAndJsonbReadAsText) {
  auto db = open(options());
  ASSERT_NE(db, nullptr);
  ASSERT_STORE_OK(db->read([&](Connection& c) {
    return c.query("SELECT $$a $2$$, E'it\\'s $2', $1, '{\"k\": [1, 2]}'::jsonb, $1::jsonb",
                   {std::string("{\"v\":true}")}, [](const Row& row) {
                     EXPECT_EQ(row.get_text(0), "a $2");
                     EXPECT_EQ(row.get_text(1), "it's $2");
                     EXPECT_EQ(row.get_text(2), "{\"v\":true}");
                     EXPECT_EQ(row.get_text(3), "{\"k\": [1, 2]}");
                     EXPECT_EQ(row.get_text(4), "{\"v\": true}");
                   });
  }));
}

TEST(PostgresServerTest, SharedServerAnswersAndCreatesDatabases) {
  Result<till::testing::PostgresServer*> server = till::testing::PostgresServer::shared();
  ASSERT_TRUE(server) << server.error().message;
  EXPECT_EQ(server.value()->url(),
            "postgres://till@127.0.0.1:" + std::to_string(server.value()->port()) + "/postgres");
  Result<std::string> url = server.value()->create_database("server_test_db");
  ASSERT_TRUE(url) << url.error().message;
  Result<std::string> again = server.value()->create_database("server_test_db");
  ASSERT_FALSE(again);
  EXPECT_THAT(again.error().message, HasSubstr("already exists"));
  EXPECT_FALSE(server.value()->create_database("Bad-Name"));
  StoreOptions options;
  options.database_url = url.value();
  StoreResult<std::unique_ptr<Database>> db = open_database(options);
  ASSERT_STORE_OK(db);
  EXPECT_STORE_OK(db.value()->ping());
  // fsync stays on: tests pay the same commit cost as production.
  std::string fsync;
  ASSERT_STORE_OK(db.value()->read([&](Connection& c) -> StoreResult<void> {
    fsync = c.query_one<std::string>("SHOW fsync").value().value();
    return {};
  }));
  EXPECT_EQ(fsync, "on");
}

}  // namespace
}  // namespace till::store::testing
