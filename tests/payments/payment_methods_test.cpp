// Card PaymentMethods in-process on both backends: Stripe's exact object, card details reduced
// to what may be kept (the number and CVC are in no column of any row), 402 card errors and
// 400s that change nothing, raw numbers refused in live mode, Stripe's test ids, attach and
// detach, a customer's lists, updates, and isolation between merchants.
#include "payments/payment_methods.h"

#include <set>

#include "payments/object_store.h"
#include "payments_fixture.h"

namespace till::payments::testing {
namespace {

using boost::json::object;

constexpr std::string_view kVisa = "4242424242424242";
constexpr std::string_view kCard =
    "type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2031";

std::set<std::string> keys_of(const object& body) {
  std::set<std::string> keys;
  for (const auto& member : body) keys.emplace(member.key());
  return keys;
}

class PaymentMethodsTest : public PaymentsFixture {
 protected:
  ApiReply create(std::string_view body) { return post("/v1/payment_methods", body); }
  std::string create_id(std::string_view body = kCard) {
    const ApiReply created = create(body);
    EXPECT_EQ(created.status, 200u) << boost::json::serialize(created.body);
    return created.text("id");
  }
  std::string customer() {
    const ApiReply created = post("/v1/customers", "");
    EXPECT_EQ(created.status, 200u);
    return created.text("id");
  }
  ApiReply attach(const std::string& method, const std::string& customer_id) {
    return post("/v1/payment_methods/" + method + "/attach", "customer=" + customer_id);
  }

  // Every text column of every payment_objects row, and every stored idempotent response.
  std::vector<std::string> stored_text() {
    std::vector<std::string> texts;
    auto read = database_->read([&](store::Connection& connection) -> store::StoreResult<void> {
      auto rows = connection.query(
          "SELECT id, kind, merchant_id, customer_id, parent_id, type, status, body, internal "
          "FROM payment_objects",
          {}, [&](const store::Row& row) {
            for (int column = 0; column < 9; ++column) {
              texts.push_back(row.get<std::optional<std::string>>(column).value_or(""));
            }
          });
      if (!rows) return rows;
      return connection.query(
          "SELECT response_body FROM idempotency_keys", {},
          [&](const store::Row& row) { texts.push_back(row.get<std::string>(0)); });
    });
    EXPECT_TRUE(read);
    return texts;
  }

  std::optional<ObjectRow> row(const std::string& id) {
    std::optional<ObjectRow> found;
    auto read = database_->read([&](store::Connection& connection) -> store::StoreResult<void> {
      auto selected = select_object(connection, id);
      if (!selected) return unexpected(selected.error());
      found = std::move(*selected);
      return {};
    });
    EXPECT_TRUE(read);
    return found;
  }

