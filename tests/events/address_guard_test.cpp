// The SSRF guard's address classes: every special range, the IPv6 forms that carry an IPv4
// address, metadata winning over its range, text parsing, and what each policy permits.
#include "events/address_guard.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace till::events {

// Readable names in failure messages (found by argument-dependent lookup; file-local).
[[maybe_unused]] static void PrintTo(AddressClass address_class, std::ostream* out) {
  *out << to_string(address_class);
}

namespace {

using Case = std::pair<std::string, AddressClass>;

// Classifies through the sockaddr path, as the sender does.
AddressClass classify_sockaddr(const std::string& ip) {
  if (ip.find(':') != std::string::npos) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    EXPECT_EQ(inet_pton(AF_INET6, ip.c_str(), &address.sin6_addr), 1) << ip;
    sockaddr generic{};
    static_assert(sizeof(address) >= sizeof(generic));
    return classify(reinterpret_cast<const sockaddr*>(&address));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  EXPECT_EQ(inet_pton(AF_INET, ip.c_str(), &address.sin_addr), 1) << ip;
  return classify(reinterpret_cast<const sockaddr*>(&address));
}

void expect_classes(const std::vector<Case>& cases) {
  for (const auto& [ip, expected] : cases) {
    EXPECT_EQ(classify_sockaddr(ip), expected) << ip << " via sockaddr";
    const auto from_text = classify_text(ip);
    ASSERT_TRUE(from_text.has_value()) << ip;
    EXPECT_EQ(*from_text, expected) << ip << " via text";
  }
}

TEST(AddressGuard, Loopback) {
  expect_classes({{"127.0.0.1", AddressClass::loopback},
                  {"127.255.255.254", AddressClass::loopback},
                  {"127.1.2.3", AddressClass::loopback},
                  {"::1", AddressClass::loopback}});
}

TEST(AddressGuard, PrivateNetworks) {
  expect_classes({{"10.0.0.1", AddressClass::private_network},
                  {"10.255.255.255", AddressClass::private_network},
                  {"172.16.0.1", AddressClass::private_network},
                  {"172.31.255.255", AddressClass::private_network},
                  {"192.168.1.1", AddressClass::private_network},
                  {"fc00::1", AddressClass::private_network},
                  {"fd12:3456:789a::1", AddressClass::private_network}});
  // Just outside the ranges.
  expect_classes({{"172.15.255.255", AddressClass::public_unicast},
                  {"172.32.0.0", AddressClass::public_unicast},
                  {"11.0.0.1", AddressClass::public_unicast},
                  {"192.169.0.1", AddressClass::public_unicast},
                  {"fe00::1", AddressClass::reserved}});
}

TEST(AddressGuard, LinkLocal) {
  expect_classes({{"169.254.0.1", AddressClass::link_local},
                  {"169.254.169.253", AddressClass::link_local},
                  {"fe80::1", AddressClass::link_local},
                  {"febf:ffff::1", AddressClass::link_local}});
}

TEST(AddressGuard, CloudMetadataWinsOverItsRange) {
  expect_classes({{"169.254.169.254", AddressClass::cloud_metadata},
                  {"169.254.170.2", AddressClass::cloud_metadata},
                  {"fd00:ec2::254", AddressClass::cloud_metadata},
                  {"100.100.100.200", AddressClass::cloud_metadata},
                  {"192.0.0.192", AddressClass::cloud_metadata},
                  {"168.63.129.16", AddressClass::cloud_metadata},
                  // The same services reached through IPv6 forms that carry IPv4.
                  {"::ffff:169.254.169.254", AddressClass::cloud_metadata},
                  {"64:ff9b::a9fe:a9fe", AddressClass::cloud_metadata},
                  {"2002:a9fe:a9fe::1", AddressClass::cloud_metadata}});
  // Neighbours stay in their range's class.
  expect_classes({{"fd00:ec2::253", AddressClass::private_network},
                  {"100.100.100.201", AddressClass::shared_cgnat},
                  {"192.0.0.191", AddressClass::reserved}});
}

TEST(AddressGuard, Unspecified) {
  expect_classes({{"0.0.0.0", AddressClass::unspecified},
                  {"0.1.2.3", AddressClass::unspecified},
                  {"::", AddressClass::unspecified}});
}

TEST(AddressGuard, SharedCgnat) {
  expect_classes({{"100.64.0.1", AddressClass::shared_cgnat},
                  {"100.127.255.255", AddressClass::shared_cgnat},
                  {"100.63.255.255", AddressClass::public_unicast},
                  {"100.128.0.0", AddressClass::public_unicast}});
}

TEST(AddressGuard, MulticastAndBroadcast) {
  expect_classes({{"224.0.0.1", AddressClass::multicast},
                  {"239.255.255.250", AddressClass::multicast},
                  {"ff02::1", AddressClass::multicast},
                  {"ff05::1:3", AddressClass::multicast},
                  {"255.255.255.255", AddressClass::broadcast}});
}

TEST(AddressGuard, Reserved) {
  expect_classes({{"240.0.0.1", AddressClass::reserved},
                  {"255.255.255.254", AddressClass::reserved},
                  {"192.0.0.1", AddressClass::reserved},
                  {"192.0.2.1", AddressClass::reserved},
                  {"198.51.100.7", AddressClass::reserved},
                  {"203.0.113.9", AddressClass::reserved},
                  {"198.18.0.1", AddressClass::reserved},
                  {"198.19.255.255", AddressClass::reserved},
                  {"192.88.99.1", AddressClass::reserved},
                  {"2001:db8::1", AddressClass::reserved},
                  {"3fff::1", AddressClass::reserved},
                  {"2001::1", AddressClass::reserved},       // Teredo
                  {"2001:2::1", AddressClass::reserved},     // benchmarking
                  {"100::1", AddressClass::reserved},        // discard-only
                  {"fec0::1", AddressClass::reserved},       // site-local
                  {"64:ff9b:1::1", AddressClass::reserved},  // local-use NAT64
                  {"4000::1", AddressClass::reserved},       // outside 2000::/3
                  {"::1:0:0:1", AddressClass::reserved}});
  expect_classes({{"198.17.255.255", AddressClass::public_unicast},
                  {"198.20.0.0", AddressClass::public_unicast}});
}

TEST(AddressGuard, PublicUnicast) {
  expect_classes({{"8.8.8.8", AddressClass::public_unicast},
                  {"1.1.1.1", AddressClass::public_unicast},
                  {"93.184.216.34", AddressClass::public_unicast},
                  {"223.255.255.255", AddressClass::public_unicast},
                  {"2606:4700:4700::1111", AddressClass::public_unicast},
                  {"2a00:1450:4001::200e", AddressClass::public_unicast},
                  {"2001:200::1", AddressClass::public_unicast}});  // just past 2001::/23
}

TEST(AddressGuard, Ipv6FormsCarryingIpv4AreClassifiedByTheirIpv4) {
  expect_classes({// IPv4-mapped
                  {"::ffff:127.0.0.1", AddressClass::loopback},
                  {"::ffff:10.1.2.3", AddressClass::private_network},
                  {"::ffff:169.254.1.1", AddressClass::link_local},
                  {"::ffff:0.0.0.0", AddressClass::unspecified},
                  {"::ffff:100.64.0.1", AddressClass::shared_cgnat},
                  {"::ffff:224.0.0.1", AddressClass::multicast},
                  {"::ffff:255.255.255.255", AddressClass::broadcast},
                  {"::ffff:8.8.8.8", AddressClass::public_unicast},
                  // IPv4-compatible
                  {"::127.0.0.1", AddressClass::loopback},
                  {"::10.0.0.1", AddressClass::private_network},
                  {"::0.0.0.2", AddressClass::unspecified},
                  {"::8.8.4.4", AddressClass::public_unicast},
                  // NAT64
                  {"64:ff9b::127.0.0.1", AddressClass::loopback},
                  {"64:ff9b::c0a8:0101", AddressClass::private_network},
                  {"64:ff9b::8.8.8.8", AddressClass::public_unicast},
                  // 6to4
                  {"2002:7f00:1::", AddressClass::loopback},
                  {"2002:0a00:0001::1", AddressClass::private_network},
                  {"2002:0808:0808::1", AddressClass::public_unicast}});
}

TEST(AddressGuard, OtherFamiliesAreReserved) {
  sockaddr_storage storage{};
  storage.ss_family = AF_UNIX;
  EXPECT_EQ(classify(reinterpret_cast<const sockaddr*>(&storage)), AddressClass::reserved);
}

TEST(AddressGuard, ClassifyTextForms) {
  EXPECT_EQ(classify_text("[::1]"), AddressClass::loopback);
  EXPECT_EQ(classify_text("[::ffff:10.0.0.1]"), AddressClass::private_network);
  EXPECT_EQ(classify_text("fe80::1%eth0"), AddressClass::link_local);
  EXPECT_EQ(classify_text("[fe80::1%25eth0]"), AddressClass::link_local);
  // Not IP literals (or not canonical ones): host names and the shorthands inet_aton takes.
  for (std::string_view text :
       {"", "localhost", "example.com", "127.1", "0x7f.0.0.1", "2130706433", "[127.0.0.1]", "[::1",
        "::1]", "fe80::1%", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4:80", "256.0.0.1"}) {
    EXPECT_FALSE(classify_text(text).has_value()) << text;
  }
  EXPECT_FALSE(classify_text(std::string_view("1.2.3.4\0junk", 12)).has_value());
  EXPECT_FALSE(classify_text(std::string(100, '1')).has_value());
}

TEST(AddressGuard, PermittedByPolicy) {
  const AddressClass all[] = {AddressClass::public_unicast,  AddressClass::loopback,
                              AddressClass::private_network, AddressClass::link_local,
                              AddressClass::cloud_metadata,  AddressClass::unspecified,
                              AddressClass::shared_cgnat,    AddressClass::multicast,
                              AddressClass::broadcast,       AddressClass::reserved};
  for (AddressClass address_class : all) {
    const bool is_public = address_class == AddressClass::public_unicast;
    const bool is_private = address_class == AddressClass::loopback ||
                            address_class == AddressClass::private_network ||
                            address_class == AddressClass::shared_cgnat;
    EXPECT_EQ(permitted(address_class, AddressPolicy::public_only), is_public)
        << to_string(address_class);
    EXPECT_EQ(permitted(address_class, AddressPolicy::allow_private), is_public || is_private)
        << to_string(address_class);
  }
}

TEST(AddressGuard, Names) {
  EXPECT_EQ(to_string(AddressClass::public_unicast), "public_unicast");
  EXPECT_EQ(to_string(AddressClass::private_network), "private_network");
  EXPECT_EQ(to_string(AddressClass::cloud_metadata), "cloud_metadata");
  EXPECT_EQ(to_string(AddressClass::shared_cgnat), "shared_cgnat");
  EXPECT_EQ(to_string(AddressPolicy::public_only), "public_only");
  EXPECT_EQ(to_string(AddressPolicy::allow_private), "allow_private");
}

}  // namespace
}  // namespace till::events
