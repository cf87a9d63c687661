#include "sandbox_psp/sandbox_psp.h"

#include <curl/curl.h>

#include <cassert>
#include <mutex>

#include "api/system_routes.h"
#include "obs/log.h"
#include "sandbox_psp/books.h"
#include "sandbox_psp/faults.h"
#include "sandbox_psp/processor.h"
#include "sandbox_psp/routes.h"
#include "sandbox_psp/webhooks.h"
#include "store/store.h"

namespace till::sandbox_psp {

std::optional<Wire> parse_wire(std::string_view text) {
  if (text == "json") return Wire::json;
  if (text == "iso8583") return Wire::iso8583;
  return std::nullopt;
}

std::string_view to_string(Wire wire) { return wire == Wire::json ? "json" : "iso8583"; }

std::optional<std::string> validate(const PspOptions& options) {
  std::string problems;
  const auto add = [&](const std::string& problem) {
    problems += problems.empty() ? problem : "; " + problem;
  };
  if (options.data_dir.empty()) add("--data-dir is required");
  if (options.api_key.empty()) add("--api-key is required");
  if (options.admin_token.empty()) add("--admin-token is required");
  if (!options.webhook_url.empty()) {
    if (!options.webhook_url.starts_with("http://") &&
        !options.webhook_url.starts_with("https://")) {
      add("--webhook-url must start with http:// or https://");
    }
    if (options.webhook_secret.empty()) add("--webhook-secret is required with --webhook-url");
  }
  if (problems.empty()) return std::nullopt;
  return problems;
}

class SandboxPsp::Impl {
 public:
  Impl(const PspOptions& options, const Clock& clock, obs::MetricsRegistry& registry,
       std::unique_ptr<store::Database> database, std::string hash_key)
      : options_(options),
        registry_(registry),
        database_(std::move(database)),
        processor_(*database_, clock, std::move(hash_key), options_.wire,
                   !options_.webhook_url.empty(), [this] { notify_deliverer(); }),
        context_{processor_, faults_, sleeper_, options_} {
    if (!options_.webhook_url.empty()) {
      WebhookOptions webhook;
      webhook.url = options_.webhook_url;
      webhook.secret = options_.webhook_secret;
      webhook.user_agent = "till-sandbox-psp/" + options_.name;
      deliverer_ = std::make_unique<WebhookDeliverer>(*database_, clock, webhook);
    }
  }

  void add_routes(api::Router& router) {
    store::Database* database = database_.get();
    api::add_system_routes(router, registry_, [database]() -> Result<void> {
      if (auto ping = database->ping(); !ping) {
        return fail("database_unreachable", ping.error().message);
      }
      return {};
    });
    add_json_routes(router, context_);
    add_iso_routes(router, context_);
    add_admin_routes(router, context_);
  }

  void start() {
    if (deliverer_) deliverer_->start();
  }

  void shutdown() {
    sleeper_.stop();
    if (deliverer_) deliverer_->stop();
  }

 private:
  void notify_deliverer() {
    if (deliverer_) deliverer_->notify();
  }

  const PspOptions options_;
  obs::MetricsRegistry& registry_;
  std::unique_ptr<store::Database> database_;
  Processor processor_;
  FaultInjector faults_;
  Sleeper sleeper_;
  RouteContext context_;
  std::unique_ptr<WebhookDeliverer> deliverer_;
};

Result<std::unique_ptr<SandboxPsp>> SandboxPsp::open(const PspOptions& options, const Clock& clock,
                                                     obs::MetricsRegistry& registry) {
  if (auto problem = validate(options)) return fail("options_invalid", *problem);
  // libcurl's global state is set up once per process, before any thread uses it.
  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  store::StoreOptions store_options;
  store_options.data_dir = options.data_dir;
  store_options.pool_size = 4;
  auto database = store::open_database(store_options);
  if (!database) return fail("database_unusable", database.error().message);
  auto hash_key = prepare_schema(**database);
  if (!hash_key) return fail("database_unusable", hash_key.error().message);
  auto impl =
      std::make_unique<Impl>(options, clock, registry, std::move(*database), std::move(*hash_key));
  return std::unique_ptr<SandboxPsp>(new SandboxPsp(std::move(impl)));
}

SandboxPsp::SandboxPsp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SandboxPsp::~SandboxPsp() { impl_->shutdown(); }

void SandboxPsp::add_routes(api::Router& router) { impl_->add_routes(router); }

void SandboxPsp::start() { impl_->start(); }

void SandboxPsp::shutdown() { impl_->shutdown(); }

}  // namespace till::sandbox_psp
