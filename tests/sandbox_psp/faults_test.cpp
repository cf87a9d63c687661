// Fault injection, durability and shutdown against a real `till sandbox-psp` process.
#include <gtest/gtest.h>
#include <signal.h>

#include <future>

#include "psp_fixture.h"

namespace till::sandbox_psp::testing {
namespace {

using namespace std::chrono_literals;

class FaultInjection : public ::testing::Test {
 protected:
  void SetUp() override {
    psp_ = start_psp();
    ASSERT_TRUE(psp_->started()) << psp_->captured_stderr();
  }

  std::optional<HttpResponse> authorize(const std::string& key, std::int64_t amount = 2000) {
    return psp_->json_call("POST", "/v1/authorizations", authorization_body(kVisa, amount), key);
  }

  std::size_t charge_count() { return psp_->charges().size(); }

  std::unique_ptr<SandboxPspProcess> psp_;
};

TEST_F(FaultInjection, AdminEndpointsShowReplaceAndClear) {
  auto shown = parse(psp_->admin_call("GET", "/admin/faults"));
  EXPECT_EQ(num(shown, "error_permille"), 0);
  EXPECT_EQ(num(shown, "hang_ms"), 30000);
  EXPECT_EQ(shown.at("operations").as_array().size(), 6u);
  ASSERT_EQ(psp_->set_faults(R"({"error_permille": 10, "operations": ["capture"]})"), 200);
  shown = parse(psp_->admin_call("GET", "/admin/faults"));
  EXPECT_EQ(num(shown, "error_permille"), 10);
  EXPECT_EQ(shown.at("operations").as_array().size(), 1u);
  // Replaced as a whole: what is not given returns to its default.
  ASSERT_EQ(psp_->set_faults(R"({"timeout_permille": 5})"), 200);
  shown = parse(psp_->admin_call("GET", "/admin/faults"));
  EXPECT_EQ(num(shown, "error_permille"), 0);
  EXPECT_EQ(num(shown, "timeout_permille"), 5);
  ASSERT_EQ(psp_->clear_faults(), 200);
  EXPECT_EQ(num(parse(psp_->admin_call("GET", "/admin/faults")), "timeout_permille"), 0);

  const auto bad = psp_->admin_call("POST", "/admin/faults", R"({"error_permille": 2000})");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(error_param(bad), "error_permille");
  const auto no_token =
      till::testing::http_request(psp_->port(), "POST", "/admin/faults", "", "{}");
  EXPECT_EQ(no_token->status, 401);
}

TEST_F(FaultInjection, ErrorsAnswer503BeforeDoingAnything) {
  ASSERT_EQ(psp_->set_faults(R"({"error_permille": 1000, "operations": ["authorize"]})"), 200);
  const auto refused = authorize("err-1");
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(error_code(refused), "service_unavailable");
  EXPECT_EQ(charge_count(), 0u);
  // Nothing was recorded under the key: once the fault is gone the same request goes through.
  ASSERT_EQ(psp_->clear_faults(), 200);
  EXPECT_EQ(authorize("err-1")->status, 200);
  // Other operations were not affected.
  ASSERT_EQ(psp_->set_faults(R"({"error_permille": 1000, "operations": ["capture"]})"), 200);
  EXPECT_EQ(authorize("err-2")->status, 200);
  EXPECT_EQ(psp_->json_call("GET", "/v1/authorizations?idempotency_key=err-2")->status, 200);
}

TEST_F(FaultInjection, SeededErrorRateIsRepeatable) {
  const auto statuses = [&] {
    EXPECT_EQ(psp_->set_faults(R"({"error_permille": 500, "seed": 7,
                                   "operations": ["lookup"]})"),
              200);
    std::string seen;
    for (int i = 0; i < 40; ++i) {
      seen += psp_->json_call("GET", "/v1/authorizations/auth_x")->status == 503 ? 'E' : '.';
    }
    return seen;
  };
  const std::string first = statuses();
  EXPECT_EQ(statuses(), first);
  EXPECT_NE(first.find('E'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

TEST_F(FaultInjection, DownRefusesEveryProcessorCallButNotTheAdmin) {
  ASSERT_EQ(psp_->set_faults(R"({"down": true, "operations": ["capture"]})"), 200);
  EXPECT_EQ(authorize("down-1")->status, 503);
  EXPECT_EQ(psp_->json_call("GET", "/v1/authorizations/auth_x")->status, 503);
  EXPECT_EQ(psp_->iso_call(iso_purchase(kVisa), "down-2")->status, 503);
  EXPECT_EQ(psp_->admin_call("GET", "/charges")->status, 200);
  EXPECT_EQ(till::testing::http_request(psp_->port(), "GET", "/healthz")->status, 200);
}

TEST_F(FaultInjection, DroppedResponseLeavesADurableCharge) {
  ASSERT_EQ(psp_->set_faults(R"({"drop_response_permille": 1000, "operations": ["authorize"]})"),
            200);
  const auto lost = authorize("drop-1", 4321);
  EXPECT_FALSE(lost.has_value()) << "the connection should close unanswered";
  // The charge exists, and survives a crash.
  psp_->kill9();
  ASSERT_TRUE(psp_->restart()) << psp_->captured_stderr();
  const auto charges = psp_->charges();
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_EQ(str(charges[0].as_object(), "idempotency_key"), "drop-1");
  EXPECT_EQ(num(charges[0].as_object(), "amount"), 4321);
  // Faults are not kept across restarts: the retry gets the stored answer.
  const auto retried = authorize("drop-1", 4321);
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->status, 200);
  EXPECT_EQ(retried->header("idempotent-replayed"), "true");
  // So does the ISO wire.
  ASSERT_EQ(psp_->set_faults(R"({"drop_response_permille": 1000})"), 200);
  EXPECT_FALSE(psp_->iso_call(iso_purchase(kVisa), "drop-iso").has_value());
  ASSERT_EQ(psp_->clear_faults(), 200);
  EXPECT_EQ(psp_->iso_call(iso_purchase(kVisa), "drop-iso")->header("idempotent-replayed"), "true");
}

TEST_F(FaultInjection, LatencyDelaysTheAnswer) {
  ASSERT_EQ(psp_->set_faults(R"({"latency": {"distribution": "fixed", "mean_ms": 300},
                                 "operations": ["authorize"]})"),
            200);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(authorize("slow-1")->status, 200);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 3000ms);
  // Other operations are not delayed.
  const auto quick = std::chrono::steady_clock::now();
  psp_->json_call("GET", "/v1/authorizations/auth_x");
  EXPECT_LT(std::chrono::steady_clock::now() - quick, 250ms);
}

TEST_F(FaultInjection, InjectedSoftDecline) {
  ASSERT_EQ(psp_->set_faults(R"({"decline_permille": 1000})"), 200);
  const auto json = parse(authorize("soft-1"));
  EXPECT_EQ(str(json, "status"), "declined");
  EXPECT_EQ(str(json, "decline_code"), "try_again_later");
  const auto iso = parse(psp_->iso_call(iso_purchase(kVisa), "soft-2"));
  EXPECT_EQ(str(iso, "39"), "91");
  EXPECT_EQ(str(iso, "status"), "declined");
}

// The race the whole design rests on: an authorization hangs in the processor (its caller
// has timed out), the caller asks what happened under its key, and only then does the hung
// request get processed. The inquiry must have closed the key: no charge, ever.
TEST_F(FaultInjection, InquiryWinsTheRaceAgainstAHungAuthorization) {
  ASSERT_EQ(psp_->set_faults(R"({"timeout_permille": 1000, "hang_ms": 1500,
                                 "operations": ["authorize"]})"),
            200);
  auto hung = std::async(std::launch::async, [&] { return authorize("race-1"); });
  std::this_thread::sleep_for(200ms);  // the authorization is now hanging
  const auto inquiry = parse(
      psp_->json_call("POST", "/v1/inquiries", R"({"idempotency_key": "race-1"})", "inq-race-1"));
  EXPECT_FALSE(inquiry.at("found").as_bool());
  EXPECT_TRUE(inquiry.at("cancelled").as_bool());
  const auto late = hung.get();
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 409);
  EXPECT_EQ(error_code(late), "idempotency_key_cancelled");
  EXPECT_EQ(charge_count(), 0u);

  // The same over the ISO wire: a 0100 hangs, a 0420 for it answers 25, the 0100 is refused.
  auto hung_iso =
      std::async(std::launch::async, [&] { return psp_->iso_call(iso_purchase(kVisa), "race-2"); });
  std::this_thread::sleep_for(200ms);
  const auto reversal =
      parse(psp_->iso_call(R"({"mti": "0420", "11": "000001", "90": "race-2"})", "inq-race-2"));
  EXPECT_EQ(str(reversal, "39"), "25");
  const auto late_iso = hung_iso.get();
  ASSERT_TRUE(late_iso);
  EXPECT_EQ(late_iso->status, 409);
  EXPECT_EQ(charge_count(), 0u);

  // The other order: the hung authorization is processed before the inquiry, which finds it.
  auto first = std::async(std::launch::async, [&] { return authorize("race-3"); });
  const auto done = first.get();
  ASSERT_EQ(done->status, 200);
  const auto found = parse(
      psp_->json_call("POST", "/v1/inquiries", R"({"idempotency_key": "race-3"})", "inq-race-3"));
  EXPECT_TRUE(found.at("found").as_bool());
  EXPECT_EQ(charge_count(), 1u);
}

