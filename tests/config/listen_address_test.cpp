// parse_listen_address: one row per case, "text -> host and port" or "text -> reason".
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace till::config {
namespace {

struct GoodRow {
  std::string_view text;
  std::string_view host;
  std::uint16_t port;
};

constexpr GoodRow good_rows[] = {
    {"127.0.0.1:4242", "127.0.0.1", 4242},
    {"0.0.0.0:0", "0.0.0.0", 0},  // port 0: the OS picks one (tests)
    {"255.255.255.255:65535", "255.255.255.255", 65535},
    {"localhost:80", "localhost", 80},
    {"LOCALHOST:80", "LOCALHOST", 80},
    {"till-api.example.com:443", "till-api.example.com", 443},
    {"db_1:5432", "db_1", 5432},  // Docker Compose service names use '_'
    {"[::1]:4242", "::1", 4242},
    {"[::]:0", "::", 0},
    {"[2001:db8::8a2e:370:7334]:8080", "2001:db8::8a2e:370:7334", 8080},
    {"[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", 80},
    {"[fe80::1%eth0]:4242", "fe80::1%eth0", 4242},
    {"[FE80::A]:1", "FE80::A", 1},
};

TEST(ListenAddress, ParsesHostAndPort) {
  for (const GoodRow& row : good_rows) {
    SCOPED_TRACE(row.text);
    const auto parsed = parse_listen_address(row.text);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->first, row.host);
    EXPECT_EQ(parsed->second, row.port);
  }
}

struct BadRow {
  std::string_view text;
  std::string_view reason;
};

const std::string long_label = std::string(64, 'a') + ":80";
const std::string long_hostname = std::string(250, 'a') + ".com:80";  // 254 > 253
const std::string too_long = std::string(301, '1');

const BadRow bad_rows[] = {
    {"", "missing ':PORT'"},
    {"127.0.0.1", "missing ':PORT'"},
    {"127.0.0.1:", "missing port"},
    {":4242", "missing host"},
    {"127.0.0.1:65536", "port must be a number from 0 to 65535"},
    {"127.0.0.1:99999", "port must be a number from 0 to 65535"},
    {"127.0.0.1:123456", "port must be a number from 0 to 65535"},
    {"127.0.0.1:-1", "port must be a number"},
    {"127.0.0.1:+1", "port must be a number"},
    {"127.0.0.1: 80", "port must be a number"},
    {"127.0.0.1:http", "port must be a number"},
    {"256.0.0.1:80", "not a valid IPv4 address"},
    {"1.2.3:80", "not a valid IPv4 address"},
    {"1.2.3.4.5:80", "not a valid IPv4 address"},
    {"::1:4242", "needs brackets"},
    {"::1", "needs brackets"},
    {"[::1]", "missing ':PORT' after ']'"},
    {"[::1]4242", "missing ':PORT' after ']'"},
    {"[::1:4242", "missing ']'"},
    {"[]:80", "not a valid IPv6 address"},
    {"[127.0.0.1]:80", "not a valid IPv6 address"},
    {"[::g]:80", "not a valid IPv6 address"},
    {"[fe80::1%]:80", "not a valid IPv6 address"},
    {std::string_view("[::1\0junk]:80", 13), "not a valid IPv6 address"},
    {"-till.example:80", "not a valid hostname"},
    {"till-.example:80", "not a valid hostname"},
    {"a..b:80", "not a valid hostname"},
    {"example.:80", "not a valid hostname"},
    {"exa mple:80", "not a valid hostname"},
    {"ex\xc3\xa4mple:80", "not a valid hostname"},
    {long_label, "not a valid hostname"},
    {long_hostname, "not a valid hostname"},
    {too_long, "too long"},
};

TEST(ListenAddress, RejectsWithAReason) {
  for (const BadRow& row : bad_rows) {
    SCOPED_TRACE(std::string(row.text));
    const auto parsed = parse_listen_address(row.text);
    ASSERT_FALSE(parsed) << parsed->first << " " << parsed->second;
    EXPECT_EQ(parsed.error().code, "invalid_listen_address");
    EXPECT_NE(parsed.error().message.find(row.reason), std::string::npos) << parsed.error().message;
  }
}

// What parses, formatted back the way docs write it, parses to the same thing.
TEST(ListenAddress, RoundTrips) {
  for (const GoodRow& row : good_rows) {
    const std::string host(row.host);
    const bool ipv6 = host.find(':') != std::string::npos;
    const std::string text = (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(row.port);
    const auto parsed = parse_listen_address(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(parsed->first, host);
    EXPECT_EQ(parsed->second, row.port);
  }
}

}  // namespace
}  // namespace till::config
