#pragma once
// Whether a peer's hello may go on: right protocol version for this node's mode (with or
// without a cluster key), same cluster, a member's id, from that member's address. A hello that
// passes is still unproven until the authentication proofs (net/peer_auth.h) are checked.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "engine/io.h"
#include "net/peer_handshake.h"

namespace net {

// Why `hello` may not speak to node `self` of `cluster`, or nullopt if it may. `version` is the
// one this node speaks (kAuthenticatedPeerProtocolVersion when it has a cluster key). `from` is
// the connection's remote address; it must be the member's configured address unless that is
// unspecified (0.0.0.0 / ::) or `check_address` is off. With `admit_unknown` (a node joining
// by --join that knows no peer yet) an id outside `members` is admitted, from any address.
std::optional<std::string> hello_refusal(
    const PeerHello& hello, std::uint16_t version, engine::NodeId self, const std::string& cluster,
    const std::map<engine::NodeId, boost::asio::ip::tcp::endpoint>& members,
    const boost::asio::ip::address& from, bool check_address, bool admit_unknown = false);

}  // namespace net
