#include "net/peer_admission.h"

#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace net {

namespace {
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

std::string version_refusal(std::uint16_t theirs, std::uint16_t ours) {
  if (theirs == kPeerProtocolVersion && ours == kAuthenticatedPeerProtocolVersion)
    return "unauthenticated hello (protocol version 1, no cluster key); this node requires the "
           "cluster key (cluster_key_file)";
  if (theirs == kAuthenticatedPeerProtocolVersion && ours == kPeerProtocolVersion)
    return "the peer authenticates with a cluster key (protocol version 2) but this node has no "
           "cluster_key_file";
  return fmt::format("protocol version {} (this node speaks {})", theirs, ours);
}
}  // namespace

std::optional<std::string> hello_refusal(
    const PeerHello& hello, std::uint16_t version, engine::NodeId self, const std::string& cluster,
    const std::map<engine::NodeId, boost::asio::ip::tcp::endpoint>& members,
    const boost::asio::ip::address& from, bool check_address, bool admit_unknown) {
  if (hello.version != version) return version_refusal(hello.version, version);
  if (hello.cluster != cluster)
    return fmt::format("wrong cluster name \"{}\" (expected \"{}\")", printable(hello.cluster),
                       printable(cluster));
  auto member = members.find(hello.node);
  if (member == members.end() && admit_unknown && hello.node != self) return std::nullopt;
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
