#include "params/reader.h"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <cassert>
#include <charconv>
#include <limits>

#include "api/http.h"
#include "params/errors.h"
#include "params/text.h"

namespace till::params {

namespace {

using boost::json::value;

// Parameters whose values are never quoted back, even clipped.
bool secret_key(std::string_view key) {
  return key == "number" || key == "cvc" || key == "account_number";
}

// "" or JSON null: Stripe's way of saying "unset this".
bool unset(const value& v) { return v.is_null() || (v.is_string() && v.get_string().empty()); }

// What a value is, for a message that must not quote it.
std::string_view kind_of(const value& v) {
  switch (v.kind()) {
    case boost::json::kind::object:
      return "a hash";
    case boost::json::kind::array:
      return "a list";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a number";
  }
  return "a value";
}

// A value as a message may quote it: clipped; hashes and lists by kind only.
std::string shown_value(const value& v) {
  if (v.is_string()) return clip(v.get_string());
  if (v.is_object() || v.is_array()) return std::string(kind_of(v));
  if (v.is_double()) {
    // Shortest round-trip form, "12.5" where Boost.JSON would write "1.25E1".
    std::array<char, 32> digits{};
    const auto [end, error] =
        std::to_chars(digits.data(), digits.data() + digits.size(), v.get_double());
    assert(error == std::errc());
    return clip(std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
  }
  return clip(boost::json::serialize(v));
}

enum class Parsed { ok, invalid, below, above };

// Strict decimal: an optional '-' and digits, nothing else (no '+', blanks, '.', exponent).
// Digits beyond the int64 range are a valid integer out of range, not garbage.
Parsed parse_decimal(std::string_view text, std::int64_t& out) {
  const bool negative = !text.empty() && text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty()) return Parsed::invalid;
  for (const char c : digits) {
    if (c < '0' || c > '9') return Parsed::invalid;
  }
  const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (error == std::errc::result_out_of_range) return negative ? Parsed::below : Parsed::above;
  assert(error == std::errc() && stop == text.data() + text.size());
  return Parsed::ok;
}

// "0", "1", ... "n-1": canonical decimal (no leading zeros) below `count`.
std::optional<std::size_t> list_index(std::string_view key, std::size_t count) {
  if (key.empty() || key.size() > 9 || (key.size() > 1 && key.front() == '0')) return {};
  std::size_t index = 0;
  const auto [stop, error] = std::from_chars(key.data(), key.data() + key.size(), index);
  if (error != std::errc() || stop != key.data() + key.size() || index >= count) return {};
  return index;
}

// The elements of a list parameter in order: a JSON array, or a hash whose keys are exactly
// the indices 0..n-1 (what `a[0]=x&a[1]=y` decodes to). "" or null is the empty list.
Expected<std::vector<const value*>, api::ApiError> list_elements(const value& v,
                                                                 const std::string& param,
                                                                 std::size_t max_items) {
  std::vector<const value*> elements;
  if (unset(v)) return elements;
  if (v.is_array()) {
    const auto& array = v.get_array();
    if (array.size() > max_items) {
      return unexpected(parameter_invalid(
          param, param, "at most " + std::to_string(max_items) + " items are allowed."));
    }
    elements.reserve(array.size());
    for (const value& element : array) elements.push_back(&element);
    return elements;
  }
  if (!v.is_object()) {
    return unexpected(parameter_invalid(param, param,
                                        "expected a list, as " + param + "[]=value or " + param +
                                            "[0]=value, got " + std::string(kind_of(v)) + "."));
  }
  const auto& hash = v.get_object();
  if (hash.size() > max_items) {
    return unexpected(parameter_invalid(
        param, param, "at most " + std::to_string(max_items) + " items are allowed."));
  }
  elements.assign(hash.size(), nullptr);
  for (const auto& member : hash) {
    const std::optional<std::size_t> index = list_index(member.key(), hash.size());
    // Keys are unique, so n canonical indices below n are each of 0..n-1 exactly once.
    if (!index) {
      return unexpected(parameter_invalid(
          join_param(param, member.key()), join_param(param, clip(member.key())),
          param + " is a list; its keys must be the indices 0, 1, 2, ... without gaps."));
    }
    assert(elements[*index] == nullptr);
    elements[*index] = &member.value();
  }
  return elements;
}

}  // namespace

Reader::Reader(const boost::json::object& params, std::string path_prefix)
    : params_(&params), prefix_(std::move(path_prefix)) {}

const value* Reader::take(std::string_view key) {
  if (std::find(asked_.begin(), asked_.end(), key) == asked_.end()) asked_.emplace_back(key);
  return params_->if_contains(key);
}

std::string Reader::param(std::string_view key) const { return join_param(prefix_, key); }

Reader::Read<std::string> Reader::string(std::string_view key, std::size_t max_bytes) {
  const value* found = take(key);
  if (found == nullptr) return std::optional<std::string>();
  const std::string name = param(key);
  if (found->is_null()) return std::optional<std::string>(std::string());
  if (!found->is_string()) {
    return unexpected(parameter_invalid(
        name, name, "expected a string, got " + std::string(kind_of(*found)) + "."));
  }
  const auto& text = found->get_string();
  if (text.size() > max_bytes) {
    return unexpected(parameter_invalid(
        name, name, "must be at most " + std::to_string(max_bytes) + " bytes long."));
  }
  return std::optional<std::string>(std::string(text));
}

Reader::Read<std::int64_t> Reader::integer(std::string_view key, std::int64_t min,
                                           std::int64_t max) {
  assert(min <= max);
  const value* found = take(key);
  if (found == nullptr) return std::optional<std::int64_t>();
  std::string name = param(key);
  if (unset(*found)) return unexpected(parameter_invalid_empty(std::move(name)));
  std::int64_t number = 0;
  Parsed parsed = Parsed::invalid;
  if (found->is_string()) {
    parsed = parse_decimal(found->get_string(), number);
  } else if (found->is_int64()) {
    number = found->get_int64();
    parsed = Parsed::ok;
  } else if (found->is_uint64()) {
    parsed = Parsed::above;  // Boost.JSON uses uint64 only above the int64 range
  }
  if (parsed == Parsed::invalid) {
    std::string message = secret_key(key) ? "Invalid integer value for " + name + "."
                                          : "Invalid integer: " + shown_value(*found);
    return unexpected(parameter_invalid_integer(std::move(name), std::move(message)));
  }
  if (parsed == Parsed::below || (parsed == Parsed::ok && number < min)) {
    return unexpected(parameter_invalid_integer(
        std::move(name),
        "This value must be greater than or equal to " + std::to_string(min) + "."));
  }
  if (parsed == Parsed::above || number > max) {
    return unexpected(parameter_invalid_integer(
        std::move(name), "This value must be less than or equal to " + std::to_string(max) + "."));
  }
  return std::optional<std::int64_t>(number);
}

Reader::Read<bool> Reader::boolean(std::string_view key) {
  const value* found = take(key);
  if (found == nullptr) return std::optional<bool>();
  std::string name = param(key);
  if (unset(*found)) return unexpected(parameter_invalid_empty(std::move(name)));
  if (found->is_bool()) return std::optional<bool>(found->get_bool());
  // Case-insensitive: older official SDKs (stripe-python 5, as Debian ships it) send Python's
  // "True" and "False", and Stripe accepts them.
  if (found->is_string() && api::iequals(found->get_string(), "true")) {
    return std::optional<bool>(true);
  }
  if (found->is_string() && api::iequals(found->get_string(), "false")) {
    return std::optional<bool>(false);
  }
  std::string message = secret_key(key) ? "Invalid boolean value for " + name + "."
                                        : "Invalid boolean: " + shown_value(*found);
  return unexpected(parameter_invalid_boolean(std::move(name), std::move(message)));
}

Reader::Read<std::string> Reader::one_of(std::string_view key,
                                         std::span<const std::string_view> allowed) {
  assert(!allowed.empty());
  const value* found = take(key);
  if (found == nullptr) return std::optional<std::string>();
  std::string name = param(key);
  if (unset(*found)) return unexpected(parameter_invalid_empty(std::move(name)));
  if (found->is_string()) {
    const std::string_view text = found->get_string();
    for (const std::string_view candidate : allowed) {
      if (text == candidate) return std::optional<std::string>(std::string(text));
    }
  }
  std::string rule = "must be one of ";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i != 0) rule += ", ";
    rule += allowed[i];
  }
  return unexpected(parameter_invalid(name, name, rule));
}

