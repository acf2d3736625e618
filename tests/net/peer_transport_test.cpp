// PeerTransport over loopback without a cluster key: real sockets, one io_context driven by the
// test, every wait bounded by a loop count (see peer_auth_transport_test.cpp for the key).

#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "net/peer_frame.h"
#include "net/peer_handshake.h"
#include "net/peer_transport.h"
#include "tests/net/peer_test_support.h"

namespace net {
namespace {

using namespace net::testing;

TEST(PeerTransport, TwoNodesExchangeMessagesBothWaysInOrder) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  TestNode a, b;
  a.start(io, 1, members);
  b.start(io, 2, members);
  auto to_b = numbered("a->b ", 200);
  auto to_a = numbered("b->a ", 200);
  for (int i = 0; i < 200; ++i) {
    a.transport->send(2, message(to_b[i]));
    b.transport->send(1, message(to_a[i]));
  }
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 200 && b.received.size() == 200; }))
      << dump(a) << dump(b);
  EXPECT_EQ(b.from(1), to_b);
  EXPECT_EQ(a.from(2), to_a);
  EXPECT_TRUE(a.peer(2).connected);
  EXPECT_EQ(a.peer(2).sent, 200u);
  EXPECT_EQ(a.peer(2).received, 200u);
  EXPECT_EQ(a.peer(2).dropped, 0u);
  EXPECT_EQ(a.count_logged("peer 2 up"), 1) << dump(a);
  EXPECT_EQ(b.count_logged("peer 1 up"), 1) << dump(b);
}

TEST(PeerTransport, LargeMessagesArriveIntact) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  TestNode a, b;
  a.start(io, 1, members);
  b.start(io, 2, members);
  std::string big(3 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4097) big[i] = static_cast<char>('a' + i % 26);
  a.transport->send(2, message(big));
  a.transport->send(2, message("after"));
  ASSERT_TRUE(run_until(io, [&] { return b.received.size() == 2; })) << dump(a) << dump(b);
  EXPECT_TRUE(b.received[0].second == big);
  EXPECT_EQ(b.received[1].second, "after");
}

TEST(PeerTransport, ThreeNodesEveryPairBothWays) {
  asio::io_context io;
  auto members = members_on_loopback(3);
  TestNode nodes[3];
  for (int i = 0; i < 3; ++i) nodes[i].start(io, static_cast<NodeId>(i + 1), members);
  for (int n = 0; n < 50; ++n)
    for (NodeId from = 1; from <= 3; ++from)
      for (NodeId to = 1; to <= 3; ++to)
        if (from != to)
          nodes[from - 1].transport->send(to, message(fmt::format("{}->{} #{}", from, to, n)));
  ASSERT_TRUE(run_until(io, [&] {
    return nodes[0].received.size() == 100 && nodes[1].received.size() == 100 &&
           nodes[2].received.size() == 100;
  }));
  for (NodeId to = 1; to <= 3; ++to)
    for (NodeId from = 1; from <= 3; ++from) {
      if (from == to) continue;
      std::vector<std::string> expected;
      for (int n = 0; n < 50; ++n) expected.push_back(fmt::format("{}->{} #{}", from, to, n));
      EXPECT_EQ(nodes[to - 1].from(from), expected) << from << "->" << to;
    }
}

TEST(PeerTransport, PeerStartingLateReceivesQueuedMessages) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  TestNode a, b;
  a.start(io, 1, members);
  auto early = numbered("early ", 20);
  for (const auto& m : early) a.transport->send(2, message(m));
  run_for(io, std::chrono::milliseconds(300));  // several failed dials
  EXPECT_FALSE(a.peer(2).connected);
  EXPECT_EQ(a.peer(2).queued, 20u);
  EXPECT_EQ(a.peer(2).dropped, 0u);
  EXPECT_FALSE(a.logged("peer 2 down")) << "never was up";
  b.start(io, 2, members);
  ASSERT_TRUE(run_until(io, [&] { return b.received.size() == 20; })) << dump(a);
  EXPECT_EQ(b.from(1), early);
  EXPECT_EQ(a.peer(2).queued, 0u);
}

