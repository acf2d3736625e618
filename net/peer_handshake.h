#pragma once
// The handshake messages of a peer connection, encoded and decoded (no sockets, no Asio: the
// fuzz build compiles this file on its own).
//
// Every connection starts with hellos: who is speaking, in which cluster, with which protocol
// version. Version 1 (no cluster key) is a hello each way and nothing else. Version 2 (a
// cluster_key_file is configured) adds a fresh random nonce to each hello and a proof frame
// each way, so that both ends show that they hold the cluster key (see net/peer_auth.h):
//
//   dialer   -> acceptor: hello v2 (dialer's id, nonce_d)
//   acceptor -> dialer:   hello v2 (acceptor's id, nonce_a), proof_a
//   dialer   -> acceptor: proof_d, then authenticated raft frames

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/io.h"

namespace net {

inline constexpr std::uint16_t kPeerProtocolVersion = 1;               // no cluster key
inline constexpr std::uint16_t kAuthenticatedPeerProtocolVersion = 2;  // with a cluster key
// Upper bound of a handshake frame, applied before the peer is authenticated, so garbage cannot
// make a node buffer much.
inline constexpr std::size_t kMaxHelloSize = 512;
inline constexpr std::size_t kMaxClusterNameSize = 255;
inline constexpr std::size_t kPeerNonceSize = 32;
inline constexpr std::size_t kPeerProofSize = 32;

using PeerNonce = std::array<std::uint8_t, kPeerNonceSize>;
using PeerProof = std::array<std::uint8_t, kPeerProofSize>;

// Wire layout: "RDNS", u16 version, u64 node id, u8 cluster name length, cluster name, and for
// version 2 the 32-byte nonce (integers big endian).
struct PeerHello {
  std::uint16_t version = kPeerProtocolVersion;
  engine::NodeId node = 0;
  std::string cluster;
  PeerNonce nonce{};  // on the wire only in version 2
};

engine::Bytes encode_hello(const PeerHello& hello);
// Throws PeerProtocolError (e.g. "not a raftdns peer (bad magic)") on a malformed hello. A
// hello of an unknown version is decoded with the version 1 layout, so that the refusal can name
// the version.
PeerHello decode_hello(engine::ByteView payload);

// A proof frame is the 32 bytes of the proof alone; throws PeerProtocolError otherwise.
PeerProof decode_proof(engine::ByteView payload);

}  // namespace net