TEST_F(FaultInjection, HangsHoldOnlyTheirOwnRequest) {
  ASSERT_EQ(psp_->set_faults(R"({"timeout_permille": 1000, "hang_ms": 2000,
                                 "operations": ["authorize"]})"),
            200);
  std::vector<std::future<std::optional<HttpResponse>>> hanging;
  for (int i = 0; i < 8; ++i) {
    hanging.push_back(
        std::async(std::launch::async, [&, i] { return authorize("hang-" + std::to_string(i)); }));
  }
  std::this_thread::sleep_for(200ms);
  // Lookups and admin calls are served while eight authorizations hang.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(psp_->json_call("GET", "/v1/authorizations/auth_x")->status, 404);
  EXPECT_EQ(psp_->admin_call("GET", "/charges")->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1000ms);
  for (auto& request : hanging) EXPECT_EQ(request.get()->status, 200);
  EXPECT_EQ(charge_count(), 8u);
}

TEST_F(FaultInjection, SigtermDuringAHangExitsPromptlyAndCleanly) {
  ASSERT_EQ(psp_->set_faults(R"({"timeout_permille": 1000, "operations": ["authorize"]})"), 200);
  auto hung = std::async(std::launch::async, [&] { return authorize("term-1"); });
  std::this_thread::sleep_for(200ms);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(psp_->terminate(10s), 0) << psp_->captured_stderr();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // not the 30 s hang
  const auto answer = hung.get();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 503);  // cut short, not processed
  ASSERT_TRUE(psp_->restart());
  EXPECT_EQ(charge_count(), 0u);
}

