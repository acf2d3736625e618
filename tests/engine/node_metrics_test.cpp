// What the engine reports for metrics and readiness: election and leader-change counters,
// when each peer was last heard from, pending bytes, and the checkpoint and write hooks.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "dns/zone_parser.h"
#include "engine/record_codec.h"
#include "tests/engine/fake_cluster.h"
#include "tests/engine/node_test_support.h"

namespace engine {
namespace {

using namespace std::chrono_literals;
using testing::FakeCluster;
using testing::fast_options;

dns::Record record(std::string_view line) {
  return dns::parse_master_file(line, "test", {}).records.at(0);
}

constexpr std::string_view kZone =
    "a.test. 300 IN SOA ns.a.test. admin.a.test. 1 3600 600 86400 300\n"
    "a.test. 300 IN NS ns.a.test.\n";

// Counts what the hooks report.
class CountingObserver : public NodeObserver {
 public:
  void on_checkpoint(Duration took) override {
    ++checkpoints;
    EXPECT_GE(took.count(), 0);
  }
  void on_write_answered(const WriteResult& r) override { ++writes[r.kind]; }
  int checkpoints = 0;
  std::map<WriteResult::Kind, int> writes;
};

class NodeMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.member(1).zone = dns::parse_master_file(kZone, "z", {}).records;
    cluster_.member(1).observer = &observer_;
    cluster_.start_all();
    ASSERT_TRUE(cluster_.run_until([&] { return cluster_.node(1).status().imported; }, 10s));
  }
  WriteResult write(NodeId on, std::string_view line) {
    std::optional<WriteResult> result;
    cluster_.node(on).submit({{dns::Change::Add, record(line)}},
                             [&](const WriteResult& r) { result = r; });
    EXPECT_TRUE(cluster_.run_until([&] { return result.has_value(); }, 5s));
    return result.value_or(WriteResult{});
  }

  CountingObserver observer_;
  FakeCluster cluster_{3, fast_options()};
};

TEST_F(NodeMetricsTest, ElectionsAndLeaderChangesAreCounted) {
  const NodeId leader = cluster_.leader();
  ASSERT_NE(leader, 0u);
  EXPECT_GE(cluster_.node(leader).status().raft.elections, 1u);
  for (NodeId n = 1; n <= 3; ++n) EXPECT_EQ(cluster_.node(n).status().leader_changes, 1u) << n;
  // Cut the leader off: the others elect a new one, in a new term, and count it.
  for (NodeId n = 1; n <= 3; ++n)
    if (n != leader) cluster_.block(leader, n);
  const NodeId other = leader % 3 + 1;
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        const NodeStatus s = cluster_.node(other).status();
        return s.raft.leader != raft::kNoNode && s.raft.leader != leader;
      },
      5s));
  EXPECT_EQ(cluster_.node(other).status().leader_changes, 2u);
  std::uint64_t elections = 0;
  for (NodeId n = 1; n <= 3; ++n)
    if (n != leader) elections += cluster_.node(n).status().raft.elections;
  EXPECT_GE(elections, 1u);
}

TEST_F(NodeMetricsTest, LastHeardFollowsEachPeer) {
  cluster_.run_for(100ms);
  const NodeId leader = cluster_.leader();
  const NodeId follower = leader % 3 + 1;
  ASSERT_TRUE(cluster_.node(follower).status().last_heard.contains(leader));
  cluster_.block(leader, follower);
  cluster_.run_for(20ms);  // what was already on the way arrives
  const TimePoint heard = cluster_.node(follower).status().last_heard.at(leader);
  EXPECT_GT(heard, cluster_.loop().now() - 150ms) << "heard within a few heartbeats";
  cluster_.run_for(50ms);
  const NodeStatus s = cluster_.node(follower).status();
  EXPECT_EQ(s.last_heard.at(leader), heard) << "nothing arrived from the cut-off leader";
  EXPECT_FALSE(s.last_heard.contains(follower)) << "a node does not hear itself";
}

TEST_F(NodeMetricsTest, PendingBytesFollowPendingChanges) {
  cluster_.crash(3);  // nothing can drain while it is down
  const dns::Record r = record("w.a.test. 300 IN A 192.0.2.1");
  const std::size_t before = cluster_.node(1).status().pending_bytes;
  ASSERT_EQ(write(1, "w.a.test. 300 IN A 192.0.2.1").kind, WriteResult::Ok);
  EXPECT_EQ(cluster_.node(1).status().pending_bytes,
            before + encoded_size({{dns::Change::Add, r}}));
  cluster_.start(3);
  ASSERT_TRUE(
      cluster_.run_until([&] { return cluster_.node(1).status().pending_batches == 0; }, 5s));
  EXPECT_EQ(cluster_.node(1).status().pending_bytes, 0u);
}

TEST_F(NodeMetricsTest, WritesAndCheckpointsReachTheObserver) {
  ASSERT_EQ(write(1, "x.a.test. 300 IN A 192.0.2.2").kind, WriteResult::Ok);
  ASSERT_EQ(write(1, "x.a.test. 300 IN A 192.0.2.2").kind, WriteResult::Noop);
  std::optional<WriteResult> invalid;
  cluster_.node(1).submit({}, [&](const WriteResult& r) { invalid = r; });
  ASSERT_TRUE(invalid);
  EXPECT_EQ(observer_.writes[WriteResult::Ok], 1);
  EXPECT_EQ(observer_.writes[WriteResult::Noop], 1);
  EXPECT_EQ(observer_.writes[WriteResult::Invalid], 1);
  cluster_.run_for(500ms);
  EXPECT_GE(observer_.checkpoints, 2);
}

TEST(RecordCodec, EncodedSizeIsWhatPutChangesWrites) {
  std::vector<dns::Change> changes = {
      {dns::Change::Add, record("a.test. 300 IN TXT \"hello\" \"world\"")},
      {dns::Change::Remove, record("very.long.name.a.test. 60 IN AAAA 2001:db8::1")}};
  for (std::size_t n = 0; n <= changes.size(); ++n) {
    std::vector<dns::Change> some(changes.begin(), changes.begin() + n);
    Bytes out;
    raft::ByteWriter w(out);
    put_changes(w, some);
    EXPECT_EQ(encoded_size(some), out.size()) << n << " changes";
  }
}

}  // namespace
}  // namespace engine
