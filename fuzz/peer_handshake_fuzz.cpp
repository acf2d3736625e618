// libFuzzer target for the peer handshake as a dialer reads the acceptor's reply: frames of at
// most kMaxHelloSize bytes, the first decoded as a hello, the second as an authentication proof
// checked against keys derived from a fixed cluster key. Arbitrary bytes either decode or throw
// PeerProtocolError; a decoded hello re-encodes to exactly the same bytes; a proof is accepted
// only if it is the real one. The raw input is also decoded as a hello and as a proof directly.

#include <cstdint>
#include <cstdlib>

#include "net/peer_auth.h"
#include "net/peer_frame.h"
#include "net/peer_handshake.h"

namespace {

using net::PeerProtocolError;

const net::ClusterKey& fixed_key() {
  static const net::ClusterKey key =
      net::ClusterKey::parse("WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=");  // 32 x 'Z'
  return key;
}

const engine::Bytes& dialer_hello() {
  static const engine::Bytes hello = [] {
    net::PeerHello h{net::kAuthenticatedPeerProtocolVersion, 1, "fuzz"};
    h.nonce.fill(0x11);
    return net::encode_hello(h);
  }();
  return hello;
}

void decode_directly(engine::ByteView input) {
  try {
    net::PeerHello hello = net::decode_hello(input);
    if (net::encode_hello(hello) != engine::Bytes(input.begin(), input.end())) std::abort();
  } catch (const PeerProtocolError&) {
  }
  try {
    net::PeerProof proof = net::decode_proof(input);
    if (!std::equal(proof.begin(), proof.end(), input.begin(), input.end())) std::abort();
  } catch (const PeerProtocolError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const engine::ByteView input(data, size);
  decode_directly(input);

  net::FrameReader reader(net::kMaxHelloSize);
  auto space = reader.prepare(size);
  std::copy(input.begin(), input.end(), space.begin());
  reader.commit(size);
  try {
    auto first = reader.next();
    if (!first) return 0;
    const engine::Bytes acceptor_hello(first->begin(), first->end());
    const net::PeerHello hello = net::decode_hello(acceptor_hello);
    if (net::encode_hello(hello) != acceptor_hello) std::abort();
    auto second = reader.next();
    if (!second) return 0;
    const net::PeerProof proof = net::decode_proof(*second);
    const net::PeerSessionKeys keys(fixed_key().bytes(), dialer_hello(), acceptor_hello);
    if (keys.acceptor_proof_matches(proof) != (proof == keys.acceptor_proof())) std::abort();
    // The dialer's own proof is never taken for the acceptor's (no reflection).
    if (keys.acceptor_proof_matches(keys.dialer_proof())) std::abort();
  } catch (const PeerProtocolError&) {
  }
  return 0;
}
