#include "harness/raft_node_driver.h"

#include <gtest/gtest.h>

#include <memory>

namespace harness {
namespace {

// Three drivers on a clean world, wired through the simulated network.
struct SmallCluster {
  SmallCluster() : world(21, sim::WorldOptions{}), checker(3) {
    world.network().set_deliver([this](engine::NodeId to, engine::NodeId from, engine::Bytes b) {
      if (drivers[to]) drivers[to]->deliver(from, b);
    });
    for (raft::NodeId n = 1; n <= 3; ++n) start(n);
  }
  void start(raft::NodeId n) {
    world.restart(n);
    drivers[n] = std::make_unique<RaftNodeDriver>(n, incarnation++, world, checker, options,
                                                  [this](CommandId id) { acked.push_back(id); });
  }
  raft::NodeId leader() const {
    for (raft::NodeId n = 1; n <= 3; ++n)
      if (drivers[n] && drivers[n]->status().role == raft::Role::Leader) return n;
    return 0;
  }
  sim::World world;
  RaftInvariants checker;
  RaftDriverOptions options;
  std::unique_ptr<RaftNodeDriver> drivers[4];
  std::vector<CommandId> acked;
  std::uint64_t incarnation = 0;
};

TEST(RaftNodeDriver, ElectsALeaderAndAcknowledgesCommandsAppliedEverywhere) {
  SmallCluster c;
  c.world.queue().run_until(2 * sim::kSecond);
  const raft::NodeId leader = c.leader();
  ASSERT_NE(leader, 0u);
  const raft::NodeId follower = leader % 3 + 1;
  c.drivers[leader]->propose(1);
  c.drivers[follower]->propose(2);  // forwarded to the leader
  c.world.queue().run_until(3 * sim::kSecond);
  EXPECT_EQ(c.acked.size(), 2u);
  for (raft::NodeId n = 1; n <= 3; ++n) {
    EXPECT_TRUE(c.drivers[n]->app().contains(1));
    EXPECT_TRUE(c.drivers[n]->app().contains(2));
  }
}

TEST(RaftNodeDriver, GarbageFromAPeerIsDroppedNotFatal) {
  SmallCluster c;
  c.world.queue().run_until(sim::kSecond);
  const auto before = c.world.trace().events();
  EXPECT_NO_THROW(c.drivers[1]->deliver(2, engine::Bytes{0xFF, 0x00, 0x13}));
  EXPECT_NO_THROW(c.drivers[1]->deliver(2, engine::Bytes{}));
  EXPECT_EQ(c.world.trace().events(), before + 2);
  EXPECT_EQ(c.world.trace().tail(1)[0].kind, sim::EventKind::Drop);
  c.world.queue().run_until(2 * sim::kSecond);
  EXPECT_NE(c.leader(), 0u);
}

TEST(RaftNodeDriver, RestartRebuildsTheStateMachineFromDiskAlone) {
  SmallCluster c;
  c.options.compact_every = 4;  // make sure a snapshot is involved in the restart
  c.world.queue().run_until(2 * sim::kSecond);
  const raft::NodeId leader = c.leader();
  ASSERT_NE(leader, 0u);
  for (CommandId id = 1; id <= 10; ++id) c.drivers[leader]->propose(id);
  c.world.queue().run_until(3 * sim::kSecond);
  const raft::NodeId victim = leader % 3 + 1;
  const auto hash_before = c.drivers[victim]->app().hash();
  c.drivers[victim].reset();
  c.world.crash(victim);
  c.world.queue().run_until(4 * sim::kSecond);
  c.start(victim);
  c.world.queue().run_until(6 * sim::kSecond);
  EXPECT_EQ(c.drivers[victim]->app().hash(), c.drivers[leader]->app().hash());
  EXPECT_GE(c.drivers[victim]->app().applied(), 11u);  // 10 commands + the leader's noop
  EXPECT_NE(hash_before, 0u);
}

}  // namespace
}  // namespace harness
