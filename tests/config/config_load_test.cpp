// Loading as a whole: defaults, precedence between sources, unknown names, several problems
// at once, syntax errors, files (missing, via TILL_CONFIG) and hostile input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_test_util.h"

namespace till::config::testing {
namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// ---- defaults ----

struct DefaultRow {
  std::string_view key;
  std::string_view field;
};

constexpr DefaultRow default_rows[] = {
    {"server.listen", "host=127.0.0.1 port=4242"},
    {"server.threads", "0"},
    {"server.header_limit_bytes", "16384"},
    {"server.body_limit_bytes", "1048576"},
    {"server.header_timeout_ms", "10000"},
    {"server.body_timeout_ms", "30000"},
    {"server.idle_timeout_ms", "60000"},
    {"server.shutdown_grace_ms", "30000"},
    {"storage.data_dir", "./var"},
    {"storage.database_url", ""},
    {"storage.pool_size", "8"},
    {"storage.busy_timeout_ms", "5000"},
    {"storage.retry_attempts_max", "5"},
    {"log.level", "info"},
    {"ledger.expiry_interval_ms", "1000"},
    {"admin.token", ""},
};

TEST(ConfigDefaults, NoSourcesGiveTheDefaults) {
  const Loaded loaded = load_config(ConfigSources{});
  ASSERT_TRUE(loaded) << all_problems(loaded);
  for (const DefaultRow& row : default_rows) EXPECT_EQ(field(*loaded, row.key), row.field);
}

TEST(ConfigDefaults, AnEmptyFileGivesTheDefaults) {
  const Loaded loaded = load_text("# nothing set\n");
  ASSERT_TRUE(loaded) << all_problems(loaded);
  for (const DefaultRow& row : default_rows) EXPECT_EQ(field(*loaded, row.key), row.field);
}

// ---- precedence: file < env < flags ----

struct PrecedenceRow {
  std::string_view file;  // server.listen in the file, "" = not set there
  std::string_view env;   // TILL_SERVER_LISTEN, "" = not set
  std::string_view flag;  // --listen, "" = not given
  std::string_view want;
};

constexpr PrecedenceRow precedence_rows[] = {
    {"", "", "", "host=127.0.0.1 port=4242"},                            // default
    {"10.0.0.1:1", "", "", "host=10.0.0.1 port=1"},                      // file over default
    {"", "10.0.0.2:2", "", "host=10.0.0.2 port=2"},                      // env over default
    {"", "", "10.0.0.3:3", "host=10.0.0.3 port=3"},                      // flag over default
    {"10.0.0.1:1", "10.0.0.2:2", "", "host=10.0.0.2 port=2"},            // env over file
    {"10.0.0.1:1", "", "10.0.0.3:3", "host=10.0.0.3 port=3"},            // flag over file
    {"", "10.0.0.2:2", "10.0.0.3:3", "host=10.0.0.3 port=3"},            // flag over env
    {"10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3", "host=10.0.0.3 port=3"},  // flag over both
};

TEST(ConfigPrecedence, FileThenEnvThenFlags) {
  for (const PrecedenceRow& row : precedence_rows) {
    SCOPED_TRACE("file=" + std::string(row.file) + " env=" + std::string(row.env) +
                 " flag=" + std::string(row.flag));
    std::string toml;
    Pairs env;
    Pairs flags;
    if (!row.file.empty()) toml = "[server]\nlisten = \"" + std::string(row.file) + "\"\n";
    if (!row.env.empty()) env.emplace_back("TILL_SERVER_LISTEN", row.env);
    if (!row.flag.empty()) flags.emplace_back("server.listen", row.flag);
    const Loaded loaded = load_text(toml, env, flags);
    ASSERT_TRUE(loaded) << all_problems(loaded);
    EXPECT_EQ(field(*loaded, "server.listen"), row.want);
  }
}

TEST(ConfigPrecedence, EachSourceLeavesOtherKeysAlone) {
  const Loaded loaded = load_text("[server]\nthreads = 3\n[storage]\ndata_dir = \"/file\"\n",
                                  {{"TILL_SERVER_LISTEN", "10.0.0.2:2"}}, {{"log.level", "debug"}});
  ASSERT_TRUE(loaded) << all_problems(loaded);
  EXPECT_EQ(field(*loaded, "server.threads"), "3");
  EXPECT_EQ(field(*loaded, "storage.data_dir"), "/file");
  EXPECT_EQ(field(*loaded, "server.listen"), "host=10.0.0.2 port=2");
  EXPECT_EQ(field(*loaded, "log.level"), "debug");
  EXPECT_EQ(field(*loaded, "storage.pool_size"), "8");
}

TEST(ConfigPrecedence, TheLaterFlagForTheSameKeyWins) {
  const Loaded loaded = load_text("", {}, {{"log.level", "debug"}, {"log.level", "warn"}});
  ASSERT_TRUE(loaded) << all_problems(loaded);
  EXPECT_EQ(field(*loaded, "log.level"), "warn");
}

TEST(ConfigPrecedence, DottedKeysAtTheTopOfTheFileEqualTables) {
  const Loaded loaded = load_text("server.threads = 9\nlog.level = \"error\"\n");
  ASSERT_TRUE(loaded) << all_problems(loaded);
  EXPECT_EQ(field(*loaded, "server.threads"), "9");
  EXPECT_EQ(field(*loaded, "log.level"), "error");
}

// ---- unknown names ----

struct UnknownRow {
  std::string_view toml;
  std::string_view key;
  std::string_view source;
  std::string_view message;
};

constexpr UnknownRow unknown_file_rows[] = {
    {"[server]\nlisten = \"127.0.0.1:1\"\nlistn = \"x\"\n", "server.listn", "test.toml:3",
     "unknown key; did you mean 'server.listen'?"},
    {"[server]\nthread = 4\n", "server.thread", "test.toml:2", "did you mean 'server.threads'?"},
    {"[log]\nlvl = \"info\"\n", "log.lvl", "test.toml:2", "did you mean 'log.level'?"},
    {"[storage]\nlisten = \"x\"\n", "storage.listen", "test.toml:2",
     "did you mean 'server.listen'?"},
    {"listen = \"127.0.0.1:1\"\n", "listen", "test.toml:1", "did you mean 'server.listen'?"},
    {"\n[srever]\nlisten = \"x\"\n", "srever", "test.toml:2",
     "unknown table; did you mean 'server'?"},
    {"[server]\ncolour = \"blue\"\n", "server.colour", "test.toml:2", "unknown key"},
    {"[server.tls]\ncert = \"x\"\n", "server.tls", "test.toml:1", "unknown key"},
    {"[[server]]\nthreads = 1\n", "server", "test.toml:1",
     "expected a table ([server]), got an array"},
    {"server = 1\n", "server", "test.toml:1", "expected a table ([server]), got an integer"},
};

TEST(ConfigUnknown, FileKeysAreNamedWithTheirLine) {
  for (const UnknownRow& row : unknown_file_rows) {
    SCOPED_TRACE(row.toml);
    const Loaded loaded = load_text(row.toml);
    ASSERT_FALSE(loaded);
    ASSERT_EQ(loaded.error().size(), 1u) << all_problems(loaded);
    EXPECT_EQ(loaded.error()[0].key, row.key);
    EXPECT_EQ(loaded.error()[0].source, row.source);
    EXPECT_TRUE(contains(loaded.error()[0].message, row.message)) << loaded.error()[0].message;
  }
}

TEST(ConfigUnknown, NoSuggestionWhenNothingIsClose) {
  const Loaded loaded = load_text("[server]\ncolour = \"blue\"\n[cache]\nsize = 1\n");
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 2u) << all_problems(loaded);
  for (const ConfigProblem& problem : loaded.error()) {
    EXPECT_FALSE(contains(problem.message, "did you mean")) << problem.message;
  }
}

