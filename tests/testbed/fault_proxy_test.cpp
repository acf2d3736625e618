// The fault proxy over real loopback sockets: a node is a tiny server that records what arrives
// and greets every connection, the dialer is a plain socket.
#include "testbed/fault_proxy.h"

#include "harness/sites.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace testbed {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// A fake node: accepts connections, sends "hi" on each, and appends what it reads to `received`.
struct FakeNode {
  explicit FakeNode(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  void accept() {
    acceptor.async_accept([this](const error_code& ec, tcp::socket s) {
      if (ec) return;
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      asio::async_write(*sock, asio::buffer(std::string_view("hi")), [](auto, auto) {});
      read(sock);
      accept();
    });
  }
  void read(std::shared_ptr<tcp::socket> sock) {
    auto buf = std::make_shared<std::array<char, 1024>>();
    sock->async_read_some(asio::buffer(*buf),
                          [this, sock, buf](const error_code& ec, std::size_t n) {
                            if (ec) return;
                            received.append(buf->data(), n);
                            last_arrival = Clock::now();
                            read(sock);
                          });
  }
  tcp::acceptor acceptor;
  std::string received;
  Clock::time_point last_arrival{};
};

// A dialer's connection: reads everything into `got` until the proxy closes it.
struct Dialer {
  Dialer(asio::io_context& io, tcp::endpoint to) : socket(io) {
    socket.connect(to);
    read();
  }
  void read() {
    socket.async_read_some(asio::buffer(buf), [this](const error_code& ec, std::size_t n) {
      if (ec) {
        closed = true;
        return;
      }
      got.append(buf.data(), n);
      read();
    });
  }
  void write(const std::string& s) { asio::write(socket, asio::buffer(s)); }
  tcp::socket socket;
  std::array<char, 1024> buf{};
  std::string got;
  bool closed = false;
};

class FaultProxyTest : public ::testing::Test {
 protected:
  FaultProxyTest()
      : n1(io),
        n2(io),
        n3(io),
        proxy(io,
              {n1.acceptor.local_endpoint(), n2.acceptor.local_endpoint(),
               n3.acceptor.local_endpoint()},
              asio::ip::make_address("127.0.0.1"), 7) {}

  // Runs the io_context until `done` or `ms` pass; returns done().
  bool run_until(const std::function<bool()>& done, int ms = 2000) {
    const auto end = Clock::now() + std::chrono::milliseconds(ms);
    while (!done() && Clock::now() < end) io.run_one_for(std::chrono::milliseconds(5));
    return done();
  }
  void run_for(int ms) {
    run_until([] { return false; }, ms);
  }

