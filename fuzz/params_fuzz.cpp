// libFuzzer target for the merchant API's request codec (src/params): any bytes, decoded as a
// form and as JSON, then read with every Reader accessor on every key at every level, must
// give values or errors — never a crash, a hang, an exception, or an error whose message or
// param is not valid UTF-8 (it is serialised into the response body).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "params/params.h"

namespace {

using till::params::Reader;

// Hashes nested deeper than the codec's limit (kDepthMax, 8) mean that limit failed.
constexpr std::size_t kFuzzDepthMax = till::params::kDepthMax;

void check(const till::api::ApiError& error) {
  using till::params::valid_utf8;
  if (error.code.empty() || error.status < 400 || !valid_utf8(error.message) ||
      !valid_utf8(error.param)) {
    std::abort();
  }
}

template <class Result>
void check_result(const Result& result) {
  if (!result) check(result.error());
}

void read_all(const boost::json::object& params, const std::string& prefix, std::size_t depth) {
  if (depth > kFuzzDepthMax) std::abort();
  static constexpr std::array<std::string_view, 3> kMethods = {"automatic", "automatic_async",
                                                               "manual"};
  for (const auto& member : params) {
    const std::string_view key = member.key();
    Reader reader(params, prefix);
    check_result(reader.string(key, 16));
    check_result(reader.integer(key, -1000, 1000));
    check_result(reader.boolean(key));
    check_result(reader.one_of(key, kMethods));
    check_result(reader.string_list(key, 4, 8));
    check_result(reader.metadata(key));
    check_result(reader.range(key));
    auto nested = reader.hash(key);
    check_result(nested);
    if (nested && *nested) {
      if (auto unknown = (*nested)->finish()) check(*unknown);
      read_all(member.value().get_object(), (*nested)->prefix(), depth + 1);
    }
    auto list = reader.hash_list(key, 8);
    check_result(list);
    if (auto unknown = reader.finish()) check(*unknown);
  }
  // A typical schema, so finish() sees both asked and unasked keys.
  Reader schema(params, prefix);
  check_result(schema.integer("amount", 1, 99999999));
  check_result(schema.string("number", 4));
  check_result(schema.hash_list("items", 4));
  if (auto unknown = schema.finish()) check(*unknown);
}

void run(const till::params::ParamsResult<boost::json::object>& decoded) {
  if (!decoded) {
    check(decoded.error());
    return;
  }
  read_all(*decoded, "", 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  run(till::params::decode_form(input));
  run(till::params::decode_json(input));
  return 0;
}
