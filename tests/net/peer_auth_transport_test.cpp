// PeerTransport with a cluster key, over loopback: who gets in, what gets delivered, and what a
// process without the key (or with recorded bytes) can do. A test-side dialer speaks the
// protocol itself to send forged, replayed and duplicated frames.

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/peer_auth.h"
#include "net/peer_frame.h"
#include "net/peer_handshake.h"
#include "net/peer_transport.h"
#include "tests/net/peer_test_support.h"

namespace net {
namespace {

using namespace net::testing;

std::shared_ptr<const ClusterKey> new_key() {
  return std::make_shared<const ClusterKey>(ClusterKey::generate());
}

PeerOptions keyed(std::shared_ptr<const ClusterKey> key) {
  PeerOptions options;
  options.cluster_key = std::move(key);
  options.refusal_log_interval = std::chrono::milliseconds(0);  // these tests read every refusal
  return options;
}

// Speaks the dialer's side of the authenticated handshake from a raw socket, so a test can send
// exactly the frames it wants (forged, replayed, duplicated).
class TestDialer {
 public:
  TestDialer(asio::io_context& io, const tcp::endpoint& to, const ClusterKey& key, NodeId self = 2,
             const std::string& cluster = "test-cluster")
      : io_(io), client_(io, to), key_(key) {
    PeerHello hello{kAuthenticatedPeerProtocolVersion, self, cluster, fresh_nonce()};
    hello_ = encode_hello(hello);
    client_.watch();
    client_.write(framed(hello_));
  }

  // Waits for the acceptor's hello and proof, checks the proof, answers with ours. False if the
  // acceptor closed the connection or its proof is wrong.
  bool complete_handshake() {
    FrameReader reader(kMaxHelloSize);
    std::vector<Bytes> frames;
    std::size_t fed = 0;
    run_until(io_, [&] {
      const Bytes& received = client_.received();
      if (fed < received.size()) {
        auto space = reader.prepare(received.size() - fed);
        std::copy(received.begin() + fed, received.end(), space.begin());
        reader.commit(received.size() - fed);
        fed = received.size();
        while (auto frame = reader.next()) frames.emplace_back(frame->begin(), frame->end());
      }
      return frames.size() >= 2 || client_.closed();
    });
    if (frames.size() < 2) return false;
    PeerSessionKeys keys(key_.bytes(), hello_, frames[0]);
    if (!keys.acceptor_proof_matches(decode_proof(frames[1]))) return false;
    client_.write(framed(keys.dialer_proof()));
    sealer_ = std::make_unique<FrameSealer>(keys.frame_key());
    return true;
  }

  Bytes seal(const std::string& text) { return seal_frame(*sealer_, message(text)); }
  void send(const std::string& text) { client_.write(seal(text)); }
  RawClient& client() { return client_; }