Reader::Read<std::vector<std::string>> Reader::string_list(std::string_view key,
                                                           std::size_t max_items,
                                                           std::size_t max_item_bytes) {
  const value* found = take(key);
  if (found == nullptr) return std::optional<std::vector<std::string>>();
  const std::string name = param(key);
  auto elements = list_elements(*found, name, max_items);
  if (!elements) return unexpected(std::move(elements).error());
  std::vector<std::string> items;
  items.reserve(elements->size());
  for (std::size_t i = 0; i < elements->size(); ++i) {
    const value& element = *(*elements)[i];
    const std::string item_name = join_param(name, std::to_string(i));
    if (!element.is_string()) {
      return unexpected(parameter_invalid(
          item_name, item_name, "expected a string, got " + std::string(kind_of(element)) + "."));
    }
    if (element.get_string().size() > max_item_bytes) {
      return unexpected(
          parameter_invalid(item_name, item_name,
                            "must be at most " + std::to_string(max_item_bytes) + " bytes long."));
    }
    items.emplace_back(element.get_string());
  }
  return std::optional<std::vector<std::string>>(std::move(items));
}

Reader::Read<Reader> Reader::hash(std::string_view key) {
  const value* found = take(key);
  if (found == nullptr) return std::optional<Reader>();
  std::string name = param(key);
  if (unset(*found)) return unexpected(parameter_invalid_empty(std::move(name)));
  if (!found->is_object()) {
    return unexpected(parameter_invalid(
        name, name,
        "expected a hash, as " + name + "[key]=value, got " + std::string(kind_of(*found)) + "."));
  }
  return std::optional<Reader>(Reader(found->get_object(), std::move(name)));
}

