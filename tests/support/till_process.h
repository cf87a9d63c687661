// Test support: runs the real `till` binary as a child process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace till::testing {

// Path of the till binary under test (set by CMake).
std::string till_binary_path();

// A fresh, empty temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_status = -1;  // -1 if killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `till ARGS...` to completion (killed after `timeout`). `env` adds NAME=VALUE pairs.
CommandResult run_till(const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& env = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Any `till ...` command in the background, with stdout/stderr captured to files; killed
// (SIGKILL) by the destructor if still running.
class TillProcess {
 public:
  explicit TillProcess(const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& env = {});
  ~TillProcess();
  TillProcess(const TillProcess&) = delete;
  TillProcess& operator=(const TillProcess&) = delete;

  void send_signal(int signal_number) const;
  // Exit status, or nullopt on timeout or death by signal (the process is then reaped).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string captured_stdout() const;
  std::string captured_stderr() const;

 private:
  TempDir temp_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// `till serve ...` in the background, with stdout/stderr captured to files.
class TillServer {
 public:
  // Starts `till serve --listen 127.0.0.1:0 --data-dir <tmp> ARGS...` and waits until it prints
  // its address. Check started() / port().
  explicit TillServer(std::vector<std::string> extra_args = {},
                      std::vector<std::pair<std::string, std::string>> env = {},
                      std::optional<std::string> data_dir = std::nullopt);
  ~TillServer();  // SIGKILLs the process if still running
  TillServer(const TillServer&) = delete;
  TillServer& operator=(const TillServer&) = delete;

  bool started() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

  void send_signal(int signal_number) const;
  // Waits for exit; returns the exit status, or nullopt on timeout / death by signal.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string captured_stdout() const;
  std::string captured_stderr() const;

 private:
  TempDir temp_;
  std::string data_dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool exited_ = false;
  std::optional<int> exit_status_;
};

}  // namespace till::testing
