#include "support/till_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace till::testing {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// The child's environment: this process's, with `overrides` replacing or adding variables.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string_view name = text.substr(0, text.find('='));
    bool overridden = false;
    for (const auto& [override_name, value] : overrides) overridden |= override_name == name;
    if (!overridden) entries.emplace_back(text);
  }
  for (const auto& [name, value] : overrides) entries.push_back(name + "=" + value);
  return entries;
}

std::vector<char*> null_terminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// fork + exec with stdout/stderr redirected to files. Returns the child's pid.
//
// Everything the child needs is built before fork: the test process has other threads (HTTP
// receivers, PostgreSQL readers), and one of them may hold the allocator's lock at the
// moment of fork. A child that then allocates (setenv, a vector) waits on that lock forever
// — seen under ASan in CI as a `till serve` that never printed a line. Between fork and
// exec the child makes only async-signal-safe calls.
pid_t spawn(const std::vector<std::string>& args,
            const std::vector<std::pair<std::string, std::string>>& env,
            const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> argv_storage = {till_binary_path()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<std::string> env_storage = child_environment(env);
  const std::vector<char*> argv = null_terminated(argv_storage);
  const std::vector<char*> envp = null_terminated(env_storage);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int null_fd = open("/dev/null", O_RDONLY);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  dup2(null_fd, 0);
  execve(argv[0], argv.data(), envp.data());
  _exit(127);
}

std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

std::string till_binary_path() { return TILL_BINARY_PATH; }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "till-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

CommandResult run_till(const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& env,
                       std::chrono::milliseconds timeout) {
  TempDir temp;
  const std::string out_path = temp.path() + "/stdout";
  const std::string err_path = temp.path() + "/stderr";
  const pid_t pid = spawn(args, env, out_path, err_path);
  CommandResult result;
  const auto status = wait_for(pid, timeout);
  if (!status) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  result.exit_status = status.value_or(-1);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

TillProcess::TillProcess(const std::vector<std::string>& args,
                         const std::vector<std::pair<std::string, std::string>>& env) {
  pid_ = spawn(args, env, temp_.path() + "/stdout", temp_.path() + "/stderr");
}

TillProcess::~TillProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void TillProcess::send_signal(int signal_number) const { kill(pid_, signal_number); }

std::optional<int> TillProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reaped_) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

std::string TillProcess::captured_stdout() const { return read_file(temp_.path() + "/stdout"); }
std::string TillProcess::captured_stderr() const { return read_file(temp_.path() + "/stderr"); }

TillServer::TillServer(std::vector<std::string> extra_args,
                       std::vector<std::pair<std::string, std::string>> env,
                       std::optional<std::string> data_dir)
    : data_dir_(data_dir.value_or(temp_.path() + "/var")) {
  std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(args, env, temp_.path() + "/stdout", temp_.path() + "/stderr");
  const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    const std::string out = captured_stdout();
    if (std::regex_search(out, match, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) exit_status_ = WEXITSTATUS(status);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TillServer::~TillServer() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void TillServer::send_signal(int signal_number) const { kill(pid_, signal_number); }

std::optional<int> TillServer::wait_exit(std::chrono::milliseconds timeout) {
  if (exited_) return exit_status_;
  exit_status_ = wait_for(pid_, timeout);
  if (exit_status_) exited_ = true;
  return exit_status_;
}

std::string TillServer::captured_stdout() const { return read_file(temp_.path() + "/stdout"); }
std::string TillServer::captured_stderr() const { return read_file(temp_.path() + "/stderr"); }

}  // namespace till::testing
