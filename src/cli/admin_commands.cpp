// `till admin merchant|key ...`: merchants and API keys on the configured database, for
// operators without the admin API at hand (first setup, scripts); and the demo merchant of
// `till serve --demo-merchant`. Like `till ledger verify`, these never create or migrate a
// database: they refuse one that is missing or not at this binary's schema.
#include "cli/admin_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string_view>
#include <system_error>

#include "admin/merchant_routes.h"
#include "base/clock.h"
#include "cli/commands.h"
#include "obs/log.h"
#include "store/migrations.h"
#include "store/store.h"

namespace till::cli {

namespace {

// One command, one transaction at a time.
constexpr int kAdminPoolSize = 1;
constexpr std::string_view kDemoFileName = "demo-merchant.json";
constexpr std::string_view kDemoMerchantName = "Demo merchant";
// Merchants read per query while `merchant list` walks every page.
constexpr std::size_t kListPageSize = 1000;

store::StoreOptions admin_store_options(const config::StorageConfig& storage) {
  store::StoreOptions options;
  options.data_dir = storage.data_dir;
  options.database_url = storage.database_url;
  options.pool_size = kAdminPoolSize;
  options.busy_timeout_ms = storage.busy_timeout_ms;
  options.retry_attempts_max = storage.retry_attempts_max;
  return options;
}

void print_error(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "till: %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
}

// The configured database, opened and checked, or the exit status to return.
struct OpenedDatabase {
  std::unique_ptr<store::Database> database;
  int exit_status = kExitOk;
};

OpenedDatabase open_checked(const config::ConfigSources& sources, std::string_view command) {
  OpenedDatabase opened;
  const auto config = load_config_or_report(sources);
  if (!config) {
    opened.exit_status = kExitUsage;
    return opened;
  }
  obs::init_logging(*obs::parse_log_level(config->log.level));
  opened.exit_status = kExitFailure;
  const config::StorageConfig& storage = config->storage;
  std::error_code ignored;
  // Opening an SQLite database creates it; a command pointed at the wrong directory must say
  // so instead of leaving an empty database behind.
  if (storage.database_url.empty() &&
      !std::filesystem::exists(std::filesystem::path(storage.data_dir) / "till.db", ignored)) {
    print_error(command,
                "no database at " + storage.data_dir +
                    "/till.db (check --data-dir or --database; `till migrate` creates it)");
    return opened;
  }
  auto database = store::open_database(admin_store_options(storage));
  if (!database) {
    print_error(command, "cannot open the database: " + database.error().message);
    return opened;
  }
  auto status = store::schema_status(**database);
  if (!status) {
    print_error(command, status.error().message);
    return opened;
  }
  if (!status->ready()) {
    print_error(command, "the database schema is at version " +
                             std::to_string(status->database_version) +
                             " but this binary needs version " +
                             std::to_string(status->binary_version) + "; run `till migrate` first");
    return opened;
  }
  opened.database = std::move(database).value();
  opened.exit_status = kExitOk;
  return opened;
}

// Input the operator can fix is a usage error (2); the rest is a runtime failure (1).
int merchant_failure(std::string_view command, const merchant::MerchantError& error) {
  print_error(command, error.message);
  const bool usage = error.code.ends_with("_invalid");
  return usage ? kExitUsage : kExitFailure;
}

void print_line(const boost::json::object& object) {
  std::printf("%s\n", boost::json::serialize(object).c_str());
  std::fflush(stdout);
}

std::string demo_file_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / kDemoFileName).string();
}

// Written beside the final path and renamed over it, so a crash leaves the old file or the
// new one, never half of one. 0600: the file holds a secret key.
Result<void> write_private_file(const std::string& path, const std::string& contents) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                        S_IRUSR | S_IWUSR);
  if (fd < 0)
    return fail("write_failed",
                "cannot create " + temporary + ": " + std::generic_category().message(errno));
  // The umask may only have narrowed the mode, but a file left by an earlier run may be wider.
  bool ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0;
  std::size_t written = 0;
  while (ok && written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::generic_category().message(ok ? errno : saved_errno);
    ::unlink(temporary.c_str());
    return fail("write_failed", "cannot write " + path + ": " + reason);
  }
  return {};
}

