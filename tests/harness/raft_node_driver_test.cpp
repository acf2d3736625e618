#include "harness/raft_node_driver.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "harness/raft_invariants.h"
#include "harness/sim_cluster.h"

namespace harness {
namespace {

// Three drivers on a clean world (reordering links), checked, with their acks collected.
struct SmallCluster {
  explicit SmallCluster(RaftDriverOptions options = {})
      : cluster(21, ClusterOptions{}, options), checker(3) {
    cluster.set_checks(&checker, nullptr);
    cluster.hooks().acknowledged = [this](raft::NodeId, CommandId id) { acked.push_back(id); };
    cluster.start_all();
  }
  RaftNodeDriver* driver(raft::NodeId n) { return cluster.node(n); }
  raft::NodeId leader() const { return cluster.leader(); }
  sim::World& world() { return cluster.world(); }

  SimCluster<RaftNodeDriver> cluster;
  RaftInvariants checker;
  std::vector<CommandId> acked;
};

TEST(RaftNodeDriver, ElectsALeaderAndAcknowledgesCommandsAppliedEverywhere) {
  SmallCluster c;
  c.world().queue().run_until(2 * sim::kSecond);
  const raft::NodeId leader = c.leader();
  ASSERT_NE(leader, 0u);
  const raft::NodeId follower = leader % 3 + 1;
  c.driver(leader)->propose(1);
  c.driver(follower)->propose(2);  // forwarded to the leader
  c.world().queue().run_until(3 * sim::kSecond);
  EXPECT_EQ(c.acked.size(), 2u);
  for (raft::NodeId n = 1; n <= 3; ++n) {
    EXPECT_TRUE(c.driver(n)->app().contains(1));
    EXPECT_TRUE(c.driver(n)->app().contains(2));
  }
}

TEST(RaftNodeDriver, GarbageFromAPeerIsDroppedNotFatal) {
  SmallCluster c;
  c.world().queue().run_until(sim::kSecond);
  const auto before = c.world().trace().events();
  EXPECT_NO_THROW(c.driver(1)->deliver(2, engine::Bytes{0xFF, 0x00, 0x13}));
  EXPECT_NO_THROW(c.driver(1)->deliver(2, engine::Bytes{}));
  EXPECT_EQ(c.world().trace().events(), before + 2);
  EXPECT_EQ(c.world().trace().tail(1)[0].kind, sim::EventKind::Drop);
  c.world().queue().run_until(2 * sim::kSecond);
  EXPECT_NE(c.leader(), 0u);
}

TEST(RaftNodeDriver, RestartRebuildsTheStateMachineFromDiskAlone) {
  RaftDriverOptions options;
  options.compact_every = 4;  // make sure a snapshot is involved in the restart
  SmallCluster c(options);
  c.world().queue().run_until(2 * sim::kSecond);
  const raft::NodeId leader = c.leader();
  ASSERT_NE(leader, 0u);
  for (CommandId id = 1; id <= 10; ++id) c.driver(leader)->propose(id);
  c.world().queue().run_until(3 * sim::kSecond);
  const raft::NodeId victim = leader % 3 + 1;
  const auto hash_before = c.driver(victim)->app().hash();
  c.cluster.crash(victim);
  c.world().queue().run_until(4 * sim::kSecond);
  c.cluster.start(victim);
  c.world().queue().run_until(6 * sim::kSecond);
  EXPECT_EQ(c.driver(victim)->app().hash(), c.driver(leader)->app().hash());
  EXPECT_GE(c.driver(victim)->app().applied(), 11u);  // 10 commands + the leader's noop
  EXPECT_NE(hash_before, 0u);
}

}  // namespace
}  // namespace harness
