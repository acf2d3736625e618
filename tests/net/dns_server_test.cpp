// The UDP/TCP front end, driven with an echoing handler so only the transport is under test.

#include "net/dns_server.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "net/error.h"
#include "tests/net/test_client.h"

namespace net {
namespace {

using namespace std::chrono_literals;
using testing::Bytes;
using testing::framed;
using testing::id_of;
using testing::query_with_id;
using testing::TcpClient;
using testing::UdpClient;

// Echoes the query with QR set; drops queries that already have QR set (as the DNS logic does)
// and records whether it was called over TCP.
class EchoHandler : public QueryHandler {
 public:
  std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                     bool tcp) override {
    last_was_tcp = tcp;
    if (query.size() < 12 || (query[2] & 0x80)) return 0;
    std::copy(query.begin(), query.end(), out.begin());
    out[2] |= 0x80;
    return query.size();
  }
  std::atomic<bool> last_was_tcp{false};
};

ServerOptions small_options() {
  ServerOptions options;
  options.threads = 2;
  return options;
}

class DnsServerTest : public ::testing::Test {
 protected:
  void serve(const ServerOptions& options = small_options()) {
    server = std::make_unique<DnsServer>(handler, ListenAddress::parse("127.0.0.1:0"), options);
    server->start();
  }
  std::uint16_t port() const { return server->address().port; }

  EchoHandler handler;
  std::unique_ptr<DnsServer> server;
};

TEST_F(DnsServerTest, PortZeroPicksOnePortForUdpAndTcp) {
  serve();
  EXPECT_NE(port(), 0);
  EXPECT_EQ(server->threads(), 2u);
}

TEST_F(DnsServerTest, UdpQueryIsAnswered) {
  serve();
  UdpClient client(port());
  client.send(query_with_id(0x1234, 20));
  auto response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->size(), 32u);
  EXPECT_EQ(id_of(*response), 0x1234);
  EXPECT_TRUE((*response)[2] & 0x80);
  EXPECT_FALSE(handler.last_was_tcp);
}

TEST_F(DnsServerTest, UdpDroppedQueryDoesNotStopLaterQueries) {
  serve();
  UdpClient client(port());
  Bytes response_packet = query_with_id(1);
  response_packet[2] |= 0x80;
  client.send(response_packet);
  client.send({0x01});  // a runt datagram
  EXPECT_FALSE(client.receive(200ms));
  client.send(query_with_id(2));
  auto response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(id_of(*response), 2);
}

TEST_F(DnsServerTest, UdpManyClientsOverAllThreadsAreAnswered) {
  serve();
  for (int c = 0; c < 20; ++c) {
    UdpClient client(port());  // each client has its own source port, spread over the sockets
    client.send(query_with_id(static_cast<std::uint16_t>(c)));
    auto response = client.receive();
    ASSERT_TRUE(response) << "client " << c;
    EXPECT_EQ(id_of(*response), c);
  }
}

TEST_F(DnsServerTest, UdpBurstLongerThanOneBatchIsAnsweredCompletely) {
  serve();
  UdpClient client(port());
  for (std::uint16_t id = 0; id < 200; ++id) client.send(query_with_id(id));
  std::set<std::uint16_t> ids;
  for (int i = 0; i < 200; ++i) {
    auto response = client.receive();
    ASSERT_TRUE(response) << "after " << i << " responses";
    ids.insert(id_of(*response));
  }
  EXPECT_EQ(ids.size(), 200u);
}

TEST_F(DnsServerTest, UdpLargestDatagramIsServed) {
  serve();
  UdpClient client(port());
  client.send(query_with_id(77, 65507 - 12));  // the IPv4 UDP payload limit
  auto response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->size(), 65507u);
  EXPECT_EQ(id_of(*response), 77);
}

