// decode_body and decode_request: which decoder a request's parameters go through.
#include "params/params.h"

namespace till::params {

namespace {

// The media type of a Content-Type value: before any ';', without surrounding blanks.
std::string_view media_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return type;
}

}  // namespace

ParamsResult<boost::json::object> decode_body(const api::Request& request) {
  // Clients commonly send a Content-Type with an empty POST (a capture without parameters).
  if (request.body.empty()) return boost::json::object();
  const std::string_view content_type = request.header("Content-Type");
  const std::string_view type = media_type(content_type);
  if (type.empty() || api::iequals(type, "application/x-www-form-urlencoded")) {
    return decode_form(request.body);
  }
  if (api::iequals(type, "application/json")) return decode_json(request.body);
  return unexpected(request_error(
      "content_type_unsupported",
      "The Content-Type header " + clip(content_type) +
          " is not supported. Send application/x-www-form-urlencoded (as the Stripe SDKs do) "
          "or application/json.",
      ""));
}

ParamsResult<boost::json::object> decode_request(const api::Request& request) {
  const std::string_view method = request.method;
  if (method == "GET" || method == "HEAD" || method == "DELETE") {
    return decode_form(request.query);
  }
  auto body = decode_body(request);
  if (!body || request.query.empty()) return body;
  auto query = decode_form(request.query);
  if (!query) return query;
  for (auto& member : *query) {
    if (body->contains(member.key())) {
      const std::string name(member.key());
      return unexpected(
          parameter_invalid(name, clip(name),
                            "the parameter is sent both in the query string and in the body; "
                            "send it once."));
    }
    body->emplace(member.key(), std::move(member.value()));
  }
  return body;
}

}  // namespace till::params
