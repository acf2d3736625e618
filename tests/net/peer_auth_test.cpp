// The pieces of authenticated peer links without sockets: key derivation and proofs, sealed
// frames, the refusal log's rate limit.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "net/peer_auth.h"
#include "net/peer_frame.h"
#include "net/peer_handshake.h"
#include "net/peer_refusal_log.h"

namespace net {
namespace {

using engine::Bytes;
using engine::ByteView;

ClusterKey key_of(char fill) {
  // 32 bytes of `fill`, through the file format.
  std::string raw(32, fill);
  std::string text(44, '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                  reinterpret_cast<const unsigned char*>(raw.data()), 32);
  return ClusterKey::parse(text);
}

Bytes hello(std::uint16_t node, std::uint8_t nonce_fill) {
  PeerHello h{kAuthenticatedPeerProtocolVersion, node, "prod"};
  h.nonce.fill(nonce_fill);
  return encode_hello(h);
}

// Both ends derive the same keys from the same hellos: proofs match and frames open.
TEST(PeerSessionKeys, BothEndsAgreeAndProofsAreDirectional) {
  const ClusterKey key = key_of('k');
  const Bytes dialer = hello(1, 0x11), acceptor = hello(2, 0x22);
  PeerSessionKeys at_dialer(key.bytes(), dialer, acceptor);
  PeerSessionKeys at_acceptor(key.bytes(), dialer, acceptor);
  EXPECT_TRUE(at_dialer.acceptor_proof_matches(at_acceptor.acceptor_proof()));
  EXPECT_TRUE(at_acceptor.dialer_proof_matches(at_dialer.dialer_proof()));
  // A proof cannot be reflected back as the other side's.
  EXPECT_NE(at_dialer.dialer_proof(), at_dialer.acceptor_proof());
  EXPECT_FALSE(at_acceptor.dialer_proof_matches(at_acceptor.acceptor_proof()));
  EXPECT_EQ(Bytes(at_dialer.frame_key().view().begin(), at_dialer.frame_key().view().end()),
            Bytes(at_acceptor.frame_key().view().begin(), at_acceptor.frame_key().view().end()));
}

TEST(PeerSessionKeys, AnyDifferenceInKeyOrHellosChangesEverything) {
  const ClusterKey key = key_of('k');
  const Bytes dialer = hello(1, 0x11), acceptor = hello(2, 0x22);
  const PeerSessionKeys base(key.bytes(), dialer, acceptor);
  const PeerSessionKeys other_key(key_of('x').bytes(), dialer, acceptor);
  const PeerSessionKeys other_nonce(key.bytes(), hello(1, 0x12), acceptor);
  const PeerSessionKeys other_node(key.bytes(), dialer, hello(3, 0x22));
  const PeerSessionKeys swapped(key.bytes(), acceptor, dialer);  // who dialed whom is bound
  for (const PeerSessionKeys* other : {&other_key, &other_nonce, &other_node, &swapped}) {
    EXPECT_FALSE(base.acceptor_proof_matches(other->acceptor_proof()));
    EXPECT_FALSE(base.dialer_proof_matches(other->dialer_proof()));
  }
}

Bytes from_hex(const std::string& hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Known answers from an independent model of the protocol (Python's hashlib and hmac, HKDF per
// RFC 5869): key 0x00..0x1f, nonces of 0xaa (dialer, node 1) and 0xbb (acceptor, node 2),
// cluster "kat".
TEST(PeerSessionKeys, MatchAnIndependentModelOfTheProtocol) {
  std::vector<std::uint8_t> raw(32);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i);
  std::string text(44, '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), raw.data(), 32);
  const ClusterKey key = ClusterKey::parse(text);
  PeerHello dialer{kAuthenticatedPeerProtocolVersion, 1, "kat"}, acceptor = dialer;
  dialer.nonce.fill(0xaa);
  acceptor.node = 2;
  acceptor.nonce.fill(0xbb);
  const PeerSessionKeys keys(key.bytes(), encode_hello(dialer), encode_hello(acceptor));
  const auto proof_bytes = [](const PeerProof& proof) { return Bytes(proof.begin(), proof.end()); };
  EXPECT_EQ(proof_bytes(keys.acceptor_proof()),
            from_hex("f43651547b67c2dc13fbfbe11e56e9f81804ddb414ee5dd79bb18a98d12909ae"));
  EXPECT_EQ(proof_bytes(keys.dialer_proof()),
            from_hex("b26a04267e1e0f4f474d8c0ca75f91b74f3b90acc8b8ccf460e54f6250da580c"));
  FrameSealer sealer(keys.frame_key());
  EXPECT_EQ(seal_frame(sealer, Bytes{'a', 'b', 'c'}),
            from_hex("0000001b0000000000000000616263fc0ea74754ff39fec4d0d044a1c06633"));
  EXPECT_EQ(seal_frame(sealer, Bytes{}),
            from_hex("0000001800000000000000015f20780b39e4c7b9dc361df78659a901"));
}

TEST(PeerSessionKeys, FreshNoncesDiffer) {
  EXPECT_NE(fresh_nonce(), fresh_nonce());
}

// Sealed frames as the wire carries them, read back through FrameReader.
class SealedFrames : public ::testing::Test {
 protected:
  SealedFrames()
      : keys_(key_of('k').bytes(), hello(1, 1), hello(2, 2)),
        sealer_(keys_.frame_key()),
        opener_(keys_.frame_key()) {}

  Bytes seal(const std::string& text) {
    return seal_frame(sealer_,
                      ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  // The body FrameReader hands over (the wire frame minus its length).
  static ByteView body(const Bytes& frame) { return ByteView(frame).subspan(kFrameHeaderSize); }
  std::string open(const Bytes& frame) {
    ByteView payload = opener_.open(body(frame));
    return std::string(payload.begin(), payload.end());
  }
  std::string refusal(const Bytes& frame) {
    try {
      open(frame);
    } catch (const PeerProtocolError& e) {
      return e.what();
    }
    return "";
  }

  PeerSessionKeys keys_;
  FrameSealer sealer_;
  FrameOpener opener_;
};

TEST_F(SealedFrames, LayoutIsLengthSequencePayloadTag) {
  Bytes first = seal("abc");
  Bytes second = seal("");
  ASSERT_EQ(first.size(), 4 + 8 + 3 + 16);
  EXPECT_EQ(Bytes(first.begin(), first.begin() + 4), (Bytes{0, 0, 0, 8 + 3 + 16}));
  EXPECT_EQ(Bytes(first.begin() + 4, first.begin() + 12), Bytes(8, 0));
  EXPECT_EQ(Bytes(second.begin() + 4, second.begin() + 12), (Bytes{0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(std::string(first.begin() + 12, first.begin() + 15), "abc");
  // The tag is HMAC-SHA256 over length, sequence and payload, cut to 16 bytes: checked against
  // OpenSSL's one-shot HMAC, for the first frame and a later one (the context is reused).
  for (const Bytes* frame : {&first, &second}) {
    unsigned char full[32];
    unsigned int size = 0;
    const auto key = keys_.frame_key().view();
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), frame->data(),
         frame->size() - kFrameTagSize, full, &size);
    EXPECT_EQ(Bytes(frame->end() - kFrameTagSize, frame->end()), Bytes(full, full + 16));
  }
  EXPECT_EQ(open(first), "abc");
  EXPECT_EQ(open(second), "");
}

TEST_F(SealedFrames, ReplayedOrReorderedFramesAreRefused) {
  Bytes zero = seal("zero"), one = seal("one"), two = seal("two");
  EXPECT_EQ(open(zero), "zero");
  EXPECT_EQ(refusal(zero), "frame sequence number 0 where 1 was expected (replayed or reordered)");
  EXPECT_NE(refusal(two).find("sequence number 2 where 1 was expected"), std::string::npos);
  EXPECT_EQ(open(one), "one");
  EXPECT_EQ(open(two), "two");
}

TEST_F(SealedFrames, FramesOfAnotherConnectionAreRefused) {
  PeerSessionKeys other(key_of('k').bytes(), hello(1, 3), hello(2, 2));
  FrameSealer other_sealer(other.frame_key());
  Bytes frame = seal_frame(other_sealer, Bytes{1, 2, 3});
  EXPECT_EQ(refusal(frame), "frame failed authentication (forged or corrupted)");
}

TEST_F(SealedFrames, ShortFramesAreRefused) {
  EXPECT_NE(refusal(Bytes(4 + 23, 0)).find("shorter than its sequence number and tag"),
            std::string::npos);
}

RC_GTEST_PROP(SealedFramesProperty, EveryBitFlipIsRefusedAndIntactFramesOpen,
              (const std::vector<Bytes>& payloads)) {
  PeerSessionKeys keys(key_of('p').bytes(), hello(1, 1), hello(2, 2));
  FrameSealer sealer(keys.frame_key());
  FrameOpener opener(keys.frame_key());
  for (const Bytes& payload : payloads) {
    Bytes frame = seal_frame(sealer, payload);
    ByteView body = ByteView(frame).subspan(kFrameHeaderSize);
    // A flipped bit in the sequence number, payload or tag is caught; the opener is unchanged
    // by a refused frame, so the intact frame still opens afterwards.
    Bytes forged(body.begin(), body.end());
    const auto bit = *rc::gen::inRange<std::size_t>(0, forged.size() * 8);
    forged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    RC_ASSERT_THROWS_AS(opener.open(forged), PeerProtocolError);
    ByteView opened = opener.open(body);
    RC_ASSERT(Bytes(opened.begin(), opened.end()) == payload);
  }
}

using Clock = PeerRefusalLog::Clock;
constexpr auto kInterval = std::chrono::seconds(10);

TEST(PeerRefusalLog, OneLinePerAddressPerIntervalWithTheCountLeftOut) {
  PeerRefusalLog log(kInterval);
  const Clock::time_point t0{};
  EXPECT_EQ(log.admit("10.0.0.1", t0), 0u);
  EXPECT_EQ(log.admit("10.0.0.1", t0 + std::chrono::seconds(1)), std::nullopt);
  EXPECT_EQ(log.admit("10.0.0.1", t0 + std::chrono::seconds(9)), std::nullopt);
  EXPECT_EQ(log.admit("10.0.0.2", t0 + std::chrono::seconds(9)), 0u);  // another address
  EXPECT_EQ(log.admit("10.0.0.1", t0 + std::chrono::seconds(10)), 2u);
  EXPECT_EQ(log.admit("10.0.0.1", t0 + std::chrono::seconds(15)), std::nullopt);
  EXPECT_EQ(log.admit("10.0.0.1", t0 + std::chrono::seconds(60)), 1u);
  EXPECT_EQ(log.admit("10.0.0.1", t0 + std::chrono::seconds(120)), 0u);
}

TEST(PeerRefusalLog, ZeroIntervalLogsEverything) {
  PeerRefusalLog log(std::chrono::milliseconds(0));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(log.admit("10.0.0.1", Clock::time_point{}), 0u);
}

TEST(PeerRefusalLog, ManyAddressesStayBoundedInMemoryAndInLines) {
  PeerRefusalLog log(kInterval, 3);
  const Clock::time_point t0{};
  int logged = 0;
  for (int i = 0; i < 100; ++i) logged += log.admit(fmt::format("10.0.0.{}", i), t0).has_value();
  EXPECT_EQ(logged, 3);  // the table is full of addresses still in their interval
  // Once their interval is over they make room again.
  EXPECT_EQ(log.admit("10.0.1.1", t0 + kInterval), 0u);
}

}  // namespace
}  // namespace net
