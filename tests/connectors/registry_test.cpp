// The registry: what it lists, how it validates an account before the admin API stores it,
// and that make_connector builds the named connector (or nothing).
#include "connectors/registry.h"

#include <gtest/gtest.h>

#include <set>

#include "connectors/common.h"
#include "connectors/declines.h"

namespace till::connectors {
namespace {

AccountConfig psp_account(std::string connector = "psp_json") {
  AccountConfig account;
  account.account_id = "ca_1";
  account.connector = std::move(connector);
  account.base_url = "http://127.0.0.1:8099";
  account.credentials = {{"api_key", "psk_test_a"}, {"webhook_secret", "pwhsec_a"}};
  return account;
}

std::string error_of(const AccountConfig& account) {
  auto valid = validate_account(account);
  return valid ? std::string() : valid.error();
}

TEST(Registry, ListsEveryConnectorWithItsCredentials) {
  std::set<std::string_view> names;
  for (const ConnectorInfo& info : connectors()) {
    names.insert(info.name);
    EXPECT_FALSE(info.description.empty());
    EXPECT_EQ(find_connector(info.name), &info);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"sandbox_card", "psp_json", "psp_iso8583"}));
  EXPECT_EQ(find_connector("stripe"), nullptr);

  const ConnectorInfo* json = find_connector("psp_json");
  ASSERT_NE(json, nullptr);
  EXPECT_TRUE(json->needs_base_url);
  EXPECT_EQ(std::vector<std::string_view>(json->required_credentials.begin(),
                                          json->required_credentials.end()),
            (std::vector<std::string_view>{"api_key", "webhook_secret"}));
  const ConnectorInfo* iso = find_connector("psp_iso8583");
  ASSERT_NE(iso, nullptr);
  EXPECT_EQ(iso->required_credentials.size(), 2u);
  const ConnectorInfo* sandbox = find_connector("sandbox_card");
  ASSERT_NE(sandbox, nullptr);
  EXPECT_FALSE(sandbox->needs_base_url);
  EXPECT_TRUE(sandbox->required_credentials.empty());
}

TEST(Registry, ValidAccounts) {
  EXPECT_EQ(error_of(psp_account("psp_json")), "");
  EXPECT_EQ(error_of(psp_account("psp_iso8583")), "");
  AccountConfig https = psp_account();
  https.base_url = "https://psp.example.com:8443/prefix/";
  EXPECT_EQ(error_of(https), "");
  AccountConfig v6 = psp_account();
  v6.base_url = "http://[::1]:8080";
  EXPECT_EQ(error_of(v6), "");
  AccountConfig sandbox;
  sandbox.account_id = "ca_2";
  sandbox.connector = "sandbox_card";
  EXPECT_EQ(error_of(sandbox), "");
}

