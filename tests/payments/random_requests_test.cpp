// Random requests against every merchant API route, in-process on both backends: whatever the
// method, path, parameters and values, the API answers a Stripe-shaped JSON object with a
// status it documents, never crashes, and the books stay right — `till ledger verify`'s checks
// hold, no charge is refunded beyond what it captured and no intent received more than its
// amount. Deterministic (fixed seeds), so a failure reproduces.
#include <map>
#include <random>

#include "payments_fixture.h"

namespace till::payments::testing {
namespace {

class RandomRequestsTest : public PaymentsFixture {};

// Words the generator builds requests from: real parameter names and values, near misses, and
// hostile text.
const std::vector<std::string> kNames = {"amount",
                                         "currency",
                                         "confirm",
                                         "payment_method",
                                         "capture_method",
                                         "customer",
                                         "description",
                                         "metadata[order]",
                                         "metadata[]",
                                         "metadata",
                                         "amount_to_capture",
                                         "cancellation_reason",
                                         "reason",
                                         "charge",
                                         "payment_intent",
                                         "limit",
                                         "starting_after",
                                         "ending_before",
                                         "created[gte]",
                                         "created",
                                         "expand[]",
                                         "expand[0]",
                                         "email",
                                         "name",
                                         "type",
                                         "card[number]",
                                         "card[exp_month]",
                                         "card[exp_year]",
                                         "card[cvc]",
                                         "outcome",
                                         "receipt_email",
                                         "statement_descriptor",
                                         "return_url",
                                         "payment_method_types[]",
                                         "automatic_payment_methods[enabled]",
                                         "source",
                                         "address[line1]",
                                         "a[b][c][d]",
                                         "x"};
const std::vector<std::string> kValues = {"1000",
                                          "50",
                                          "0",
                                          "-1",
                                          "99999999",
                                          "100000000",
                                          "9223372036854775808",
                                          "1e3",
                                          "12.5",
                                          "usd",
                                          "eur",
                                          "jpy",
                                          "USD",
                                          "xyz",
                                          "",
                                          "true",
                                          "false",
                                          "manual",
                                          "automatic",
                                          "pm_card_visa",
                                          "pm_card_chargeDeclined",
                                          "pm_card_authenticationRequired",
                                          "pm_card_chargeDeclinedInsufficientFunds",
                                          "4242424242424242",
                                          "4000000000000002",
                                          "12",
                                          "2031",
                                          "123",
                                          "succeed",
                                          "fail",
                                          "duplicate",
                                          "latest_charge",
                                          "customer",
                                          "data.customer",
                                          "latest_charge.balance_transaction",
                                          "%00",
                                          "%FF%FE",
                                          "%5B%5D",
                                          "a%5Bb",
                                          "\xF0\x9F\x92\xB3",
                                          "card",
                                          "charge",
                                          "refund",
                                          "requested_by_customer",
                                          "x@example.com"};
// The parameters each route accepts, so most requests get past validation and do real work.
const std::map<std::string, std::vector<std::string>> kRouteNames = {
    {"/v1/payment_intents",
     {"amount", "currency", "confirm", "payment_method", "capture_method", "customer",
      "description", "metadata[order]", "expand[]", "limit", "starting_after"}},
    {"/v1/payment_intents/{pi}",
     {"amount", "description", "metadata[order]", "payment_method", "capture_method", "expand[]"}},
    {"/v1/payment_intents/{pi}/confirm", {"payment_method", "expand[]", "return_url"}},
    {"/v1/payment_intents/{pi}/capture", {"amount_to_capture", "amount_to_capture", "expand[]"}},
    {"/v1/payment_intents/{pi}/cancel", {"cancellation_reason"}},
    {"/v1/test_helpers/payment_intents/{pi}/authenticate", {"outcome"}},
    {"/v1/refunds", {"charge", "payment_intent", "amount", "amount", "reason", "limit"}},
    {"/v1/customers", {"email", "name", "description", "limit", "payment_method"}},
    {"/v1/payment_methods",
     {"type", "card[number]", "card[exp_month]", "card[exp_year]", "card[cvc]", "customer"}},
};

// Values that make sense for a parameter (used most of the time for it).
const std::map<std::string, std::vector<std::string>> kNameValues = {
    {"amount", {"1000", "50", "5000", "700", "99999999", "0", "49"}},
    {"amount_to_capture", {"100", "1000", "5000", "1", "6000"}},
    {"currency", {"usd", "eur", "jpy", "gbp"}},
    {"confirm", {"true", "false"}},
    {"payment_method",
     {"pm_card_visa", "pm_card_mastercard", "pm_card_chargeDeclined",
      "pm_card_chargeDeclinedInsufficientFunds", "pm_card_authenticationRequired"}},
    {"capture_method", {"manual", "automatic"}},
    {"cancellation_reason", {"duplicate", "requested_by_customer"}},
    {"reason", {"duplicate", "fraudulent"}},
    {"outcome", {"succeed", "fail"}},
    {"type", {"card"}},
    {"card[number]", {"4242424242424242", "4000000000000002", "4000002500003155"}},
    {"card[exp_month]", {"12", "1"}},
    {"card[exp_year]", {"2031", "2030"}},
};

// A request that does real work on a route, used as the start of most of its requests.
const std::map<std::string, std::string> kRouteBase = {
    {"/v1/payment_intents", "amount=2000&currency=usd&confirm=true"},
    {"/v1/payment_methods",
     "type=card&card[number]=4242424242424242&card[exp_month]=12&"
     "card[exp_year]=2031"},
};

const std::vector<std::string> kPaths = {"/v1/payment_intents",
                                         "/v1/payment_intents/{pi}",
                                         "/v1/payment_intents/{pi}/confirm",
                                         "/v1/payment_intents/{pi}/capture",
                                         "/v1/payment_intents/{pi}/cancel",
                                         "/v1/test_helpers/payment_intents/{pi}/authenticate",
                                         "/v1/charges",
                                         "/v1/charges/{ch}",
                                         "/v1/refunds",
                                         "/v1/refunds/{re}",
                                         "/v1/customers",
                                         "/v1/customers/{cus}",
                                         "/v1/payment_methods",
                                         "/v1/payment_methods/{pm}",
                                         "/v1/payment_methods/{pm}/attach",
                                         "/v1/balance",
                                         "/v1/balance_transactions",
                                         "/v1/customers/{cus}/payment_methods"};

TEST_P(RandomRequestsTest, AnyRequestGetsADocumentedAnswerAndTheBooksStayRight) {
  std::mt19937_64 random(20261125);
  auto pick = [&](const auto& items) -> const auto& {
    return items[std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(random)];
  };
  std::map<std::string, std::vector<std::string>> ids;  // kind prefix → ids seen
  auto remember = [&](const boost::json::object& body) {
    const auto* id = body.if_contains("id");
    if (id == nullptr || !id->is_string()) return;
    const std::string text(id->as_string());
    ids[text.substr(0, text.find('_'))].push_back(text);
  };
  auto id_for = [&](const std::string& prefix) {
    const auto& seen = ids[prefix];
    if (seen.empty() || random() % 5 == 0) return prefix + "_nope";
    return pick(seen);
  };
  // Something to act on.
  for (const char* body : {"amount=5000&currency=usd&confirm=true&payment_method=pm_card_visa",
                           "amount=5000&currency=usd&confirm=true&payment_method=pm_card_visa&"
                           "capture_method=manual"}) {
    const ApiReply made = post("/v1/payment_intents", body);
    ASSERT_EQ(made.status, 200u);
    remember(made.body);
    ids["ch"].push_back(made.text("latest_charge"));
  }
  remember(post("/v1/customers", "email=r%40example.com").body);

  constexpr int kRequests = 2500;
  std::map<unsigned, int> statuses;
  for (int i = 0; i < kRequests; ++i) {
    std::string path = pick(kPaths);
    const std::string route = path;
    for (const char* prefix : {"pi", "ch", "re", "cus", "pm"}) {
      const std::string hole = "{" + std::string(prefix) + "}";
      if (const auto at = path.find(hole); at != std::string::npos) {
        path.replace(at, hole.size(), id_for(prefix));
      }
    }
    const auto names = kRouteNames.find(route);
    std::string params;
    if (const auto base = kRouteBase.find(route); base != kRouteBase.end() && random() % 10 < 6) {
      params = base->second;
    }
    const int count = static_cast<int>(random() % 5);
    for (int j = 0; j < count; ++j) {
      if (!params.empty()) params += "&";
      const bool plausible = names != kRouteNames.end() && random() % 10 < 8;
      const std::string& name = plausible ? pick(names->second) : pick(kNames);
      // A repeated name is a 400 of its own; keep those rare so requests reach the handlers.
      if (params.find(name + "=") != std::string::npos && random() % 10 != 0) continue;
      const auto values = kNameValues.find(name);
      std::string value =
          values != kNameValues.end() && random() % 10 < 8 ? pick(values->second) : pick(kValues);
      if (name == "charge") value = id_for("ch");
      if (name == "payment_intent") value = id_for("pi");
      if (name == "customer") value = id_for("cus");
      params += name + "=" + value;
    }
    const bool is_get = random() % 3 == 0;
    const ApiReply reply =
        is_get ? get(path + (params.empty() ? "" : "?" + params))
               : post(path, params, random() % 4 == 0 ? "k" + std::to_string(random() % 300) : "");
    ++statuses[reply.status];
    SCOPED_TRACE((is_get ? "GET " : "POST ") + path + " " + params);
    ASSERT_TRUE(reply.status == 200 || reply.status == 400 || reply.status == 402 ||
                reply.status == 404 || reply.status == 409)
        << reply.status << " " << boost::json::serialize(reply.body);
    if (reply.status == 200) {
      remember(reply.body);
    } else if (reply.status != 404 || reply.body.contains("error")) {
      ASSERT_TRUE(reply.body.contains("error")) << boost::json::serialize(reply.body);
      ASSERT_FALSE(reply.error_field("message").empty());
      ASSERT_FALSE(reply.error_field("type").empty());
    }
  }
  // The generator reaches real work (declines too), not only refusals.
  EXPECT_GT(statuses[200], 150);
  EXPECT_GT(statuses[400], 250);
  EXPECT_GT(statuses[402], 0);

  // The books: the ledger's own invariants, and the objects against each other.
  expect_ledger_verified();
  for (const std::string& charge_id : ids["ch"]) {
    const ApiReply charge = get("/v1/charges/" + charge_id);
    if (charge.status != 200) continue;
    EXPECT_LE(charge.integer("amount_refunded"),
              std::max(charge.integer("amount_captured"), charge.integer("amount")))
        << charge_id;
    EXPECT_LE(charge.integer("amount_captured"), charge.integer("amount")) << charge_id;
  }
  for (const std::string& intent_id : ids["pi"]) {
    const ApiReply intent = get("/v1/payment_intents/" + intent_id);
    if (intent.status != 200) continue;
    EXPECT_LE(intent.integer("amount_received"), intent.integer("amount")) << intent_id;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, RandomRequestsTest,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         till::testing::backend_name);

}  // namespace
}  // namespace till::payments::testing
