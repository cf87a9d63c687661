// decode_form: application/x-www-form-urlencoded and query strings with Rack's bracket
// nesting. Hand-written rather than boost::urls::parse_query, which in Boost 1.81 reads past
// the end of a view that is not NUL-terminated (see src/admin/query.cpp); this decoder only
// ever indexes inside `text`.
#include <cassert>
#include <vector>

#include "params/params.h"

namespace till::params {

namespace {

using boost::json::object;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `+` and %XX into `out`; false on a '%' not followed by two hex digits.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      if (in.size() - i < 3) return false;
      const int high = hex_digit(in[i + 1]);
      const int low = hex_digit(in[i + 2]);
      if (high < 0 || low < 0) return false;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return true;
}

enum class KeyShape { ok, empty_name, garbled, list_not_last, too_deep };

// Splits a decoded key into its segments: "a[b][c]" -> a, b, c; "a[]" -> a, "" (an empty
// segment, allowed only last, appends to a list). The views point into `key`.
KeyShape split_key(std::string_view key, std::vector<std::string_view>& segments) {
  segments.clear();
  std::size_t at = key.find_first_of("[]");
  const std::string_view name = key.substr(0, at);
  if (name.empty()) return KeyShape::empty_name;
  segments.push_back(name);
  while (at < key.size()) {
    if (key[at] != '[') return KeyShape::garbled;  // "a]", "a[b]c"
    const std::size_t close = key.find_first_of("[]", at + 1);
    if (close == std::string_view::npos || key[close] != ']') return KeyShape::garbled;
    segments.push_back(key.substr(at + 1, close - at - 1));
    if (segments.size() > kDepthMax) return KeyShape::too_deep;
    at = close + 1;
  }
  for (std::size_t i = 1; i + 1 < segments.size(); ++i) {
    if (segments[i].empty()) return KeyShape::list_not_last;
  }
  return KeyShape::ok;
}

// The bracket path of the first `count` segments, for messages.
std::string path_of(const std::vector<std::string_view>& segments, std::size_t count) {
  assert(count >= 1 && count <= segments.size());
  std::string path(segments[0]);
  for (std::size_t i = 1; i < count; ++i) path = join_param(path, segments[i]);
  return path;
}

api::ApiError key_invalid(std::string_view key, std::string_view rule) {
  return parameter_invalid(clip(key, kKeyBytesMax), clip(key), rule);
}

class FormDecoder {
 public:
  ParamsResult<object> decode(std::string_view text) {
    if (text.size() > kTextBytesMax) {
      return unexpected(request_error("parameters_too_large",
                                      "The parameters are " + std::to_string(text.size()) +
                                          " bytes long; the limit is " +
                                          std::to_string(kTextBytesMax) + " bytes.",
                                      ""));
    }
    std::size_t count = 0;
    std::size_t at = 0;
    while (at <= text.size()) {
      std::size_t end = text.find('&', at);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view pair = text.substr(at, end - at);
      at = end + 1;
      if (pair.empty()) continue;  // "a=1&&b=2", a trailing '&': browsers and Rack skip these
      if (++count > kParamsMax) {
        return unexpected(request_error("parameters_exceeded_max",
                                        "The request has more than " + std::to_string(kParamsMax) +
                                            " parameters. Send fewer parameters.",
                                        ""));
      }
      const std::size_t equals = pair.find('=');
      const std::string_view raw_key = pair.substr(0, equals);
      const std::string_view raw_value =
          equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
      if (auto added = add(raw_key, raw_value); !added) return unexpected(std::move(added).error());
    }
    return std::move(root_);
  }

