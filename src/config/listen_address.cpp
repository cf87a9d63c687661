// parse_listen_address: "HOST:PORT" where HOST is an IPv4 address, a hostname or a bracketed
// IPv6 address. Addresses are checked with inet_pton (libc's parser), hostnames by hand
// because no library at hand validates a hostname without resolving it.
#include <arpa/inet.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.h"
#include "config/text.h"

namespace till::config {
namespace {

// A hostname is at most 253 bytes; with brackets, ':' and a 5-digit port 300 is ample. The
// check comes first so an oversized input is rejected without further work.
constexpr std::size_t listen_address_length_max = 300;
constexpr std::size_t hostname_length_max = 253;
constexpr std::size_t hostname_label_length_max = 63;
constexpr std::size_t ipv6_zone_length_max = 15;  // IFNAMSIZ - 1 on Linux
constexpr std::size_t port_digits_max = 5;
constexpr std::int64_t port_max = 65535;

using Address = std::pair<std::string, std::uint16_t>;

Unexpected<Error> invalid(std::string_view text, std::string_view reason) {
  return fail("invalid_listen_address",
              "expected HOST:PORT such as 127.0.0.1:4242, localhost:4242 or [::1]:4242, got '" +
                  internal::printable(text) + "': " + std::string(reason));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hostname_char(char c) {
  // '_' is not valid in DNS hostnames, but Docker Compose service names use it and resolve
  // fine, and rejecting them would only push operators to work around Till.
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

bool is_valid_label(std::string_view label) {
  if (label.empty() || label.size() > hostname_label_length_max) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), is_hostname_char);
}

bool is_valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > hostname_length_max) return false;
  while (true) {
    const std::size_t dot = host.find('.');
    if (!is_valid_label(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

bool is_valid_ipv4(std::string_view host) {
  in_addr parsed{};
  return inet_pton(AF_INET, std::string(host).c_str(), &parsed) == 1;
}

bool is_valid_ipv6(std::string_view host) {
  // A link-local address may carry a zone: fe80::1%eth0.
  const std::size_t percent = host.find('%');
  if (percent != std::string_view::npos) {
    const std::string_view zone = host.substr(percent + 1);
    if (zone.empty() || zone.size() > ipv6_zone_length_max) return false;
    if (!std::all_of(zone.begin(), zone.end(),
                     [](char c) { return is_hostname_char(c) || c == '.'; })) {
      return false;
    }
    host = host.substr(0, percent);
  }
  // inet_pton reads a C string: a NUL inside the text would hide whatever follows it.
  const auto is_ipv6_char = [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
  };
  if (!std::all_of(host.begin(), host.end(), is_ipv6_char)) return false;
  in6_addr parsed{};
  return inet_pton(AF_INET6, std::string(host).c_str(), &parsed) == 1;
}

Result<std::uint16_t> parse_port(std::string_view text, std::string_view port) {
  if (port.empty()) return invalid(text, "missing port after ':'");
  if (port.size() > port_digits_max || !std::all_of(port.begin(), port.end(), is_digit)) {
    return invalid(text, "port must be a number from 0 to 65535");
  }
  std::int64_t value = 0;
  std::from_chars(port.data(), port.data() + port.size(), value);
  if (value > port_max) return invalid(text, "port must be a number from 0 to 65535");
  return static_cast<std::uint16_t>(value);
}

Result<Address> parse_bracketed(std::string_view text) {
  assert(text.starts_with('['));
  const std::size_t close = text.find(']');
  if (close == std::string_view::npos) return invalid(text, "missing ']' after IPv6 address");
  const std::string_view host = text.substr(1, close - 1);
  const std::string_view rest = text.substr(close + 1);
  if (!rest.starts_with(':')) return invalid(text, "missing ':PORT' after ']'");
  if (!is_valid_ipv6(host)) return invalid(text, "not a valid IPv6 address inside [ ]");
  auto port = parse_port(text, rest.substr(1));
  if (!port) return unexpected(port.error());
  return Address{std::string(host), *port};
}

Result<Address> parse_unbracketed(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalid(text, "missing ':PORT'");
  const std::string_view host = text.substr(0, colon);
  if (host.empty()) {
    return invalid(text, "missing host; use 0.0.0.0 or [::] to listen on every interface");
  }
  if (host.find(':') != std::string_view::npos) {
    return invalid(text, "an IPv6 address needs brackets, e.g. [::1]:4242");
  }
  const bool looks_numeric =
      std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
  if (looks_numeric && !is_valid_ipv4(host)) return invalid(text, "not a valid IPv4 address");
  if (!looks_numeric && !is_valid_hostname(host)) return invalid(text, "not a valid hostname");
  auto port = parse_port(text, text.substr(colon + 1));
  if (!port) return unexpected(port.error());
  return Address{std::string(host), *port};
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text) {
  if (text.size() > listen_address_length_max) return invalid(text, "too long");
  if (text.starts_with('[')) return parse_bracketed(text);
  return parse_unbracketed(text);
}

}  // namespace till::config