 private:
  asio::io_context& io_;
  RawClient client_;
  const ClusterKey& key_;
  Bytes hello_;
  std::unique_ptr<FrameSealer> sealer_;
};

TEST(AuthenticatedPeerTransport, SameKeyExchangesMessagesBothWays) {
  asio::io_context io;
  auto members = members_on_loopback(3);
  auto key = new_key();
  TestNode nodes[3];
  for (int i = 0; i < 3; ++i) nodes[i].start(io, static_cast<NodeId>(i + 1), members, keyed(key));
  for (int n = 0; n < 100; ++n)
    for (NodeId from = 1; from <= 3; ++from)
      for (NodeId to = 1; to <= 3; ++to)
        if (from != to)
          nodes[from - 1].transport->send(to, message(fmt::format("{}->{} #{}", from, to, n)));
  std::string big(1 << 20, 'x');
  nodes[0].transport->send(2, message(big));
  ASSERT_TRUE(run_until(io, [&] {
    return nodes[0].received.size() == 200 && nodes[1].received.size() == 201 &&
           nodes[2].received.size() == 200;
  })) << dump(nodes[0]);
  for (NodeId to = 1; to <= 3; ++to)
    for (NodeId from = 1; from <= 3; ++from) {
      if (from == to) continue;
      std::vector<std::string> expected;
      for (int n = 0; n < 100; ++n) expected.push_back(fmt::format("{}->{} #{}", from, to, n));
      if (from == 1 && to == 2) expected.push_back(big);
      EXPECT_EQ(nodes[to - 1].from(from), expected) << from << "->" << to;
    }
  EXPECT_TRUE(nodes[0].logged("peer links authenticated with the cluster key"));
  EXPECT_FALSE(nodes[0].logged("unauthenticated"));
  EXPECT_TRUE(nodes[0].logged("peer 2 up (127.0.0.1:")) << dump(nodes[0]);
  EXPECT_TRUE(nodes[0].logged(fmt::format("peer 2 up ({}), authenticated", to_string(members[2]))))
      << dump(nodes[0]);
  EXPECT_EQ(nodes[0].transport->stats().refused_connections, 0u);
}

TEST(AuthenticatedPeerTransport, WithoutAKeyTheTransportWarnsOnce) {
  asio::io_context io;
  TestNode a;
  a.start(io, 1, members_on_loopback(2));
  EXPECT_EQ(a.count_logged("peer links are unauthenticated"), 1) << dump(a);
}

TEST(AuthenticatedPeerTransport, WrongKeyNeverConnectsAndIsLogged) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  TestNode a, b;
  a.start(io, 1, members, keyed(new_key()));
  b.start(io, 2, members, keyed(new_key()));
  a.transport->send(2, message("to b"));
  b.transport->send(1, message("to a"));
  // Each dialer finds the acceptor's proof wrong; each acceptor sees its dialer hang up.
  ASSERT_TRUE(run_until(io,
                        [&] {
                          return a.logged("authentication failed") &&
                                 b.logged("authentication failed") &&
                                 a.logged("refused: closed during authentication") &&
                                 b.logged("refused: closed during authentication");
                        }))
      << dump(a) << dump(b);
  EXPECT_TRUE(
      a.logged(fmt::format("peer 2 ({}): authentication failed: the peer's proof does not "
                           "match our cluster key",
                           to_string(members[2]))))
      << dump(a);
  EXPECT_TRUE(a.logged("peer connection from 127.0.0.1:")) << dump(a);
  run_for(io, std::chrono::milliseconds(300));  // more attempts, still nothing
  EXPECT_FALSE(a.peer(2).connected);
  EXPECT_FALSE(b.peer(1).connected);
  EXPECT_TRUE(a.received.empty());
  EXPECT_TRUE(b.received.empty());
  EXPECT_GE(a.transport->stats().refused_connections, 1u);
  EXPECT_EQ(a.peer(2).queued, 1u);  // still waiting for a peer it can trust
}

TEST(AuthenticatedPeerTransport, KeyOnOneSideOnlyIsRefusedBothWays) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  TestNode with_key, without;
  PeerOptions plain;
  plain.refusal_log_interval = std::chrono::milliseconds(0);
  with_key.start(io, 1, members, keyed(new_key()));
  without.start(io, 2, members, plain);
  with_key.transport->send(2, message("to the keyless"));
  without.transport->send(1, message("to the keyed"));
  ASSERT_TRUE(
      run_until(io,
                [&] {
                  return with_key.logged(
                             "unauthenticated hello (protocol version 1, no cluster key); this "
                             "node requires the cluster key") &&
                         without.logged(
                             "the peer authenticates with a cluster key (protocol version 2) but "
                             "this node has no cluster_key_file");
                }))
      << dump(with_key) << dump(without);
  run_for(io, std::chrono::milliseconds(200));
  EXPECT_TRUE(with_key.received.empty());
  EXPECT_TRUE(without.received.empty());
  EXPECT_FALSE(with_key.peer(2).connected);
  EXPECT_FALSE(without.peer(1).connected);
}

TEST(AuthenticatedPeerTransport, TestDialerWithTheKeyIsDelivered) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  auto key = new_key();
  TestNode a;
  a.start(io, 1, members, keyed(key));
  TestDialer dialer(io, members[1], *key);
  ASSERT_TRUE(dialer.complete_handshake()) << dump(a);
  dialer.send("first");
  dialer.send("second");
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 2; })) << dump(a);
  EXPECT_EQ(a.from(2), (std::vector<std::string>{"first", "second"}));
}

// Every bit of a frame is covered: a flip anywhere drops the connection and delivers nothing
// more on it.
TEST(AuthenticatedPeerTransport, ForgedFrameDropsTheConnection) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  auto key = new_key();
  TestNode a;
  a.start(io, 1, members, keyed(key));
  const std::size_t positions[] = {5, 11, 12, 14, 4 + 8 + 5 + 3};  // sequence, payload, tag
  for (std::size_t position : positions) {
    a.received.clear();
    TestDialer dialer(io, members[1], *key);
    ASSERT_TRUE(dialer.complete_handshake()) << dump(a);
    dialer.send("good");
    Bytes forged = dialer.seal("evil!");
    forged[position] ^= 0x01;
    dialer.client().write(forged);
    dialer.send("after");
    ASSERT_TRUE(run_until(io, [&] { return dialer.client().closed(); })) << dump(a);
    run_for(io, std::chrono::milliseconds(50));
    EXPECT_EQ(a.from(2), (std::vector<std::string>{"good"})) << "flipped byte " << position;
  }
  EXPECT_EQ(a.count_logged("frame failed authentication (forged or corrupted); closing the "
                           "connection"),
            static_cast<int>(std::size(positions)))
      << dump(a);
}

