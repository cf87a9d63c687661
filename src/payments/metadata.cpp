// Stripe's update rules for metadata and addresses (see metadata.h).
#include "payments/metadata.h"

#include <cassert>

#include "params/errors.h"
#include "params/text.h"

namespace till::payments {

namespace {

// Generous enough for any text of `max_chars` characters: UTF-8 spends at most 4 bytes on one.
constexpr std::size_t kBytesPerCharMax = 4;

}  // namespace

void apply_metadata(boost::json::object& metadata, const params::MetadataUpdate& update) {
  if (update.clear_all) metadata.clear();
  for (const auto& [key, value] : update.entries) {
    if (value) {
      metadata[key] = *value;
    } else {
      metadata.erase(key);
    }
  }
}

std::optional<api::ApiError> check_metadata_size(const boost::json::object& metadata,
                                                 const std::string& param) {
  if (metadata.size() <= params::kMetadataKeysMax) return std::nullopt;
  return params::parameter_invalid(
      param, param,
      "an object can have at most " + std::to_string(params::kMetadataKeysMax) +
          " metadata keys; with this update it would have " + std::to_string(metadata.size()) +
          ". Unset some keys (metadata[key]=) in the same request.");
}

params::Reader::Read<std::string> read_text(params::Reader& reader, std::string_view key,
                                            std::size_t max_chars) {
  auto text = reader.string(key, max_chars * kBytesPerCharMax);
  if (!text || !*text) return text;
  // The codec has checked the text is valid UTF-8 (form and JSON decoding both refuse
  // anything else), so counting code points is safe.
  if (params::utf8_length(**text) > max_chars) {
    const std::string name = params::join_param(reader.prefix(), key);
    return unexpected(params::parameter_invalid(
        name, name, "must be at most " + std::to_string(max_chars) + " characters long."));
  }
  return text;
}

params::Reader::Read<AddressUpdate> read_address(params::Reader& reader, std::string_view key) {
  if (!reader.has(key)) return std::optional<AddressUpdate>();
  // `address=` (or null) unsets it; Reader::hash would call an empty value invalid, so ask
  // for it as a string first. A hash makes string() fail, and hash() below reads it.
  if (auto empty = reader.string(key, 0); empty && *empty && (*empty)->empty()) {
    AddressUpdate update;
    update.unset = true;
    return std::optional<AddressUpdate>(std::move(update));
  }
  auto hash = reader.hash(key);
  if (!hash) return unexpected(std::move(hash).error());
  assert(*hash);
  params::Reader& lines = **hash;
  AddressUpdate update;
  for (std::size_t i = 0; i < kAddressFields.size(); ++i) {
    auto line = read_text(lines, kAddressFields[i], kAddressFieldCharsMax);
    if (!line) return unexpected(std::move(line).error());
    update.lines[i] = std::move(*line);
  }
  if (auto unknown = lines.finish()) return unexpected(std::move(*unknown));
  return std::optional<AddressUpdate>(std::move(update));
}

boost::json::object empty_address() {
  boost::json::object address;
  for (const std::string_view field : kAddressFields) address[field] = nullptr;
  return address;
}

void apply_address(boost::json::value& address, const AddressUpdate& update, bool nullable) {
  if (update.unset) {
    if (nullable) {
      address = nullptr;
    } else {
      address = empty_address();
    }
    return;
  }
  if (!address.is_object()) address = empty_address();
  boost::json::object& lines = address.as_object();
  for (std::size_t i = 0; i < kAddressFields.size(); ++i) {
    if (update.lines[i]) lines[kAddressFields[i]] = text_or_null(*update.lines[i]);
  }
}

boost::json::value text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return boost::json::value(text);
}

}  // namespace till::payments