  asio::io_context io;
  FakeNode n1, n2, n3;
  FaultProxy proxy;
};

TEST_F(FaultProxyTest, RelaysBothWaysToTheRightNode) {
  Dialer d(io, proxy.link_endpoint(1, 2));
  d.write("raft");
  ASSERT_TRUE(run_until([&] { return n2.received == "raft" && d.got == "hi"; }));
  EXPECT_EQ(n1.received, "");
  EXPECT_EQ(n3.received, "");
  EXPECT_EQ(proxy.accepted(1, 2), 1u);
  EXPECT_EQ(proxy.open(1, 2), 1u);
}

TEST_F(FaultProxyTest, IsolateCutsOpenConnectionsRefusesNewOnesAndHealRestores) {
  Dialer into(io, proxy.link_endpoint(1, 2));
  Dialer out(io, proxy.link_endpoint(2, 3));
  Dialer other(io, proxy.link_endpoint(3, 1));
  ASSERT_TRUE(run_until([&] { return into.got == "hi" && out.got == "hi" && other.got == "hi"; }));
  EXPECT_EQ(proxy.execute_line("fault isolate@0/2/0/0"), "OK id=1 later=0");
  ASSERT_TRUE(run_until([&] { return into.closed && out.closed; }));
  EXPECT_FALSE(other.closed);
  Dialer again(io, proxy.link_endpoint(1, 2));
  ASSERT_TRUE(run_until([&] { return again.closed; }));
  EXPECT_EQ(again.got, "");
  EXPECT_EQ(proxy.execute_line("heal"), "OK");
  Dialer healed(io, proxy.link_endpoint(1, 2));
  healed.write("back");
  ASSERT_TRUE(run_until([&] { return n2.received == "back"; }));
}

TEST_F(FaultProxyTest, TimedFaultEndsByItself) {
  EXPECT_EQ(proxy.execute_line("fault one-way@0/1/2/200"), "OK id=1 later=0");
  Dialer cut(io, proxy.link_endpoint(1, 2));
  Dialer reverse(io, proxy.link_endpoint(2, 1));
  reverse.write("ok");
  ASSERT_TRUE(run_until([&] { return cut.closed && n1.received == "ok"; }));
  run_for(300);
  EXPECT_TRUE(proxy.faults().active().empty());
  Dialer after(io, proxy.link_endpoint(1, 2));
  after.write("x");
  ASSERT_TRUE(run_until([&] { return n2.received == "x"; }));
}

TEST_F(FaultProxyTest, ClogHoldsBytesUntilItEndsThenDeliversThemInOrder) {
  Dialer d(io, proxy.link_endpoint(3, 2));
  ASSERT_TRUE(run_until([&] { return d.got == "hi"; }));
  EXPECT_EQ(proxy.execute_line("fault clog@0/3/2/400"), "OK id=1 later=0");
  d.write("one,");
  d.write("two");
  run_for(250);
  EXPECT_EQ(n2.received, "");
  EXPECT_FALSE(d.closed);
  ASSERT_TRUE(run_until([&] { return n2.received == "one,two"; }));
}

TEST_F(FaultProxyTest, DelayHoldsEachChunkAtLeastTheDelay) {
  EXPECT_EQ(proxy.execute_line("delay 1 3 150 50"), "OK id=1");
  Dialer d(io, proxy.link_endpoint(1, 3));
  ASSERT_TRUE(run_until([&] { return d.got == "hi"; }));  // the way back is not delayed
  const auto sent = Clock::now();
  d.write("late");
  ASSERT_TRUE(run_until([&] { return n3.received == "late"; }));
  const auto took = n3.last_arrival - sent;
  EXPECT_GE(took, std::chrono::milliseconds(150));
  EXPECT_LT(took, std::chrono::milliseconds(1000));
}

TEST_F(FaultProxyTest, DropAndCertainLossCutConnections) {
  Dialer d(io, proxy.link_endpoint(2, 1));
  ASSERT_TRUE(run_until([&] { return d.got == "hi"; }));
  EXPECT_EQ(proxy.execute_line("drop 2 1"), "OK dropped=1");
  ASSERT_TRUE(run_until([&] { return d.closed; }));
  EXPECT_EQ(proxy.execute_line("loss 2 1 1"), "OK id=1");
  Dialer lossy(io, proxy.link_endpoint(2, 1));
  lossy.write("gone");
  ASSERT_TRUE(run_until([&] { return lossy.closed; }));
  EXPECT_EQ(n1.received, "");
}

// The simulator's delay and loss items, through `fault` as through --faults.
TEST_F(FaultProxyTest, SimSyntaxDelayHoldsBytesInOrderAndSimSyntaxLossCuts) {
  EXPECT_EQ(proxy.execute_line("fault delay@0/1/3/0/120/40"), "OK id=1 later=0");
  Dialer d(io, proxy.link_endpoint(1, 3));
  ASSERT_TRUE(run_until([&] { return d.got == "hi"; }));
  const auto sent = Clock::now();
  for (int i = 0; i < 5; ++i) {
    d.write(std::to_string(i));
    run_for(10);  // separate chunks, each with its own jitter draw
  }
  ASSERT_TRUE(run_until([&] { return n3.received == "01234"; }));  // order kept
  EXPECT_GE(n3.last_arrival - sent, std::chrono::milliseconds(120));
  EXPECT_EQ(proxy.execute_line("fault loss@0/2/1/0/1"), "OK id=2 later=0");
  Dialer lossy(io, proxy.link_endpoint(2, 1));
  lossy.write("gone");
  ASSERT_TRUE(run_until([&] { return lossy.closed; }));
  EXPECT_EQ(n1.received, "");
  EXPECT_EQ(proxy.execute_line("fault delay@0/1/9/0/5"),
            "ERROR delay: node b is 9 (nodes are 1..3)");
}

TEST_F(FaultProxyTest, SiteDelaysStayThroughHealAndShowInStatus) {
  proxy.set_site_delays(harness::parse_sites("1,1,2/300", 3).delays());
  EXPECT_EQ(proxy.faults().site_delays().size(), 4u);
  EXPECT_EQ(proxy.execute_line("heal"), "OK");
  EXPECT_NE(proxy.execute_line("status").find("sites=[delay n1->n3 150ms jitter 0ms"),
            std::string::npos);
  Dialer d(io, proxy.link_endpoint(2, 3));
  ASSERT_TRUE(run_until([&] { return d.got == "hi"; }));
  const auto sent = Clock::now();
  d.write("far");
  ASSERT_TRUE(run_until([&] { return n3.received == "far"; }));
  EXPECT_GE(n3.last_arrival - sent, std::chrono::milliseconds(150));
}

TEST_F(FaultProxyTest, ScheduledFaultStartsLaterAndBadLinesAreErrors) {
  EXPECT_EQ(proxy.execute_line("fault isolate@200/1/0/0"), "OK id=- later=1");
  EXPECT_TRUE(proxy.faults().active().empty());
  run_for(300);
  EXPECT_EQ(proxy.faults().active().size(), 1u);
  EXPECT_EQ(proxy.execute_line("fault isolate@0/4/0/0"),
            "ERROR isolate: node a is 4 (nodes are 1..3)");
  EXPECT_EQ(proxy.execute_line("end 9"), "ERROR end: no active fault 9");
  EXPECT_EQ(proxy.execute_line("drop 1 1"), "ERROR no link n1->n1 (nodes are 1..3)");
  EXPECT_NE(proxy.execute_line("status").find("1=isolate n1"), std::string::npos);
  EXPECT_EQ(proxy.execute_line("fault isolate@99999999999/1/0/0").rfind("ERROR ", 0), 0u);
  EXPECT_EQ(proxy.faults().active().size(), 1u);
}

// --ports: each directed link on the port given for it, in the order 1->2, 1->3, 2->1, ...
TEST(FaultProxyPorts, LinksListenOnTheGivenPortsInOrder) {
  asio::io_context io;
  std::vector<std::uint16_t> ports;
  std::vector<tcp::acceptor> probes;
  for (int i = 0; i < 2; ++i) {  // two free ports, released before the proxy binds them
    probes.emplace_back(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    ports.push_back(probes.back().local_endpoint().port());
  }
  probes.clear();
  const tcp::endpoint a(asio::ip::make_address("127.0.0.1"), 1);
  FaultProxy proxy(io, {a, a}, asio::ip::make_address("127.0.0.1"), 1, ports);
  EXPECT_EQ(proxy.link_endpoint(1, 2).port(), ports[0]);
  EXPECT_EQ(proxy.link_endpoint(2, 1).port(), ports[1]);
  EXPECT_THROW(FaultProxy(io, {a, a, a}, asio::ip::make_address("127.0.0.1"), 1, ports),
               std::invalid_argument);
}

}  // namespace
}  // namespace testbed
