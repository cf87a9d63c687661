// Test support: a deliberately simple blocking HTTP/1.1 client over a raw socket, so tests
// control every byte (slow senders, oversized heads, pipelining) — something a full client
// library would hide.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace till::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::string header(const std::string& lower_name) const;
};

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port,
                         std::chrono::milliseconds receive_timeout = std::chrono::seconds(10));
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends bytes; false if the peer has closed.
  bool send(std::string_view bytes);
  // Reads one response (Content-Length framed). nullopt on timeout, close or garbage.
  std::optional<HttpResponse> read_response();
  // True if the server closes the connection within `timeout` (read returns 0 or reset).
  bool closed_by_peer_within(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
std::optional<HttpResponse> http_request(std::uint16_t port, std::string_view method,
                                         std::string_view target,
                                         std::string_view extra_headers = "",
                                         std::string_view body = "");

}  // namespace till::testing