TEST(AuthenticatedPeerTransport, DuplicatedFrameWithinAConnectionIsRefused) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  auto key = new_key();
  TestNode a;
  a.start(io, 1, members, keyed(key));
  TestDialer dialer(io, members[1], *key);
  ASSERT_TRUE(dialer.complete_handshake());
  Bytes frame = dialer.seal("only once");
  dialer.client().write(frame);
  dialer.client().write(frame);
  dialer.send("after");
  ASSERT_TRUE(run_until(io, [&] { return dialer.client().closed(); })) << dump(a);
  EXPECT_EQ(a.from(2), (std::vector<std::string>{"only once"}));
  EXPECT_TRUE(a.logged("frame sequence number 0 where 1 was expected (replayed or reordered)"))
      << dump(a);
}

// Everything a real member sent on one connection, played back on a new one: the acceptor's
// fresh nonce makes the recorded proof worthless, so nothing of it is delivered again.
TEST(AuthenticatedPeerTransport, RecordedSessionReplayedOnANewConnectionIsRefused) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  auto key = new_key();
  TestNode a;
  a.start(io, 1, members, keyed(key));
  Bytes recording;
  {
    TestDialer dialer(io, members[1], *key);
    ASSERT_TRUE(dialer.complete_handshake());
    dialer.send("append entries");
    dialer.send("commit");
    ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 2; })) << dump(a);
    recording = dialer.client().sent();
  }
  RawClient replay(io, members[1]);
  replay.watch();
  replay.write(recording);
  ASSERT_TRUE(run_until(io, [&] { return replay.closed(); })) << dump(a);
  run_for(io, std::chrono::milliseconds(50));
  EXPECT_EQ(a.received.size(), 2u);
  EXPECT_TRUE(
      a.logged(fmt::format("peer connection from {} refused: authentication failed: node "
                           "2's proof does not match our cluster key",
                           replay.address())))
      << dump(a);
}

// A process without the key that claims a member's id gets no further than the proof, and does
// not displace the member's real connection.
TEST(AuthenticatedPeerTransport, ImpostorWithoutTheKeyDeliversNothing) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  auto key = new_key();
  TestNode a, b;
  a.start(io, 1, members, keyed(key));
  b.start(io, 2, members, keyed(key));
  b.transport->send(1, message("real"));
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 1; })) << dump(a) << dump(b);

  const ClusterKey wrong = ClusterKey::generate();
  TestDialer impostor(io, members[1], wrong);
  EXPECT_FALSE(impostor.complete_handshake()) << "the acceptor's proof is under another key";
  // Whatever it sends as its proof and frames, nothing is delivered.
  std::mt19937_64 random(7);
  Bytes garbage(kPeerProofSize);
  for (auto& byte : garbage) byte = static_cast<std::uint8_t>(random());
  impostor.client().write(framed(garbage));
  impostor.client().write(framed(message("raft message")));
  ASSERT_TRUE(run_until(io, [&] { return impostor.client().closed(); })) << dump(a);
  EXPECT_TRUE(a.logged("authentication failed: node 2's proof does not match")) << dump(a);

  b.transport->send(1, message("still real"));
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 2; })) << dump(a);
  EXPECT_EQ(a.from(2), (std::vector<std::string>{"real", "still real"}));
  EXPECT_EQ(b.count_logged("peer 1 down"), 0) << dump(b);
}