TEST_F(DnsServerTest, TcpQueryIsFramedWithTwoByteLength) {
  serve();
  TcpClient client(port());
  ASSERT_TRUE(client.send(framed(query_with_id(7, 100))));
  auto length = client.receive_exact(2);
  ASSERT_TRUE(length);
  EXPECT_EQ(*length, (Bytes{0, 112}));
  auto response = client.receive_exact(112);
  ASSERT_TRUE(response);
  EXPECT_EQ(id_of(*response), 7);
  EXPECT_TRUE(handler.last_was_tcp);
}

TEST_F(DnsServerTest, TcpPipelinedQueriesAreAnsweredInOrder) {
  serve();
  TcpClient client(port());
  Bytes burst;
  for (std::uint16_t id = 1; id <= 50; ++id) {
    auto frame = framed(query_with_id(id, id));  // different sizes
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  ASSERT_TRUE(client.send(burst));
  for (std::uint16_t id = 1; id <= 50; ++id) {
    auto response = client.receive_message();
    ASSERT_TRUE(response) << "response " << id;
    EXPECT_EQ(id_of(*response), id);
    EXPECT_EQ(response->size(), 12u + id);
  }
}

TEST_F(DnsServerTest, TcpFrameSplitAcrossSegmentsIsReassembled) {
  serve();
  TcpClient client(port());
  Bytes frame = framed(query_with_id(9, 30));
  for (std::uint8_t byte : frame) {
    ASSERT_TRUE(client.send({byte}));
    std::this_thread::sleep_for(1ms);
  }
  auto response = client.receive_message();
  ASSERT_TRUE(response);
  EXPECT_EQ(id_of(*response), 9);
}

TEST_F(DnsServerTest, TcpLargestMessageIsAccepted) {
  serve();
  TcpClient client(port());
  ASSERT_TRUE(client.send(framed(query_with_id(3, 65535 - 12))));
  auto response = client.receive_message();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->size(), 65535u);
}

