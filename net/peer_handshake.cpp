#include "net/peer_handshake.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "net/peer_frame.h"

namespace net {

namespace {
constexpr std::uint8_t kMagic[4] = {'R', 'D', 'N', 'S'};
constexpr std::size_t kFixedSize = 4 + 2 + 8 + 1;

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out;
}
}  // namespace

engine::Bytes encode_hello(const PeerHello& hello) {
  if (hello.cluster.size() > kMaxClusterNameSize)
    throw Error(fmt::format("cluster name longer than {} bytes", kMaxClusterNameSize));
  engine::Bytes out(std::begin(kMagic), std::end(kMagic));
  out.push_back(static_cast<std::uint8_t>(hello.version >> 8));
  out.push_back(static_cast<std::uint8_t>(hello.version));
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(hello.node >> shift));
  out.push_back(static_cast<std::uint8_t>(hello.cluster.size()));
  out.insert(out.end(), hello.cluster.begin(), hello.cluster.end());
  return out;
}

PeerHello decode_hello(engine::ByteView payload) {
  if (payload.size() < 4 || !std::equal(kMagic, kMagic + 4, payload.begin()))
    throw PeerProtocolError("not a raftdns peer (bad magic)");
  if (payload.size() < kFixedSize)
    throw PeerProtocolError(fmt::format("hello truncated ({} bytes)", payload.size()));
  PeerHello hello;
  hello.version = static_cast<std::uint16_t>((payload[4] << 8) | payload[5]);
  hello.node = 0;
  for (std::size_t i = 6; i < 14; ++i) hello.node = (hello.node << 8) | payload[i];
  std::size_t name_size = payload[14];
  if (payload.size() != kFixedSize + name_size)
    throw PeerProtocolError(fmt::format("hello of {} bytes, its cluster name needs {}",
                                        payload.size(), kFixedSize + name_size));
  hello.cluster.assign(payload.begin() + kFixedSize, payload.end());
  return hello;
}

std::optional<std::string> hello_refusal(
    const PeerHello& hello, engine::NodeId self, const std::string& cluster,
    const std::map<engine::NodeId, boost::asio::ip::tcp::endpoint>& members,
    const boost::asio::ip::address& from, bool check_address) {
  if (hello.version != kPeerProtocolVersion)
    return fmt::format("protocol version {} (this node speaks {})", hello.version,
                       kPeerProtocolVersion);
  if (hello.cluster != cluster)
    return fmt::format("wrong cluster name \"{}\" (expected \"{}\")", printable(hello.cluster),
                       printable(cluster));
  auto member = members.find(hello.node);
  if (member == members.end()) {
    std::vector<engine::NodeId> ids;
    for (const auto& [id, endpoint] : members) ids.push_back(id);
    return fmt::format("unknown node id {} (members: {})", hello.node, fmt::join(ids, ", "));
  }
  if (hello.node == self) return fmt::format("claims this node's own id {}", self);
  const auto& expected = member->second.address();
  if (check_address && !expected.is_unspecified() && expected != from)
    return fmt::format("node {} must connect from {}, not {}", hello.node, expected.to_string(),
                       from.to_string());
  return std::nullopt;
}

}  // namespace net
