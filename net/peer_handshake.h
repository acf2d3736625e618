#pragma once
// The first frame on every peer connection, in both directions: who is speaking, in which
// cluster, with which protocol version. Lets a node refuse traffic from a process that is not a
// member of its cluster (a stale config, another cluster on the same ports, a port scanner).

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "engine/io.h"

namespace net {

inline constexpr std::uint16_t kPeerProtocolVersion = 1;
// Upper bound of a hello frame, applied before the peer is known, so garbage cannot make a
// node buffer much.
inline constexpr std::size_t kMaxHelloSize = 512;
inline constexpr std::size_t kMaxClusterNameSize = 255;

// Wire layout: "RDNS", u16 version, u64 node id, u8 cluster name length, cluster name (all big
// endian).
struct PeerHello {
  std::uint16_t version = kPeerProtocolVersion;
  engine::NodeId node = 0;
  std::string cluster;
};

engine::Bytes encode_hello(const PeerHello& hello);
// Throws PeerProtocolError (e.g. "not a raftdns peer (bad magic)") on a malformed hello.
PeerHello decode_hello(engine::ByteView payload);

// Why `hello` may not speak to node `self` of `cluster`, or nullopt if it may. `from` is the
// connection's remote address; it must be the member's configured address unless that is
// unspecified (0.0.0.0 / ::) or `check_address` is off.
std::optional<std::string> hello_refusal(
    const PeerHello& hello, engine::NodeId self, const std::string& cluster,
    const std::map<engine::NodeId, boost::asio::ip::tcp::endpoint>& members,
    const boost::asio::ip::address& from, bool check_address);

}  // namespace net
