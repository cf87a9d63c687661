// events/address_guard.cpp — the address classes: IANA's special-purpose registries
// (RFC 6890 and its updates) plus the cloud metadata addresses, as prefix tables.
#include "events/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cassert>
#include <cstdint>
#include <cstring>

namespace till::events {

namespace {

using Bytes16 = std::array<std::uint8_t, 16>;

struct V4Range {
  std::uint32_t base;  // host byte order
  int prefix_bits;
  AddressClass address_class;
};

constexpr std::uint32_t v4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Instance metadata services hand out credentials, so they are refused under every policy,
// whatever range they sit in: AWS/GCP/Azure/OpenStack (169.254.169.254), AWS ECS task
// metadata (169.254.170.2), Alibaba Cloud (100.100.100.200), Oracle Cloud (192.0.0.192) and
// Azure's WireServer (168.63.129.16, a public address that only means something inside Azure).
constexpr std::array<std::uint32_t, 5> kMetadataV4 = {v4(169, 254, 169, 254), v4(169, 254, 170, 2),
                                                      v4(100, 100, 100, 200), v4(192, 0, 0, 192),
                                                      v4(168, 63, 129, 16)};

// Checked in order, the first match wins (broadcast before the 240/4 that holds it); an
// address in none of them is public unicast.
constexpr std::array<V4Range, 16> kRangesV4 = {{
    {v4(0, 0, 0, 0), 8, AddressClass::unspecified},  // "this network"
    {v4(10, 0, 0, 0), 8, AddressClass::private_network},
    {v4(100, 64, 0, 0), 10, AddressClass::shared_cgnat},
    {v4(127, 0, 0, 0), 8, AddressClass::loopback},
    {v4(169, 254, 0, 0), 16, AddressClass::link_local},
    {v4(172, 16, 0, 0), 12, AddressClass::private_network},
    {v4(192, 0, 0, 0), 24, AddressClass::reserved},    // IETF protocol assignments
    {v4(192, 0, 2, 0), 24, AddressClass::reserved},    // documentation (TEST-NET-1)
    {v4(192, 88, 99, 0), 24, AddressClass::reserved},  // 6to4 relay anycast (deprecated)
    {v4(192, 168, 0, 0), 16, AddressClass::private_network},
    {v4(198, 18, 0, 0), 15, AddressClass::reserved},    // benchmarking
    {v4(198, 51, 100, 0), 24, AddressClass::reserved},  // documentation (TEST-NET-2)
    {v4(203, 0, 113, 0), 24, AddressClass::reserved},   // documentation (TEST-NET-3)
    {v4(224, 0, 0, 0), 4, AddressClass::multicast},
    {v4(255, 255, 255, 255), 32, AddressClass::broadcast},
    {v4(240, 0, 0, 0), 4, AddressClass::reserved},  // future use
}};

bool in_v4_range(std::uint32_t address, const V4Range& range) {
  assert(range.prefix_bits >= 1 && range.prefix_bits <= 32);
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - range.prefix_bits);
  assert((range.base & ~mask) == 0);
  return (address & mask) == range.base;
}

AddressClass classify_v4(std::uint32_t address) {
  for (std::uint32_t metadata : kMetadataV4) {
    if (address == metadata) return AddressClass::cloud_metadata;
  }
  for (const V4Range& range : kRangesV4) {
    if (in_v4_range(address, range)) return range.address_class;
  }
  return AddressClass::public_unicast;
}

std::uint32_t v4_at(const Bytes16& bytes, std::size_t offset) {
  assert(offset + 4 <= bytes.size());
  return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
         (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}

struct V6Range {
  Bytes16 base;
  std::size_t prefix_bits;
  AddressClass address_class;
};

bool in_v6_range(const Bytes16& address, const V6Range& range) {
  assert(range.prefix_bits >= 1 && range.prefix_bits <= 128);
  const std::size_t whole = range.prefix_bits / 8;
  for (std::size_t i = 0; i < whole; ++i) {
    if (address[i] != range.base[i]) return false;
  }
  const std::size_t rest = range.prefix_bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[whole] & mask) == range.base[whole];
}

// AWS's IPv6 instance metadata endpoint, fd00:ec2::254 (inside fc00::/7).
constexpr Bytes16 kMetadataV6 = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};

// Checked in order; the first match wins. An address in none of them is reserved unless it
// is in global unicast space (2000::/3).
constexpr std::array<V6Range, 9> kRangesV6 = {{
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, AddressClass::reserved},  // local-use NAT64
    {{0x01, 0x00}, 64, AddressClass::reserved},                          // discard-only
    {{0x20, 0x01, 0x0d, 0xb8}, 32, AddressClass::reserved},              // documentation
    {{0x20, 0x01}, 23, AddressClass::reserved},  // IETF protocol assignments (Teredo, ORCHID…)
    {{0x3f, 0xff}, 20, AddressClass::reserved},  // documentation (RFC 9637)
    {{0xfc}, 7, AddressClass::private_network},  // unique local
    {{0xfe, 0x80}, 10, AddressClass::link_local},
    {{0xfe, 0xc0}, 10, AddressClass::reserved},  // site-local (deprecated)
    {{0xff}, 8, AddressClass::multicast},
}};
constexpr V6Range kGlobalUnicastV6 = {{0x20}, 3, AddressClass::public_unicast};

