// Cluster identity and safe rejoin: R's import decision, the identity file's refusals, and a node
// whose data directory was wiped rejoining by datastore transfer (never re-importing).
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "dns/zone_parser.h"
#include "engine/cluster_identity.h"
#include "engine/local_store.h"
#include "tests/engine/fake_cluster.h"
#include "tests/engine/node_test_support.h"

namespace engine {
namespace {

using namespace std::chrono_literals;
using testing::FakeCluster;
using testing::has;
using testing::MemoryDisk;
using testing::record;
using testing::records;

TEST(ClusterIdentity, OnlyANodeTheClusterNeverHeardOfImports) {
  IdentityState s;
  EXPECT_TRUE(apply_rejoin(s, Rejoin{1, 11, 0xc1}, 0));
  EXPECT_EQ(s.cluster_id, 0xc1u);
  EXPECT_TRUE(s.rejoins.at(1).import);
  // The same request again (a retry that also committed): nothing changes.
  EXPECT_FALSE(apply_rejoin(s, Rejoin{1, 11, 0xc9}, 0));
  // Another fresh node: imports; the cluster id stays the first one.
  apply_rejoin(s, Rejoin{2, 21, 0xc2}, 0);
  EXPECT_TRUE(s.rejoins.at(2).import);
  EXPECT_EQ(s.cluster_id, 0xc1u);
  // Node 2 wiped: a new nonce from a node already decided for: no import.
  apply_rejoin(s, Rejoin{2, 22, 0xc3}, 0);
  EXPECT_FALSE(s.rejoins.at(2).import);
  // A node R saw acknowledge (or import) before it had an identity file: no import either.
  apply_rejoin(s, Rejoin{3, 31, 0xc4}, 17);
  EXPECT_FALSE(s.rejoins.at(3).import);
  s.imported.insert(4);
  apply_rejoin(s, Rejoin{4, 41, 0xc4}, 0);
  EXPECT_FALSE(s.rejoins.at(4).import);
  EXPECT_EQ(decode_identity_state(encode_identity_state(s)), s);
}

TEST(ClusterIdentity, VotersToDemoteAndVoteGatesRoundTrip) {
  IdentityState s;
  apply_rejoin(s, Rejoin{1, 11, 0xc1}, 0);
  // No voter to demote: the section has the bytes it had before to_demote existed.
  EXPECT_EQ(encode_identity_state(s).front(), 1u);
  s.to_demote = {2, 5};
  EXPECT_EQ(encode_identity_state(s).front(), 2u);
  EXPECT_EQ(decode_identity_state(encode_identity_state(s)), s);
  MemoryDisk disk;
  const DataDirIdentity closed{0xab, 2, 5, {VoteGate::Kind::Closed, 0}};
  write_identity(disk, closed);
  EXPECT_EQ(read_identity(disk), closed);
  const DataDirIdentity above{0xab, 2, 5, {VoteGate::Kind::AboveTerm, 9}};
  write_identity(disk, above);
  EXPECT_EQ(read_identity(disk), above);
  // A gate kind nobody wrote is damage, named as such, not a gate to guess at.
  const DataDirIdentity unknown{0xab, 2, 5, {static_cast<VoteGate::Kind>(kMaxVoteGateKind + 1), 0}};
  write_identity(disk, unknown);
  try {
    read_identity(disk);
    FAIL() << "an unknown vote gate kind was accepted";
  } catch (const IdentityError& e) {
    EXPECT_NE(std::string(e.what()).find("identity vote gate: 4 is unknown"), std::string::npos)
        << e.what();
  }
}

TEST(ClusterIdentity, IdentityFileOfAnotherNodeOrClusterIsRefusedWithAClearError) {
  MemoryDisk disk;
  write_identity(disk, {0xabcdef, 2, 5});
  ASSERT_EQ(read_identity(disk), (DataDirIdentity{0xabcdef, 2, 5}));
  try {
    check_identity(*read_identity(disk), 1, 0, "data/node-1");
    FAIL() << "another node's data directory accepted";
  } catch (const IdentityError& e) {
    EXPECT_NE(
        std::string(e.what()).find("data directory data/node-1 belongs to node 2, not node 1"),
        std::string::npos)
        << e.what();
  }
  try {
    check_identity(*read_identity(disk), 2, 0x1234, "data/node-2");
    FAIL() << "another cluster's data directory accepted";
  } catch (const IdentityError& e) {
    EXPECT_NE(std::string(e.what()).find("belongs to cluster 0000000000abcdef"), std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(check_identity(*read_identity(disk), 2, 0xabcdef, "d"));
  disk.raw(kIdentityFile)[7] ^= 1;
  EXPECT_THROW(read_identity(disk), IdentityError);
}

NodeOptions fast_options() {
  NodeOptions o = testing::fast_options(2);
  o.checkpoint_interval = 100ms;
  o.retry_interval = 100ms;
  o.compact_every = 8;
  o.transfer_chunk_bytes = 512;  // many chunks
  o.transfer_timeout = 100ms;
  return o;
}

constexpr std::string_view kZone1 =
    "a.test. 300 IN SOA ns.a.test. admin.a.test. 1 3600 600 86400 300\n"
    "ns.a.test. 300 IN A 192.0.2.1\n";
constexpr std::string_view kZone2 =
    "cats.test. 300 IN SOA ns.cats.test. admin.cats.test. 1 3600 600 86400 300\n"
    "cats.test. 300 IN MX 3 mx3.petsmart.test.\n"
    "www.cats.test. 300 IN A 198.51.100.1\n";

class RejoinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.member(1).zone = records(kZone1);
    cluster_.member(2).zone = records(kZone2);
    cluster_.start_all();
    ASSERT_TRUE(cluster_.run_until(
        [&] {
          for (NodeId n = 1; n <= 3; ++n)
            if (!has(cluster_.db(n), mx_) || !cluster_.node(n).status().imported) return false;
          return true;
        },
        10s));
  }
  bool write(NodeId on, dns::Change::Kind kind, const dns::Record& r) {
    bool done = false, ok = false;
    cluster_.node(on).submit({{kind, r}}, [&](const WriteResult& w) {
      done = true;
      ok = w.kind == WriteResult::Ok;
    });
    cluster_.run_until([&] { return done; }, 3s);
    return ok;
  }
  NodeId other_than(NodeId n) { return n == 1 ? 3 : 1; }
  bool same_everywhere() {
    const auto want = cluster_.db(1).all_records();
    for (NodeId n = 2; n <= 3; ++n)
      if (cluster_.db(n).all_records() != want) return false;
    return true;
  }

  FakeCluster cluster_{3, fast_options()};
  const dns::Record mx_ = record("cats.test. 300 IN MX 3 mx3.petsmart.test.");
};

TEST_F(RejoinTest, EveryNodeOfANewClusterImportsAndAllShareOneClusterId) {
  const std::uint64_t id = cluster_.node(1).status().cluster_id;
  EXPECT_NE(id, 0u);
  for (NodeId n = 1; n <= 3; ++n) {
    EXPECT_EQ(cluster_.node(n).status().cluster_id, id);
    EXPECT_EQ(read_identity(cluster_.member(n).disk),
              (DataDirIdentity{id, n, read_identity(cluster_.member(n).disk)->rejoin_nonce}));
  }
  EXPECT_TRUE(has(cluster_.db(3), record("ns.a.test. 300 IN A 192.0.2.1")));
}

TEST_F(RejoinTest, AWipedNodeNeverReimportsAndCopiesAPeersDatastore) {
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(write(1 + i % 3, dns::Change::Add,
                      record(fmt::format("h{}.a.test. 300 IN A 192.0.2.{}", i, i + 10))));
  ASSERT_TRUE(write(1, dns::Change::Remove, mx_));
  // Everything checkpointed and dropped from pending: only datastores hold it now.
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        for (NodeId n = 1; n <= 3; ++n)
          if (!cluster_.node(n).state().pending().empty()) return false;
        return true;
      },
      5s));
  const raft::Index dropped = cluster_.node(1).state().dropped_through();
  EXPECT_GT(dropped, 40u);

  cluster_.wipe(2);
  cluster_.start(2);
  // While it copies: writes elsewhere keep committing, and node 2 refuses writes with a reason.
  for (int ms = 0; ms < 5000 && !cluster_.node(2).status().transfer; ++ms)
    cluster_.loop().run_until(cluster_.loop().now() + 1ms);
  ASSERT_TRUE(cluster_.node(2).status().transfer.has_value());
  bool refused = false;
  cluster_.node(2).submit(
      {{dns::Change::Add, record("late.a.test. 300 IN A 192.0.2.200")}}, [&](const WriteResult& w) {
        refused = w.kind == WriteResult::Copying &&
                  w.message.find("copying the datastore from node") != std::string::npos;
      });
  EXPECT_TRUE(refused);
  EXPECT_TRUE(
      write(other_than(2), dns::Change::Add, record("during.a.test. 300 IN A 192.0.2.201")));
  ASSERT_TRUE(cluster_.run_until(
      [&] { return same_everywhere() && !cluster_.node(2).status().transfer; }, 10s))
      << cluster_.db(2).all_records().size() << " records on node 2, "
      << cluster_.db(1).all_records().size() << " on node 1";
  cluster_.run_for(500ms);  // any re-import would have committed by now
  for (NodeId n = 1; n <= 3; ++n) EXPECT_FALSE(has(cluster_.db(n), mx_)) << "node " << n;
  EXPECT_TRUE(same_everywhere());
  EXPECT_TRUE(has(cluster_.db(2), record("h0.a.test. 300 IN A 192.0.2.10")));
  EXPECT_TRUE(has(cluster_.db(2), record("during.a.test. 300 IN A 192.0.2.201")));
  EXPECT_GE(cluster_.node(2).status().hw, dropped);
  EXPECT_EQ(cluster_.node(2).status().cluster_id, cluster_.node(1).status().cluster_id);
  // It acknowledges again, so pending drains.
  EXPECT_TRUE(write(2, dns::Change::Add, record("after.a.test. 300 IN A 192.0.2.202")));
  ASSERT_TRUE(cluster_.run_until([&] { return cluster_.node(1).state().pending().empty(); }, 5s));
  // Restarted as is (no wipe), it starts from its own copy.
  cluster_.restart(2);
  EXPECT_TRUE(has(cluster_.db(2), record("h5.a.test. 300 IN A 192.0.2.15")));
  EXPECT_FALSE(cluster_.node(2).status().joining);
}