  // A refusal with `status`, `code` and `param` that changed nothing.
  ApiReply expect_refused(std::string_view method, const std::string& target, std::string_view body,
                          unsigned status, const std::string& code, const std::string& param,
                          const std::optional<std::string>& key = {}) {
    const std::string before = state_snapshot();
    const ApiReply refused = call(method, target, body, "", key);
    EXPECT_EQ(refused.status, status) << body << " -> " << boost::json::serialize(refused.body);
    EXPECT_EQ(refused.error_field("code"), code) << body;
    EXPECT_EQ(refused.error_field("param"), param) << body;
    EXPECT_EQ(state_snapshot(), before) << body;
    return refused;
  }
};

TEST_P(PaymentMethodsTest, CreateFromACardNumberAnswersStripesObject) {
  const ApiReply created = create(std::string(kCard) + "&card[cvc]=123");
  ASSERT_EQ(created.status, 200u) << boost::json::serialize(created.body);
  const object& body = created.body;
  EXPECT_EQ(keys_of(body),
            (std::set<std::string>{"id", "object", "allow_redisplay", "billing_details", "card",
                                   "created", "customer", "customer_account", "livemode",
                                   "metadata", "type"}));
  EXPECT_EQ(created.text("id").rfind("pm_", 0), 0u);
  EXPECT_EQ(created.text("object"), "payment_method");
  EXPECT_EQ(created.text("allow_redisplay"), "unspecified");
  EXPECT_EQ(body.at("billing_details"), boost::json::parse(R"({"address":{"city":null,
      "country":null,"line1":null,"line2":null,"postal_code":null,"state":null},
      "email":null,"name":null,"phone":null})"));
  const object& card = body.at("card").as_object();
  EXPECT_EQ(keys_of(card),
            (std::set<std::string>{"brand", "checks", "country", "display_brand", "exp_month",
                                   "exp_year", "fingerprint", "funding", "generated_from", "last4",
                                   "networks", "three_d_secure_usage", "wallet"}));
  EXPECT_EQ(card.at("brand"), "visa");
  EXPECT_EQ(card.at("checks"), boost::json::parse(R"({"address_line1_check":null,
      "address_postal_code_check":null,"cvc_check":"pass"})"));
  EXPECT_EQ(card.at("country"), "US");
  EXPECT_EQ(card.at("display_brand"), "visa");
  EXPECT_EQ(card.at("exp_month"), 12);
  EXPECT_EQ(card.at("exp_year"), 2031);
  EXPECT_EQ(card.at("fingerprint").as_string().size(), 16u);
  EXPECT_EQ(card.at("funding"), "credit");
  EXPECT_TRUE(card.at("generated_from").is_null());
  EXPECT_EQ(card.at("last4"), "4242");
  EXPECT_EQ(card.at("networks"), boost::json::parse(R"({"available":["visa"],"preferred":null})"));
  EXPECT_EQ(card.at("three_d_secure_usage"), boost::json::parse(R"({"supported":true})"));
  EXPECT_TRUE(card.at("wallet").is_null());
  EXPECT_EQ(created.integer("created"), clock_.now_unix_s());
  EXPECT_TRUE(body.at("customer").is_null());
  EXPECT_EQ(body.at("livemode"), false);
  EXPECT_EQ(body.at("metadata"), object());
  EXPECT_EQ(created.text("type"), "card");

  EXPECT_EQ(get("/v1/payment_methods/" + created.text("id")).body, created.body);