 private:
  Expected<void, api::ApiError> add(std::string_view raw_key, std::string_view raw_value) {
    if (!percent_decode(raw_key, key_)) {
      return unexpected(key_invalid(raw_key, "the name is not valid percent-encoding."));
    }
    if (key_.size() > kKeyBytesMax) {
      return unexpected(request_error("parameter_invalid",
                                      "A parameter name is longer than " +
                                          std::to_string(kKeyBytesMax) + " bytes; it starts with " +
                                          clip(key_) + ".",
                                      clip(key_)));
    }
    if (!valid_utf8(key_)) return unexpected(key_invalid(key_, "the name is not valid UTF-8."));
    switch (split_key(key_, segments_)) {
      case KeyShape::ok:
        break;
      case KeyShape::empty_name:
        return unexpected(request_error(
            "parameter_invalid",
            key_.empty() ? "A parameter has an empty name. Send parameters as name=value."
                         : "The parameter name " + clip(key_) +
                               " starts with a bracket. Send parameters as name=value or "
                               "name[key]=value.",
            clip(key_, kKeyBytesMax)));
      case KeyShape::garbled:
        return unexpected(key_invalid(key_,
                                      "brackets must be balanced and come in pairs after the name, "
                                      "as in card[number] or expand[]."));
      case KeyShape::list_not_last:
        return unexpected(
            key_invalid(key_,
                        "[] may only end a name. Send a list of hashes with indices, as in "
                        "items[0][price]."));
      case KeyShape::too_deep:
        return unexpected(key_invalid(key_, "parameters may be nested at most " +
                                                std::to_string(kDepthMax) + " levels deep."));
    }
    if (!percent_decode(raw_value, value_)) {
      return unexpected(key_invalid(key_, "the value is not valid percent-encoding."));
    }
    if (!valid_utf8(value_)) {
      return unexpected(key_invalid(key_, "the value is not valid UTF-8."));
    }
    // NUL is valid UTF-8 but no text column can hold it (PostgreSQL refuses it outright), and
    // no Stripe parameter has a use for it.
    if (key_.find('\0') != std::string::npos || value_.find('\0') != std::string::npos) {
      return unexpected(key_invalid(key_, "it contains a NUL character (%00)."));
    }
    return insert();
  }

  // Walks (and creates) the objects named by segments_ and stores value_ at the end.
  Expected<void, api::ApiError> insert() {
    object* node = &root_;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      const std::string_view segment = segments_[i];
      if (i + 1 == segments_.size()) {
        const auto [found, inserted] = node->emplace(segment, value_);
        if (inserted) return {};
        if (found->value().is_string()) {
          return unexpected(key_invalid(
              key_, "the parameter was sent more than once. Send it once, or send a list as " +
                        clip(path_of(segments_, i + 1)) + "[]=value."));
        }
        return unexpected(scalar_and_hash(i + 1));
      }
      // The next segment is "[]" (it can only be the last): this one names a list.
      const bool list = segments_[i + 1].empty();
      auto found = node->find(segment);
      if (found == node->end()) {
        if (list) {
          node->emplace(segment, boost::json::array({boost::json::string_view(value_)}));
          return {};
        }
        node = &node->emplace(segment, object()).first->value().get_object();
        continue;
      }
      boost::json::value& existing = found->value();
      if (existing.is_string()) return unexpected(scalar_and_hash(i + 1));
      if (list != existing.is_array()) {
        return unexpected(key_invalid(
            key_, clip(path_of(segments_, i + 1)) +
                      " is sent both as a list (name[]=value) and as a hash (name[key]=value); "
                      "use one form."));
      }
      if (list) {
        existing.get_array().emplace_back(boost::json::string_view(value_));
        return {};
      }
      node = &existing.get_object();
    }
    assert(false && "the last segment always returns");
    return {};
  }

  api::ApiError scalar_and_hash(std::size_t count) const {
    return key_invalid(key_, clip(path_of(segments_, count)) +
                                 " is sent both as a value and as a hash or list; send one.");
  }

  object root_;
  std::string key_;                         // decoded key of the pair being added
  std::string value_;                       // decoded value of the pair being added
  std::vector<std::string_view> segments_;  // into key_
};

}  // namespace

ParamsResult<object> decode_form(std::string_view text) { return FormDecoder().decode(text); }

}  // namespace till::params