TEST_F(RejoinTest, AWipedVoterRejoinsAsALearnerAndVotesOnlyAfterItsPromotion) {
  ASSERT_TRUE(write(1, dns::Change::Remove, mx_));
  cluster_.wipe(2);
  cluster_.start(2);
  // Fresh directory: it may have voted before; until R decided it votes only for candidates
  // that know of no earlier life of it.
  EXPECT_EQ(cluster_.node(2).status().votes.kind, VoteGate::Kind::Undecided);
  bool saw_closed = false, saw_learner = false;
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        const VoteGate gate = cluster_.node(2).status().votes;
        saw_closed = saw_closed || gate.kind == VoteGate::Kind::Closed;
        saw_learner =
            saw_learner || cluster_.node(other_than(2)).state().members().membership.is_learner(2);
        return gate.kind == VoteGate::Kind::AboveTerm &&
               cluster_.node(other_than(2)).state().members().membership.is_voter(2);
      },
      10s));
  EXPECT_TRUE(saw_closed) << "known to the cluster: no vote until promoted";
  EXPECT_TRUE(saw_learner) << "never demoted to learner";
  const VoteGate gate = cluster_.node(2).status().votes;
  EXPECT_GE(gate.term, 1u);
  EXPECT_LE(gate.term, cluster_.node(2).raft().term());
  EXPECT_TRUE(cluster_.node(2).state().identity().to_demote.empty());
  // The gate is in the identity file: a restart (no wipe) keeps it.
  EXPECT_EQ(read_identity(cluster_.member(2).disk)->votes, gate);
  cluster_.restart(2);
  EXPECT_EQ(cluster_.node(2).status().votes, gate);
  for (NodeId n = 1; n <= 3; ++n) EXPECT_FALSE(has(cluster_.db(n), mx_)) << "node " << n;
}

