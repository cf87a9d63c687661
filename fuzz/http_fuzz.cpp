// libFuzzer target for what the HTTP layer derives from outside input before any handler
// runs: route matching on arbitrary paths and methods, and ID validation on arbitrary text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/router.h"
#include "base/ids.h"

namespace {

till::api::Router& router() {
  static till::api::Router* instance = [] {
    auto* r = new till::api::Router();
    auto handler = [](till::api::Request&) { return till::api::Response{}; };
    r->add("GET", "/healthz", till::api::Execution::io_thread, handler);
    r->add("GET", "/v1/customers/{id}", till::api::Execution::blocking, handler);
    r->add("POST", "/v1/payment_intents/{id}/capture", till::api::Execution::blocking, handler);
    return r;
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find(' ');
  const std::string_view method = input.substr(0, split);
  const std::string_view path = split == std::string_view::npos ? "" : input.substr(split + 1);
  if (auto match = router().match(method, path)) {
    for (const auto& [name, value] : match->params) {
      // Captured values are slices of the path, never empty.
      if (value.empty() || value.data() < path.data() ||
          value.data() + value.size() > path.data() + path.size()) {
        std::abort();
      }
    }
  }
  if (till::is_valid_id(input, "pi")) {
    if (!till::id_unix_ms(input).has_value()) std::abort();
  }
  return 0;
}