struct UnknownEnvRow {
  std::string_view name;
  std::string_view message;
};

constexpr UnknownEnvRow unknown_env_rows[] = {
    {"TILL_SERVR_LISTEN", "unknown environment variable; did you mean 'TILL_SERVER_LISTEN'?"},
    {"TILL_LISTEN", "did you mean 'TILL_SERVER_LISTEN'?"},
    {"TILL_DATA_DIR", "did you mean 'TILL_STORAGE_DATA_DIR'?"},
    {"TILL_LOG_LEVL", "did you mean 'TILL_LOG_LEVEL'?"},
    {"TILL_FROBNICATE", "unknown environment variable"},
    {"TILL_", "unknown environment variable"},
};

TEST(ConfigUnknown, TillEnvironmentVariablesMustBeSettings) {
  for (const UnknownEnvRow& row : unknown_env_rows) {
    SCOPED_TRACE(row.name);
    const Loaded loaded = load_text("", {{std::string(row.name), "1"}});
    ASSERT_FALSE(loaded);
    ASSERT_EQ(loaded.error().size(), 1u) << all_problems(loaded);
    EXPECT_EQ(loaded.error()[0].key, row.name);
    EXPECT_EQ(loaded.error()[0].source, "env " + std::string(row.name));
    EXPECT_TRUE(contains(loaded.error()[0].message, row.message)) << loaded.error()[0].message;
  }
}

