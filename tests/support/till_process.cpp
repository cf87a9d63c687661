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

// fork + exec with stdout/stderr redirected to files. Returns the child's pid.
pid_t spawn(const std::vector<std::string>& args,
            const std::vector<std::pair<std::string, std::string>>& env,
            const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> argv_storage = {till_binary_path()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe work would be strictly required; we are single-purpose and
  // exec immediately.
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int null_fd = open("/dev/null", O_RDONLY);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  dup2(null_fd, 0);
  for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
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
