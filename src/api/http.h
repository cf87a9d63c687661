// api/http.h — the HTTP request and response as handlers see them.
//
// Handlers never see Boost.Beast types: only api/server.cpp includes Beast, which keeps the
// heavy templates in one translation unit and lets every resource file compile fast.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace till::api {

using HeaderList = std::vector<std::pair<std::string_view, std::string_view>>;

// A parsed request. Views point into the server's buffers and stay valid until the handler
// returns.
struct Request {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // path + "?" + query, as sent
  std::string_view path;    // without the query string
  std::string_view query;   // after '?', without it; empty if none
  std::string_view body;
  HeaderList headers;
  std::vector<std::pair<std::string_view, std::string_view>> path_params;  // from {name} segments
  std::string request_id;      // minted by the server, echoed in the Request-Id header
  std::string remote_address;  // peer IP

  // Case-insensitive header lookup; empty view if absent.
  std::string_view header(std::string_view name) const;
  // Value of a {name} segment of the matched route; empty view if absent.
  std::string_view path_param(std::string_view name) const;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Close the connection without writing anything: the client sees its request vanish, as
  // when an answer is lost in the network. For fault injection (the sandbox processor's
  // drop_response), never for ordinary errors.
  bool drop_connection = false;
};

Response json_response(unsigned status, std::string body);
Response text_response(unsigned status, std::string_view content_type, std::string body);

bool iequals(std::string_view a, std::string_view b);

}  // namespace till::api