  // No CVC sent, no CVC check; the same number, the same fingerprint.
  const ApiReply again = create(std::string(kCard));
  EXPECT_TRUE(again.body.at("card").at("checks").at("cvc_check").is_null());
  EXPECT_EQ(again.body.at("card").at("fingerprint"), card.at("fingerprint"));
}

TEST_P(PaymentMethodsTest, TheRowKeepsTheCardsBehaviourButNeverItsNumberOrCvc) {
  const ApiReply created = post("/v1/payment_methods",
                                "type=card&card[number]=4000+0000+0000+0002&card[exp_month]=3&"
                                "card[exp_year]=31&card[cvc]=9157&billing_details[name]=J",
                                "idem-card");
  ASSERT_EQ(created.status, 200u) << boost::json::serialize(created.body);
  EXPECT_EQ(created.body.at("card").at("last4"), "0002");
  EXPECT_EQ(created.body.at("card").at("exp_year"), 2031);  // two-digit years are 20xx
  const std::optional<ObjectRow> stored = row(created.text("id"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->kind, "payment_method");
  EXPECT_EQ(stored->type, "card");
  EXPECT_EQ(boost::json::serialize(stored->internal), R"({"card_behaviour":"decline_generic"})");
  const TestCard card = card_of(*stored);
  EXPECT_EQ(card.behaviour, CardBehaviour::decline_generic);
  EXPECT_EQ(card.last4, "0002");
  EXPECT_EQ(card.exp_month, 3);
  EXPECT_EQ(card.exp_year, 2031);

  create_id(std::string(kCard) + "&card[cvc]=9157");
  for (const std::string& text : stored_text()) {
    EXPECT_EQ(text.find("4000000000000002"), std::string::npos) << text;
    EXPECT_EQ(text.find("4000 0000 0000 0002"), std::string::npos) << text;
    EXPECT_EQ(text.find(kVisa), std::string::npos) << text;
    EXPECT_EQ(text.find("\"cvc\""), std::string::npos) << text;
    EXPECT_EQ(text.find("\"number\""), std::string::npos) << text;
    EXPECT_EQ(text.find("9157"), std::string::npos) << text;
  }
}

TEST_P(PaymentMethodsTest, BadCardDetailsAre402CardErrorsThatChangeNothing) {
  const std::string base = "type=card&card[exp_month]=12&card[exp_year]=2031&card[number]=";
  const ApiReply wrong = expect_refused("POST", "/v1/payment_methods", base + "4242424242424241",
                                        402, "incorrect_number", "card[number]");
  EXPECT_EQ(wrong.error_field("type"), "card_error");
  EXPECT_EQ(wrong.error_field("message").find("424242"), std::string::npos);
  expect_refused("POST", "/v1/payment_methods", base + "4242x", 402, "invalid_number",
                 "card[number]");
  expect_refused("POST", "/v1/payment_methods",
                 "type=card&card[number]=4242424242424242&card[exp_month]=13&card[exp_year]=2031",
                 402, "invalid_expiry_month", "card[exp_month]");
  expect_refused("POST", "/v1/payment_methods",
                 "type=card&card[number]=4242424242424242&card[exp_month]=1&card[exp_year]=2020",
                 402, "invalid_expiry_year", "card[exp_year]");
  expect_refused("POST", "/v1/payment_methods", std::string(kCard) + "&card[cvc]=12", 402,
                 "invalid_cvc", "card[cvc]");
}

TEST_P(PaymentMethodsTest, MalformedCreatesAre400sThatChangeNothing) {
  const std::string path = "/v1/payment_methods";
  expect_refused("POST", path, "card[number]=4242424242424242", 400, "parameter_missing", "type");
  expect_refused("POST", path, "type=sepa_debit", 400, "parameter_invalid", "type");
  expect_refused("POST", path, "type=card", 400, "parameter_missing", "card");
  expect_refused("POST", path, "type=card&card[number]=4242424242424242&card[exp_year]=2031", 400,
                 "parameter_missing", "card[exp_month]");
  expect_refused("POST", path, std::string(kCard) + "&card[token]=tok_visa", 400,
                 "parameter_invalid", "card[token]");
  expect_refused("POST", path, std::string(kCard) + "&card[pin]=1234", 400, "parameter_unknown",
                 "card[pin]");
  expect_refused("POST", path,
                 "type=card&card[number]=4242424242424242&card[exp_month]=soon&card[exp_year]=31",
                 400, "parameter_invalid_integer", "card[exp_month]");
  expect_refused("POST", path, std::string(kCard) + "&billing_details[address][zip]=1", 400,
                 "parameter_unknown", "billing_details[address][zip]");
  expect_refused("POST", path, std::string(kCard) + "&expand[]=customer.nope", 400,
                 "parameter_invalid", "expand");
  expect_refused("POST", path, "type=card&card[token]=tok_nope", 400, "resource_missing",
                 "card[token]");
  // The request's shape is checked before the card: a 400, not the bad number's 402.
  expect_refused("POST", path, "type=card&card[number]=4242424242424241&nickname=x", 400,
                 "parameter_unknown", "nickname");
  // A number too long to be a card is refused without being repeated.
  const ApiReply long_number = expect_refused(
      "POST", path,
      "type=card&card[exp_month]=1&card[exp_year]=2031&card[number]=" + std::string(70, '4'), 400,
      "parameter_invalid", "card[number]");
  EXPECT_EQ(long_number.error_field("message").find("4444"), std::string::npos);
}

TEST_P(PaymentMethodsTest, LiveModeRefusesRawCardNumbersAndTestTokens) {
  const std::string live = new_merchant_key(true);
  const ApiReply refused =
      expect_refused("POST", "/v1/payment_methods", std::string(kCard) + "&card[cvc]=123", 400,
                     "parameter_invalid", "card[number]", live);
  EXPECT_NE(refused.error_field("message").find("test mode"), std::string::npos);
  EXPECT_EQ(refused.error_field("message").find(kVisa), std::string::npos);
  const ApiReply token =
      expect_refused("POST", "/v1/payment_methods", "type=card&card[token]=tok_visa", 400,
                     "resource_missing", "card[token]", live);
  EXPECT_NE(token.error_field("message").find("test mode"), std::string::npos);
  expect_refused("GET", "/v1/payment_methods/pm_card_visa", "", 404, "resource_missing", "id",
                 live);
}

TEST_P(PaymentMethodsTest, TokensAndBillingDetails) {
  const ApiReply created = create(
      "type=card&card[token]=tok_mastercard&billing_details[name]=Jenny+Rosen&"
      "billing_details[email]=jenny%40example.com&billing_details[address][country]=US&"
      "metadata[ref]=7");
  ASSERT_EQ(created.status, 200u) << boost::json::serialize(created.body);
  EXPECT_EQ(created.body.at("card").at("brand"), "mastercard");
  EXPECT_EQ(created.body.at("card").at("last4"), "4444");
  EXPECT_EQ(created.body.at("billing_details"), boost::json::parse(R"({"address":{"city":null,
      "country":"US","line1":null,"line2":null,"postal_code":null,"state":null},
      "email":"jenny@example.com","name":"Jenny Rosen","phone":null})"));
  EXPECT_EQ(created.body.at("metadata"), boost::json::parse(R"({"ref":"7"})"));
  const ApiReply amex = create("type=card&card[token]=tok_amex");
  EXPECT_EQ(amex.body.at("card").at("brand"), "amex");
  EXPECT_EQ(amex.body.at("card").at("display_brand"), "american_express");
}

TEST_P(PaymentMethodsTest, TestIdsAreRetrievableWithoutBeingStored) {
  const std::int64_t rows = count("payment_objects");
  const ApiReply visa = get("/v1/payment_methods/pm_card_visa");
  ASSERT_EQ(visa.status, 200u) << boost::json::serialize(visa.body);
  EXPECT_EQ(visa.text("id"), "pm_card_visa");
  EXPECT_EQ(visa.body.at("card").at("brand"), "visa");
  EXPECT_EQ(visa.body.at("card").at("last4"), "4242");
  EXPECT_TRUE(visa.body.at("customer").is_null());
  EXPECT_EQ(count("payment_objects"), rows);
  const ApiReply missing = get("/v1/payment_methods/pm_card_nope");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.error_field("message"), "No such PaymentMethod: 'pm_card_nope'");
}

