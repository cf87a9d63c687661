// Integration tests of `till admin merchant|key ...` and `till serve --demo-merchant`: the real
// binary on a temporary SQLite data directory; the keys it prints are checked in-process with
// the Authenticator on the same database.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>

#include "merchant/merchant.h"
#include "store/store.h"
#include "support/http_client.h"
#include "support/till_process.h"

namespace till::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The merchant a secret key authenticates as, checked on the data directory's database.
class KeyChecker {
 public:
  explicit KeyChecker(const std::string& data_dir) {
    store::StoreOptions options;
    options.data_dir = data_dir;
    auto database = store::open_database(options);
    EXPECT_TRUE(database) << database.error().message;
    if (!database) return;
    database_ = std::move(database).value();
    store_ = std::make_unique<merchant::MerchantStore>(*database_, SystemClock::instance());
    authenticator_ = std::make_unique<merchant::Authenticator>(*store_);
  }
  std::optional<merchant::AuthContext> authenticate(const std::string& secret) {
    if (!authenticator_) return std::nullopt;
    auto context = authenticator_->authenticate_authorization("Bearer " + secret);
    if (!context) return std::nullopt;
    return *context;
  }

 private:
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<merchant::MerchantStore> store_;
  std::unique_ptr<merchant::Authenticator> authenticator_;
};

boost::json::object parse_object(const std::string& text) {
  boost::system::error_code error;
  auto parsed = boost::json::parse(text, error);
  EXPECT_FALSE(error) << text;
  EXPECT_TRUE(parsed.is_object()) << text;
  return error || !parsed.is_object() ? boost::json::object() : parsed.as_object();
}

class AdminCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    const CommandResult migrated = run_till({"migrate", "--data-dir", temp_.path()});
    ASSERT_EQ(migrated.exit_status, 0) << migrated.err;
  }
  CommandResult till(std::vector<std::string> args) {
    args.push_back("--data-dir");
    args.push_back(temp_.path());
    return run_till(args);
  }
  TempDir temp_;
};

TEST_F(AdminCommands, MerchantCreateJsonPrintsOneLineWithAWorkingTestKey) {
  const CommandResult created = till({"admin", "merchant", "create", "--name", "X", "--json"});
  ASSERT_EQ(created.exit_status, 0) << created.err;
  ASSERT_FALSE(created.out.empty());
  EXPECT_EQ(created.out.find('\n'), created.out.size() - 1)
      << "more than one line: " << created.out;
  const boost::json::object line = parse_object(created.out);
  EXPECT_EQ(line.size(), 3u) << created.out;
  const std::string merchant_id(line.at("merchant_id").as_string());
  const std::string secret(line.at("secret_key").as_string());
  EXPECT_TRUE(std::regex_match(merchant_id, std::regex("acct_[0-9A-Za-z]{22}")));
  EXPECT_TRUE(std::regex_match(secret, std::regex("sk_test_[0-9A-Za-z]{48}")));
  EXPECT_FALSE(line.at("livemode").as_bool());
  EXPECT_FALSE(contains(created.err, secret.substr(8)));

  KeyChecker checker(temp_.path());
  const auto context = checker.authenticate(secret);
  ASSERT_TRUE(context);
  EXPECT_EQ(context->merchant_id, merchant_id);
  EXPECT_FALSE(context->livemode);
}

