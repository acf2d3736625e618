#include "net/listen_address.h"

#include <charconv>

#include <fmt/format.h>

#include "net/error.h"

namespace net {

ListenAddress ListenAddress::parse(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Error(fmt::format("bad listen address '{}': {}", text, why));
  };
  std::string_view host, port_text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw fail("expected [IPv6]:PORT");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) throw fail("expected IP:PORT, e.g. 127.0.0.1:5300");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) throw fail("write IPv6 addresses as [IP]:PORT");
  }
  ListenAddress result;
  boost::system::error_code ec;
  result.address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) throw fail(fmt::format("'{}' is not an IP address", host));
  unsigned port = 0;
  auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (err != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty())
    throw fail(fmt::format("'{}' is not a port number (0-65535)", port_text));
  result.port = static_cast<std::uint16_t>(port);
  return result;
}

std::string ListenAddress::to_string() const {
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), port);
  return fmt::format("{}:{}", address.to_string(), port);
}

}  // namespace net