TEST(ConfigUnknown, OtherEnvironmentVariablesAndTillConfigAreIgnored) {
  const Loaded loaded = load_text(
      "", {{"PATH", "/usr/bin"}, {"till_server_listen", "x"}, {"TILL_CONFIG", "ignored.toml"}});
  EXPECT_TRUE(loaded) << all_problems(loaded);
}

TEST(ConfigUnknown, UnknownFlagKeyIsReported) {
  const Loaded loaded = load_text("", {}, {{"server.listn", "1.2.3.4:5"}});
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].source, "flag --server.listn");
  EXPECT_TRUE(contains(loaded.error()[0].message, "did you mean 'server.listen'?"));
}

// ---- every problem at once ----

TEST(ConfigProblems, ThreeBadKeysInAFileAreThreeProblemsInLineOrder) {
  const Loaded loaded =
      load_text("[storage]\npool_size = 0\n[server]\nthreads = 999\nlisten = 5\n");
  ASSERT_FALSE(loaded);
  const std::vector<ConfigProblem>& problems = loaded.error();
  ASSERT_EQ(problems.size(), 3u) << all_problems(loaded);
  EXPECT_EQ(problems[0].key, "storage.pool_size");
  EXPECT_EQ(problems[0].source, "test.toml:2");
  EXPECT_EQ(problems[1].key, "server.threads");
  EXPECT_EQ(problems[1].source, "test.toml:4");
  EXPECT_EQ(problems[2].key, "server.listen");
  EXPECT_EQ(problems[2].source, "test.toml:5");
}

TEST(ConfigProblems, EverySourceIsCheckedEvenWhenAnEarlierOneFailed) {
  const Loaded loaded = load_text("[server]\nthreads = -1\nbogus = 1\n",
                                  {{"TILL_STORAGE_POOL_SIZE", "many"}, {"TILL_SERVR_LISTEN", "x"}},
                                  {{"log.level", "loud"}});
  ASSERT_FALSE(loaded);
  const std::vector<ConfigProblem>& problems = loaded.error();
  ASSERT_EQ(problems.size(), 5u) << all_problems(loaded);
  EXPECT_EQ(problems[0].source, "test.toml:2");
  EXPECT_EQ(problems[1].source, "test.toml:3");
  EXPECT_EQ(problems[2].source, "env TILL_STORAGE_POOL_SIZE");
  EXPECT_EQ(problems[3].source, "env TILL_SERVR_LISTEN");
  EXPECT_EQ(problems[4].source, "flag --log-level");
}

// A bad value is reported even when a higher-precedence source overrides it: the file is
// still wrong, and `till config check` exists to say so.
TEST(ConfigProblems, AnOverriddenBadValueIsStillReported) {
  const Loaded loaded = load_text("[server]\nthreads = 1000\n", {{"TILL_SERVER_THREADS", "4"}});
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].source, "test.toml:2");
}

TEST(ConfigProblems, RenderAsSourceKeyMessage) {
  EXPECT_EQ(to_string({"server.listen", "till.toml:3", "expected HOST:PORT"}),
            "till.toml:3: server.listen: expected HOST:PORT");
  EXPECT_EQ(to_string({"", "till.toml:1:8", "invalid TOML: x"}), "till.toml:1:8: invalid TOML: x");
}