TEST(PeerTransport, RestartedPeerIsReconnected) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  TestNode a, b;
  a.start(io, 1, members);
  b.start(io, 2, members);
  a.transport->send(2, message("before"));
  ASSERT_TRUE(run_until(io, [&] { return b.received.size() == 1; }));

  b.stop();
  ASSERT_TRUE(run_until(io, [&] { return a.logged("peer 2 down"); })) << dump(a);
  EXPECT_FALSE(a.peer(2).connected);
  a.transport->send(2, message("while down"));

  TestNode b2;
  b2.start(io, 2, members);
  ASSERT_TRUE(run_until(io, [&] { return a.peer(2).connected && b2.peer(1).connected; }))
      << dump(a);
  a.transport->send(2, message("after"));
  b2.transport->send(1, message("hello again"));
  ASSERT_TRUE(run_until(io, [&] { return b2.received.size() == 2 && a.received.size() == 1; }))
      << dump(a) << dump(b2);
  EXPECT_EQ(b2.from(1), (std::vector<std::string>{"while down", "after"}));
  EXPECT_EQ(a.from(2), (std::vector<std::string>{"hello again"}));
  EXPECT_EQ(a.count_logged("peer 2 up"), 2) << dump(a);
  EXPECT_EQ(a.count_logged("peer 2 down"), 1) << dump(a);
}

// A process speaking the handshake of another cluster, or claiming an id that is not a member,
// is refused; the good peers are not disturbed.
TEST(PeerTransport, WrongClusterAndUnknownIdAreRefused) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  PeerOptions log_every_refusal;
  log_every_refusal.refusal_log_interval = std::chrono::milliseconds(0);
  TestNode a, b;
  a.start(io, 1, members, log_every_refusal);
  b.start(io, 2, members);

  TestNode other_cluster, unknown_id;
  other_cluster.start(io, 2, {{1, members[1]}, {2, free_endpoint()}}, {}, "other-cluster");
  unknown_id.start(io, 7, {{1, members[1]}, {7, free_endpoint()}});
  ASSERT_TRUE(run_until(io, [&] {
    return a.logged("wrong cluster name \"other-cluster\"") && a.logged("unknown node id 7");
  })) << dump(a);
  EXPECT_GE(a.transport->stats().refused_connections, 2u);
  EXPECT_TRUE(a.logged("refused")) << dump(a);
  EXPECT_TRUE(other_cluster.logged("peer 1")) << dump(other_cluster);
  EXPECT_FALSE(other_cluster.peer(1).connected);
  EXPECT_FALSE(unknown_id.peer(1).connected);

  other_cluster.transport->send(1, message("intruder"));
  unknown_id.transport->send(1, message("intruder"));
  a.transport->send(2, message("a->b"));
  b.transport->send(1, message("b->a"));
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 1 && b.received.size() == 1; }));
  run_for(io, std::chrono::milliseconds(100));
  EXPECT_EQ(a.received, (std::vector<std::pair<NodeId, std::string>>{{2, "b->a"}}));
  EXPECT_EQ(b.from(1), (std::vector<std::string>{"a->b"}));
}

