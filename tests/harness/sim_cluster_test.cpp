// The simulated cluster's machinery: FIFO links keep each link's order (reordering ones do not),
// cuts, clogs and crashes lose what they should, the latency-only raft disk delays messages by
// its fsync and groups the writes that wait for it, and the node hooks see what experiments
// measure.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/dns_node_driver.h"
#include "harness/dns_write_stream.h"
#include "harness/raft_node_driver.h"
#include "harness/sim_cluster.h"
#include "harness/sim_links.h"

namespace harness {
namespace {

sim::WorldOptions two_nodes() {
  sim::WorldOptions w;
  w.nodes = 2;
  w.network.min_delay = 1 * sim::kMillisecond;
  w.network.max_delay = 30 * sim::kMillisecond;
  return w;
}

LinkOptions fifo(double tail_cap = 29e6) {
  LinkOptions o;
  o.kind = LinkKind::Fifo;
  o.fifo_delay = sim::kMillisecond;
  o.fifo_tail_cap = tail_cap;
  return o;
}

// Sends 0..count-1 from node 1 to node 2 at once and returns what arrived, in arrival order.
std::vector<int> burst(const LinkOptions& options, int count) {
  sim::World world(5, two_nodes());
  std::vector<int> got;
  SimLinks links(world, options,
                 [&](engine::NodeId, engine::NodeId, engine::Bytes b) { got.push_back(b.at(0)); });
  for (int i = 0; i < count; ++i) links.send(1, 2, {static_cast<std::uint8_t>(i)});
  world.queue().run_until(sim::kSecond);
  return got;
}

TEST(SimLinks, FifoLinksNeverReorderReorderingLinksDo) {
  const std::vector<int> fifo_got = burst(fifo(), 50);
  ASSERT_EQ(fifo_got.size(), 50u);
  EXPECT_TRUE(std::is_sorted(fifo_got.begin(), fifo_got.end()));
  const std::vector<int> reordering_got = burst(LinkOptions{}, 50);
  ASSERT_EQ(reordering_got.size(), 50u);
  EXPECT_FALSE(std::is_sorted(reordering_got.begin(), reordering_got.end()));
}

TEST(SimLinks, ACutFifoLinkLosesWhatIsInFlightAndWhatIsSentUntilRestored) {
  sim::World world(1, two_nodes());
  std::vector<int> got;
  SimLinks links(world, fifo(0),
                 [&](engine::NodeId, engine::NodeId, engine::Bytes b) { got.push_back(b.at(0)); });
  links.send(1, 2, {1});
  links.set_link(1, 2, false);  // 1 is in flight: lost
  links.send(1, 2, {2});        // sent on a cut link: lost
  links.send(2, 1, {3});        // both ways
  links.set_link(1, 2, true);
  links.send(1, 2, {4});
  world.queue().run_until(sim::kSecond);
  EXPECT_EQ(got, std::vector<int>{4});
  EXPECT_EQ(links.sent(), 4u);
}

TEST(SimLinks, AClogHoldsFifoMessagesUntilItEnds) {
  sim::World world(1, two_nodes());
  std::vector<sim::SimTime> arrivals;
  SimLinks links(world, fifo(0), [&](engine::NodeId, engine::NodeId, engine::Bytes) {
    arrivals.push_back(world.now());
  });
  links.clog(1, 2, 50 * sim::kMillisecond);
  links.send(1, 2, {1});
  links.send(2, 1, {2});  // the other direction is not clogged
  world.queue().run_until(sim::kSecond);
  EXPECT_EQ(arrivals, (std::vector<sim::SimTime>{1 * sim::kMillisecond, 51 * sim::kMillisecond}));
}

TEST(SimLinks, InFlightMessagesFromACrashedNodeAreLostOnlyWhenAskedTo) {
  for (bool lose : {false, true}) {
    sim::World world(1, two_nodes());
    std::vector<int> got;
    LinkOptions options = fifo(0);
    options.lose_in_flight_from_crashed = lose;
    SimLinks links(world, options, [&](engine::NodeId, engine::NodeId, engine::Bytes b) {
      got.push_back(b.at(0));
    });
    links.send(1, 2, {1});
    links.send(2, 1, {2});
    links.node_crashed(1);  // what was in flight to 1 is lost either way
    world.queue().run_until(sim::kSecond);
    EXPECT_EQ(got, lose ? std::vector<int>{} : std::vector<int>{1}) << "lose=" << lose;
  }
}

// Three raft nodes with a latency-only disk on FIFO links without jitter.
struct LatencyCluster {
  static ClusterOptions physical() {
    ClusterOptions o;
    o.links = fifo(0);
    return o;
  }
  static RaftDriverOptions nodes() {
    RaftDriverOptions o;
    o.persist = false;
    o.fsync = 5 * sim::kMillisecond;
    o.random_tick_phase = true;
    return o;
  }
  LatencyCluster() : cluster(3, physical(), nodes()) {
    cluster.hooks().applied = [this](raft::NodeId node, const raft::Entry& e) {
      if (e.kind == raft::EntryKind::Normal && !e.data.empty())
        applied[node].push_back(cluster.now());
    };
    cluster.hooks().changed = [this](raft::NodeId node, raft::Role role, raft::Term, raft::NodeId) {
      if (role == raft::Role::Leader) leaders.insert(node);
    };
    cluster.start_all();
  }
  SimCluster<RaftNodeDriver> cluster;
  std::map<raft::NodeId, std::vector<sim::SimTime>> applied;  // payload entries applied, when
  std::set<raft::NodeId> leaders;                             // seen becoming leader
};

TEST(LatencyOnlyDisk, MessagesWaitForTheFsyncAndWaitingProposalsShareOne) {
  LatencyCluster c;
  ASSERT_TRUE(c.cluster.run_until(
      [&] {
        const raft::NodeId l = c.cluster.leader();
        return l != 0 && c.cluster.node(l)->committed_in_own_term();
      },
      5 * sim::kSecond));
  const raft::NodeId leader = c.cluster.leader();
  EXPECT_TRUE(c.leaders.count(leader)) << "the changed hook missed the election";
  c.cluster.run_for(100 * sim::kMillisecond);
  RaftNodeDriver& l = *c.cluster.node(leader);
  const std::uint64_t fsyncs = l.fsyncs();
  const sim::SimTime proposed = c.cluster.now();
  l.propose(std::vector<raft::Bytes>(10, raft::Bytes{1}));  // one Ready: one durable write
  l.propose(std::vector<raft::Bytes>(5, raft::Bytes{2}));   // waits for that write, then one more
  c.cluster.run_for(sim::kSecond);
  ASSERT_EQ(c.applied[leader].size(), 15u);
  EXPECT_EQ(l.fsyncs(), fsyncs + 2);
  // Leader fsync, append to a follower, its fsync, its answer: 2 fsyncs + 2 link delays at least.
  EXPECT_GE(c.applied[leader].front() - proposed, 2 * (5 + 1) * sim::kMillisecond);
  for (raft::NodeId n = 1; n <= 3; ++n) EXPECT_EQ(c.applied[n].size(), 15u) << "n" << n;
}

TEST(LatencyOnlyDisk, ANodeWithoutAPersistedLogCannotRestart) {
  LatencyCluster c;
  c.cluster.run_for(sim::kSecond);
  c.cluster.crash(2);
  EXPECT_FALSE(c.cluster.up(2));
  EXPECT_THROW(c.cluster.start(2), std::logic_error);
}

TEST(SimCluster, DnsNodesServeEveryStreamedWriteAndTheHookSeesIt) {
  ClusterOptions physical;
  physical.links = fifo(0.5e6);
  DnsDriverOptions nodes;
  nodes.engine.tick = std::chrono::milliseconds(10);
  SimCluster<DnsNodeDriver> cluster(7, physical, nodes);
  std::set<std::string> written;                 // owners of the records written
  std::map<engine::NodeId, std::size_t> served;  // written records served, per node
  cluster.hooks().served = [&](raft::NodeId node, raft::Index, const engine::ChangeBatch& batch,
                               const dns::Database&) {
    for (const dns::Change& c : batch.changes)
      served[node] += written.count(c.record.owner.to_text());
  };
  cluster.boot_all(50 * sim::kMillisecond, "boot");
  cluster.run_for(2 * sim::kSecond);  // a leader, zone files imported
  ASSERT_NE(cluster.leader(), 0u);
  DnsWriteStream stream(cluster, 20, "writes",
                        [&](std::uint64_t, engine::NodeId, const dns::Record& r) {
                          written.insert(r.owner.to_text());
                        });
  stream.start(cluster.now() + 3 * sim::kSecond);
  cluster.run_for(8 * sim::kSecond);
  ASSERT_GT(stream.submitted(), 20u);
  ASSERT_EQ(written.size(), stream.submitted());
  for (engine::NodeId n = 1; n <= 3; ++n) {
    EXPECT_EQ(served[n], stream.submitted()) << "n" << n;
    const std::vector<dns::Record> all = cluster.node(n)->serving().all_records();
    EXPECT_NE(std::find(all.begin(), all.end(), numbered_write_record(1)), all.end()) << "n" << n;
  }
}

}  // namespace
}  // namespace harness
