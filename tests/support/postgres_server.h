// tests/support/postgres_server.h — a real, throwaway PostgreSQL 15 server for tests.
//
// Tests that need PostgreSQL start one here instead of assuming a running server: `initdb`
// into a fresh temporary directory, `pg_ctl start` on a free loopback port, trust
// authentication for user `till`. fsync stays at PostgreSQL's default (on), so tests see the
// same commit costs as production. When the tests run as root (PostgreSQL refuses to), the
// server runs as the `postgres` system user (or `nobody`).
//
// Usually a test binary shares one server (`shared()`) and gives each test its own database
// (`create_database`). The server is stopped and its directory removed when the object is
// destroyed; a watchdog process does the same if the test process dies without cleaning up.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"

namespace till::testing {

class PostgresServer {
 public:
  // Starts a new server. The error message includes the tail of the server log.
  static Result<std::unique_ptr<PostgresServer>> start();

  // One server for the whole test binary, started on first use, stopped at exit. A failed start
  // is remembered, so every test reports the same error quickly.
  static Result<PostgresServer*> shared();

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // postgres://till@127.0.0.1:PORT/postgres
  std::string url() const { return url_for("postgres"); }
  std::string url_for(std::string_view database) const;

  // Creates an empty database (name: [a-z0-9_], up to 63 characters) and returns its URL.
  Result<std::string> create_database(std::string_view name);

  // Runs SQL with psql as the superuser `till` (setup that the code under test must not do).
  Result<void> run_sql(std::string_view sql, std::string_view database = "postgres");

  // The last lines of the server log, for failure messages.
  std::string log_tail() const;

  const std::string& directory() const { return directory_; }

 private:
  PostgresServer(std::string bin_dir, std::string directory);
  Result<void> spawn_watchdog();
  Result<void> init_cluster();
  Result<void> start_server();
  Result<void> psql(std::string_view sql, std::string_view database);
  std::string data_dir() const { return directory_ + "/data"; }

  const std::string bin_dir_;
  const std::string directory_;  // mkdtemp; removed by the destructor
  int port_ = 0;
  bool running_ = false;
  pid_t watchdog_pid_ = -1;
  int watchdog_pipe_fd_ = -1;  // closing it tells the watchdog we are gone
  std::mutex psql_mutex_;      // one psql at a time keeps the command log readable
};

}  // namespace till::testing