Reader::Read<std::vector<Reader>> Reader::hash_list(std::string_view key, std::size_t max_items) {
  const value* found = take(key);
  if (found == nullptr) return std::optional<std::vector<Reader>>();
  const std::string name = param(key);
  auto elements = list_elements(*found, name, max_items);
  if (!elements) return unexpected(std::move(elements).error());
  std::vector<Reader> readers;
  readers.reserve(elements->size());
  for (std::size_t i = 0; i < elements->size(); ++i) {
    const value& element = *(*elements)[i];
    std::string item_name = join_param(name, std::to_string(i));
    if (!element.is_object()) {
      return unexpected(parameter_invalid(item_name, item_name,
                                          "expected a hash, as " + item_name + "[key]=value, got " +
                                              std::string(kind_of(element)) + "."));
    }
    readers.emplace_back(element.get_object(), std::move(item_name));
  }
  return std::optional<std::vector<Reader>>(std::move(readers));
}

Reader::Read<MetadataUpdate> Reader::metadata(std::string_view key) {
  const value* found = take(key);
  if (found == nullptr) return std::optional<MetadataUpdate>();
  const std::string name = param(key);
  MetadataUpdate update;
  if (unset(*found)) {
    update.clear_all = true;
    return std::optional<MetadataUpdate>(std::move(update));
  }
  if (!found->is_object()) {
    return unexpected(parameter_invalid(name, name,
                                        "expected a hash of strings, as " + name +
                                            "[key]=value (or an empty string to unset "
                                            "every key), got " +
                                            std::string(kind_of(*found)) + "."));
  }
  const auto& entries = found->get_object();
  if (entries.size() > kMetadataKeysMax) {
    return unexpected(parameter_invalid(name, name,
                                        "at most " + std::to_string(kMetadataKeysMax) +
                                            " keys are allowed; got " +
                                            std::to_string(entries.size()) + "."));
  }
  for (const auto& entry : entries) {
    const std::string_view entry_key = entry.key();
    const std::string entry_name = join_param(name, entry_key);
    const std::string shown = join_param(name, clip(entry_key));
    const std::size_t key_chars = utf8_length(entry_key);
    if (key_chars == 0 || key_chars > kMetadataKeyCharsMax ||
        entry_key.find_first_of("[]") != std::string_view::npos) {
      return unexpected(parameter_invalid(entry_name, shown,
                                          "metadata keys must be 1 to " +
                                              std::to_string(kMetadataKeyCharsMax) +
                                              " characters long and may not contain '[' or ']'."));
    }
    const value& entry_value = entry.value();
    if (unset(entry_value)) {
      update.entries[std::string(entry_key)] = std::nullopt;
      continue;
    }
    if (!entry_value.is_string()) {
      return unexpected(parameter_invalid(
          entry_name, shown,
          "metadata values must be strings, got " + std::string(kind_of(entry_value)) + "."));
    }
    if (utf8_length(entry_value.get_string()) > kMetadataValueCharsMax) {
      return unexpected(parameter_invalid(entry_name, shown,
                                          "metadata values must be at most " +
                                              std::to_string(kMetadataValueCharsMax) +
                                              " characters long."));
    }
    update.entries[std::string(entry_key)] = std::string(entry_value.get_string());
  }
  return std::optional<MetadataUpdate>(std::move(update));
}