TEST_F(AdminCommands, ListsIssuesAndRevokes) {
  const CommandResult created = till({"admin", "merchant", "create", "--name", "Acme Coffee"});
  ASSERT_EQ(created.exit_status, 0) << created.err;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(created.out, match, std::regex("Created merchant (acct_\\w+)")))
      << created.out;
  const std::string merchant_id = match[1].str();
  EXPECT_TRUE(std::regex_search(created.out, std::regex("sk_test_[0-9A-Za-z]{48}")));

  const CommandResult listed = till({"admin", "merchant", "list"});
  ASSERT_EQ(listed.exit_status, 0) << listed.err;
  EXPECT_TRUE(contains(listed.out, merchant_id + "  ")) << listed.out;
  EXPECT_TRUE(contains(listed.out, "Acme Coffee")) << listed.out;
  const CommandResult listed_json = till({"admin", "merchant", "list", "--json"});
  ASSERT_EQ(listed_json.exit_status, 0) << listed_json.err;
  const auto array = boost::json::parse(listed_json.out).as_array();
  ASSERT_EQ(array.size(), 1u);
  EXPECT_EQ(array[0].at("id").as_string(), merchant_id);
  EXPECT_EQ(array[0].at("name").as_string(), "Acme Coffee");

  const CommandResult issued =
      till({"admin", "key", "issue", "--merchant", merchant_id, "--mode", "live", "--json"});
  ASSERT_EQ(issued.exit_status, 0) << issued.err;
  const boost::json::object key = parse_object(issued.out);
  const std::string key_id(key.at("key_id").as_string());
  const std::string secret(key.at("secret_key").as_string());
  EXPECT_TRUE(secret.starts_with("sk_live_"));
  EXPECT_TRUE(key.at("livemode").as_bool());
  {
    KeyChecker checker(temp_.path());
    const auto context = checker.authenticate(secret);
    ASSERT_TRUE(context);
    EXPECT_TRUE(context->livemode);
    EXPECT_EQ(context->key_id, key_id);
  }
  const CommandResult revoked = till({"admin", "key", "revoke", key_id});
  ASSERT_EQ(revoked.exit_status, 0) << revoked.err;
  EXPECT_TRUE(contains(revoked.out, "Revoked " + key_id)) << revoked.out;
  EXPECT_FALSE(contains(revoked.out, secret.substr(8)));
  EXPECT_FALSE(KeyChecker(temp_.path()).authenticate(secret));
}

TEST_F(AdminCommands, ExitStatusesFollowTheOtherCommands) {
  // Usage: 2.
  EXPECT_EQ(till({"admin", "merchant", "create"}).exit_status, 2);
  EXPECT_EQ(till({"admin", "merchant", "create", "--name", ""}).exit_status, 2);
  EXPECT_EQ(till({"admin", "merchant", "create", "--name", std::string(256, 'n')}).exit_status, 2);
  EXPECT_EQ(till({"admin", "key", "issue", "--merchant", "acct_x", "--mode", "prod"}).exit_status,
            2);
  EXPECT_EQ(till({"admin", "key", "revoke"}).exit_status, 2);
  // Runtime failures: 1.
  const CommandResult unknown_merchant = till(
      {"admin", "key", "issue", "--merchant", "acct_0000000000000000000000", "--mode", "test"});
  EXPECT_EQ(unknown_merchant.exit_status, 1);
  EXPECT_TRUE(contains(unknown_merchant.err, "No such merchant")) << unknown_merchant.err;
  EXPECT_EQ(till({"admin", "key", "revoke", "key_0000000000000000000000"}).exit_status, 1);
  // No database there: refused, and none is left behind.
  TempDir empty;
  const CommandResult missing =
      run_till({"admin", "merchant", "create", "--name", "X", "--data-dir", empty.path()});
  EXPECT_EQ(missing.exit_status, 1);
  EXPECT_TRUE(contains(missing.err, "no database")) << missing.err;
  EXPECT_TRUE(missing.out.empty());
  EXPECT_FALSE(std::filesystem::exists(empty.path() + "/till.db"));
}

std::string base64(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 63u];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 63u];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

struct DemoOutput {
  std::string merchant_id;
  std::string secret;
};

