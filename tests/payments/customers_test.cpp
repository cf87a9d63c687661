// Customers in-process on both backends: Stripe's exact object, create/update/unset semantics,
// metadata rules, delete (a stub on retrieve, 404 on a second delete, gone from lists, its
// payment methods detached), pagination, and isolation between merchants and modes. Every
// refused request is checked to have changed nothing.
#include <set>

#include "payments_fixture.h"

namespace till::payments::testing {
namespace {

using boost::json::object;

std::set<std::string> keys_of(const object& body) {
  std::set<std::string> keys;
  for (const auto& member : body) keys.emplace(member.key());
  return keys;
}

std::string repeat(std::string_view text, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

class CustomersTest : public PaymentsFixture {
 protected:
  ApiReply create(std::string_view body = "") { return post("/v1/customers", body); }
  ApiReply update(const std::string& id, std::string_view body) {
    return post("/v1/customers/" + id, body);
  }
  ApiReply remove(const std::string& id) { return call("DELETE", "/v1/customers/" + id); }

  std::string create_id(std::string_view body = "") {
    const ApiReply created = create(body);
    EXPECT_EQ(created.status, 200u) << boost::json::serialize(created.body);
    return created.text("id");
  }

  // A live key of the merchant SetUp made (the fixture's own live keys belong to new merchants).
  std::string same_merchant_live_key() {
    auto merchants = merchants_->list_merchants("", 10);
    EXPECT_TRUE(merchants && merchants->items.size() == 1);
    if (!merchants || merchants->items.empty()) return "";
    auto issued = merchants_->issue_key(merchants->items.front().id, merchant::Mode::live);
    EXPECT_TRUE(issued);
    return issued ? issued->secret : "";
  }

  // A 400 naming `param` with `code` that changed nothing.
  void expect_refused(std::string_view method, const std::string& target, std::string_view body,
                      const std::string& code, const std::string& param) {
    const std::string before = state_snapshot();
    const ApiReply refused = call(method, target, body);
    EXPECT_EQ(refused.status, 400u) << body << " -> " << boost::json::serialize(refused.body);
    EXPECT_EQ(refused.error_field("type"), "invalid_request_error") << body;
    EXPECT_EQ(refused.error_field("code"), code) << body;
    EXPECT_EQ(refused.error_field("param"), param) << body;
    EXPECT_EQ(state_snapshot(), before) << body;
  }
};

TEST_P(CustomersTest, CreateAnswersStripesCustomerObject) {
  const ApiReply created = create(
      "name=Jenny+Rosen&email=jenny%40example.com&description=Gold+tier&phone=%2B15555550100&"
      "address[line1]=1+Main+St&address[city]=Springfield&address[postal_code]=12345&"
      "address[country]=US&metadata[order]=42");
  ASSERT_EQ(created.status, 200u) << boost::json::serialize(created.body);
  const object& body = created.body;
  EXPECT_EQ(keys_of(body), (std::set<std::string>{"id",
                                                  "object",
                                                  "address",
                                                  "balance",
                                                  "created",
                                                  "currency",
                                                  "default_source",
                                                  "delinquent",
                                                  "description",
                                                  "discount",
                                                  "email",
                                                  "invoice_prefix",
                                                  "invoice_settings",
                                                  "livemode",
                                                  "metadata",
                                                  "name",
                                                  "next_invoice_sequence",
                                                  "phone",
                                                  "preferred_locales",
                                                  "shipping",
                                                  "tax_exempt",
                                                  "test_clock"}));
  EXPECT_EQ(created.text("id").rfind("cus_", 0), 0u);
  EXPECT_EQ(created.text("object"), "customer");
  EXPECT_EQ(body.at("address"), boost::json::parse(R"({"city":"Springfield","country":"US",
      "line1":"1 Main St","line2":null,"postal_code":"12345","state":null})"));
  EXPECT_EQ(created.integer("balance"), 0);
  EXPECT_EQ(created.integer("created"), clock_.now_unix_s());
  EXPECT_TRUE(body.at("currency").is_null());
  EXPECT_TRUE(body.at("default_source").is_null());
  EXPECT_EQ(body.at("delinquent"), false);
  EXPECT_EQ(created.text("description"), "Gold tier");
  EXPECT_TRUE(body.at("discount").is_null());
  EXPECT_EQ(created.text("email"), "jenny@example.com");
  const std::string prefix = created.text("invoice_prefix");
  ASSERT_EQ(prefix.size(), 8u);
  for (const char c : prefix) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) << c;
  EXPECT_EQ(body.at("invoice_settings"),
            boost::json::parse(R"({"custom_fields":null,"default_payment_method":null,
                "footer":null,"rendering_options":null})"));
  EXPECT_EQ(body.at("livemode"), false);
  EXPECT_EQ(body.at("metadata"), boost::json::parse(R"({"order":"42"})"));
  EXPECT_EQ(created.text("name"), "Jenny Rosen");
  EXPECT_EQ(created.integer("next_invoice_sequence"), 1);
  EXPECT_EQ(created.text("phone"), "+15555550100");
  EXPECT_EQ(body.at("preferred_locales"), boost::json::array());
  EXPECT_TRUE(body.at("shipping").is_null());
  EXPECT_EQ(created.text("tax_exempt"), "none");
  EXPECT_TRUE(body.at("test_clock").is_null());

  const ApiReply retrieved = get("/v1/customers/" + created.text("id"));
  ASSERT_EQ(retrieved.status, 200u);
  EXPECT_EQ(retrieved.body, created.body);
}

TEST_P(CustomersTest, AnEmptyCreateHasNullsAndEachCustomerItsOwnInvoicePrefix) {
  const ApiReply first = create();
  ASSERT_EQ(first.status, 200u) << boost::json::serialize(first.body);
  for (const char* field : {"address", "description", "email", "name", "phone", "shipping"}) {
    EXPECT_TRUE(first.body.at(field).is_null()) << field;
  }
  EXPECT_EQ(first.body.at("metadata"), object());
  const ApiReply second = create();
  EXPECT_NE(first.text("id"), second.text("id"));
  EXPECT_NE(first.text("invoice_prefix"), second.text("invoice_prefix"));
}

TEST_P(CustomersTest, ShippingIsReplacedWholeAndRequiresNameAndAddress) {
  const ApiReply created =
      create("shipping[name]=Jenny&shipping[address][line1]=1+Main+St&shipping[phone]=555");
  ASSERT_EQ(created.status, 200u) << boost::json::serialize(created.body);
  EXPECT_EQ(created.body.at("shipping"), boost::json::parse(R"({"address":{"city":null,
      "country":null,"line1":"1 Main St","line2":null,"postal_code":null,"state":null},
      "name":"Jenny","phone":"555"})"));
  const std::string id = created.text("id");
  expect_refused("POST", "/v1/customers/" + id, "shipping[name]=Jenny", "parameter_missing",
                 "shipping[address]");
  expect_refused("POST", "/v1/customers/" + id, "shipping[address][city]=X", "parameter_missing",
                 "shipping[name]");
  const ApiReply unset = update(id, "shipping=");
  ASSERT_EQ(unset.status, 200u);
  EXPECT_TRUE(unset.body.at("shipping").is_null());
}

TEST_P(CustomersTest, TooLongValuesAreRefusedNamingTheParameterAndChangeNothing) {
  expect_refused("POST", "/v1/customers", "name=" + repeat("a", 257), "parameter_invalid", "name");
  expect_refused("POST", "/v1/customers", "email=" + repeat("a", 503) + "%40example.com",
                 "parameter_invalid", "email");
  expect_refused("POST", "/v1/customers", "description=" + repeat("d", 351), "parameter_invalid",
                 "description");
  expect_refused("POST", "/v1/customers", "phone=" + repeat("5", 21), "parameter_invalid", "phone");
  expect_refused("POST", "/v1/customers", "address[city]=" + repeat("c", 5001), "parameter_invalid",
                 "address[city]");
  expect_refused("POST", "/v1/customers", "metadata[" + repeat("k", 41) + "]=v",
                 "parameter_invalid", "metadata[" + repeat("k", 41) + "]");

  // Limits count characters, not bytes: 256 two-byte characters are a valid name.
  const ApiReply accented = create("name=" + repeat("%C3%A9", 256));
  ASSERT_EQ(accented.status, 200u) << boost::json::serialize(accented.body);
  EXPECT_EQ(accented.text("name").size(), 512u);
}

TEST_P(CustomersTest, MalformedRequestsAreRefusedAndChangeNothing) {
  expect_refused("POST", "/v1/customers", "nickname=J", "parameter_unknown", "nickname");
  expect_refused("POST", "/v1/customers", "address[zip]=1", "parameter_unknown", "address[zip]");
  expect_refused("POST", "/v1/customers", "email=not-an-email", "email_invalid", "email");
  expect_refused("POST", "/v1/customers", "invoice_settings[footer]=x", "parameter_unknown",
                 "invoice_settings[footer]");
  expect_refused("POST", "/v1/customers", "expand[]=invoice_prefix", "parameter_invalid", "expand");
  expect_refused("POST", "/v1/customers", "payment_method=pm_nope", "resource_missing",
                 "payment_method");
  // A new customer has no payment method but the one it is created with.
  expect_refused("POST", "/v1/customers", "invoice_settings[default_payment_method]=pm_card_visa",
                 "resource_missing", "invoice_settings[default_payment_method]");
  expect_refused("GET", "/v1/customers?colour=red", "", "parameter_unknown", "colour");
}

TEST_P(CustomersTest, ListsFilterByExactEmailAndFollowEmailChanges) {
  const std::string jenny = create_id("email=jenny%40example.com");
  create_id("email=Jenny%40example.com");  // Stripe's filter is case-sensitive
  create_id("name=No+email");
  auto listed = [&](const std::string& email) {
    const ApiReply page = call("GET", "/v1/customers?email=" + email);
    EXPECT_EQ(page.status, 200u);
    std::vector<std::string> ids;
    for (const auto& item : page.body.at("data").as_array()) {
      ids.emplace_back(item.at("id").as_string());
    }
    return ids;
  };
  EXPECT_EQ(listed("jenny%40example.com"), std::vector<std::string>{jenny});
  EXPECT_EQ(update(jenny, "email=jen%40example.com").status, 200u);
  EXPECT_TRUE(listed("jenny%40example.com").empty());
  EXPECT_EQ(listed("jen%40example.com"), std::vector<std::string>{jenny});
  EXPECT_EQ(update(jenny, "email=").status, 200u);
  EXPECT_TRUE(listed("jen%40example.com").empty());
}

TEST_P(CustomersTest, UpdateSetsUnsetsAndMergesLikeStripe) {
  const std::string id = create_id(
      "name=Jenny&description=Gold&address[line1]=1+Main+St&address[city]=Springfield&"
      "metadata[a]=1&metadata[b]=2");
  const ApiReply updated = update(id,
                                  "description=&email=j%40example.com&address[city]=Shelbyville&"
                                  "metadata[b]=&metadata[c]=3");
  ASSERT_EQ(updated.status, 200u) << boost::json::serialize(updated.body);
  EXPECT_TRUE(updated.body.at("description").is_null());  // "" unsets
  EXPECT_EQ(updated.text("name"), "Jenny");               // not sent: kept
  EXPECT_EQ(updated.text("email"), "j@example.com");
  EXPECT_EQ(updated.body.at("address").at("line1"), "1 Main St");  // merged
  EXPECT_EQ(updated.body.at("address").at("city"), "Shelbyville");
  EXPECT_EQ(updated.body.at("metadata"), boost::json::parse(R"({"a":"1","c":"3"})"));

  const ApiReply line_unset = update(id, "address[line1]=");
  EXPECT_TRUE(line_unset.body.at("address").at("line1").is_null());
  EXPECT_EQ(line_unset.body.at("address").at("city"), "Shelbyville");
  const ApiReply cleared = update(id, "metadata=&address=");
  ASSERT_EQ(cleared.status, 200u);
  EXPECT_EQ(cleared.body.at("metadata"), object());
  EXPECT_TRUE(cleared.body.at("address").is_null());
  EXPECT_EQ(get("/v1/customers/" + id).body, cleared.body);  // what was answered was stored
}

TEST_P(CustomersTest, MetadataMayNotGrowPastFiftyKeysThroughUpdates) {
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += "metadata[k" + std::to_string(i) + "]=v&";
  const std::string id = create_id(fifty.substr(0, fifty.size() - 1));
  const ApiReply before = get("/v1/customers/" + id);
  // Each request is within the limit; together with what is stored it is not. Stripe refuses
  // it; the request changes nothing.
  const ApiReply refused = update(id, "metadata[k50]=v");
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(refused.error_field("param"), "metadata");
  EXPECT_EQ(get("/v1/customers/" + id).body, before.body);
  // Replacing a key and unsetting one to make room are fine.
  const ApiReply swapped = update(id, "metadata[k0]=&metadata[k50]=v");
  ASSERT_EQ(swapped.status, 200u) << boost::json::serialize(swapped.body);
  EXPECT_EQ(swapped.body.at("metadata").as_object().size(), 50u);
}

TEST_P(CustomersTest, MissingCustomersAre404) {
  for (const auto& [method, target] : {std::pair{"GET", "/v1/customers/cus_missing"},
                                       std::pair{"POST", "/v1/customers/cus_missing"},
                                       std::pair{"DELETE", "/v1/customers/cus_missing"}}) {
    const ApiReply missing = call(method, target);
    EXPECT_EQ(missing.status, 404u) << method;
    EXPECT_EQ(missing.error_field("code"), "resource_missing");
    EXPECT_EQ(missing.error_field("param"), "id");
    EXPECT_EQ(missing.error_field("message"), "No such customer: 'cus_missing'");
  }
}

TEST_P(CustomersTest, DeleteLeavesAStubThatListsSkipAndWritesRefuse) {
  const std::string id = create_id("name=Gone");
  const std::string kept = create_id("name=Kept");
  const ApiReply method = post("/v1/payment_methods/pm_card_visa/attach", "customer=" + id);
  ASSERT_EQ(method.status, 200u) << boost::json::serialize(method.body);

  const ApiReply deleted = remove(id);
  ASSERT_EQ(deleted.status, 200u) << boost::json::serialize(deleted.body);
  const object stub =
      boost::json::parse(R"({"id":")" + id + R"(","object":"customer","deleted":true})")
          .as_object();
  EXPECT_EQ(deleted.body, stub);
  const ApiReply retrieved = get("/v1/customers/" + id);
  EXPECT_EQ(retrieved.status, 200u);
  EXPECT_EQ(retrieved.body, stub);

  const ApiReply again = remove(id);
  EXPECT_EQ(again.status, 404u);
  EXPECT_EQ(again.error_field("code"), "resource_missing");
  EXPECT_EQ(update(id, "name=Back").status, 404u);

  const ApiReply list = get("/v1/customers");
  ASSERT_EQ(list.body.at("data").as_array().size(), 1u);
  EXPECT_EQ(list.body.at("data").at(0).at("id"), boost::json::value(kept));

  // Its payment methods were detached: they no longer belong to a customer.
  const ApiReply detached = get("/v1/payment_methods/" + method.text("id"));
  EXPECT_TRUE(detached.body.at("customer").is_null());
  EXPECT_EQ(get("/v1/customers/" + id + "/payment_methods").status, 404u);
}

TEST_P(CustomersTest, AnotherMerchantsCustomersDoNotExistForYou) {
  const std::string id = create_id("name=Mine");
  const std::string other = new_merchant_key();
  EXPECT_EQ(call("GET", "/v1/customers/" + id, "", "", other).status, 404u);
  EXPECT_EQ(call("POST", "/v1/customers/" + id, "name=Stolen", "", other).status, 404u);
  EXPECT_EQ(call("DELETE", "/v1/customers/" + id, "", "", other).status, 404u);
  EXPECT_EQ(call("GET", "/v1/customers", "", "", other).body.at("data").as_array().size(), 0u);
  EXPECT_EQ(get("/v1/customers/" + id).text("name"), "Mine");
}

TEST_P(CustomersTest, TestAndLiveModeAreSeparate) {
  const std::string test_id = create_id("name=Test");
  const std::string live = same_merchant_live_key();
  const ApiReply live_created = call("POST", "/v1/customers", "name=Live", "", live);
  ASSERT_EQ(live_created.status, 200u) << boost::json::serialize(live_created.body);
  EXPECT_EQ(live_created.body.at("livemode"), true);
  EXPECT_EQ(call("GET", "/v1/customers/" + test_id, "", "", live).status, 404u);
  EXPECT_EQ(get("/v1/customers/" + live_created.text("id")).status, 404u);
  const ApiReply live_list = call("GET", "/v1/customers", "", "", live);
  ASSERT_EQ(live_list.body.at("data").as_array().size(), 1u);
  EXPECT_EQ(live_list.body.at("data").at(0).at("id"), boost::json::value(live_created.text("id")));
}

TEST_P(CustomersTest, ListsPageNewestFirstWithStripesCursors) {
  std::vector<std::string> ids;  // oldest first
  for (int i = 0; i < 12; ++i) {
    ids.push_back(create_id("name=c" + std::to_string(i)));
    clock_.advance_ms(1000);
  }
  auto ids_of = [](const ApiReply& page) {
    std::vector<std::string> out;
    for (const auto& item : page.body.at("data").as_array()) {
      out.emplace_back(item.at("id").as_string());
    }
    return out;
  };
  const ApiReply first = get("/v1/customers");
  ASSERT_EQ(first.status, 200u) << boost::json::serialize(first.body);
  EXPECT_EQ(first.text("object"), "list");
  EXPECT_EQ(first.text("url"), "/v1/customers");
  EXPECT_EQ(first.body.at("has_more"), true);
  ASSERT_EQ(ids_of(first).size(), 10u);  // Stripe's default limit
  EXPECT_EQ(ids_of(first).front(), ids[11]);

  const ApiReply page1 = get("/v1/customers?limit=5");
  EXPECT_EQ(ids_of(page1), (std::vector<std::string>{ids[11], ids[10], ids[9], ids[8], ids[7]}));
  EXPECT_EQ(page1.body.at("has_more"), true);
  const ApiReply page2 = get("/v1/customers?limit=5&starting_after=" + ids[7]);
  EXPECT_EQ(ids_of(page2), (std::vector<std::string>{ids[6], ids[5], ids[4], ids[3], ids[2]}));
  EXPECT_EQ(page2.body.at("has_more"), true);
  const ApiReply page3 = get("/v1/customers?limit=5&starting_after=" + ids[2]);
  EXPECT_EQ(ids_of(page3), (std::vector<std::string>{ids[1], ids[0]}));
  EXPECT_EQ(page3.body.at("has_more"), false);

  const ApiReply back = get("/v1/customers?limit=5&ending_before=" + ids[6]);
  EXPECT_EQ(ids_of(back), ids_of(page1));
  EXPECT_EQ(back.body.at("has_more"), false);  // nothing newer than the newest page
  const ApiReply back2 = get("/v1/customers?limit=2&ending_before=" + ids[6]);
  EXPECT_EQ(ids_of(back2), (std::vector<std::string>{ids[8], ids[7]}));
  EXPECT_EQ(back2.body.at("has_more"), true);

  const std::int64_t created3 = get("/v1/customers/" + ids[3]).integer("created");
  const ApiReply ranged = get("/v1/customers?created[gte]=" + std::to_string(created3) +
                              "&created[lt]=" + std::to_string(created3 + 2));
  EXPECT_EQ(ids_of(ranged), (std::vector<std::string>{ids[4], ids[3]}));

  // A deleted customer leaves the pages without shifting the cursors of the others.
  ASSERT_EQ(remove(ids[5]).status, 200u);
  EXPECT_EQ(ids_of(get("/v1/customers?limit=3&starting_after=" + ids[7])),
            (std::vector<std::string>{ids[6], ids[4], ids[3]}));

  expect_refused("GET", "/v1/customers?starting_after=cus_missing", "", "resource_missing",
                 "starting_after");
  expect_refused("GET", "/v1/customers?limit=0", "", "parameter_invalid_integer", "limit");
  expect_refused("GET", "/v1/customers?limit=101", "", "parameter_invalid_integer", "limit");
}

TEST_P(CustomersTest, CreateWithAPaymentMethodAttachesItAndMayMakeItTheDefault) {
  const ApiReply created =
      create("payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_visa");
  ASSERT_EQ(created.status, 200u) << boost::json::serialize(created.body);
  const std::string id = created.text("id");
  const std::string method_id =
      std::string(created.body.at("invoice_settings").at("default_payment_method").as_string());
  EXPECT_EQ(method_id.rfind("pm_", 0), 0u);
  EXPECT_NE(method_id, "pm_card_visa");  // the test id became a stored payment method
  const ApiReply methods = get("/v1/customers/" + id + "/payment_methods");
  ASSERT_EQ(methods.body.at("data").as_array().size(), 1u);
  EXPECT_EQ(methods.body.at("data").at(0).at("id"), boost::json::value(method_id));
  EXPECT_EQ(methods.body.at("data").at(0).at("customer"), boost::json::value(id));

  // A payment method already attached elsewhere cannot be attached again.
  expect_refused("POST", "/v1/customers", "payment_method=" + method_id,
                 "payment_method_unexpected_state", "payment_method");

  // The default must be one of the customer's; unsetting it is always possible.
  const std::string other = create_id("payment_method=pm_card_mastercard");
  const std::string others_method = std::string(get("/v1/customers/" + other + "/payment_methods")
                                                    .body.at("data")
                                                    .at(0)
                                                    .at("id")
                                                    .as_string());
  expect_refused("POST", "/v1/customers/" + id,
                 "invoice_settings[default_payment_method]=" + others_method, "resource_missing",
                 "invoice_settings[default_payment_method]");
  const ApiReply unset = update(id, "invoice_settings[default_payment_method]=");
  ASSERT_EQ(unset.status, 200u);
  EXPECT_TRUE(unset.body.at("invoice_settings").at("default_payment_method").is_null());
  const ApiReply reset = update(id, "invoice_settings[default_payment_method]=" + method_id);
  EXPECT_EQ(reset.body.at("invoice_settings").at("default_payment_method"),
            boost::json::value(method_id));
}

TEST_P(CustomersTest, IdempotentCreateReplaysTheSameCustomer) {
  const ApiReply first = post("/v1/customers", "name=Once", "key-1");
  ASSERT_EQ(first.status, 200u);
  const std::int64_t rows = count("payment_objects");
  const ApiReply second = post("/v1/customers", "name=Once", "key-1");
  EXPECT_EQ(second.status, 200u);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(count("payment_objects"), rows);
}

INSTANTIATE_TEST_SUITE_P(Backends, CustomersTest,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         till::testing::backend_name);

}  // namespace
}  // namespace till::payments::testing
