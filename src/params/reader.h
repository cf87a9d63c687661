// params/reader.h — typed, schema-driven reading of one level of decoded parameters.
//
// A handler asks for every parameter it accepts, by name and type; each accessor returns
// nullopt when the key is absent and an error naming the full bracket path when it is present
// but wrong. finish() then refuses the first key nobody asked for, as Stripe does
// ("Received unknown parameter: card[foo]"). A Reader for a nested hash (hash(), hash_list())
// checks only its own level: the caller calls finish() on it too.
//
// Values may come from a form (all strings) or from JSON (typed), so every accessor takes both
// spellings: "42" or 42, "true" or true. An empty string means "unset" in Stripe's API and JSON
// null is read the same way: accessors for values that cannot be unset answer
// parameter_invalid_empty, string() returns "", list accessors return an empty list, and
// metadata() returns clear_all.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/errors.h"
#include "base/result.h"

namespace till::params {

// Stripe's metadata limits.
inline constexpr std::size_t kMetadataKeysMax = 50;
inline constexpr std::size_t kMetadataKeyCharsMax = 40;
inline constexpr std::size_t kMetadataValueCharsMax = 500;

// An update to an object's metadata: clear_all first (if set), then each entry is set, or
// unset where its value is nullopt.
struct MetadataUpdate {
  bool clear_all = false;
  std::map<std::string, std::optional<std::string>> entries;
};

// A Stripe list filter such as `created`: `created=123` means gte = lte = 123.
struct RangeFilter {
  std::optional<std::int64_t> gt, gte, lt, lte;
};

class Reader {
 public:
  // Reads `params`, which must outlive the Reader. `path_prefix` is the bracket path of this
  // level ("card" names the keys "card[number]", ...); empty at the top level.
  explicit Reader(const boost::json::object& params, std::string path_prefix = "");
  Reader(const boost::json::object&& params, std::string path_prefix = "") = delete;

  template <class T>
  using Read = Expected<std::optional<T>, api::ApiError>;

  // A string of at most `max_bytes` bytes; "" (or null) is returned as "".
  Read<std::string> string(std::string_view key, std::size_t max_bytes);
  // A decimal integer in [min, max]: "123" or a JSON integer. "12.5", "1e3", " 1", "+1", 12.5
  // are invalid; "" is parameter_invalid_empty.
  Read<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  // "true"/"false" or a JSON boolean.
  Read<bool> boolean(std::string_view key);
  // A string that is one of `allowed`.
  Read<std::string> one_of(std::string_view key, std::span<const std::string_view> allowed);
  // A list of strings: `a[]=x&a[]=y`, `a[0]=x&a[1]=y` (indices exactly 0..n-1, in any order)
  // or a JSON array. A single string "x" is not a list.
  Read<std::vector<std::string>> string_list(std::string_view key, std::size_t max_items,
                                             std::size_t max_item_bytes);
  // A nested hash, read by the returned Reader (prefix "key").
  Read<Reader> hash(std::string_view key);
  // A list of hashes, `items[0][price]=p&items[1][price]=q` or a JSON array of objects; each
  // Reader has the prefix "items[i]".
  Read<std::vector<Reader>> hash_list(std::string_view key, std::size_t max_items);
  // Stripe metadata: `metadata=` clears all keys, `metadata[k]=` unsets k; at most 50 keys of
  // 1-40 characters (no '[' or ']'), values of at most 500 characters.
  Read<MetadataUpdate> metadata(std::string_view key);
  // A list filter: `created=123` or `created[gt|gte|lt|lte]=...`.
  Read<RangeFilter> range(std::string_view key);

  // Whether `key` was sent. Does not count as asking for it.
  bool has(std::string_view key) const;
  // parameter_unknown for the first key (in the order sent) that no accessor asked for.
  std::optional<api::ApiError> finish() const;

  // parameter_missing: "Missing required param: amount."
  static api::ApiError missing(std::string param);

  const std::string& prefix() const { return prefix_; }

 private:
  // The value of `key`, or nullptr; records that `key` was asked for.
  const boost::json::value* take(std::string_view key);
  std::string param(std::string_view key) const;

  const boost::json::object* params_;
  std::string prefix_;
  std::vector<std::string> asked_;
};

}  // namespace till::params