TEST_P(PaymentMethodsTest, AttachAndDetach) {
  const std::string cus = customer();
  const std::string other = customer();
  const std::string method = create_id();

  const ApiReply attached = attach(method, cus);
  ASSERT_EQ(attached.status, 200u) << boost::json::serialize(attached.body);
  EXPECT_EQ(attached.text("customer"), cus);
  EXPECT_EQ(get("/v1/payment_methods/" + method).text("customer"), cus);
  EXPECT_EQ(attach(method, cus).status, 200u);  // again to the same customer: no change
  const ApiReply taken =
      expect_refused("POST", "/v1/payment_methods/" + method + "/attach", "customer=" + other, 400,
                     "payment_method_unexpected_state", "");
  EXPECT_EQ(taken.error_field("message"),
            "The payment method you provided has already been attached to a customer.");

  // The customer's default stops being its default when detached.
  ASSERT_EQ(
      post("/v1/customers/" + cus, "invoice_settings[default_payment_method]=" + method).status,
      200u);
  const ApiReply detached = post("/v1/payment_methods/" + method + "/detach", "");
  ASSERT_EQ(detached.status, 200u) << boost::json::serialize(detached.body);
  EXPECT_TRUE(detached.body.at("customer").is_null());
  EXPECT_TRUE(get("/v1/customers/" + cus)
                  .body.at("invoice_settings")
                  .at("default_payment_method")
                  .is_null());
  expect_refused("POST", "/v1/payment_methods/" + method + "/detach", "", 400,
                 "payment_method_unexpected_state", "");
  expect_refused("POST", "/v1/payment_methods/pm_missing/detach", "", 404, "resource_missing",
                 "id");
}

