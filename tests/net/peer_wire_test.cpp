// Framing and handshake encoding of the peer transport.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "net/peer_admission.h"
#include "net/peer_context.h"
#include "net/peer_frame.h"
#include "net/peer_handshake.h"

namespace net {
namespace {

using engine::Bytes;

void feed(FrameReader& reader, const Bytes& bytes) {
  auto space = reader.prepare(bytes.size());
  std::copy(bytes.begin(), bytes.end(), space.begin());
  reader.commit(bytes.size());
}

TEST(FrameReader, HeaderIsBigEndian) {
  auto header = frame_header(0x01020304);
  EXPECT_EQ(header, (std::array<std::uint8_t, 4>{1, 2, 3, 4}));
}

TEST(FrameReader, WaitsForWholeFrameThenYieldsIt) {
  FrameReader reader(100);
  Bytes frame = framed(Bytes{7, 8, 9});
  feed(reader, Bytes(frame.begin(), frame.begin() + 5));
  EXPECT_FALSE(reader.next());
  feed(reader, Bytes(frame.begin() + 5, frame.end()));
  auto payload = reader.next();
  ASSERT_TRUE(payload);
  EXPECT_EQ(Bytes(payload->begin(), payload->end()), (Bytes{7, 8, 9}));
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(FrameReader, EmptyFrameIsAFrame) {
  FrameReader reader(100);
  feed(reader, framed(Bytes{}));
  auto payload = reader.next();
  ASSERT_TRUE(payload);
  EXPECT_TRUE(payload->empty());
}

TEST(FrameReader, LengthAboveLimitIsRefusedFromTheHeaderAlone) {
  FrameReader reader(100);
  feed(reader, {0, 0, 0, 101});
  EXPECT_THROW(reader.next(), PeerProtocolError);
  FrameReader huge(64u << 20);
  feed(huge, {0xff, 0xff, 0xff, 0xff});
  try {
    huge.next();
    FAIL() << "no error";
  } catch (const PeerProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("4294967295"), std::string::npos) << e.what();
  }
}

RC_GTEST_PROP(FrameReader, ReassemblesFramesSplitAnywhere, ()) {
  const auto payloads = *rc::gen::arbitrary<std::vector<Bytes>>();
  Bytes stream;
  for (const auto& p : payloads) {
    Bytes f = framed(p);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  FrameReader reader(300);
  std::vector<Bytes> out;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    std::size_t chunk = *rc::gen::inRange<std::size_t>(1, 64);
    chunk = std::min(chunk, stream.size() - pos);
    auto space = reader.prepare(1);
    chunk = std::min(chunk, space.size());
    std::copy(stream.begin() + pos, stream.begin() + pos + chunk, space.begin());
    reader.commit(chunk);
    pos += chunk;
    while (auto frame = reader.next()) out.emplace_back(frame->begin(), frame->end());
  }
  RC_ASSERT(out == payloads);
}

TEST(PeerHello, RoundTrips) {
  PeerHello hello{kPeerProtocolVersion, 0x0102030405060708ULL, "dns-cluster"};
  PeerHello back = decode_hello(encode_hello(hello));
  EXPECT_EQ(back.version, hello.version);
  EXPECT_EQ(back.node, hello.node);
  EXPECT_EQ(back.cluster, hello.cluster);
  EXPECT_LE(encode_hello({1, 1, std::string(kMaxClusterNameSize, 'x')}).size(), kMaxHelloSize);
}

TEST(PeerHello, MalformedHellosAreProtocolErrors) {
  Bytes good = encode_hello({kPeerProtocolVersion, 2, "c"});
  Bytes bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_THROW(decode_hello(bad_magic), PeerProtocolError);
  EXPECT_THROW(decode_hello(Bytes(good.begin(), good.end() - 1)), PeerProtocolError);
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_THROW(decode_hello(longer), PeerProtocolError);
  EXPECT_THROW(decode_hello(Bytes{}), PeerProtocolError);
}

RC_GTEST_PROP(PeerHello, ArbitraryBytesDecodeOrThrowProtocolError, (const Bytes& bytes)) {
  try {
    decode_hello(bytes);
  } catch (const PeerProtocolError&) {
  }
}

TEST(PeerHello, RefusalNamesWhatIsWrong) {
  using boost::asio::ip::make_address;
  using boost::asio::ip::tcp;
  PeerMembers members{{1, tcp::endpoint(make_address("127.0.0.1"), 1000)},
                      {2, tcp::endpoint(make_address("127.0.0.2"), 1000)},
                      {3, tcp::endpoint(make_address("0.0.0.0"), 1000)}};
  auto refusal = [&](PeerHello hello, bool check = true,
                     boost::asio::ip::address address = make_address("127.0.0.2")) {
    return hello_refusal(hello, kPeerProtocolVersion, 1, "prod", members, address, check)
        .value_or("");
  };
  EXPECT_EQ(refusal({kPeerProtocolVersion, 2, "prod"}), "");
  EXPECT_EQ(refusal({kPeerProtocolVersion, 3, "prod"}), "");  // unspecified: any address
  EXPECT_NE(refusal({9, 2, "prod"}).find("protocol version 9"), std::string::npos);
  EXPECT_NE(refusal({kPeerProtocolVersion, 2, "test"}).find("wrong cluster name \"test\""),
            std::string::npos);
  EXPECT_NE(refusal({kPeerProtocolVersion, 7, "prod"}).find("unknown node id 7 (members: 1, 2, 3)"),
            std::string::npos);
  EXPECT_NE(refusal({kPeerProtocolVersion, 1, "prod"}).find("own id"), std::string::npos);
  EXPECT_NE(refusal({kPeerProtocolVersion, 2, "prod"}, true, make_address("127.0.0.9"))
                .find("must connect from 127.0.0.2, not 127.0.0.9"),
            std::string::npos);
  EXPECT_EQ(refusal({kPeerProtocolVersion, 2, "prod"}, false, make_address("127.0.0.9")), "");
}

// A node with a cluster key and one without cannot talk, and each says why.
TEST(PeerHello, KeyedAndUnkeyedVersionsRefuseEachOther) {
  using boost::asio::ip::make_address;
  using boost::asio::ip::tcp;
  PeerMembers members{{1, tcp::endpoint(make_address("127.0.0.1"), 1000)},
                      {2, tcp::endpoint(make_address("127.0.0.1"), 1001)}};
  auto refusal = [&](std::uint16_t theirs, std::uint16_t ours) {
    return hello_refusal({theirs, 2, "prod"}, ours, 1, "prod", members, make_address("127.0.0.1"),
                         true)
        .value_or("");
  };
  EXPECT_EQ(refusal(kAuthenticatedPeerProtocolVersion, kAuthenticatedPeerProtocolVersion), "");
  EXPECT_NE(refusal(kPeerProtocolVersion, kAuthenticatedPeerProtocolVersion)
                .find("unauthenticated hello (protocol version 1, no cluster key); this node "
                      "requires the cluster key"),
            std::string::npos);
  EXPECT_NE(refusal(kAuthenticatedPeerProtocolVersion, kPeerProtocolVersion)
                .find("this node has no cluster_key_file"),
            std::string::npos);
  EXPECT_NE(refusal(3, kAuthenticatedPeerProtocolVersion).find("protocol version 3"),
            std::string::npos);
}

TEST(PeerHello, AuthenticatedHelloCarriesItsNonce) {
  PeerHello hello{kAuthenticatedPeerProtocolVersion, 7, "prod"};
  for (std::size_t i = 0; i < hello.nonce.size(); ++i) hello.nonce[i] = static_cast<uint8_t>(i);
  Bytes wire = encode_hello(hello);
  EXPECT_EQ(wire.size(), 4 + 2 + 8 + 1 + 4 + kPeerNonceSize);
  PeerHello back = decode_hello(wire);
  EXPECT_EQ(back.version, kAuthenticatedPeerProtocolVersion);
  EXPECT_EQ(back.node, 7u);
  EXPECT_EQ(back.cluster, "prod");
  EXPECT_EQ(back.nonce, hello.nonce);
  EXPECT_LE(
      encode_hello({kAuthenticatedPeerProtocolVersion, 1, std::string(kMaxClusterNameSize, 'x')})
          .size(),
      kMaxHelloSize);
  // Without its nonce, or with a byte too many, it is malformed.
  EXPECT_THROW(decode_hello(Bytes(wire.begin(), wire.end() - 1)), PeerProtocolError);
  wire.push_back(0);
  EXPECT_THROW(decode_hello(wire), PeerProtocolError);
}

TEST(PeerHello, ProofFrameIsExactly32Bytes) {
  Bytes proof(kPeerProofSize, 0xab);
  EXPECT_EQ(decode_proof(proof)[31], 0xab);
  EXPECT_THROW(decode_proof(Bytes(31, 0)), PeerProtocolError);
  EXPECT_THROW(decode_proof(Bytes(33, 0)), PeerProtocolError);
  EXPECT_THROW(decode_proof(Bytes{}), PeerProtocolError);
}

RC_GTEST_PROP(PeerHello, EveryVersionRoundTripsAndEveryTruncationIsRefused, ()) {
  PeerHello hello;
  hello.version =
      *rc::gen::element(std::uint16_t{kPeerProtocolVersion},
                        std::uint16_t{kAuthenticatedPeerProtocolVersion}, std::uint16_t{9});
  hello.node = *rc::gen::arbitrary<std::uint64_t>();
  hello.cluster = *rc::gen::resize(kMaxClusterNameSize, rc::gen::arbitrary<std::string>());
  if (hello.version == kAuthenticatedPeerProtocolVersion)
    for (auto& byte : hello.nonce) byte = *rc::gen::arbitrary<std::uint8_t>();
  const Bytes wire = encode_hello(hello);
  const PeerHello back = decode_hello(wire);
  RC_ASSERT(back.version == hello.version);
  RC_ASSERT(back.node == hello.node);
  RC_ASSERT(back.cluster == hello.cluster);
  RC_ASSERT(back.nonce == hello.nonce);
  const auto cut = *rc::gen::inRange<std::size_t>(0, wire.size());
  RC_ASSERT_THROWS_AS(decode_hello(Bytes(wire.begin(), wire.begin() + cut)), PeerProtocolError);
}

}  // namespace
}  // namespace net
