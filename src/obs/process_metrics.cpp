// Process statistics for /metrics, read from /proc at scrape time (Linux only), using the
// metric names Prometheus client libraries use, so standard dashboards work unchanged.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "obs/metrics.h"

namespace till::obs {

namespace {

struct ProcessStat {
  std::uint64_t cpu_ticks = 0;
  std::uint64_t start_ticks_since_boot = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t resident_pages = 0;
};

bool read_process_stat(ProcessStat& stat) {
  std::ifstream file("/proc/self/stat");
  std::string content;
  if (!std::getline(file, content)) return false;
  // The command name (field 2) is in parentheses and may contain spaces: parse after the
  // last ')'. Fields after it start at number 3 (state).
  const auto close = content.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(content.substr(close + 2));
  std::string field;
  for (int number = 3; number <= 24 && fields >> field; ++number) {
    const std::uint64_t value = std::strtoull(field.c_str(), nullptr, 10);
    if (number == 14 || number == 15) stat.cpu_ticks += value;  // utime + stime
    if (number == 22) stat.start_ticks_since_boot = value;
    if (number == 23) stat.virtual_bytes = value;
    if (number == 24) stat.resident_pages = value;
  }
  return true;
}

std::uint64_t boot_time_unix_s() {
  std::ifstream file("/proc/stat");
  std::string key;
  std::uint64_t value = 0;
  while (file >> key) {
    if (key == "btime") {
      file >> value;
      return value;
    }
    file.ignore(1 << 20, '\n');
  }
  return 0;
}

std::uint64_t open_fd_count() {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return 0;
  std::uint64_t count = 0;
  while (const dirent* entry = readdir(directory)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(directory);
  return count > 0 ? count - 1 : 0;  // the directory stream's own fd is not the process's
}

void append_metric(std::string& out, const char* name, const char* type, const char* help,
                   const std::string& value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(value).append("\n");
}

// ticks / hz as a decimal string with two fractional digits, in integer arithmetic.
std::string ticks_to_seconds(std::uint64_t ticks, std::uint64_t hz) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%" PRIu64 ".%02" PRIu64, ticks / hz,
                (ticks % hz) * 100 / hz);
  return buffer;
}

void collect_process_metrics(std::string& out) {
  ProcessStat stat;
  if (!read_process_stat(stat)) return;
  const long hz_signed = sysconf(_SC_CLK_TCK);
  const long page_size = sysconf(_SC_PAGESIZE);
  const std::uint64_t hz = hz_signed > 0 ? static_cast<std::uint64_t>(hz_signed) : 100;
  append_metric(out, "process_cpu_seconds_total", "counter",
                "Total user and system CPU time spent in seconds.",
                ticks_to_seconds(stat.cpu_ticks, hz));
  append_metric(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                std::to_string(stat.resident_pages * static_cast<std::uint64_t>(page_size)));
  append_metric(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
                std::to_string(stat.virtual_bytes));
  append_metric(out, "process_open_fds", "gauge", "Number of open file descriptors.",
                std::to_string(open_fd_count()));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    append_metric(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
                  std::to_string(limit.rlim_cur));
  }
  append_metric(out, "process_start_time_seconds", "gauge",
                "Start time of the process since unix epoch in seconds.",
                ticks_to_seconds(boot_time_unix_s() * hz + stat.start_ticks_since_boot, hz));
}

}  // namespace

void register_process_metrics(MetricsRegistry& registry, std::string_view version,
                              std::string_view commit) {
  registry.add_collector(collect_process_metrics);
  registry
      .gauge("till_build_info", "Build information; the value is always 1.",
             {{"version", std::string(version)},
              {"commit", std::string(commit)},
              {"compiler", __VERSION__}})
      .set(1);
}

}  // namespace till::obs