TEST(AuthenticatedPeerTransport, GarbageBeforeTheHandshakeIsClosedWithoutHarm) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  auto key = new_key();
  PeerOptions options = keyed(key);
  options.handshake_timeout = std::chrono::milliseconds(300);
  TestNode a, b;
  a.start(io, 1, members, options);
  b.start(io, 2, members, keyed(key));

  std::mt19937_64 random(42);
  Bytes random_bytes(3000);
  for (auto& byte : random_bytes) byte = static_cast<std::uint8_t>(random());
  PeerHello hello{kAuthenticatedPeerProtocolVersion, 2, "test-cluster", fresh_nonce()};
  Bytes hello_then_short_proof = framed(encode_hello(hello));
  const Bytes short_proof = framed(Bytes(5, 1));
  hello_then_short_proof.insert(hello_then_short_proof.end(), short_proof.begin(),
                                short_proof.end());
  std::vector<std::pair<Bytes, std::string>> cases = {
      {random_bytes, "exceeds the limit"},
      {framed(message("hello, not a raft peer")), "bad magic"},
      {Bytes{0, 0, 0, 40, 'R', 'D', 'N', 'S'}, "no hello within the handshake timeout"},
      {hello_then_short_proof, "authentication proof of 5 bytes, expected 32"},
      {framed(encode_hello(hello)), "no authentication proof within the handshake timeout"},
  };
  std::vector<std::unique_ptr<RawClient>> clients;
  for (const auto& [bytes, reason] : cases) {
    clients.push_back(std::make_unique<RawClient>(io, members[1]));
    clients.back()->write(bytes);
    clients.back()->watch();
  }
  ASSERT_TRUE(run_until(io, [&] {
    for (const auto& client : clients)
      if (!client->closed()) return false;
    return true;
  })) << dump(a);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string prefix =
        fmt::format("peer connection from {} refused: ", clients[i]->address());
    EXPECT_TRUE(std::any_of(a.logs.begin(), a.logs.end(),
                            [&](const std::string& line) {
                              return line.starts_with(prefix) &&
                                     line.find(cases[i].second) != std::string::npos;
                            }))
        << prefix << cases[i].second << "\n"
        << dump(a);
  }
  EXPECT_EQ(a.transport->stats().refused_connections, cases.size());
  EXPECT_TRUE(a.received.empty());
  b.transport->send(1, message("still fine"));
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 1; })) << dump(a);
}

// Connections that have not completed the handshake are capped: the oldest make room.
TEST(AuthenticatedPeerTransport, UnidentifiedConnectionsAreCappedOldestFirst) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  auto key = new_key();
  PeerOptions options = keyed(key);
  options.max_unidentified_connections = 3;
  options.handshake_timeout = std::chrono::seconds(60);  // only the cap closes them here
  TestNode a;
  a.start(io, 1, members, options);
  std::vector<std::unique_ptr<RawClient>> silent;
  for (int i = 0; i < 5; ++i) {
    silent.push_back(std::make_unique<RawClient>(io, members[1]));
    silent.back()->watch();
    // Accepted before the next one connects, so "oldest" is well defined.
    ASSERT_TRUE(run_until(io, [&] { return a.transport->stats().accepted_connections == i + 1u; }));
  }
  ASSERT_TRUE(run_until(io, [&] { return silent[0]->closed() && silent[1]->closed(); })) << dump(a);
  run_for(io, std::chrono::milliseconds(100));
  for (int i = 2; i < 5; ++i) EXPECT_FALSE(silent[i]->closed()) << i;
  EXPECT_EQ(a.count_logged("closed to make room: 3 connections are already waiting"), 2) << dump(a);

  // A real member still gets in: its connection pushes out the oldest silent one.
  TestNode b;
  b.start(io, 2, members, keyed(key));
  b.transport->send(1, message("member"));
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 1; })) << dump(a);
  EXPECT_TRUE(silent[2]->closed());
}

TEST(AuthenticatedPeerTransport, HandshakeTimeoutClosesSilentConnections) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  PeerOptions options = keyed(new_key());
  options.handshake_timeout = std::chrono::milliseconds(200);
  TestNode a;
  a.start(io, 1, members, options);
  RawClient silent(io, members[1]);
  silent.watch();
  ASSERT_TRUE(run_until(io, [&] { return silent.closed(); })) << dump(a);
  EXPECT_TRUE(silent.received().empty());
  EXPECT_TRUE(
      a.logged(fmt::format("peer connection from {} refused: no hello within the "
                           "handshake timeout",
                           silent.address())))
      << dump(a);
}

// Refusals are logged at most once per remote address per interval; the next line counts the
// ones left out.
TEST(AuthenticatedPeerTransport, RefusalLinesAreRateLimitedPerAddress) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  PeerOptions options = keyed(new_key());
  options.refusal_log_interval = std::chrono::milliseconds(1500);
  TestNode a;
  a.start(io, 1, members, options);
  auto refuse_one = [&](const char* from) {
    RawClient client(io, members[1], from);
    client.write(framed(message("garbage")));
    client.watch();
    ASSERT_TRUE(run_until(io, [&] { return client.closed(); })) << dump(a);
  };
  for (int i = 0; i < 5; ++i) refuse_one("127.0.0.1");
  refuse_one("127.0.0.2");
  EXPECT_EQ(a.transport->stats().refused_connections, 6u);
  EXPECT_EQ(a.count_logged("peer connection from 127.0.0.1:"), 1) << dump(a);
  EXPECT_EQ(a.count_logged("peer connection from 127.0.0.2:"), 1) << dump(a);
  run_for(io, std::chrono::milliseconds(1600));  // the interval is over
  refuse_one("127.0.0.1");
  EXPECT_EQ(a.count_logged("(and 4 more refused connections from 127.0.0.1 not logged since its "
                           "last line)"),
            1)
      << dump(a);
}

}  // namespace
}  // namespace net