TEST(Durability, KillNineKeepsChargesKeysAndCancellations) {
  auto psp = start_psp();
  ASSERT_TRUE(psp->started()) << psp->captured_stderr();
  const auto port = psp->port();
  const std::string body = authorization_body(kVisa, 999, true);
  const auto first = psp->json_call("POST", "/v1/authorizations", body, "dur-1");
  ASSERT_EQ(first->status, 200);
  const auto closed =
      parse(psp->json_call("POST", "/v1/inquiries", R"({"idempotency_key": "dur-2"})", "dur-inq"));
  ASSERT_FALSE(closed.at("found").as_bool());
  const std::string id = str(parse(first), "id");
  ASSERT_EQ(
      psp->json_call("POST", "/v1/authorizations/" + id + "/refunds", R"({"amount": 99})", "dur-rf")
          ->status,
      200);

  psp->kill9();
  ASSERT_TRUE(psp->restart()) << psp->captured_stderr();
  EXPECT_EQ(psp->port(), port);  // same address for the callers
  const auto replay = psp->json_call("POST", "/v1/authorizations", body, "dur-1");
  EXPECT_EQ(replay->body, first->body);
  EXPECT_EQ(
      psp->json_call("POST", "/v1/authorizations", authorization_body(kVisa), "dur-2")->status,
      409);
  const auto read = parse(psp->json_call("GET", "/v1/authorizations/" + id));
  EXPECT_EQ(num(read, "refunded_amount"), 99);
  EXPECT_EQ(psp->charges().size(), 1u);
  EXPECT_EQ(psp->terminate(), 0);
}

TEST(Startup, BadFlagsAndAForeignDataDir) {
  const auto no_key = till::testing::run_till(
      {"sandbox-psp", "--data-dir", "/tmp/x", "--admin-token", "a"}, {}, 10s);
  EXPECT_EQ(no_key.exit_status, 2);
  const auto no_secret =
      till::testing::run_till({"sandbox-psp", "--data-dir", "/tmp/x", "--api-key", "k",
                               "--admin-token", "a", "--webhook-url", "http://127.0.0.1:1/hook"},
                              {}, 10s);
  EXPECT_EQ(no_secret.exit_status, 2);
  EXPECT_NE(no_secret.err.find("--webhook-secret"), std::string::npos) << no_secret.err;
  const auto bad_wire = till::testing::run_till({"sandbox-psp", "--data-dir", "/tmp/x", "--api-key",
                                                 "k", "--admin-token", "a", "--wire", "xml"},
                                                {}, 10s);
  EXPECT_EQ(bad_wire.exit_status, 2);

  // A directory holding Till's own database is refused rather than written into.
  till::testing::TempDir dir;
  const auto migrated = till::testing::run_till({"migrate", "--data-dir", dir.path()}, {}, 60s);
  ASSERT_EQ(migrated.exit_status, 0) << migrated.err;
  const auto refused = till::testing::run_till(
      {"sandbox-psp", "--data-dir", dir.path(), "--api-key", "k", "--admin-token", "a"}, {}, 10s);
  EXPECT_EQ(refused.exit_status, 1);
  EXPECT_NE(refused.err.find("Till database"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace till::sandbox_psp::testing
