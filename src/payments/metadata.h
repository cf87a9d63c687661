// payments/metadata.h — Stripe's update rules for the fields merchants write freely on
// objects: `metadata` (every resource) and postal addresses (customer address and shipping,
// payment method billing details). Pure JSON, no store: any resource applies a decoded
// parameter (params::Reader) to the object it is about to write.
//
// Updates merge, as Stripe's do: `metadata[k]=v` sets one key and keeps the others,
// `metadata[k]=` removes one key, `metadata=` removes them all; `address[city]=X` sets one
// line and keeps the others, `address[city]=` sets it to null, `address=` unsets the whole
// address.
#pragma once

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/errors.h"
#include "base/result.h"
#include "params/reader.h"

namespace till::payments {

// Applies `update` to `metadata`: clear_all first, then each entry set (a new key goes last,
// an existing one keeps its place) or removed.
void apply_metadata(boost::json::object& metadata, const params::MetadataUpdate& update);

// A 400 naming `param` when `metadata` (after an update) holds more keys than Stripe allows.
// An update alone is checked by the Reader; this catches an update that is small but
// together with the keys already stored goes over the limit.
std::optional<api::ApiError> check_metadata_size(const boost::json::object& metadata,
                                                 const std::string& param = "metadata");

// A string parameter of at most `max_chars` characters (Stripe's limits count characters,
// not bytes). nullopt when absent; "" when sent empty (= unset).
params::Reader::Read<std::string> read_text(params::Reader& reader, std::string_view key,
                                            std::size_t max_chars);

// Stripe's address fields, in the order Stripe's objects list them.
inline constexpr std::array<std::string_view, 6> kAddressFields = {"city",  "country",     "line1",
                                                                   "line2", "postal_code", "state"};
inline constexpr std::size_t kAddressFieldCharsMax = 5000;

// A decoded address parameter: `unset` for `address=` (or null), otherwise the lines that
// were sent, "" meaning "set this line to null".
struct AddressUpdate {
  bool unset = false;
  std::array<std::optional<std::string>, kAddressFields.size()> lines;
};

// Reads `key` as an address hash (and finishes its nested reader: unknown lines are 400).
params::Reader::Read<AddressUpdate> read_address(params::Reader& reader, std::string_view key);

// An address with every line null: what Stripe shows for an address nobody filled in.
boost::json::object empty_address();

// Applies `update` to `address` (null or an address object). An unset address becomes null
// when `nullable`, else an object of nulls (billing_details.address is never null).
void apply_address(boost::json::value& address, const AddressUpdate& update, bool nullable);

// `text` as Stripe shows an optional string: "" is null.
boost::json::value text_or_null(const std::string& text);

}  // namespace till::payments
