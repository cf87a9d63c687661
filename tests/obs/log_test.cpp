#include "obs/log.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <mutex>
#include <string>
#include <vector>

namespace till::obs {
namespace {

boost::json::object parse_line(const std::string& line) {
  boost::system::error_code ec;
  auto value = boost::json::parse(line, ec);
  EXPECT_FALSE(ec) << "not JSON: " << line;
  return value.is_object() ? value.as_object() : boost::json::object{};
}

class CapturedLog : public ::testing::Test {
 protected:
  void SetUp() override {
    init_logging(LogLevel::debug, [this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  void TearDown() override { init_logging(LogLevel::info); }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST_F(CapturedLog, WritesOneJsonObjectPerLineWithStandardFields) {
  info("http request",
       {{"request_id", "req_1"}, {"status", 200}, {"latency_ms", 1.5}, {"ok", true}});
  const auto captured = lines();
  ASSERT_EQ(captured.size(), 1u);
  EXPECT_EQ(captured[0].find('\n'), std::string::npos);
  const auto object = parse_line(captured[0]);
  EXPECT_EQ(object.at("level").as_string(), "info");
  EXPECT_EQ(object.at("msg").as_string(), "http request");
  EXPECT_EQ(object.at("request_id").as_string(), "req_1");
  EXPECT_EQ(object.at("status").as_int64(), 200);
  EXPECT_EQ(object.at("latency_ms").as_double(), 1.5);
  EXPECT_EQ(object.at("ok").as_bool(), true);
  EXPECT_EQ(object.at("ts").as_string().size(), std::string("2026-11-25T17:46:08.123Z").size());
}

TEST_F(CapturedLog, DropsLinesBelowTheLevel) {
  set_log_level(LogLevel::warn);
  info("hidden");
  debug("hidden");
  warn("shown");
  error("shown too");
  EXPECT_EQ(lines().size(), 2u);
}

TEST(LogLevel, ParsesEveryName) {
  EXPECT_EQ(parse_log_level("trace"), LogLevel::trace);
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("info"), LogLevel::info);
  EXPECT_EQ(parse_log_level("warn"), LogLevel::warn);
  EXPECT_EQ(parse_log_level("error"), LogLevel::error);
  EXPECT_EQ(parse_log_level("verbose"), std::nullopt);
  EXPECT_EQ(parse_log_level(""), std::nullopt);
}

TEST(JsonString, EscapesQuotesControlsAndInvalidUtf8) {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"plain", "\"plain\""},
      {"q\"b\\", "\"q\\\"b\\\\\""},
      {"line\nbreak\ttab\r", "\"line\\nbreak\\ttab\\r\""},
      {std::string("nul\0x", 5), "\"nul\\u0000x\""},
      {"\x01\x1f", "\"\\u0001\\u001f\""},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},             // valid UTF-8 kept
      {"\xe2\x82\xac", "\"\xe2\x82\xac\""},           // euro sign
      {"\xf0\x9f\x92\xb3", "\"\xf0\x9f\x92\xb3\""},   // 4-byte emoji
      {"bad\xff", "\"bad\\ufffd\""},                  // invalid lead byte
      {"\xc3", "\"\\ufffd\""},                        // truncated sequence
      {"\xc0\xaf", "\"\\ufffd\\ufffd\""},             // overlong '/'
      {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},  // UTF-16 surrogate
  };
  for (const auto& test_case : cases) {
    std::string out;
    append_json_string(out, test_case.input);
    EXPECT_EQ(out, test_case.expected) << "input: " << test_case.input;
    boost::system::error_code ec;
    boost::json::parse(out, ec);
    EXPECT_FALSE(ec) << out;
  }
}

TEST(Redaction, MasksKeysSecretsAndBearerCredentials) {
  std::string line =
      R"({"a":"sk_test_51HxAbCdEf","b":"sk_live_XyZ123","c":"whsec_abc","d":"Bearer tok.en-1/2=","e":"rk_live_Q"})";
  EXPECT_EQ(redact_secrets(line), 5);
  EXPECT_EQ(line.find("51HxAbCdEf"), std::string::npos);
  EXPECT_EQ(line.find("XyZ123"), std::string::npos);
  EXPECT_EQ(line.find("whsec_abc"), std::string::npos);
  EXPECT_EQ(line.find("tok.en"), std::string::npos);
  EXPECT_NE(line.find("sk_test_[REDACTED]"), std::string::npos);  // the kind of key stays visible
}

TEST(Redaction, MasksCardNumbersButNotTimestampsOrIds) {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"card 4242424242424242 ok", "card ************4242 ok"},
      {"card 4242 4242 4242 4242", "card **** **** **** 4242"},
      {"card 4000-0000-0000-0002", "card ****-****-****-0002"},
      {"amex 378282246310005", "amex ***********0005"},
      {"not luhn 4242424242424241", "not luhn 4242424242424241"},
      {"unix ms 1764092768123", "unix ms 1764092768123"},
      {"unix ns 1764092768123456789", "unix ns 1764092768123456789"},
      {"id pi_4242424242424242", "id pi_4242424242424242"},
      {"short 4242", "short 4242"},
  };
  for (const auto& test_case : cases) {
    std::string line = test_case.input;
    redact_secrets(line);
    EXPECT_EQ(line, test_case.expected);
  }
}

TEST(LogLine, IsRedactedAndStaysValidJsonWhenHuge) {
  const std::string huge(200 * 1024, 'x');
  const std::string line = format_log_line("2026-01-01T00:00:00.000Z", LogLevel::info, "big",
                                           {{"payload", huge}, {"key", "sk_live_secret"}});
  EXPECT_LT(line.size(), 70u * 1024);
  const auto object = parse_line(line);
  EXPECT_EQ(object.at("msg").as_string(), "big");
  EXPECT_TRUE(object.contains("truncated_bytes"));
  const std::string small = format_log_line("t", LogLevel::warn, "m", {{"key", "sk_live_secret"}});
  EXPECT_EQ(small.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace till::obs