TEST(PeerTransport, GarbageOnThePeerPortIsRefusedAndGoodPeersKeepWorking) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  PeerOptions options;
  options.handshake_timeout = std::chrono::milliseconds(300);
  options.refusal_log_interval = std::chrono::milliseconds(0);
  TestNode a, b;
  a.start(io, 1, members, options);
  b.start(io, 2, members);

  std::mt19937_64 random(42);
  Bytes random_bytes(3000);
  for (auto& byte : random_bytes) byte = static_cast<std::uint8_t>(random());
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<Bytes> garbage = {
      random_bytes,
      Bytes(http.begin(), http.end()),
      framed(message("hello, not a raft peer")),  // well framed, bad magic
      Bytes{0, 0, 0, 3, 'R', 'D'},                // truncated forever: handshake timeout
      {},                                         // silent: handshake timeout
  };
  std::vector<std::unique_ptr<RawClient>> clients;
  for (const auto& bytes : garbage) {
    clients.push_back(std::make_unique<RawClient>(io, members[1]));
    if (!bytes.empty()) clients.back()->write(bytes);
    clients.back()->watch();
  }
  ASSERT_TRUE(run_until(io, [&] {
    for (const auto& client : clients)
      if (!client->closed()) return false;
    return true;
  })) << dump(a);
  for (const auto& client : clients) {
    EXPECT_TRUE(client->received().empty()) << "no hello for strangers";
    EXPECT_TRUE(a.logged("peer connection from " + client->address() + " refused"))
        << client->address() << "\n"
        << dump(a);
  }
  EXPECT_TRUE(a.logged("bad magic")) << dump(a);
  EXPECT_TRUE(a.logged("exceeds the limit")) << dump(a);
  EXPECT_TRUE(a.logged("handshake timeout")) << dump(a);
  EXPECT_EQ(a.transport->stats().refused_connections, garbage.size());
  if (std::getenv("PEER_TEST_SHOW_LOGS")) std::cout << dump(a);

  a.transport->send(2, message("still fine"));
  b.transport->send(1, message("me too"));
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 1 && b.received.size() == 1; }));
}

TEST(PeerTransport, OversizedFrameAfterHandshakeClosesOnlyThatConnection) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  PeerOptions options;
  options.max_message_size = 1000;
  TestNode a, b;
  a.start(io, 1, members, options);
  b.start(io, 2, members);
  ASSERT_TRUE(run_until(io, [&] { return b.peer(1).connected; }));

  // Pretends to be node 2 (same IP, so it passes the address check), then sends a huge length.
  RawClient fake(io, members[1]);
  fake.write(framed(encode_hello({kPeerProtocolVersion, 2, "test-cluster"})));
  fake.write(framed(message("accepted")));
  fake.write({0x7f, 0xff, 0xff, 0xff, 1, 2, 3});
  fake.watch();
  ASSERT_TRUE(run_until(io, [&] { return fake.closed(); })) << dump(a);
  ASSERT_GE(fake.received().size(), kFrameHeaderSize);
  PeerHello reply = decode_hello(engine::ByteView(fake.received()).subspan(kFrameHeaderSize));
  EXPECT_EQ(reply.node, 1u);
  EXPECT_TRUE(a.logged(fmt::format("peer 2 ({})", fake.address()))) << dump(a);
  EXPECT_TRUE(a.logged("frame length 2147483647 exceeds the limit of 1000 bytes")) << dump(a);
  EXPECT_EQ(a.from(2), (std::vector<std::string>{"accepted"}));

  // The real node 2 got its connection replaced by the fake one; it reconnects by itself.
  b.transport->send(1, message("real"));
  ASSERT_TRUE(run_until(io, [&] { return a.from(2).size() >= 2; })) << dump(a) << dump(b);
  EXPECT_EQ(a.from(2).back(), "real");
}

// Nodes on distinct loopback addresses dial from their own address, so the address check passes
// for them and catches a process on another address claiming their id.
TEST(PeerTransport, DistinctAddressesAreCheckedAgainstTheConfig) {
  asio::io_context io;
  PeerMembers members{{1, free_endpoint("127.0.0.1")}, {2, free_endpoint("127.0.0.2")}};
  TestNode a, b;
  a.start(io, 1, members);
  b.start(io, 2, members);
  a.transport->send(2, message("to .2"));
  b.transport->send(1, message("to .1"));
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 1 && b.received.size() == 1; }))
      << dump(a) << dump(b);

  RawClient fake(io, members[1]);  // from 127.0.0.1, claiming to be node 2
  fake.write(framed(encode_hello({kPeerProtocolVersion, 2, "test-cluster"})));
  fake.watch();
  ASSERT_TRUE(run_until(io, [&] { return fake.closed(); })) << dump(a);
  EXPECT_TRUE(a.logged("node 2 must connect from 127.0.0.2, not 127.0.0.1")) << dump(a);
  EXPECT_TRUE(fake.received().empty());
}

