// events/address_guard.h — which IP addresses a webhook may connect to (SSRF protection).
//
// A merchant chooses the URL we POST to, so without a guard anyone with an API key could make
// Till reach its own network: the loopback admin API, a database, the cloud's metadata
// service (credentials). The sender classifies the address of every socket it is about to
// connect (not the host name, which DNS may rebind between a check and the connect) and
// refuses classes the endpoint's policy does not permit.
//
// IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible
// ::a.b.c.d, NAT64 64:ff9b::/96 and 6to4 2002::/16) are classified by that IPv4 address, since
// that is where the packets end up. Everything not known to be globally routable unicast is
// `reserved`, so a range we forgot is refused rather than reached.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string_view>

namespace till::events {

enum class AddressClass {
  public_unicast,
  loopback,         // 127.0.0.0/8, ::1
  private_network,  // 10/8, 172.16/12, 192.168/16, fc00::/7
  link_local,       // 169.254/16, fe80::/10
  cloud_metadata,   // instance metadata services; wins over the class of its range
  unspecified,      // 0.0.0.0/8, ::
  shared_cgnat,     // 100.64/10 (carrier-grade NAT, also overlay VPNs)
  multicast,        // 224/4, ff00::/8
  broadcast,        // 255.255.255.255
  reserved,         // documentation, benchmarking, IETF and future-use ranges; other families
};

std::string_view to_string(AddressClass address_class);

// Classifies an AF_INET or AF_INET6 address (`address` must point to a whole sockaddr_in or
// sockaddr_in6 for those families); any other family is `reserved`.
AddressClass classify(const sockaddr* address);

// Classifies an IP literal: dotted-quad IPv4 ("10.0.0.1", exactly as inet_pton accepts it, so
// not "10.1" nor "0x7f.1"), IPv6 ("::1"), IPv6 in URL brackets ("[::1]") and IPv6 with a zone
// ("fe80::1%eth0", the zone does not change the class). nullopt for anything else, host names
// included: those are checked when their resolved address is connected.
std::optional<AddressClass> classify_text(std::string_view ip);

// Live-mode endpoints get public_only. Test-mode endpoints get allow_private, so a developer
// can point one at their laptop or a private network: loopback, private networks and shared
// (CGNAT/VPN) space are allowed; link-local, metadata, unspecified, multicast, broadcast and
// reserved addresses are refused under both policies.
enum class AddressPolicy { public_only, allow_private };

std::string_view to_string(AddressPolicy policy);

bool permitted(AddressClass address_class, AddressPolicy policy);

}  // namespace till::events
