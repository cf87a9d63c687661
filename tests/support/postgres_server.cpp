#include "support/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

namespace till::testing {

namespace {

constexpr std::string_view bin_dir_default = "/usr/lib/postgresql/15/bin";
constexpr std::string_view superuser = "till";
constexpr int server_start_timeout_s = 60;
constexpr int start_attempts_max = 3;  // a free port can be taken between probe and bind
constexpr std::size_t log_tail_lines = 30;
constexpr std::size_t database_name_length_max = 63;  // PostgreSQL's NAMEDATALEN - 1

// Who runs initdb and the server: PostgreSQL refuses to run as root.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

std::optional<RunAs> choose_account() {
  if (geteuid() != 0) return RunAs{};
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* entry = getpwnam(name)) return RunAs{true, entry->pw_uid, entry->pw_gid};
  }
  return std::nullopt;
}

bool is_executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::optional<std::string> find_bin_dir() {
  if (is_executable(std::string(bin_dir_default) + "/pg_ctl")) return std::string(bin_dir_default);
  FILE* pipe = popen("pg_config --bindir 2>/dev/null", "r");
  if (pipe == nullptr) return std::nullopt;
  std::array<char, 512> buffer{};
  std::string output;
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    output += buffer.data();
  }
  pclose(pipe);
  output = trim(output);
  if (!output.empty() && is_executable(output + "/pg_ctl")) return output;
  return std::nullopt;
}

std::string tail_of_file(const std::string& path, std::size_t lines_max) {
  std::ifstream file(path);
  if (!file) return "(no " + path + ")";
  std::deque<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    lines.push_back(line);
    if (lines.size() > lines_max) lines.pop_front();
  }
  std::string tail;
  for (const std::string& line : lines) tail += "  " + line + "\n";
  return tail;
}

// A loopback port that was free a moment ago.
Result<int> free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("postgres_port", std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  if (bind(fd, generic, sizeof(address)) != 0 || getsockname(fd, generic, &length) != 0) {
    const std::string reason = std::strerror(errno);
    close(fd);
    return fail("postgres_port", "cannot find a free loopback port: " + reason);
  }
  close(fd);
  return static_cast<int>(ntohs(address.sin_port));
}

// Everything a child needs, prepared before fork(): after fork in a threaded process only
// async-signal-safe calls are allowed until exec.
struct Command {
  std::vector<std::string> args;
  std::string log_path;     // stdout and stderr are appended here
  std::string working_dir;  // the user we switch to may not be allowed into the current one
  RunAs run_as;
};

const std::array<const char*, 5> child_environment = {"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C",
                                                      "TZ=UTC", nullptr};