TEST(PeerTransport, FullQueueDropsTheOldestMessages) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  PeerOptions options;
  options.max_queued_messages = 10;
  TestNode a, b;
  a.start(io, 1, members, options);
  auto all = numbered("m", 25);
  for (const auto& m : all) a.transport->send(2, message(m));
  EXPECT_EQ(a.peer(2).queued, 10u);
  EXPECT_EQ(a.peer(2).dropped, 15u);
  b.start(io, 2, members);
  ASSERT_TRUE(run_until(io, [&] { return b.received.size() == 10; })) << dump(a);
  EXPECT_EQ(b.from(1), std::vector<std::string>(all.begin() + 15, all.end()));
  EXPECT_EQ(a.peer(2).sent, 10u);
}

TEST(PeerTransport, QueueIsAlsoBoundedInBytes) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  PeerOptions options;
  options.max_queued_bytes = 1000;
  TestNode a;
  a.start(io, 1, members, options);
  for (int i = 0; i < 5; ++i) a.transport->send(2, Bytes(300, static_cast<std::uint8_t>(i)));
  EXPECT_EQ(a.peer(2).queued, 3u);
  EXPECT_EQ(a.peer(2).dropped, 2u);
}

TEST(PeerTransport, SendToUnknownOrOversizedIsLoggedAndIgnored) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  PeerOptions options;
  options.max_message_size = 10;
  TestNode a;
  a.start(io, 1, members, options);
  a.transport->send(9, message("x"));
  a.transport->send(1, message("x"));
  a.transport->send(2, Bytes(11, 0));
  // An unknown id may be a member whose change is not applied yet: its message waits for
  // set_members (tests/net/peer_members_test.cpp) instead of being dropped.
  EXPECT_FALSE(a.logged("no link to node 9"));
  EXPECT_TRUE(a.logged("no link to node 1"));
  EXPECT_TRUE(a.logged("exceeds the limit of 10"));
  EXPECT_EQ(a.peer(2).queued, 0u);
}

TEST(PeerTransport, ConstructionErrorsNameTheProblem) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  EXPECT_THROW(PeerTransport(io, 5, "c", members, {}, {}), Error);
  TestNode a;
  a.start(io, 1, members);
  try {
    PeerTransport second(io, 1, "c", members, {}, {});
    FAIL() << "bound the same port twice";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("127.0.0.1:{}", members[1].port())),
              std::string::npos)
        << e.what();
  }
}

TEST(PeerTransport, NoCallbacksAfterClose) {
  asio::io_context io;
  auto members = members_on_loopback(2);
  TestNode a, b;
  a.start(io, 1, members);
  b.start(io, 2, members);
  b.transport->send(1, message("first"));
  ASSERT_TRUE(run_until(io, [&] { return a.received.size() == 1; }));
  for (int i = 0; i < 100; ++i) b.transport->send(1, message("late"));
  a.transport->close();
  a.transport->close();
  const auto logs_at_close = a.logs.size();
  run_for(io, std::chrono::milliseconds(300));
  EXPECT_EQ(a.received.size(), 1u);
  EXPECT_EQ(a.logs.size(), logs_at_close);
  a.transport->send(2, message("ignored"));
  // Destroying transports with handlers still queued in the io_context must be safe.
  b.transport->send(1, message("pending"));
  a.stop();
  b.stop();
  run_for(io, std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace net
