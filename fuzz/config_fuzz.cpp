// libFuzzer target for the configuration parsers: arbitrary bytes as a TOML file, as a listen
// address, and as environment values. load_config must never throw or crash, must return
// either a Config or at least one problem, and whatever parse_listen_address accepts must
// survive being written back out and parsed again.
//
// Build (clang): clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc
//   -DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1 fuzz/config_fuzz.cpp src/config/*.cpp
//   -ltomlplusplus -o config_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.h"

namespace {

// Checks that hold in release fuzz builds too, where assert() is compiled out.
void require(bool condition) {
  if (!condition) std::abort();
}

void check_loaded(
    const till::Expected<till::config::Config, std::vector<till::config::ConfigProblem>>& loaded) {
  if (loaded.has_value()) return;
  require(!loaded.error().empty());
  for (const till::config::ConfigProblem& problem : loaded.error()) {
    require(!problem.source.empty());
    require(!problem.message.empty());
    require(!till::config::to_string(problem).empty());
  }
}

void fuzz_toml(std::string_view text) {
  const auto loaded = till::config::load_config(text, "fuzz.toml", {});
  check_loaded(loaded);
}

void fuzz_listen_address(std::string_view text) {
  const auto parsed = till::config::parse_listen_address(text);
  if (!parsed) {
    require(parsed.error().code == "invalid_listen_address");
    return;
  }
  const std::string& host = parsed->first;
  const bool ipv6 = host.find(':') != std::string::npos;
  const std::string again = (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(parsed->second);
  const auto reparsed = till::config::parse_listen_address(again);
  require(reparsed.has_value());
  require(reparsed->first == host && reparsed->second == parsed->second);
}

void fuzz_environment(std::string_view text) {
  till::config::ConfigSources sources;
  sources.env = {{"TILL_SERVER_LISTEN", std::string(text)},
                 {"TILL_SERVER_THREADS", std::string(text)},
                 {"TILL_LOG_LEVEL", std::string(text)},
                 {"TILL_" + std::string(text), "1"}};
  sources.flags = {{std::string(text), std::string(text)}};
  check_loaded(till::config::load_config("", "fuzz.toml", sources));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz_toml(text);
  fuzz_listen_address(text);
  fuzz_environment(text);
  return 0;
}
