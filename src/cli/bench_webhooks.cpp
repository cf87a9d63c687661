// `till bench webhooks`: webhook delivery throughput (docs/benchmarks.md).
//
// Writes a backlog of N events for one test-mode endpoint, then starts a dispatcher with the
// configured webhooks.* settings and times how long it takes to deliver all of them to a
// receiver in this process (Till's own HTTP server on loopback, which checks every
// signature as a merchant's receiver would). Prints deliveries/s, the time to drain the
// backlog, duplicates, bad signatures and the peak memory.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "api/server.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/random.h"
#include "cli/commands.h"
#include "events/dispatcher.h"
#include "events/endpoint_store.h"
#include "events/event_store.h"
#include "events/signature.h"
#include "obs/log.h"
#include "store/migrations.h"
#include "store/store.h"

namespace till::cli {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kEventsPerTransaction = 2000;

// Counts deliveries by event id and checks each signature against the endpoint's secret.
class Receiver {
 public:
  explicit Receiver(std::string secret) : secret_(std::move(secret)) {}

  api::Response receive(const api::Request& request) {
    if (!signature_valid(request.header("Stripe-Signature"), request.body)) {
      bad_signatures_.fetch_add(1);
      return api::text_response(400, "text/plain", "bad signature");
    }
    // The id is the event's first member: {"id":"evt_…", …}.
    const std::size_t start = request.body.find("evt_");
    const std::string id(request.body.substr(start, 4 + kIdBodyLength));
    {
      std::lock_guard lock(mutex_);
      if (!seen_.insert(id).second) ++duplicates_;
    }
    received_.fetch_add(1);
    return api::text_response(200, "text/plain", "ok");
  }

  std::uint64_t received() const { return received_.load(); }
  std::uint64_t bad_signatures() const { return bad_signatures_.load(); }
  std::uint64_t duplicates() {
    std::lock_guard lock(mutex_);
    return duplicates_;
  }
  std::size_t distinct() {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }

 private:
  bool signature_valid(std::string_view header, std::string_view body) const {
    const std::size_t comma = header.find(',');
    if (!header.starts_with("t=") || comma == std::string_view::npos) return false;
    const std::string_view stamp = header.substr(2, comma - 2);
    std::string message(stamp);
    message += '.';
    message += body;
    const std::string expected = "v1=" + till::hmac_sha256_hex(secret_, message);
    return header.find(expected) != std::string_view::npos;
  }

  std::string secret_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> bad_signatures_{0};
  std::mutex mutex_;
  std::unordered_set<std::string> seen_;
  std::uint64_t duplicates_ = 0;
};

std::unique_ptr<store::Database> open_bench_database(const config::Config& config) {
  store::StoreOptions options;
  options.data_dir = config.storage.data_dir;
  options.database_url = config.storage.database_url;
  options.pool_size = config.storage.pool_size;
  auto database = store::open_database(options);
  if (!database) {
    std::fprintf(stderr, "till bench: cannot open the database: %s\n",
                 database.error().message.c_str());
    return nullptr;
  }
  if (auto migrated = store::migrate(**database); !migrated) {
    std::fprintf(stderr, "till bench: migration failed: %s\n", migrated.error().message.c_str());
    return nullptr;
  }
  return std::move(database).value();
}

bool write_backlog(store::Database& database, const events::Endpoint& endpoint,
                   std::uint64_t count) {
  const Clock& clock = SystemClock::instance();
  // A realistic payload: a charge.succeeded carrying a charge about the size Till's are.
  boost::json::object charge{{"object", "charge"},         {"amount", 2000},
                             {"amount_captured", 2000},    {"amount_refunded", 0},
                             {"currency", "usd"},          {"captured", true},
                             {"status", "succeeded"},      {"paid", true},
                             {"description", "bench"},     {"livemode", false},
                             {"metadata", {{"order", "1"}}}, {"payment_method", "pm_bench"},
                             {"receipt_url", nullptr},     {"refunded", false}};
  for (std::uint64_t written = 0; written < count;) {
    const std::uint64_t batch = std::min<std::uint64_t>(kEventsPerTransaction, count - written);
    std::vector<events::EventRecord> records;
    records.reserve(batch);
    for (std::uint64_t i = 0; i < batch; ++i) {
      events::EventDraft draft;
      draft.type = "charge.succeeded";
      draft.merchant_id = endpoint.merchant_id;
      draft.object = charge;
      draft.object["id"] = new_id("ch", clock);
      records.push_back(events::make_event(draft, clock));
    }
    auto done = database.transact([&](store::Connection& connection) {
      return events::insert_events(connection, records);
    });
    if (!done) {
      std::fprintf(stderr, "till bench: cannot write events: %s\n", done.error().message.c_str());
      return false;
    }
    written += batch;
  }
  return true;
}

std::int64_t peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

}  // namespace