// The bootstrap case that deadlocked a gate letting undecided nodes vote only for empty logs: the
// first leader of a new cluster dies after its followers got entries, before any REJOIN was
// decided. Nobody has heard of anybody, so the survivors vote for each other as usual.
TEST(RejoinBootstrap, AFirstLeaderLostBeforeAnyDecisionLeavesTheOthersAbleToElect) {
  FakeCluster cluster{3, fast_options()};
  cluster.member(1).zone = records(kZone1);
  cluster.member(2).zone = records(kZone2);
  cluster.start_all();
  NodeId first = 0;
  for (int ms = 0; ms < 10000 && first == 0; ++ms) {
    cluster.loop().run_until(cluster.loop().now() + std::chrono::milliseconds(1));
    const NodeId leader = cluster.leader();
    if (leader == 0) continue;
    bool followers_have_entries = true;
    for (NodeId n = 1; n <= 3; ++n)
      if (n != leader && cluster.node(n).raft().status().last_index == 0)
        followers_have_entries = false;
    if (followers_have_entries) first = leader;
  }
  ASSERT_NE(first, 0u) << "no leader replicated anything within 10 s";
  for (NodeId n = 1; n <= 3; ++n)
    ASSERT_TRUE(cluster.node(n).status().joining) << "node " << n << " decided already";
  cluster.crash(first);
  const auto survivors_decided = [&] {
    for (NodeId n = 1; n <= 3; ++n)
      if (n != first && (cluster.node(n).status().joining ||
                         cluster.node(n).status().votes.kind != VoteGate::Kind::Open))
        return false;
    return cluster.leader() != 0;
  };
  ASSERT_TRUE(cluster.run_until(survivors_decided, 10s))
      << "the survivors of the first leader elected nobody, or stayed undecided";
  cluster.start(first);
  ASSERT_TRUE(cluster.run_until(
      [&] {
        for (NodeId n = 1; n <= 3; ++n)
          if (cluster.node(n).status().joining || !cluster.node(n).status().imported) return false;
        return true;
      },
      10s));
}

