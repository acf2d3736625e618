#pragma once
// A "host:port" listen address as given on the command line.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace net {

// An IP address and port to serve on; "127.0.0.1:5300" or "[::1]:5300". Port 0 = pick any.
struct ListenAddress {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  // Throws net::Error("bad listen address '...': ...") when `text` is not "IP:PORT".
  static ListenAddress parse(std::string_view text);
  // "127.0.0.1:5300" or "[::1]:5300".
  std::string to_string() const;
};

}  // namespace net