int run_bench_webhooks(const config::ConfigSources& sources, const BenchWebhooksOptions& options) {
  const auto config = load_config_or_report(sources);
  if (!config) return kExitUsage;
  // The receiver's server would log one line per delivery: its cost is not the dispatcher's.
  obs::init_logging(obs::LogLevel::warn);
  events::DispatcherOptions dispatch;
  dispatch.timeout_ms = config->webhooks.timeout_ms;
  dispatch.lease_ms = config->webhooks.lease_ms;
  dispatch.endpoint_concurrency = static_cast<std::size_t>(config->webhooks.endpoint_concurrency);
  dispatch.poll_interval_ms = config->webhooks.poll_interval_ms;
  dispatch.sweep_interval_ms = config->webhooks.sweep_interval_ms;
  dispatch.connections_max = static_cast<std::size_t>(config->webhooks.connections_max);
  if (auto problem = events::validate(dispatch)) {
    std::fprintf(stderr, "till bench: %s\n", problem->c_str());
    return kExitUsage;
  }
  auto database = open_bench_database(*config);
  if (!database) return kExitFailure;

  events::Endpoint endpoint;
  endpoint.id = new_id("we", SystemClock::instance());
  endpoint.merchant_id = "acct_bench" + random_base62(8);
  endpoint.created = SystemClock::instance().now_unix_ms() / 1000 - 1;
  endpoint.enabled_events = {"*"};
  endpoint.secret = events::new_endpoint_secret();

  Receiver receiver(endpoint.secret);
  api::Router router;
  router.add("POST", "/hook", api::Execution::io_thread,
             [&receiver](api::Request& request) { return receiver.receive(request); });
  obs::MetricsRegistry registry;
  api::ServerOptions server_options;
  server_options.listen_port = 0;
  server_options.io_threads = options.receiver_threads;
  server_options.handle_signals = false;
  api::Server server(server_options, router, registry);
  auto port = server.bind();
  if (!port) {
    std::fprintf(stderr, "till bench: receiver: %s\n", port.error().message.c_str());
    return kExitFailure;
  }
  std::thread serving([&server] { server.run(); });
  endpoint.url = "http://127.0.0.1:" + std::to_string(*port) + "/hook";
  auto inserted = database->transact([&](store::Connection& connection) {
    return events::insert_endpoint(connection, endpoint);
  });
  if (!inserted) {
    std::fprintf(stderr, "till bench: %s\n", inserted.error().message.c_str());
    server.stop();
    serving.join();
    return kExitFailure;
  }

  std::printf("till bench webhooks: %s, %llu events, endpoint concurrency %zu\n",
              database->describe().c_str(), static_cast<unsigned long long>(options.events),
              dispatch.endpoint_concurrency);
  std::fflush(stdout);
  const auto write_start = SteadyClock::now();
  if (!write_backlog(*database, endpoint, options.events)) {
    server.stop();
    serving.join();
    return kExitFailure;
  }
  const double write_seconds =
      std::chrono::duration<double>(SteadyClock::now() - write_start).count();
  std::printf("backlog: %llu events written in %.2f s\n",
              static_cast<unsigned long long>(options.events), write_seconds);
  std::fflush(stdout);

  const auto start = SteadyClock::now();
  events::Dispatcher dispatcher(*database, SystemClock::instance(), registry, dispatch);
  dispatcher.start();
  const auto deadline = start + std::chrono::seconds(options.timeout_seconds);
  while (receiver.distinct() < options.events && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  dispatcher.stop();
  server.stop();
  serving.join();

  const std::size_t delivered = receiver.distinct();
  std::printf(
      "drain: %zu of %llu events delivered in %.2f s = %.0f deliveries/s (%llu duplicates, "
      "%llu bad signatures)\n",
      delivered, static_cast<unsigned long long>(options.events), seconds,
      static_cast<double>(delivered) / seconds,
      static_cast<unsigned long long>(receiver.duplicates()),
      static_cast<unsigned long long>(receiver.bad_signatures()));
  const events::DispatcherStats stats = dispatcher.stats();
  std::printf("dispatcher: %llu cycles, %llu attempts, %llu failed\n",
              static_cast<unsigned long long>(stats.cycles),
              static_cast<unsigned long long>(stats.attempts),
              static_cast<unsigned long long>(stats.failed_attempts));
  std::printf("memory: peak RSS %lld MiB\n", static_cast<long long>(peak_rss_mib()));
  const bool complete = delivered == options.events && receiver.bad_signatures() == 0;
  return complete ? kExitOk : kExitFailure;
}

}  // namespace till::cli