TEST_F(RejoinTest, TheBugSwitchReimportsTheRemovedRecord) {
  ASSERT_TRUE(write(1, dns::Change::Remove, mx_));
  cluster_.run_for(1s);
  cluster_.wipe(2);
  cluster_.member(2).zone = records(kZone2);
  cluster_.set_bugs(2, [](NodeOptions& o) { o.bugs.reimport_after_wipe = true; });
  cluster_.start(2);
  ASSERT_TRUE(cluster_.run_until([&] { return has(cluster_.db(1), mx_); }, 5s))
      << "the bug switch did not bring the removed MX back";
}

TEST_F(RejoinTest, ANodeStartedOnAnotherNodesDataDirectoryRefusesToStart) {
  cluster_.crash(3);
  cluster_.member(3).disk = cluster_.member(1).disk;
  try {
    cluster_.start(3);
    FAIL() << "node 3 started on node 1's data directory";
  } catch (const IdentityError& e) {
    EXPECT_NE(std::string(e.what()).find("belongs to node 1, not node 3"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace engine

namespace engine {
namespace {

// After a wiped node's copy is installed and acknowledged, a power cut must leave its local
// datastore at least at what it acknowledged; the transfer_before_fsync switch breaks exactly
// that (the check a simulator scenario would make: no ack ahead of the durable datastore).
class TransferDurability : public RejoinTest, public ::testing::WithParamInterface<bool> {};

TEST_P(TransferDurability, AnAcknowledgedCopySurvivesAPowerCutUnlessTheBugSwitchIsOn) {
  const bool bug = GetParam();
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(write(1, dns::Change::Add,
                      record(fmt::format("d{}.a.test. 300 IN A 192.0.2.{}", i, i + 10))));
  ASSERT_TRUE(cluster_.run_until([&] { return cluster_.node(1).state().pending().empty(); }, 5s));
  cluster_.wipe(2);
  if (bug) cluster_.set_bugs(2, [](NodeOptions& o) { o.bugs.transfer_before_fsync = true; });
  cluster_.start(2);
  ASSERT_TRUE(cluster_.run_until([&] { return same_everywhere(); }, 10s));
  // It acknowledges what it installed.
  ASSERT_TRUE(write(1, dns::Change::Add, record("x.a.test. 300 IN A 192.0.2.99")));
  ASSERT_TRUE(cluster_.run_until([&] { return cluster_.node(1).state().pending().empty(); }, 5s));
  const raft::Index acked = cluster_.node(1).state().acked(2);
  cluster_.crash(2);
  LocalStore store(cluster_.member(2).disk);
  const LocalStoreContents c = store.load();
  const dns::Record copied = record("d0.a.test. 300 IN A 192.0.2.10");
  const bool kept = std::find(c.snapshot_records.begin(), c.snapshot_records.end(), copied) !=
                    c.snapshot_records.end();
  EXPECT_GE(c.hw, acked);
  if (bug)
    EXPECT_FALSE(kept) << "the bug switch did not lose the acknowledged copy";
  else
    EXPECT_TRUE(kept) << "node 2 acknowledged " << acked << " but lost the copy in a power cut";
}

INSTANTIATE_TEST_SUITE_P(BugSwitch, TransferDurability, ::testing::Bool());

}  // namespace
}  // namespace engine
