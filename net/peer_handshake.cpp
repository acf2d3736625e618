#include "net/peer_handshake.h"

#include <algorithm>

#include <fmt/format.h>

#include "net/peer_frame.h"

namespace net {

namespace {
constexpr std::uint8_t kMagic[4] = {'R', 'D', 'N', 'S'};
constexpr std::size_t kFixedSize = 4 + 2 + 8 + 1;

std::size_t trailer_size(std::uint16_t version) {
  return version == kAuthenticatedPeerProtocolVersion ? kPeerNonceSize : 0;
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
  if (trailer_size(hello.version) > 0)
    out.insert(out.end(), hello.nonce.begin(), hello.nonce.end());
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
  const std::size_t name_size = payload[14];
  const std::size_t expected = kFixedSize + name_size + trailer_size(hello.version);
  if (payload.size() != expected)
    throw PeerProtocolError(fmt::format("hello of {} bytes, its version {} layout needs {}",
                                        payload.size(), hello.version, expected));
  hello.cluster.assign(payload.begin() + kFixedSize, payload.begin() + kFixedSize + name_size);
  if (trailer_size(hello.version) > 0)
    std::copy(payload.end() - kPeerNonceSize, payload.end(), hello.nonce.begin());
  return hello;
}

PeerProof decode_proof(engine::ByteView payload) {
  if (payload.size() != kPeerProofSize)
    throw PeerProtocolError(fmt::format("authentication proof of {} bytes, expected {}",
                                        payload.size(), kPeerProofSize));
  PeerProof proof;
  std::copy(payload.begin(), payload.end(), proof.begin());
  return proof;
}

}  // namespace net