TEST_P(PaymentMethodsTest, AttachRefusalsChangeNothing) {
  const std::string cus = customer();
  const std::string method = create_id();
  const std::string path = "/v1/payment_methods/" + method + "/attach";
  expect_refused("POST", path, "", 400, "parameter_missing", "customer");
  expect_refused("POST", path, "customer=", 400, "parameter_invalid_empty", "customer");
  expect_refused("POST", path, "customer=cus_missing", 400, "resource_missing", "customer");
  expect_refused("POST", "/v1/payment_methods/pm_missing/attach", "customer=" + cus, 404,
                 "resource_missing", "id");
  // A test id is not turned into a stored object when the attach is refused.
  expect_refused("POST", "/v1/payment_methods/pm_card_visa/attach", "customer=cus_missing", 400,
                 "resource_missing", "customer");
  ASSERT_EQ(call("DELETE", "/v1/customers/" + cus).status, 200u);
  expect_refused("POST", path, "customer=" + cus, 400, "resource_missing", "customer");
}

TEST_P(PaymentMethodsTest, AttachingATestIdStoresANewPaymentMethod) {
  const std::string cus = customer();
  const std::int64_t rows = count("payment_objects");
  const ApiReply attached = attach("pm_card_amex", cus);
  ASSERT_EQ(attached.status, 200u) << boost::json::serialize(attached.body);
  EXPECT_NE(attached.text("id"), "pm_card_amex");
  EXPECT_EQ(attached.text("customer"), cus);
  EXPECT_EQ(attached.body.at("card").at("brand"), "amex");
  EXPECT_EQ(count("payment_objects"), rows + 1);
  EXPECT_EQ(get("/v1/payment_methods/" + attached.text("id")).body, attached.body);
}

TEST_P(PaymentMethodsTest, ACustomersPaymentMethodsThroughBothLists) {
  const std::string cus = customer();
  const std::string other = customer();
  std::vector<std::string> mine;
  for (int i = 0; i < 3; ++i) {
    mine.push_back(create_id());
    ASSERT_EQ(attach(mine.back(), cus).status, 200u);
  }
  ASSERT_EQ(attach(create_id(), other).status, 200u);
  create_id();  // attached to nobody

  const ApiReply listed = get("/v1/payment_methods?customer=" + cus + "&type=card&limit=2");
  ASSERT_EQ(listed.status, 200u) << boost::json::serialize(listed.body);
  EXPECT_EQ(listed.text("url"), "/v1/payment_methods");
  ASSERT_EQ(listed.body.at("data").as_array().size(), 2u);
  EXPECT_EQ(listed.body.at("data").at(0).at("id"), boost::json::value(mine[2]));
  EXPECT_EQ(listed.body.at("data").at(1).at("id"), boost::json::value(mine[1]));
  EXPECT_EQ(listed.body.at("has_more"), true);
  const ApiReply rest = get("/v1/payment_methods?customer=" + cus + "&starting_after=" + mine[1]);
  ASSERT_EQ(rest.body.at("data").as_array().size(), 1u);
  EXPECT_EQ(rest.body.at("data").at(0).at("id"), boost::json::value(mine[0]));
  EXPECT_EQ(rest.body.at("has_more"), false);

  const ApiReply nested = get("/v1/customers/" + cus + "/payment_methods?expand[]=data.customer");
  ASSERT_EQ(nested.status, 200u) << boost::json::serialize(nested.body);
  EXPECT_EQ(nested.text("url"), "/v1/customers/" + cus + "/payment_methods");
  ASSERT_EQ(nested.body.at("data").as_array().size(), 3u);
  EXPECT_EQ(nested.body.at("data").at(0).at("customer").at("id"),
            boost::json::value(cus));  // expanded

  const ApiReply one = get("/v1/customers/" + cus + "/payment_methods/" + mine[0]);
  EXPECT_EQ(one.status, 200u);
  EXPECT_EQ(one.text("id"), mine[0]);
  EXPECT_EQ(get("/v1/customers/" + other + "/payment_methods/" + mine[0]).status, 404u);

  expect_refused("GET", "/v1/payment_methods", "", 400, "parameter_missing", "customer");
  expect_refused("GET", "/v1/payment_methods?customer=" + cus + "&type=sepa_debit", "", 400,
                 "parameter_invalid", "type");
  expect_refused("GET", "/v1/payment_methods?customer=cus_missing", "", 400, "resource_missing",
                 "customer");
  expect_refused("GET", "/v1/customers/cus_missing/payment_methods", "", 404, "resource_missing",
                 "id");
}