Result<void> write_demo_file(const std::string& path, const DemoMerchant& demo) {
  boost::json::object object;
  object["merchant_id"] = demo.merchant_id;
  object["secret_key"] = demo.secret_key;
  return write_private_file(path, boost::json::serialize(object) + "\n");
}

// nullopt when the file is absent; an error when it is there but unreadable.
Result<std::optional<DemoMerchant>> read_demo_file(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::optional<DemoMerchant>();
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code parse_error;
  const boost::json::value parsed = boost::json::parse(text, parse_error);
  const boost::json::object* object = parse_error ? nullptr : parsed.if_object();
  const boost::json::value* id = object == nullptr ? nullptr : object->if_contains("merchant_id");
  const boost::json::value* key = object == nullptr ? nullptr : object->if_contains("secret_key");
  if (!in || id == nullptr || key == nullptr || !id->is_string() || !key->is_string()) {
    return fail("demo_file_invalid",
                path +
                    " is not a demo merchant file ({\"merchant_id\",\"secret_key\"}); delete "
                    "it to create a new demo merchant");
  }
  return std::optional<DemoMerchant>(
      DemoMerchant{std::string(id->as_string()), std::string(key->as_string()), false});
}

}  // namespace

Result<DemoMerchant> ensure_demo_merchant(merchant::MerchantStore& store,
                                          const std::string& data_dir) {
  const std::string path = demo_file_path(data_dir);
  auto recorded = read_demo_file(path);
  if (!recorded) return unexpected(recorded.error());
  if (*recorded) {
    DemoMerchant demo = std::move(**recorded);
    auto merchant = store.get_merchant(demo.merchant_id);
    if (!merchant && merchant.error().code != "merchant_not_found") {
      return fail("database", merchant.error().message);
    }
    if (merchant) {
      const merchant::Authenticator authenticator(store);
      auto context = authenticator.authenticate_authorization("Bearer " + demo.secret_key);
      if (context && context->merchant_id == demo.merchant_id) {
        obs::info("demo merchant", {{"merchant_id", demo.merchant_id}, {"file", path}});
        return demo;
      }
      if (!context && context.error().status != 401) {
        return fail("database", "the demo key cannot be checked: " + context.error().message);
      }
      // The key was revoked or rolled away: give the demo merchant a working one again.
      auto issued = store.issue_key(demo.merchant_id, merchant::Mode::test);
      if (!issued) return fail(issued.error().code, issued.error().message);
      demo.secret_key = std::move(issued->secret);
      demo.created = true;
      if (auto written = write_demo_file(path, demo); !written) return unexpected(written.error());
      obs::info("demo merchant key replaced",
                {{"merchant_id", demo.merchant_id}, {"key", issued->key.redacted()}});
      return demo;
    }
    obs::warn("demo merchant file names a merchant this database does not have; creating one",
              {{"file", path}});
  }
  std::error_code ignored;
  std::filesystem::create_directories(data_dir, ignored);
  merchant::MerchantSpec spec;
  spec.name = std::string(kDemoMerchantName);
  auto created = store.create_merchant(spec);
  if (!created) return fail(created.error().code, created.error().message);
  DemoMerchant demo{created->merchant.id, created->test_key->secret, true};
  if (auto written = write_demo_file(path, demo); !written) return unexpected(written.error());
  obs::info("demo merchant created", {{"merchant_id", demo.merchant_id},
                                      {"key", created->test_key->key.redacted()},
                                      {"file", path}});
  return demo;
}

void print_demo_merchant(const DemoMerchant& demo, const std::string& base_url) {
  std::printf(
      "Demo merchant: %s\n"
      "Test secret key: %s\n"
      "Try it: curl %s/v1/balance -u %s:\n",
      demo.merchant_id.c_str(), demo.secret_key.c_str(), base_url.c_str(), demo.secret_key.c_str());
  std::fflush(stdout);
}