TEST(Registry, InvalidAccountsAreNamedWithoutQuotingSecrets) {
  AccountConfig unknown = psp_account("stripe");
  EXPECT_NE(error_of(unknown).find("unknown connector"), std::string::npos);
  EXPECT_NE(error_of(unknown).find("psp_json"), std::string::npos);  // says what is known

  AccountConfig no_key = psp_account();
  no_key.credentials.erase("api_key");
  EXPECT_EQ(error_of(no_key), "psp_json needs credential api_key");
  AccountConfig empty_secret = psp_account("psp_iso8583");
  empty_secret.credentials["webhook_secret"] = "";
  EXPECT_EQ(error_of(empty_secret), "psp_iso8583 needs credential webhook_secret");
  AccountConfig injected = psp_account();
  injected.credentials["api_key"] = "psk\r\nX-Evil: 1";
  EXPECT_NE(error_of(injected).find("credential api_key"), std::string::npos);
  EXPECT_EQ(error_of(injected).find("Evil"), std::string::npos);

  for (const std::string& url : std::vector<std::string>{
           "", "ftp://h", "127.0.0.1:80", "http://", "http://:80", "http://user:pw@h", "http://h:0",
           "http://h:70000", "http://h:x", "http://h/?q=1", "http://h/#f", "http://h /"}) {
    AccountConfig bad = psp_account();
    bad.base_url = url;
    EXPECT_NE(error_of(bad).find("base_url"), std::string::npos) << url << ": " << error_of(bad);
    EXPECT_EQ(error_of(bad).find("credential"), std::string::npos) << "names the right field";
  }

  AccountConfig no_timeout = psp_account();
  no_timeout.timeout = std::chrono::milliseconds(0);
  EXPECT_NE(error_of(no_timeout).find("timeout"), std::string::npos);
  no_timeout.timeout = std::chrono::milliseconds(120'001);
  EXPECT_NE(error_of(no_timeout).find("timeout"), std::string::npos);
}

TEST(Registry, MakeConnector) {
  for (const std::string& name : std::vector<std::string>{"psp_json", "psp_iso8583"}) {
    auto connector = make_connector(psp_account(name));
    ASSERT_NE(connector, nullptr) << name;
    EXPECT_EQ(connector->name(), name);
  }
  AccountConfig sandbox;
  sandbox.account_id = "ca_3";
  sandbox.connector = "sandbox_card";
  ASSERT_NE(make_connector(sandbox), nullptr);
  EXPECT_EQ(make_connector(sandbox)->name(), "sandbox_card");

  EXPECT_EQ(make_connector(psp_account("stripe")), nullptr);
  AccountConfig invalid = psp_account();
  invalid.credentials.clear();
  EXPECT_EQ(make_connector(invalid), nullptr);
}

TEST(Registry, SharedHttpClientIsOne) { EXPECT_EQ(shared_http_client(), shared_http_client()); }

TEST(Declines, TableIsConsistent) {
  std::set<std::string_view> codes;
  std::set<std::string_view> iso_codes;
  for (const DeclineRule& rule : decline_rules()) {
    EXPECT_TRUE(codes.insert(rule.decline_code).second) << rule.decline_code;
    EXPECT_TRUE(iso_codes.insert(rule.iso_code).second) << rule.iso_code;
    EXPECT_EQ(find_decline_by_code(rule.decline_code), &rule);
    EXPECT_EQ(find_decline_by_iso(rule.iso_code), &rule);
    EXPECT_NE(rule.iso_code, kIsoApproved);
  }
  EXPECT_TRUE(find_decline_by_code("try_again_later")->soft);
  EXPECT_TRUE(find_decline_by_iso("91")->soft);
  EXPECT_TRUE(find_decline_by_iso("96")->soft);
  EXPECT_TRUE(find_decline_by_iso("05")->soft);
  for (std::string_view hard : {"51", "43", "41", "54", "14", "1A"}) {
    EXPECT_FALSE(find_decline_by_iso(hard)->soft) << hard;
  }
}

TEST(Scrub, MasksCardNumbersAndSecretsAndControlCharacters) {
  EXPECT_EQ(scrub("card 4242424242424242 refused"), "card [redacted] refused");
  EXPECT_EQ(scrub("card 4242 4242 4242 4242."), "card [redacted].");
  EXPECT_EQ(scrub("card 4242-4242-4242-4242"), "card [redacted]");
  EXPECT_EQ(scrub("amount 2000 at 12:30"), "amount 2000 at 12:30");
  EXPECT_EQ(scrub("ref 000000002000"), "ref [redacted]");  // 12 digits: could be a PAN part
  EXPECT_EQ(scrub("line\r\nbreak"), "line  break");
  EXPECT_EQ(scrub("key whsec_abcdefghijklmnop").find("abcdefghijklmnop"), std::string::npos);
  EXPECT_LE(scrub(std::string(1000, 'a')).size(), kMessageBytesMax + 3);
}

}  // namespace
}  // namespace till::connectors
