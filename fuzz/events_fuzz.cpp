// libFuzzer target for the webhook address guard (src/events/address_guard.h), which decides
// where merchant-chosen URLs may send Till's requests. Arbitrary bytes are read as an IP
// literal (classify_text) and, as raw address bytes, as an IPv4 and an IPv6 socket address
// (classify). Neither may crash; whatever classify_text accepts must classify the same as the
// socket address inet_pton makes of it, and a class no policy permits must stay refused.
//
// Build (clang): see `make fuzz`.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "events/address_guard.h"

namespace {

using till::events::AddressClass;
using till::events::AddressPolicy;

void check_policies(AddressClass address_class) {
  const bool public_only = till::events::permitted(address_class, AddressPolicy::public_only);
  const bool allow_private = till::events::permitted(address_class, AddressPolicy::allow_private);
  // Test mode is never stricter than live mode, and live mode allows public unicast only.
  if (public_only && !allow_private) std::abort();
  if (public_only != (address_class == AddressClass::public_unicast)) std::abort();
  if (till::events::to_string(address_class).empty()) std::abort();
}

void classify_raw(const std::uint8_t* data, std::size_t size) {
  if (size >= 4) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    std::memcpy(&v4.sin_addr, data, 4);
    check_policies(till::events::classify(reinterpret_cast<const sockaddr*>(&v4)));
  }
  if (size >= 16) {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    std::memcpy(&v6.sin6_addr, data, 16);
    check_policies(till::events::classify(reinterpret_cast<const sockaddr*>(&v6)));
  }
}

// A literal classify_text accepts names the same address inet_pton reads from it.
void compare_with_inet_pton(const std::string& text, AddressClass from_text) {
  sockaddr_in v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    if (till::events::classify(reinterpret_cast<const sockaddr*>(&v4)) != from_text) std::abort();
    return;
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    if (till::events::classify(reinterpret_cast<const sockaddr*>(&v6)) != from_text) std::abort();
  }
  // Bracketed and zoned forms are not inet_pton's; classify_text's own tests cover them.
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  classify_raw(data, size);
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (const auto address_class = till::events::classify_text(text)) {
    check_policies(*address_class);
    compare_with_inet_pton(text, *address_class);
  }
  return 0;
}