TEST(ConfigProblems, DatabaseUrlIsNeverEchoed) {
  const Loaded loaded = load_text("", {{"TILL_STORAGE_DATABASE_URL", "pg://till:hunter2@db/x"}});
  ASSERT_FALSE(loaded);
  EXPECT_FALSE(contains(to_string(loaded.error()[0]), "hunter2"));
}

TEST(ConfigProblems, ControlCharactersInValuesAreEscaped) {
  const Loaded loaded = load_text("", {{"TILL_LOG_LEVEL", "\x1b[2Jinfo"}});
  ASSERT_FALSE(loaded);
  EXPECT_FALSE(contains(loaded.error()[0].message, "\x1b"));
  EXPECT_TRUE(contains(loaded.error()[0].message, "\\x1b[2Jinfo"));
}

// ---- TOML syntax ----

struct SyntaxRow {
  std::string_view toml;
  std::string_view source;  // file:line:column prefix
};

constexpr SyntaxRow syntax_rows[] = {
    {"[server\nthreads = 1\n", "test.toml:1:"},
    {"[server]\nthreads = \n", "test.toml:2:"},
    {"[server]\nthreads = 1\nthreads = 2\n", "test.toml:3:"},
    {"[server]\nlisten = \"unterminated\n", "test.toml:2:"},
    {"\xff\xfe", "test.toml:1:"},
    {"x = 99999999999999999999999\n", "test.toml:1:"},
};

TEST(ConfigSyntax, ErrorsNameFileLineColumnAndTheParserDescription) {
  for (const SyntaxRow& row : syntax_rows) {
    SCOPED_TRACE(row.toml);
    const Loaded loaded = load_text(row.toml);
    ASSERT_FALSE(loaded);
    ASSERT_EQ(loaded.error().size(), 1u) << all_problems(loaded);
    const ConfigProblem& problem = loaded.error()[0];
    EXPECT_EQ(problem.key, "");
    EXPECT_TRUE(problem.source.starts_with(row.source)) << problem.source;
    EXPECT_TRUE(problem.message.starts_with("invalid TOML: ")) << problem.message;
    EXPECT_GT(problem.message.size(), std::string_view("invalid TOML: ").size());
  }
}

TEST(ConfigSyntax, ASyntaxErrorDoesNotHideEnvironmentProblems) {
  const Loaded loaded = load_text("[server", {{"TILL_SERVER_THREADS", "-5"}});
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().size(), 2u) << all_problems(loaded);
}

// Inputs a fuzzer would try; none may throw, all must be reported as problems.
TEST(ConfigSyntax, HostileInputIsAProblemNotACrash) {
  const std::string hostile[] = {
      std::string("\0", 1),
      "[[[[",
      std::string(1000, '[') + std::string(1000, ']'),
      "a = " + std::string(5000, '[') + std::string(5000, ']'),
      "[server]\nlisten = \"" + std::string(100'000, 'a') + ":80\"\n",
      "\"" + std::string(200, '\x01') + "\" = 1\n",
      "# " + std::string(1024 * 1024, 'x') + "\n",
  };
  for (const std::string& text : hostile) {
    EXPECT_NO_THROW({
      const Loaded loaded = load_text(text);
      EXPECT_FALSE(loaded);
      if (!loaded) {
        for (const ConfigProblem& problem : loaded.error())
          EXPECT_FALSE(to_string(problem).empty());
      }
    });
  }
}

// ---- files ----

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = std::filesystem::temp_directory_path() /
                 ("till_config_test_" + std::to_string(getpid()) + "_" + test->name());
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string write(std::string_view name, std::string_view text) {
    const std::filesystem::path path = directory_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path directory_;
};

TEST_F(ConfigFile, FilePathIsRead) {
  ConfigSources sources;
  sources.file_path = write("till.toml", "[server]\nthreads = 7\n");
  const Loaded loaded = load_config(sources);
  ASSERT_TRUE(loaded) << all_problems(loaded);
  EXPECT_EQ(loaded->server.threads, 7);
}

TEST_F(ConfigFile, ProblemsNameThePathAndLine) {
  ConfigSources sources;
  const std::string path = write("till.toml", "[server]\n\nthreads = 700\n");
  sources.file_path = path;
  const Loaded loaded = load_config(sources);
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].source, path + ":3");
}

