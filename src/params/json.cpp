// decode_json: a JSON body, parsed with Boost.JSON's basic_parser and a handler that builds
// the value (as boost::json::parse does) while enforcing the codec's limits and naming the
// offending parameter in bracket form. Boost's own parse keeps the last of duplicate keys
// silently; two parsers disagreeing on `{"amount":1,"amount":100}` is how request smuggling
// starts, so duplicates are refused here.
#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <cassert>
#include <optional>
#include <unordered_set>
#include <vector>

#include "params/params.h"

namespace till::params {

namespace {

using boost::json::error_code;

class Handler {
 public:
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  boost::json::value_stack stack;
  std::optional<api::ApiError> failure;  // set when a callback refused the input

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }

  bool on_object_begin(error_code& ec) { return begin_value("an object", ec) && open(false, ec); }
  bool on_object_end(std::size_t n, error_code&) {
    frames_.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(error_code& ec) { return begin_value("a list", ec) && open(true, ec); }
  bool on_array_end(std::size_t n, error_code&) {
    frames_.pop_back();
    stack.push_array(n);
    return true;
  }

  bool on_key_part(boost::json::string_view part, std::size_t, error_code& ec) {
    if (!append_key(part, ec)) return false;
    stack.push_chars(part);
    return true;
  }
  bool on_key(boost::json::string_view part, std::size_t, error_code& ec) {
    if (!append_key(part, ec)) return false;
    Frame& frame = frames_.back();
    frame.key = key_;
    key_.clear();
    if (frame.key.empty() ||
        frame.key.find_first_of(std::string_view("[]\0", 3)) != std::string::npos) {
      return fail(parameter_invalid(path(frames_.size()), clip(path(frames_.size())),
                                    "parameter names must be non-empty and may not contain "
                                    "'[' or ']'."),
                  ec);
    }
    if (!frame.keys.insert(frame.key).second) {
      return fail(parameter_invalid(path(frames_.size()), clip(path(frames_.size())),
                                    "the key appears more than once in its object."),
                  ec);
    }
    stack.push_key(part);
    return true;
  }

  bool on_string_part(boost::json::string_view part, std::size_t, error_code& ec) {
    if (!refuse_nul(part, ec)) return false;
    stack.push_chars(part);
    return true;
  }
  bool on_string(boost::json::string_view part, std::size_t, error_code& ec) {
    if (!refuse_nul(part, ec)) return false;
    if (!begin_value("a string", ec)) return false;
    stack.push_string(part);
    return true;
  }
  // NUL ("\u0000") is valid JSON but no text column can hold it (PostgreSQL refuses it
  // outright), and no Stripe parameter has a use for it.
  bool refuse_nul(boost::json::string_view part, error_code& ec) {
    if (part.find('\0') == boost::json::string_view::npos) return true;
    return fail(parameter_invalid(path(frames_.size()), clip(path(frames_.size())),
                                  "it contains a NUL character (\\u0000)."),
                ec);
  }
  bool on_number_part(boost::json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t number, boost::json::string_view, error_code& ec) {
    if (!begin_value("a number", ec)) return false;
    stack.push_int64(number);
    return true;
  }
  bool on_uint64(std::uint64_t number, boost::json::string_view, error_code& ec) {
    if (!begin_value("a number", ec)) return false;
    stack.push_uint64(number);
    return true;
  }
  bool on_double(double number, boost::json::string_view, error_code& ec) {
    if (!begin_value("a number", ec)) return false;
    stack.push_double(number);
    return true;
  }
  bool on_bool(bool flag, error_code& ec) {
    if (!begin_value("a boolean", ec)) return false;
    stack.push_bool(flag);
    return true;
  }
  bool on_null(error_code& ec) {
    if (!begin_value("null", ec)) return false;
    stack.push_null();
    return true;
  }
  bool on_comment_part(boost::json::string_view, error_code&) { return true; }
  bool on_comment(boost::json::string_view, error_code&) { return true; }

 private:
  // One open object or array.
  struct Frame {
    bool is_array = false;
    std::size_t count = 0;                 // values begun in it so far
    std::string key;                       // object: the key of the current member
    std::unordered_set<std::string> keys;  // object: every key so far
  };

  bool fail(api::ApiError error, error_code& ec) {
    failure = std::move(error);
    ec = boost::json::error::syntax;  // stops the parser; `failure` says why
    return false;
  }

  bool append_key(boost::json::string_view part, error_code& ec) {
    if (part.size() > kKeyBytesMax - key_.size()) {
      key_.append(part.data(), std::min(part.size(), kKeyBytesMax + 1 - key_.size()));
      const std::string parent = path(frames_.size() - 1);
      return fail(
          request_error("parameter_invalid",
                        "A parameter name is longer than " + std::to_string(kKeyBytesMax) +
                            " bytes; it starts with " + clip(join_param(parent, key_)) + ".",
                        clip(join_param(parent, key_))),
          ec);
    }
    key_.append(part.data(), part.size());
    return true;
  }

  // Counts a value against kParamsMax; the top level must be an object.
  bool begin_value(std::string_view kind, error_code& ec) {
    if (frames_.empty()) {
      if (kind == "an object") return true;
      return fail(request_error(
                      "json_invalid",
                      "The request body must be a JSON object, not " + std::string(kind) + ".", ""),
                  ec);
    }
    if (++values_ > kParamsMax) {
      return fail(request_error("parameters_exceeded_max",
                                "The request has more than " + std::to_string(kParamsMax) +
                                    " parameters. Send fewer parameters.",
                                ""),
                  ec);
    }
    ++frames_.back().count;
    return true;
  }

  bool open(bool is_array, error_code& ec) {
    if (frames_.size() == kDepthMax) {
      return fail(parameter_invalid(path(frames_.size()), clip(path(frames_.size())),
                                    "parameters may be nested at most " +
                                        std::to_string(kDepthMax) + " levels deep."),
                  ec);
    }
    frames_.emplace_back();
    frames_.back().is_array = is_array;
    return true;
  }

  // Bracket path of the value current in the first `count` frames ("a[b][0]").
  std::string path(std::size_t count) const {
    std::string joined;
    for (std::size_t i = 0; i < count; ++i) {
      const Frame& frame = frames_[i];
      const std::string segment =
          frame.is_array ? std::to_string(frame.count == 0 ? 0 : frame.count - 1) : frame.key;
      joined = join_param(joined, segment);
    }
    return joined;
  }

  std::vector<Frame> frames_;
  std::string key_;  // the key being read, across on_key_part calls
  std::size_t values_ = 0;
};

}  // namespace

ParamsResult<boost::json::object> decode_json(std::string_view text) {
  if (text.size() > kTextBytesMax) {
    return unexpected(request_error("parameters_too_large",
                                    "The request body is " + std::to_string(text.size()) +
                                        " bytes long; the limit is " +
                                        std::to_string(kTextBytesMax) + " bytes.",
                                    ""));
  }
  boost::json::parse_options options;
  options.max_depth = 2 * kDepthMax;  // the handler stops at kDepthMax with a better message
  boost::json::basic_parser<Handler> parser(options);
  parser.handler().stack.reset();
  error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().failure) return unexpected(std::move(*parser.handler().failure));
  if (!ec && used != text.size()) ec = boost::json::error::extra_data;  // `{...} x`
  if (ec) {
    return unexpected(request_error("json_invalid",
                                    "The request body is not valid JSON (" + ec.message() +
                                        " at byte " + std::to_string(used) +
                                        "). Send a JSON object, or a form body as the Stripe "
                                        "SDKs do.",
                                    ""));
  }
  boost::json::value parsed = parser.handler().stack.release();
  assert(parsed.is_object());  // begin_value refuses any other top level
  return std::move(parsed.get_object());
}

}  // namespace till::params
