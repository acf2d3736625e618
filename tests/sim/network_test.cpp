#include "sim/network.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace sim {
namespace {

// A 3-node network whose deliveries are recorded.
struct NetworkFixture {
  explicit NetworkFixture(NetworkOptions options, std::uint64_t seed = 1)
      : network(queue, trace, Prng(seed), 3, options) {
    network.set_deliver([this](engine::NodeId to, engine::NodeId from, engine::Bytes bytes) {
      received.push_back({to, from, bytes, queue.now()});
    });
  }
  struct Received {
    engine::NodeId to, from;
    engine::Bytes bytes;
    SimTime at;
  };
  void send_many(engine::NodeId from, engine::NodeId to, int n) {
    for (int i = 0; i < n; ++i)
      network.send(from, to, engine::Bytes{static_cast<std::uint8_t>(i & 0xFF)});
  }
  void run() { queue.run_until(queue.now() + 10 * kSecond); }
  int count(engine::NodeId from, engine::NodeId to) const {
    int n = 0;
    for (const auto& r : received) n += r.from == from && r.to == to;
    return n;
  }

  EventQueue queue;
  Trace trace;
  Network network;
  std::vector<Received> received;
};

TEST(Network, DeliversBytesWithinDelayBounds) {
  NetworkOptions options;
  options.min_delay = 2 * kMillisecond;
  options.max_delay = 9 * kMillisecond;
  NetworkFixture f(options);
  f.network.send(1, 2, engine::Bytes{1, 2, 3});
  f.run();
  ASSERT_EQ(f.received.size(), 1u);
  EXPECT_EQ(f.received[0].bytes, (engine::Bytes{1, 2, 3}));
  EXPECT_EQ(f.received[0].from, 1u);
  EXPECT_EQ(f.received[0].to, 2u);
  EXPECT_GE(f.received[0].at, 2 * kMillisecond);
  EXPECT_LE(f.received[0].at, 9 * kMillisecond);
}

TEST(Network, RandomDelaysReorderMessages) {
  NetworkOptions options;
  options.min_delay = 1 * kMillisecond;
  options.max_delay = 50 * kMillisecond;
  NetworkFixture f(options);
  f.send_many(1, 2, 100);
  f.run();
  ASSERT_EQ(f.received.size(), 100u);
  bool reordered = false;
  for (std::size_t i = 1; i < f.received.size(); ++i)
    reordered |= f.received[i].bytes[0] < f.received[i - 1].bytes[0];
  EXPECT_TRUE(reordered);
}

TEST(Network, LossDropsAboutTheConfiguredFraction) {
  NetworkOptions options;
  options.loss = 0.3;
  NetworkFixture f(options);
  f.send_many(1, 2, 2000);
  f.run();
  EXPECT_GT(f.received.size(), 1200u);
  EXPECT_LT(f.received.size(), 1600u);
  EXPECT_EQ(f.network.dropped() + f.network.delivered(), 2000u);
}

TEST(Network, DuplicationDeliversSomeMessagesTwice) {
  NetworkOptions options;
  options.duplicate = 0.5;
  NetworkFixture f(options);
  f.send_many(1, 2, 1000);
  f.run();
  EXPECT_GT(f.received.size(), 1400u);
  EXPECT_LT(f.received.size(), 1600u);
}

TEST(Network, SymmetricPartitionBlocksBothWaysAndHealRestores) {
  NetworkFixture f(NetworkOptions{});
  f.network.partition({1});
  f.send_many(1, 2, 5);
  f.send_many(2, 1, 5);
  f.send_many(2, 3, 5);
  f.run();
  EXPECT_EQ(f.count(1, 2), 0);
  EXPECT_EQ(f.count(2, 1), 0);
  EXPECT_EQ(f.count(2, 3), 5);
  f.network.heal_all();
  f.send_many(1, 2, 5);
  f.run();
  EXPECT_EQ(f.count(1, 2), 5);
}

TEST(Network, OneWayBlockOnlyBlocksOneDirection) {
  NetworkFixture f(NetworkOptions{});
  f.network.block(1, 2);
  f.send_many(1, 2, 5);
  f.send_many(2, 1, 5);
  f.run();
  EXPECT_EQ(f.count(1, 2), 0);
  EXPECT_EQ(f.count(2, 1), 5);
}

TEST(Network, MessagesInFlightWhenAPartitionStartsAreLost) {
  NetworkFixture f(NetworkOptions{});
  f.send_many(1, 2, 5);
  f.network.isolate(2);
  f.run();
  EXPECT_EQ(f.count(1, 2), 0);
}

TEST(Network, CrashDropsInFlightMessagesEvenAfterRestart) {
  NetworkFixture f(NetworkOptions{});
  f.send_many(1, 2, 5);
  f.network.set_down(2, true);
  f.network.set_down(2, false);  // restarted before the messages would land
  f.send_many(1, 2, 3);          // sent after the restart: delivered
  f.run();
  EXPECT_EQ(f.count(1, 2), 3);
}

TEST(Network, ClogHoldsMessagesUntilTheClogEnds) {
  NetworkFixture f(NetworkOptions{});
  f.network.clog(1, 2, 500 * kMillisecond);
  f.send_many(1, 2, 5);
  f.send_many(1, 3, 1);
  f.run();
  for (const auto& r : f.received) {
    if (r.to == 2)
      EXPECT_GE(r.at, 500 * kMillisecond);
    else
      EXPECT_LT(r.at, 500 * kMillisecond);
  }
  EXPECT_EQ(f.count(1, 2), 5);
}

TEST(Network, SameSeedSameDeliverySchedule) {
  NetworkOptions options;
  options.loss = 0.1;
  options.duplicate = 0.1;
  options.max_delay = 30 * kMillisecond;
  auto schedule = [&](std::uint64_t seed) {
    NetworkFixture f(options, seed);
    f.send_many(1, 2, 200);
    f.send_many(3, 1, 200);
    f.run();
    std::vector<std::pair<SimTime, int>> out;
    for (const auto& r : f.received) out.push_back({r.at, r.bytes[0]});
    return out;
  };
  EXPECT_EQ(schedule(5), schedule(5));
  EXPECT_NE(schedule(5), schedule(6));
}

TEST(Network, SendToUnknownNodeThrows) {
  NetworkFixture f(NetworkOptions{});
  EXPECT_THROW(f.network.send(1, 4, {}), std::out_of_range);
}

}  // namespace
}  // namespace sim