int run_admin_merchant_create(const config::ConfigSources& sources, const std::string& name,
                              AdminOutput output) {
  constexpr std::string_view kCommand = "admin merchant create";
  OpenedDatabase opened = open_checked(sources, kCommand);
  if (!opened.database) return opened.exit_status;
  merchant::MerchantStore store(*opened.database, SystemClock::instance());
  merchant::MerchantSpec spec;
  spec.name = name;
  auto created = store.create_merchant(spec);
  if (!created) return merchant_failure(kCommand, created.error());
  const merchant::IssuedKey& key = *created->test_key;
  if (output.json) {
    boost::json::object line;
    line["merchant_id"] = created->merchant.id;
    line["secret_key"] = key.secret;
    line["livemode"] = false;
    print_line(line);
    return kExitOk;
  }
  std::printf(
      "Created merchant %s\n"
      "Test secret key (shown once; store it now): %s\n",
      created->merchant.id.c_str(), key.secret.c_str());
  return kExitOk;
}

int run_admin_merchant_list(const config::ConfigSources& sources, AdminOutput output) {
  constexpr std::string_view kCommand = "admin merchant list";
  OpenedDatabase opened = open_checked(sources, kCommand);
  if (!opened.database) return opened.exit_status;
  merchant::MerchantStore store(*opened.database, SystemClock::instance());
  boost::json::array data;
  std::string after;
  while (true) {
    auto page = store.list_merchants(after, kListPageSize);
    if (!page) return merchant_failure(kCommand, page.error());
    for (const merchant::Merchant& merchant : page->items) {
      if (output.json) {
        data.push_back(admin::merchant_json(merchant));
      } else {
        const auto created = std::chrono::system_clock::time_point(
            std::chrono::milliseconds(merchant.created_at_unix_ms));
        std::printf("%s  %s  %s\n", merchant.id.c_str(), format_rfc3339_ms(created).c_str(),
                    merchant.name.c_str());
      }
    }
    if (!page->has_more || page->items.empty()) break;
    after = page->items.back().id;
  }
  if (output.json) {
    std::printf("%s\n", boost::json::serialize(data).c_str());
  }
  std::fflush(stdout);
  return kExitOk;
}

int run_admin_key_issue(const config::ConfigSources& sources, const std::string& merchant_id,
                        const std::string& mode_name, AdminOutput output) {
  constexpr std::string_view kCommand = "admin key issue";
  const std::optional<merchant::Mode> mode = merchant::parse_mode(mode_name);
  if (!mode) {
    print_error(kCommand, "--mode must be test or live");
    return kExitUsage;
  }
  OpenedDatabase opened = open_checked(sources, kCommand);
  if (!opened.database) return opened.exit_status;
  merchant::MerchantStore store(*opened.database, SystemClock::instance());
  auto issued = store.issue_key(merchant_id, *mode);
  if (!issued) return merchant_failure(kCommand, issued.error());
  if (output.json) {
    boost::json::object line;
    line["key_id"] = issued->key.id;
    line["merchant_id"] = issued->key.merchant_id;
    line["secret_key"] = issued->secret;
    line["livemode"] = issued->key.livemode();
    print_line(line);
    return kExitOk;
  }
  std::printf(
      "Issued %s key %s for %s\n"
      "Secret key (shown once; store it now): %s\n",
      std::string(merchant::to_string(*mode)).c_str(), issued->key.id.c_str(),
      issued->key.merchant_id.c_str(), issued->secret.c_str());
  return kExitOk;
}

int run_admin_key_revoke(const config::ConfigSources& sources, const std::string& key_id,
                         AdminOutput output) {
  constexpr std::string_view kCommand = "admin key revoke";
  OpenedDatabase opened = open_checked(sources, kCommand);
  if (!opened.database) return opened.exit_status;
  merchant::MerchantStore store(*opened.database, SystemClock::instance());
  auto revoked = store.revoke_key(key_id);
  if (!revoked) return merchant_failure(kCommand, revoked.error());
  if (output.json) {
    print_line(admin::key_json(*revoked, SystemClock::instance().now_unix_ms()));
    return kExitOk;
  }
  std::printf("Revoked %s (%s) of %s\n", revoked->id.c_str(), revoked->redacted().c_str(),
              revoked->merchant_id.c_str());
  return kExitOk;
}

}  // namespace till::cli
