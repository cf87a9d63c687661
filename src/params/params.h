// params/params.h — the merchant API's request codec: turns a Stripe-style request (form body,
// query string or JSON body) into a boost::json::object, and reads typed parameters out of it
// with errors Stripe's SDKs understand (reader.h).
//
// Form bodies and query strings use Rack's bracket nesting, exactly as the official SDKs send
// it: stripe-node writes `items[0][price]=p` and `expand[0]=x`, other SDKs `expand[]=x`.
// Decoded form values are always JSON strings; `a[]=` becomes a JSON array; `a[0]=` stays an
// object keyed "0", because only the schema knows whether `metadata[0]` is a key or an index
// (Reader::string_list and Reader::hash_list resolve it). JSON bodies keep their types.
// The rules and limits are written down in docs/params.md.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <string_view>

#include "api/errors.h"
#include "api/http.h"
#include "base/result.h"
#include "params/errors.h"
#include "params/reader.h"
#include "params/text.h"

namespace till::params {

// Limits on one decoded body or query string. A request over them is refused whole.
inline constexpr std::size_t kTextBytesMax = 1024 * 1024;  // encoded size of body or query
inline constexpr std::size_t kParamsMax = 2000;            // form pairs; JSON members and elements
inline constexpr std::size_t kKeyBytesMax = 512;           // decoded form key; JSON object key
inline constexpr std::size_t kDepthMax = 8;  // nested objects/arrays, the top level included

template <class T>
using ParamsResult = Expected<T, api::ApiError>;

// application/x-www-form-urlencoded or a query string (without the '?').
ParamsResult<boost::json::object> decode_form(std::string_view text);

// A JSON body, which must be an object. Duplicate keys, empty keys and keys containing '[' or
// ']' are refused: each would make a parameter's bracket path ambiguous.
ParamsResult<boost::json::object> decode_json(std::string_view text);

// The body, by Content-Type: application/x-www-form-urlencoded (also when the header is
// absent), application/json; parameters such as "; charset=utf-8" are ignored. An empty body
// is an empty object whatever the type. Anything else is 400 content_type_unsupported.
ParamsResult<boost::json::object> decode_body(const api::Request& request);

// Every parameter of a request: the query string for GET, HEAD and DELETE (a body is not
// read); for other methods the body plus the query string, where a top-level name sent in
// both is refused rather than one silently winning.
ParamsResult<boost::json::object> decode_request(const api::Request& request);

}  // namespace till::params