TEST_P(PaymentMethodsTest, UpdatesApplyToSavedPaymentMethodsOnly) {
  const std::string method = create_id(std::string(kCard) + "&billing_details[name]=Old");
  const std::string path = "/v1/payment_methods/" + method;
  expect_refused("POST", path, "metadata[a]=1", 400, "payment_method_unexpected_state", "");
  ASSERT_EQ(attach(method, customer()).status, 200u);

  const ApiReply updated = post(path,
                                "billing_details[email]=j%40example.com&"
                                "billing_details[address][city]=Springfield&metadata[a]=1&"
                                "card[exp_month]=6&card[exp_year]=2032");
  ASSERT_EQ(updated.status, 200u) << boost::json::serialize(updated.body);
  EXPECT_EQ(updated.body.at("billing_details").at("name"), "Old");  // kept
  EXPECT_EQ(updated.body.at("billing_details").at("email"), "j@example.com");
  EXPECT_EQ(updated.body.at("billing_details").at("address").at("city"), "Springfield");
  EXPECT_EQ(updated.body.at("metadata"), boost::json::parse(R"({"a":"1"})"));
  EXPECT_EQ(updated.body.at("card").at("exp_month"), 6);
  EXPECT_EQ(updated.body.at("card").at("exp_year"), 2032);
  EXPECT_EQ(get(path).body, updated.body);

  const ApiReply unset = post(path, "billing_details[name]=&metadata=");
  EXPECT_TRUE(unset.body.at("billing_details").at("name").is_null());
  EXPECT_EQ(unset.body.at("metadata"), object());

  expect_refused("POST", path, "card[exp_year]=2020", 402, "invalid_expiry_year", "card[exp_year]");
  expect_refused("POST", path, "card[exp_month]=0", 402, "invalid_expiry_month", "card[exp_month]");
  expect_refused("POST", path, "card[number]=4242424242424242", 400, "parameter_unknown",
                 "card[number]");
  expect_refused("POST", "/v1/payment_methods/pm_missing", "metadata[a]=1", 404, "resource_missing",
                 "id");
}

TEST_P(PaymentMethodsTest, AnotherMerchantsPaymentMethodsDoNotExistForYou) {
  const std::string method = create_id();
  const std::string other = new_merchant_key();
  const ApiReply other_customer = call("POST", "/v1/customers", "", "", other);
  ASSERT_EQ(other_customer.status, 200u);
  expect_refused("GET", "/v1/payment_methods/" + method, "", 404, "resource_missing", "id", other);
  expect_refused("POST", "/v1/payment_methods/" + method + "/attach",
                 "customer=" + other_customer.text("id"), 404, "resource_missing", "id", other);
  // Nor can their customers be named from here.
  expect_refused("POST", "/v1/payment_methods/" + method + "/attach",
                 "customer=" + other_customer.text("id"), 400, "resource_missing", "customer");
}

INSTANTIATE_TEST_SUITE_P(Backends, PaymentMethodsTest,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         till::testing::backend_name);

}  // namespace
}  // namespace till::payments::testing