TEST_F(ConfigFile, TillConfigSelectsTheFile) {
  ConfigSources sources;
  sources.env = {{"TILL_CONFIG", write("env.toml", "[server]\nthreads = 9\n")}};
  const Loaded loaded = load_config(sources);
  ASSERT_TRUE(loaded) << all_problems(loaded);
  EXPECT_EQ(loaded->server.threads, 9);
}

TEST_F(ConfigFile, FilePathTakesPrecedenceOverTillConfig) {
  ConfigSources sources;
  sources.file_path = write("flag.toml", "[server]\nthreads = 7\n");
  sources.env = {{"TILL_CONFIG", write("env.toml", "[server]\nthreads = 9\n")}};
  const Loaded loaded = load_config(sources);
  ASSERT_TRUE(loaded) << all_problems(loaded);
  EXPECT_EQ(loaded->server.threads, 7);
}

TEST_F(ConfigFile, EmptyTillConfigMeansNoFile) {
  ConfigSources sources;
  sources.env = {{"TILL_CONFIG", ""}};
  const Loaded loaded = load_config(sources);
  EXPECT_TRUE(loaded) << all_problems(loaded);
}

struct MissingRow {
  bool via_env;
  std::string_view message;
};

TEST_F(ConfigFile, MissingFileIsAProblemNamingThePath) {
  const std::string path = (directory_ / "absent.toml").string();
  for (const MissingRow& row : {MissingRow{false, "cannot read configuration file: No such file"},
                                MissingRow{true, "(named by TILL_CONFIG): No such file"}}) {
    ConfigSources sources;
    if (row.via_env) {
      sources.env = {{"TILL_CONFIG", path}};
    } else {
      sources.file_path = path;
    }
    sources.env.emplace_back("TILL_SERVER_THREADS", "-1");  // still reported alongside
    const Loaded loaded = load_config(sources);
    ASSERT_FALSE(loaded);
    ASSERT_EQ(loaded.error().size(), 2u) << all_problems(loaded);
    EXPECT_EQ(loaded.error()[0].source, path);
    EXPECT_TRUE(contains(loaded.error()[0].message, row.message)) << loaded.error()[0].message;
  }
}

TEST_F(ConfigFile, DirectoryOrEmptyPathIsAProblem) {
  for (const std::string& path : {directory_.string(), std::string()}) {
    ConfigSources sources;
    sources.file_path = path;
    const Loaded loaded = load_config(sources);
    ASSERT_FALSE(loaded) << path;
    EXPECT_TRUE(contains(loaded.error()[0].message, "cannot read configuration file"));
  }
}

TEST_F(ConfigFile, OversizedFileIsRefused) {
  ConfigSources sources;
  sources.file_path = write("huge.toml", "# " + std::string(1024 * 1024, 'x') + "\n");
  const Loaded loaded = load_config(sources);
  ASSERT_FALSE(loaded);
  EXPECT_TRUE(contains(loaded.error()[0].message, "larger than the 1 MiB limit"));
}

// ---- the process environment ----

TEST(ConfigEnvironment, TillEnvironmentReturnsOnlyTillVariables) {
  ASSERT_EQ(setenv("TILL_TEST_ENVIRONMENT_PROBE", "a=b", 1), 0);
  ASSERT_EQ(setenv("NOT_TILL_TEST_ENVIRONMENT_PROBE", "c", 1), 0);
  const Pairs env = till_environment();
  unsetenv("TILL_TEST_ENVIRONMENT_PROBE");
  unsetenv("NOT_TILL_TEST_ENVIRONMENT_PROBE");
  bool found = false;
  for (const auto& [name, value] : env) {
    EXPECT_TRUE(name.starts_with("TILL_")) << name;
    if (name == "TILL_TEST_ENVIRONMENT_PROBE") found = value == "a=b";
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace till::config::testing