// Runs `command` to completion; returns its exit status (or 128 + signal).
Result<int> run(const Command& command) {
  std::vector<char*> argv;
  for (const std::string& arg : command.args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int log_fd =
      open(command.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return fail("postgres_command",
                "cannot open " + command.log_path + ": " + std::strerror(errno));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return fail("postgres_command", std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
      _exit(126);
    if (chdir(command.working_dir.c_str()) != 0) _exit(126);
    if (command.run_as.switch_user &&
        (setgroups(0, nullptr) != 0 || setgid(command.run_as.gid) != 0 ||
         setuid(command.run_as.uid) != 0)) {
      _exit(125);
    }
    execve(argv[0], argv.data(), const_cast<char* const*>(child_environment.data()));
    _exit(127);
  }
  close(log_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return fail("postgres_command", std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

// The watchdog is a shell that waits for EOF on its stdin (our pipe): when this process ends in
// any way, even SIGKILL, the pipe closes and the watchdog stops the server and removes the
// directory. In a clean shutdown there is nothing left for it to do.
constexpr const char* watchdog_script = R"(read _
pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi
rm -rf "$1"
)";

}  // namespace

PostgresServer::PostgresServer(std::string bin_dir, std::string directory)
    : bin_dir_(std::move(bin_dir)), directory_(std::move(directory)) {}

Result<std::unique_ptr<PostgresServer>> PostgresServer::start() {
  const std::optional<std::string> bin_dir = find_bin_dir();
  if (!bin_dir) {
    return fail("postgres_not_found", "PostgreSQL server binaries not found in " +
                                          std::string(bin_dir_default) +
                                          " nor via `pg_config --bindir`; install postgresql-15 "
                                          "(scripts/install-deps.sh)");
  }
  const std::optional<RunAs> run_as = choose_account();
  if (!run_as) {
    return fail("postgres_user",
                "running as root, but neither the postgres nor the nobody user "
                "exists to run PostgreSQL as");
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/till-pg-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return fail("postgres_tempdir", "mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  // From here the destructor cleans up whatever was started.
  std::unique_ptr<PostgresServer> server(new PostgresServer(*bin_dir, pattern));
  if (chmod(pattern.c_str(), 0700) != 0 ||
      (run_as->switch_user && chown(pattern.c_str(), run_as->uid, run_as->gid) != 0)) {
    return fail("postgres_tempdir", "cannot prepare " + pattern + ": " + std::strerror(errno));
  }
  for (auto step : {&PostgresServer::spawn_watchdog, &PostgresServer::init_cluster,
                    &PostgresServer::start_server}) {
    Result<void> done = (server.get()->*step)();
    if (!done) return Unexpected<Error>(std::move(done).error());
  }
  return server;
}

Result<PostgresServer*> PostgresServer::shared() {
  static std::mutex mutex;
  static std::unique_ptr<PostgresServer> server;
  static std::optional<Error> failure;
  std::lock_guard lock(mutex);
  if (server) return server.get();
  if (failure) return Unexpected<Error>(*failure);
  Result<std::unique_ptr<PostgresServer>> started = start();
  if (!started) {
    failure = started.error();
    return Unexpected<Error>(*failure);
  }
  server = std::move(started).value();
  return server.get();
}

PostgresServer::~PostgresServer() {
  if (running_) {
    // Immediate, not fast: a fast shutdown first checkpoints every dirty page of every test
    // database to disk with fsync (seconds, up to a minute on a busy disk), for a directory
    // that is deleted right after. fsync stays on while the server runs.
    const std::optional<RunAs> run_as = choose_account();
    (void)run({{bin_dir_ + "/pg_ctl", "-D", data_dir(), "-m", "immediate", "-w", "-t",
                std::to_string(server_start_timeout_s), "stop"},
               directory_ + "/commands.log",
               directory_,
               run_as.value_or(RunAs{})});
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
  if (watchdog_pipe_fd_ >= 0) close(watchdog_pipe_fd_);
  if (watchdog_pid_ > 0) {
    int status = 0;
    while (waitpid(watchdog_pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

std::string PostgresServer::url_for(std::string_view database) const {
  return "postgres://" + std::string(superuser) + "@127.0.0.1:" + std::to_string(port_) + "/" +
         std::string(database);
}

Result<void> PostgresServer::spawn_watchdog() {
  std::array<int, 2> pipe_fds{};
  if (pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return fail("postgres_watchdog", std::string("pipe2: ") + std::strerror(errno));
  }
  const std::array<const char*, 6> argv = {
      "/bin/sh", "-c", watchdog_script, "till-pg-watchdog", directory_.c_str(), nullptr};
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return fail("postgres_watchdog", std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Own session: a Ctrl-C to the test run must not kill the watchdog before it cleans up.
    setsid();
    const int null_fd = open("/dev/null", O_WRONLY);
    if (dup2(pipe_fds[0], 0) < 0 || null_fd < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0) {
      _exit(126);
    }
    execve(argv[0], const_cast<char* const*>(argv.data()),
           const_cast<char* const*>(child_environment.data()));
    _exit(127);
  }
  close(pipe_fds[0]);
  watchdog_pid_ = pid;
  watchdog_pipe_fd_ = pipe_fds[1];
  return {};
}

Result<void> PostgresServer::init_cluster() {
  const std::string log = directory_ + "/commands.log";
  Result<int> status = run({{bin_dir_ + "/initdb", "-D", data_dir(), "-A", "trust", "-U",
                             std::string(superuser), "-E", "UTF8", "--no-locale"},
                            log,
                            directory_,
                            choose_account().value_or(RunAs{})});
  if (!status) return Unexpected<Error>(std::move(status).error());
  if (status.value() != 0) {
    return fail("postgres_initdb", "initdb failed with exit status " +
                                       std::to_string(status.value()) + ":\n" +
                                       tail_of_file(log, log_tail_lines));
  }
  return {};
}

Result<void> PostgresServer::start_server() {
  const std::string log = directory_ + "/commands.log";
  const std::string server_log = directory_ + "/server.log";
  for (int attempt = 1; attempt <= start_attempts_max; attempt++) {
    Result<int> port = free_port();
    if (!port) return Unexpected<Error>(std::move(port).error());
    port_ = port.value();
    std::error_code ignored;
    std::filesystem::remove(server_log, ignored);  // so the log tail is this attempt's
    const std::string server_options =
        "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + directory_;
    Result<int> status =
        run({{bin_dir_ + "/pg_ctl", "-D", data_dir(), "-l", server_log, "-w", "-t",
              std::to_string(server_start_timeout_s), "-o", server_options, "start"},
             log,
             directory_,
             choose_account().value_or(RunAs{})});
    if (!status) return Unexpected<Error>(std::move(status).error());
    if (status.value() == 0) {
      running_ = true;
      return {};
    }
    const std::string tail = tail_of_file(server_log, log_tail_lines);
    if (tail.find("already in use") == std::string::npos || attempt == start_attempts_max) {
      // pg_ctl may give up waiting while the server still comes up; stop it in case.
      running_ = true;
      return fail("postgres_start", "pg_ctl start failed (exit status " +
                                        std::to_string(status.value()) + ", port " +
                                        std::to_string(port_) + "). pg_ctl:\n" +
                                        tail_of_file(log, 10) + "server log:\n" + tail);
    }
  }
  return fail("postgres_start", "unreachable");
}

Result<void> PostgresServer::psql(std::string_view sql, std::string_view database) {
  std::lock_guard lock(psql_mutex_);
  const std::string log = directory_ + "/psql.log";
  std::error_code ignored;
  std::filesystem::remove(log, ignored);  // so a failure shows this command's output only
  Result<int> status = run({{bin_dir_ + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                             "127.0.0.1", "-p", std::to_string(port_), "-U", std::string(superuser),
                             "-d", std::string(database), "-c", std::string(sql)},
                            log,
                            directory_,
                            RunAs{}});  // a client: any user may run it
  if (!status) return Unexpected<Error>(std::move(status).error());
  if (status.value() != 0) {
    return fail("postgres_psql", "psql failed (exit status " + std::to_string(status.value()) +
                                     ") running: " + std::string(sql) + "\n" +
                                     tail_of_file(log, log_tail_lines));
  }
  return {};
}

Result<std::string> PostgresServer::create_database(std::string_view name) {
  const bool valid =
      !name.empty() && name.size() <= database_name_length_max &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
  if (!valid) {
    return fail("postgres_database_name",
                "database name '" + std::string(name) + "' must be 1-63 of [a-z0-9_]");
  }
  Result<void> created = psql("CREATE DATABASE " + std::string(name), "postgres");
  if (!created) return Unexpected<Error>(std::move(created).error());
  return url_for(name);
}

Result<void> PostgresServer::run_sql(std::string_view sql, std::string_view database) {
  return psql(sql, database);
}

std::string PostgresServer::log_tail() const {
  return tail_of_file(directory_ + "/server.log", log_tail_lines);
}

}  // namespace till::testing
