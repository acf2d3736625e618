// libFuzzer target for the authenticated frame decoder: an arbitrary byte stream is fed, in
// chunks of varying size, through FrameReader and FrameOpener (keys from a fixed cluster key and
// fixed hellos, as the seed corpus was made). The stream either stops at a PeerProtocolError or
// yields payloads; every frame the opener accepts must be byte for byte the frame the real
// sealer makes for that payload and sequence number: nothing forged, replayed or reordered gets
// through.

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "net/peer_auth.h"
#include "net/peer_frame.h"
#include "net/peer_handshake.h"

namespace {

constexpr std::size_t kMaxPayload = 4096;

const net::PeerSessionKeys& fixed_keys() {
  static const net::PeerSessionKeys keys = [] {
    const net::ClusterKey key =
        net::ClusterKey::parse("WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=");  // 32 x 'Z'
    net::PeerHello dialer{net::kAuthenticatedPeerProtocolVersion, 1, "fuzz"};
    net::PeerHello acceptor{net::kAuthenticatedPeerProtocolVersion, 2, "fuzz"};
    dialer.nonce.fill(0x11);
    acceptor.nonce.fill(0x22);
    return net::PeerSessionKeys(key.bytes(), net::encode_hello(dialer),
                                net::encode_hello(acceptor));
  }();
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  net::FrameReader reader(kMaxPayload + net::kAuthenticatedFrameOverhead);
  net::FrameOpener opener(fixed_keys().frame_key());
  net::FrameSealer reference(fixed_keys().frame_key());
  std::size_t pos = 0;
  std::size_t consumed = 0;  // stream bytes of the frames handled so far
  std::uint32_t chunk_state = static_cast<std::uint32_t>(size) * 2654435761u;
  try {
    while (pos < size) {
      chunk_state = chunk_state * 1103515245u + 12345u;
      const std::size_t chunk = std::min<std::size_t>(size - pos, 1 + (chunk_state >> 16) % 97);
      auto space = reader.prepare(chunk);
      std::copy(data + pos, data + pos + chunk, space.begin());
      reader.commit(chunk);
      pos += chunk;
      while (auto body = reader.next()) {
        const std::size_t frame_size = net::kFrameHeaderSize + body->size();
        const engine::ByteView payload = opener.open(*body);
        const engine::Bytes genuine = net::seal_frame(reference, payload);
        if (genuine.size() != frame_size ||
            !std::equal(genuine.begin(), genuine.end(), data + consumed))
          std::abort();
        consumed += frame_size;
      }
    }
  } catch (const net::PeerProtocolError&) {
  }
  return 0;
}