bool all_zero(const Bytes16& bytes, std::size_t count) {
  assert(count <= bytes.size());
  for (std::size_t i = 0; i < count; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

// The IPv4 address an IPv6 address carries, for the forms that route to it.
std::optional<std::uint32_t> embedded_v4(const Bytes16& bytes) {
  // ::ffff:a.b.c.d (IPv4-mapped): a dual-stack socket sends these to the IPv4 address.
  if (all_zero(bytes, 10) && bytes[10] == 0xff && bytes[11] == 0xff) return v4_at(bytes, 12);
  // ::a.b.c.d (IPv4-compatible, deprecated); :: and ::1 are handled before this.
  if (all_zero(bytes, 12)) return v4_at(bytes, 12);
  // 64:ff9b::/96 (well-known NAT64 prefix): a NAT64 gateway forwards to the IPv4 address.
  static constexpr std::array<std::uint8_t, 12> kNat64 = {0x00, 0x64, 0xff, 0x9b};
  if (std::memcmp(bytes.data(), kNat64.data(), kNat64.size()) == 0) return v4_at(bytes, 12);
  // 2002:aabb:ccdd::/48 (6to4): relays tunnel to a.b.c.d.
  if (bytes[0] == 0x20 && bytes[1] == 0x02) return v4_at(bytes, 2);
  return std::nullopt;
}

AddressClass classify_v6(const Bytes16& bytes) {
  if (bytes == kMetadataV6) return AddressClass::cloud_metadata;
  if (all_zero(bytes, 16)) return AddressClass::unspecified;
  if (all_zero(bytes, 15) && bytes[15] == 1) return AddressClass::loopback;
  if (auto carried = embedded_v4(bytes)) return classify_v4(*carried);
  for (const V6Range& range : kRangesV6) {
    if (in_v6_range(bytes, range)) return range.address_class;
  }
  return in_v6_range(bytes, kGlobalUnicastV6) ? AddressClass::public_unicast
                                              : AddressClass::reserved;
}

// Longest text classify_text looks at: an IPv6 literal (45), brackets and a zone name.
constexpr std::size_t kTextBytesMax = 64;

}  // namespace

std::string_view to_string(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::public_unicast:
      return "public_unicast";
    case AddressClass::loopback:
      return "loopback";
    case AddressClass::private_network:
      return "private_network";
    case AddressClass::link_local:
      return "link_local";
    case AddressClass::cloud_metadata:
      return "cloud_metadata";
    case AddressClass::unspecified:
      return "unspecified";
    case AddressClass::shared_cgnat:
      return "shared_cgnat";
    case AddressClass::multicast:
      return "multicast";
    case AddressClass::broadcast:
      return "broadcast";
    case AddressClass::reserved:
      return "reserved";
  }
  assert(false && "unknown AddressClass");
  return "reserved";
}

std::string_view to_string(AddressPolicy policy) {
  switch (policy) {
    case AddressPolicy::public_only:
      return "public_only";
    case AddressPolicy::allow_private:
      return "allow_private";
  }
  assert(false && "unknown AddressPolicy");
  return "public_only";
}

AddressClass classify(const sockaddr* address) {
  assert(address != nullptr);
  if (address->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, address, sizeof in);
    return classify_v4(ntohl(in.sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, address, sizeof in6);
    Bytes16 bytes{};
    std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
    return classify_v6(bytes);
  }
  return AddressClass::reserved;
}

std::optional<AddressClass> classify_text(std::string_view ip) {
  if (ip.empty() || ip.size() > kTextBytesMax) return std::nullopt;
  if (ip.find('\0') != std::string_view::npos) return std::nullopt;  // inet_pton stops there
  const bool bracketed = ip.front() == '[';
  if (bracketed) {
    if (ip.size() < 2 || ip.back() != ']') return std::nullopt;
    ip = ip.substr(1, ip.size() - 2);
  }
  const bool v6 = ip.find(':') != std::string_view::npos;
  if (bracketed && !v6) return std::nullopt;
  if (v6) {
    // The zone ("%eth0") picks an interface, not a different address.
    if (const std::size_t percent = ip.find('%'); percent != std::string_view::npos) {
      if (percent + 1 == ip.size()) return std::nullopt;
      ip = ip.substr(0, percent);
    }
  }
  std::array<char, kTextBytesMax + 1> text{};
  std::memcpy(text.data(), ip.data(), ip.size());  // NUL-terminated by the initialiser
  if (v6) {
    Bytes16 bytes{};
    if (inet_pton(AF_INET6, text.data(), bytes.data()) != 1) return std::nullopt;
    return classify_v6(bytes);
  }
  in_addr address{};
  if (inet_pton(AF_INET, text.data(), &address) != 1) return std::nullopt;
  return classify_v4(ntohl(address.s_addr));
}

bool permitted(AddressClass address_class, AddressPolicy policy) {
  switch (address_class) {
    case AddressClass::public_unicast:
      return true;
    case AddressClass::loopback:
    case AddressClass::private_network:
    case AddressClass::shared_cgnat:
      return policy == AddressPolicy::allow_private;
    case AddressClass::link_local:
    case AddressClass::cloud_metadata:
    case AddressClass::unspecified:
    case AddressClass::multicast:
    case AddressClass::broadcast:
    case AddressClass::reserved:
      return false;
  }
  assert(false && "unknown AddressClass");
  return false;
}

}  // namespace till::events