Reader::Read<RangeFilter> Reader::range(std::string_view key) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const value* found = take(key);
  if (found == nullptr) return std::optional<RangeFilter>();
  RangeFilter filter;
  if (!found->is_object()) {
    // `created=123`: read through a one-key view so the errors are integer()'s.
    boost::json::object single;
    single.emplace(key, *found);
    Reader exact(single, prefix_);
    auto bound = exact.integer(key, kMin, kMax);
    if (!bound) return unexpected(std::move(bound).error());
    filter.gte = filter.lte = **bound;
    return std::optional<RangeFilter>(filter);
  }
  Reader bounds(found->get_object(), param(key));
  const auto read = [&bounds](std::string_view name,
                              std::optional<std::int64_t>& out) -> std::optional<api::ApiError> {
    auto bound = bounds.integer(name, kMin, kMax);
    if (!bound) return std::move(bound).error();
    out = *bound;
    return std::nullopt;
  };
  for (const auto& [name, out] : {std::pair{"gt", &filter.gt}, std::pair{"gte", &filter.gte},
                                  std::pair{"lt", &filter.lt}, std::pair{"lte", &filter.lte}}) {
    if (auto error = read(name, *out)) return unexpected(std::move(*error));
  }
  if (auto unknown = bounds.finish()) return unexpected(std::move(*unknown));
  return std::optional<RangeFilter>(filter);
}

bool Reader::has(std::string_view key) const { return params_->contains(key); }

std::optional<api::ApiError> Reader::finish() const {
  for (const auto& member : *params_) {
    const std::string_view key = member.key();
    if (std::find(asked_.begin(), asked_.end(), key) != asked_.end()) continue;
    return parameter_unknown(param(key), join_param(prefix_, clip(key)));
  }
  return std::nullopt;
}

api::ApiError Reader::missing(std::string param) { return parameter_missing(std::move(param)); }

}  // namespace till::params