// Starts `till serve --demo-merchant` on `data_dir`, checks what it prints and logs, stops it.
DemoOutput serve_demo(const std::string& data_dir) {
  DemoOutput demo;
  TillServer server({"--demo-merchant"}, {}, data_dir);
  EXPECT_TRUE(server.started()) << server.captured_stderr();
  if (!server.started()) return demo;
  const std::string out = server.captured_stdout();
  std::smatch match;
  EXPECT_TRUE(std::regex_search(out, match, std::regex("Demo merchant: (acct_[0-9A-Za-z]{22})\n")))
      << out;
  if (!match.empty()) demo.merchant_id = match[1].str();
  EXPECT_TRUE(
      std::regex_search(out, match, std::regex("Test secret key: (sk_test_[0-9A-Za-z]{48})\n")))
      << out;
  if (!match.empty()) demo.secret = match[1].str();
  const std::string curl = "curl http://127.0.0.1:" + std::to_string(server.port()) +
                           "/v1/balance -u " + demo.secret + ":";
  EXPECT_TRUE(contains(out, curl)) << out;
  // What the example does: the merchant API takes the key as the Basic user name.
  const auto balance = http_request(server.port(), "GET", "/v1/balance",
                                    "Authorization: Basic " + base64(demo.secret + ":") + "\r\n");
  EXPECT_TRUE(balance && balance->status == 200) << (balance ? balance->body : "no response");
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(30s), 0);
  const std::string log = server.captured_stderr();
  EXPECT_FALSE(demo.secret.empty() || contains(log, demo.secret.substr(8))) << log;
  EXPECT_FALSE(contains(log, demo.secret.substr(demo.secret.size() - 20))) << log;
  EXPECT_TRUE(contains(log, demo.merchant_id)) << log;
  return demo;
}

TEST(DemoMerchant, ServeCreatesItOnceAndPrintsTheSameKeyAfterwards) {
  TempDir temp;
  const std::string file = temp.path() + "/demo-merchant.json";
  const DemoOutput first = serve_demo(temp.path());
  ASSERT_FALSE(first.secret.empty());

  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const boost::json::object recorded = parse_object(read_file(file));
  EXPECT_EQ(recorded.at("merchant_id").as_string(), first.merchant_id);
  EXPECT_EQ(recorded.at("secret_key").as_string(), first.secret);

  const DemoOutput second = serve_demo(temp.path());
  EXPECT_EQ(second.merchant_id, first.merchant_id);
  EXPECT_EQ(second.secret, first.secret);

  KeyChecker checker(temp.path());
  const auto context = checker.authenticate(first.secret);
  ASSERT_TRUE(context);
  EXPECT_EQ(context->merchant_id, first.merchant_id);
  EXPECT_FALSE(context->livemode);
}

TEST(DemoMerchant, ARevokedDemoKeyIsReplaced) {
  TempDir temp;
  const DemoOutput first = serve_demo(temp.path());
  ASSERT_FALSE(first.secret.empty());
  std::string key_id;
  {
    KeyChecker checker(temp.path());
    const auto context = checker.authenticate(first.secret);
    ASSERT_TRUE(context);
    key_id = context->key_id;
  }
  ASSERT_EQ(run_till({"admin", "key", "revoke", key_id, "--data-dir", temp.path()}).exit_status, 0);
  const DemoOutput second = serve_demo(temp.path());
  EXPECT_EQ(second.merchant_id, first.merchant_id);
  EXPECT_NE(second.secret, first.secret);
  EXPECT_TRUE(KeyChecker(temp.path()).authenticate(second.secret));
  const boost::json::object recorded = parse_object(read_file(temp.path() + "/demo-merchant.json"));
  EXPECT_EQ(recorded.at("secret_key").as_string(), second.secret);
}

TEST(DemoMerchant, WithoutTheFlagNothingHappens) {
  TempDir temp;
  TillServer server({}, {}, temp.path());
  ASSERT_TRUE(server.started()) << server.captured_stderr();
  EXPECT_FALSE(contains(server.captured_stdout(), "Demo merchant"));
  EXPECT_FALSE(contains(server.captured_stdout(), "sk_test_"));
  EXPECT_FALSE(std::filesystem::exists(temp.path() + "/demo-merchant.json"));
}

}  // namespace
}  // namespace till::testing