TEST_F(DnsServerTest, TcpZeroLengthFrameClosesConnection) {
  serve();
  TcpClient client(port());
  ASSERT_TRUE(client.send({0, 0}));
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(DnsServerTest, TcpFrameAboveMaximumClosesConnection) {
  auto options = small_options();
  options.max_tcp_message_size = 512;
  serve(options);
  TcpClient ok(port());
  ASSERT_TRUE(ok.send(framed(query_with_id(1, 500))));
  EXPECT_TRUE(ok.receive_message());
  TcpClient oversized(port());
  ASSERT_TRUE(oversized.send({0x03, 0xe8}));  // announces 1000 bytes
  EXPECT_TRUE(oversized.closed_by_peer());
}

TEST_F(DnsServerTest, TcpAnswersQueriesBeforeMalformedFrameThenCloses) {
  serve();
  TcpClient client(port());
  Bytes bytes = framed(query_with_id(5));
  bytes.push_back(0);
  bytes.push_back(0);
  ASSERT_TRUE(client.send(bytes));
  auto response = client.receive_message();
  ASSERT_TRUE(response);
  EXPECT_EQ(id_of(*response), 5);
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(DnsServerTest, TcpIdleConnectionIsClosedAfterTimeout) {
  auto options = small_options();
  options.tcp_idle_timeout = 200ms;
  serve(options);
  TcpClient client(port());
  ASSERT_TRUE(client.send(framed(query_with_id(1))));
  ASSERT_TRUE(client.receive_message());
  EXPECT_TRUE(client.closed_by_peer(10s));
}

TEST_F(DnsServerTest, TcpActiveConnectionOutlivesIdleTimeout) {
  auto options = small_options();
  options.tcp_idle_timeout = 2s;
  serve(options);
  TcpClient client(port());
  // Activity every 250 ms for 3 s: longer than the timeout, never idle for as long as it.
  for (std::uint16_t id = 0; id < 12; ++id) {
    ASSERT_TRUE(client.send(framed(query_with_id(id))));
    auto response = client.receive_message();
    ASSERT_TRUE(response) << "query " << id;
    EXPECT_EQ(id_of(*response), id);
    std::this_thread::sleep_for(250ms);
  }
}

TEST_F(DnsServerTest, TcpConnectionAtTheLimitClosesTheLeastRecentlyActiveOne) {
  auto options = small_options();
  options.threads = 1;  // one registry, so "least recently active" is over every connection
  options.max_tcp_connections = 2;
  serve(options);
  TcpClient first(port());
  TcpClient second(port());
  for (auto* client : {&first, &second}) {
    ASSERT_TRUE(client->send(framed(query_with_id(1))));
    ASSERT_TRUE(client->receive_message());
  }
  EXPECT_EQ(server->tcp_connections(), 2u);
  std::this_thread::sleep_for(20ms);  // a strictly later activity time for `second`
  ASSERT_TRUE(second.send(framed(query_with_id(2))));
  ASSERT_TRUE(second.receive_message());

  // RFC 7766 section 6.2.3: under pressure the server closes the connection idle the longest.
  TcpClient third(port());
  ASSERT_TRUE(third.send(framed(query_with_id(3))));
  auto response = third.receive_message();
  ASSERT_TRUE(response);
  EXPECT_EQ(id_of(*response), 3);
  EXPECT_TRUE(first.closed_by_peer());
  ASSERT_TRUE(second.send(framed(query_with_id(4))));
  response = second.receive_message();
  ASSERT_TRUE(response);
  EXPECT_EQ(id_of(*response), 4);
  EXPECT_EQ(server->tcp_connections(), 2u);
}

TEST_F(DnsServerTest, TcpTricklingBytesDoNotKeepAConnectionOpen) {
  auto options = small_options();
  options.tcp_idle_timeout = 300ms;
  serve(options);
  TcpClient client(port());
  ASSERT_TRUE(client.send({0x01, 0x00}));  // announces a 256-byte message, then trickles it
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {  // 50 bytes, one per 100 ms: 5 s in all
    if (!client.send({0x00})) break;
    closed = client.closed_by_peer(100ms);
  }
  // Every byte came within the idle timeout of the one before, so only a deadline that bytes
  // of an unfinished message do not move can have closed it.
  EXPECT_TRUE(closed) << "an unfinished message kept the connection open past the idle timeout";
}

TEST_F(DnsServerTest, TcpPipelinedAnswersBeyondTheOutputCapAllArriveInOrder) {
  serve();
  TcpClient client(port());
  // ~2.6 MB of answers from one burst: far above what one connection may buffer at a time, so
  // the connection answers, writes, and answers the rest.
  constexpr std::uint16_t kQueries = 5000;
  Bytes burst;
  for (std::uint16_t id = 1; id <= kQueries; ++id) {
    auto frame = framed(query_with_id(id, 500));
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  std::thread sender([&] { client.send(burst); });
  std::uint16_t received = 0;
  for (std::uint16_t id = 1; id <= kQueries; ++id) {
    auto response = client.receive_message();
    if (!response) break;
    EXPECT_EQ(id_of(*response), id);
    EXPECT_EQ(response->size(), 512u);
    ++received;
  }
  sender.join();
  EXPECT_EQ(received, kQueries);
}

TEST_F(DnsServerTest, StopClosesOpenConnections) {
  serve();
  TcpClient client(port());
  ASSERT_TRUE(client.send(framed(query_with_id(1))));
  ASSERT_TRUE(client.receive_message());
  server->stop();
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(DnsServerTest, BusyPortIsAClearError) {
  serve();
  std::string expected = "127.0.0.1:" + std::to_string(port()) + ": address already in use";
  EchoHandler other;
  // Even another SO_REUSEPORT server of the same user must not share the port silently.
  try {
    DnsServer second(other, server->address(), small_options());
    FAIL() << "second server bound a busy port";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), expected);
  }
}

TEST_F(DnsServerTest, PortHeldByUdpOnlySocketIsBusy) {
  testing::Fd holder(::socket(AF_INET, SOCK_DGRAM, 0));
  auto addr = testing::loopback(0);
  ASSERT_EQ(::bind(holder.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(holder.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  auto listen = ListenAddress::parse("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  EXPECT_THROW(DnsServer(handler, listen, small_options()), Error);
}

}  // namespace
}  // namespace net
