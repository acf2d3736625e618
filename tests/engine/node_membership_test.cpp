// ADD-NODE / REMOVE-NODE / MEMBERS on engine::Node over a small deterministic cluster: R's acks
// follow the committed members, a joining node learns everything from the leader's snapshot and
// is promoted once its datastore holds what it needs.
#include <gtest/gtest.h>

#include <algorithm>

#include "dns/zone_parser.h"
#include "tests/engine/fake_cluster.h"
#include "tests/engine/node_test_support.h"

namespace engine {
namespace {

using namespace std::chrono_literals;
using testing::FakeCluster;
using testing::fast_options;
using testing::into;
using testing::records;
using testing::Reply;

constexpr std::string_view kZone =
    "a.test. 300 IN SOA ns.a.test. admin.a.test. 1 3600 600 86400 300\n"
    "a.test. 300 IN NS ns.a.test.\n"
    "ns.a.test. 300 IN A 192.0.2.1\n"
    "www.a.test. 300 IN A 192.0.2.2\n";

dns::Change add(std::string_view line) {
  return {dns::Change::Add, records(line).at(0)};
}

class NodeMembershipTest : public ::testing::Test {
 protected:
  explicit NodeMembershipTest(NodeOptions options = fast_options(2)) : cluster_(3, options) {}
  void SetUp() override {
    cluster_.member(1).zone = records(kZone);
    cluster_.start_all();
    ASSERT_TRUE(cluster_.run_until(
        [&] {
          for (NodeId n = 1; n <= 3; ++n)
            if (cluster_.db(n).all_records().size() != 4) return false;
          return cluster_.leader() != 0;
        },
        10s));
  }
  Reply run(const std::function<void(Node&, Node::WriteCallback)>& call, NodeId on) {
    Reply reply;
    call(cluster_.node(on), into(reply));
    cluster_.run_until([&] { return reply.done; }, 5s);
    EXPECT_TRUE(reply.done);
    return reply;
  }
  Reply write(NodeId on, std::string_view line) {
    return run([&](Node& n, Node::WriteCallback done) { n.submit({add(line)}, done); }, on);
  }
  Reply remove_node(NodeId on, NodeId who) {
    return run([&](Node& n, Node::WriteCallback done) { n.remove_node(who, done); }, on);
  }
  Reply add_node(NodeId on, NodeId who) {
    return run(
        [&](Node& n, Node::WriteCallback done) {
          n.add_node(who, Bytes{'c', 't', 'x'}, done);
        },
        on);
  }
  NodeId follower_of(NodeId leader, NodeId besides = 0) {
    for (NodeId n = 1; n <= 3; ++n)
      if (n != leader && n != besides && cluster_.member(n).alive) return n;
    return 0;
  }

  FakeCluster cluster_;
};

TEST_F(NodeMembershipTest, MembersNamesVotersLearnersAndLeader) {
  const NodeId leader = cluster_.leader();
  for (NodeId n = 1; n <= 3; ++n)
    EXPECT_EQ(cluster_.node(n).members_line(),
              "OK voters=1,2,3 learners= leader=" + std::to_string(leader));
}

TEST_F(NodeMembershipTest, RemovingADeadNodeLetsPendingDropOnTheSurvivors) {
  NodeId leader = cluster_.leader();
  const NodeId dead = follower_of(leader);
  cluster_.crash(dead);
  ASSERT_EQ(write(leader, "one.a.test. 300 IN A 192.0.2.10").result.kind, WriteResult::Ok);
  cluster_.run_for(1s);  // checkpoints and acks of the survivors: still pending for `dead`
  EXPECT_FALSE(cluster_.node(leader).state().pending().empty());

  Reply reply = remove_node(leader, dead);
  ASSERT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
  EXPECT_EQ(reply.result.message, fmt::format("OK index={}", reply.result.index));
  const NodeId other = follower_of(leader, dead);
  EXPECT_TRUE(cluster_.run_until(
      [&] {
        return cluster_.node(leader).state().pending().empty() &&
               cluster_.node(other).state().pending().empty();
      },
      1s));
  EXPECT_FALSE(cluster_.node(leader).state().acked().contains(dead));
  EXPECT_FALSE(cluster_.node(leader).state().members().membership.contains(dead));
  // The change is in R's snapshot section from now on.
  EXPECT_TRUE(cluster_.node(other).state().sections().contains(StateSection::Membership));
}

TEST_F(NodeMembershipTest, AFollowerRefusesAChangeNamingTheLeader) {
  const NodeId leader = cluster_.leader();
  Reply reply = remove_node(follower_of(leader), leader);
  EXPECT_EQ(reply.result.kind, WriteResult::Invalid);
  EXPECT_NE(reply.result.message.find("NotLeader"), std::string::npos) << reply.result.message;
  EXPECT_NE(reply.result.message.find("leader: " + std::to_string(leader)), std::string::npos)
      << reply.result.message;
}

TEST_F(NodeMembershipTest, AnInvalidChangeIsRefusedWithRaftsReason) {
  const NodeId leader = cluster_.leader();
  Reply reply = remove_node(leader, 42);
  EXPECT_EQ(reply.result.kind, WriteResult::Invalid);
  EXPECT_NE(reply.result.message.find("InvalidChange"), std::string::npos) << reply.result.message;
  Reply again = add_node(leader, 2);  // already a voter
  EXPECT_NE(again.result.message.find("InvalidChange"), std::string::npos) << again.result.message;
}

TEST_F(NodeMembershipTest, ReplaceANodeTheJoinerGetsTheDataIsPromotedAndSurvivesTheLeader) {
  const NodeId leader = cluster_.leader();
  const NodeId dead = follower_of(leader);
  cluster_.crash(dead);  // from now on nothing leaves pending: the joiner finds it all there
  ASSERT_EQ(write(leader, "one.a.test. 300 IN A 192.0.2.10").result.kind, WriteResult::Ok);

  const NodeId spare = cluster_.add_spare();
  Reply added = add_node(leader, spare);
  ASSERT_EQ(added.result.kind, WriteResult::Ok) << added.result.message;
  EXPECT_EQ(cluster_.node(leader).state().members().added_at.at(spare), added.result.index);
  EXPECT_EQ(cluster_.node(leader).state().members().context.at(spare), (Bytes{'c', 't', 'x'}));
  cluster_.start(spare);
  ASSERT_TRUE(cluster_.run_until(
      [&] { return cluster_.node(leader).state().members().membership.is_voter(spare); }, 10s))
      << cluster_.node(leader).members_line();
  EXPECT_EQ(cluster_.db(spare).all_records().size(), 5u);
  EXPECT_GE(cluster_.node(leader).state().acked(spare), added.result.index);
  EXPECT_EQ(cluster_.node(spare).members_line(),
            fmt::format("OK voters={} learners= leader={}", fmt::format("1,2,3,4"), leader));

  Reply removed = remove_node(leader, dead);
  ASSERT_EQ(removed.result.kind, WriteResult::Ok) << removed.result.message;
  ASSERT_TRUE(
      cluster_.run_until([&] { return cluster_.node(spare).state().pending().empty(); }, 3s));

  cluster_.crash(leader);
  ASSERT_TRUE(cluster_.run_until(
      [&] { return cluster_.leader() != 0 && cluster_.leader() != leader; }, 10s));
  const NodeId next = cluster_.leader();
  ASSERT_EQ(write(next, "two.a.test. 300 IN A 192.0.2.11").result.kind, WriteResult::Ok);
  EXPECT_TRUE(cluster_.run_until(
      [&] {
        return cluster_.db(spare).all_records().size() == 6 &&
               cluster_.db(follower_of(leader, dead) == next ? spare : next).all_records().size() ==
                   6;
      },
      3s));
}

TEST_F(NodeMembershipTest, AJoinerMissingDroppedDataCopiesADatastoreAndIsThenPromoted) {
  const NodeId leader = cluster_.leader();
  ASSERT_TRUE(
      cluster_.run_until([&] { return cluster_.node(leader).state().pending().empty(); }, 5s));
  ASSERT_GT(cluster_.node(leader).state().min_acked(), 0u);
  const NodeId spare = cluster_.add_spare();
  ASSERT_EQ(add_node(leader, spare).result.kind, WriteResult::Ok);
  EXPECT_EQ(cluster_.node(leader).state().acked(spare), cluster_.node(leader).state().min_acked());
  cluster_.start(spare);
  // What R dropped before it joined reaches it only by a copy of a peer's datastore; only then
  // does it acknowledge the index it was added at and get promoted.
  ASSERT_TRUE(cluster_.run_until(
      [&] { return cluster_.node(leader).state().members().membership.is_voter(spare); }, 5s))
      << cluster_.node(leader).members_line();
  EXPECT_GE(cluster_.node(leader).state().acked(spare),
            cluster_.node(leader).state().members().added_at.at(spare));
  EXPECT_FALSE(cluster_.db(spare).all_records().empty());
  EXPECT_EQ(cluster_.db(spare).all_records(), cluster_.db(leader).all_records());
}

TEST_F(NodeMembershipTest, ARestartedMemberKeepsTheCommittedMembers) {
  const NodeId leader = cluster_.leader();
  const NodeId dead = follower_of(leader);
  cluster_.crash(dead);
  ASSERT_EQ(remove_node(leader, dead).result.kind, WriteResult::Ok);
  const NodeId other = follower_of(leader, dead);
  ASSERT_TRUE(cluster_.run_until(
      [&] { return !cluster_.node(other).state().members().membership.contains(dead); }, 2s));
  cluster_.run_for(3s);
  cluster_.restart(other);
  cluster_.run_for(2s);
  EXPECT_FALSE(cluster_.node(other).state().members().membership.contains(dead))
      << cluster_.node(other).members_line();
  EXPECT_FALSE(cluster_.node(other).raft().membership().contains(dead));
}

TEST_F(NodeMembershipTest, AJoinerRestartedMidwayResumesFromItsSnapshotAndIsPromoted) {
  const NodeId leader = cluster_.leader();
  cluster_.crash(follower_of(leader));  // nothing leaves pending from here on
  const NodeId spare = cluster_.add_spare();
  ASSERT_EQ(add_node(leader, spare).result.kind, WriteResult::Ok);
  cluster_.start(spare);
  ASSERT_TRUE(cluster_.run_until(
      [&] { return cluster_.node(spare).state().members().membership.contains(spare); }, 5s));
  cluster_.restart(spare);  // joins again from its own raft state (snapshot and log)
  EXPECT_TRUE(cluster_.node(spare).state().members().membership.contains(spare));
  EXPECT_TRUE(cluster_.node(spare).raft().membership().contains(spare));
  ASSERT_TRUE(cluster_.run_until(
      [&] { return cluster_.node(leader).state().members().membership.is_voter(spare); }, 10s))
      << cluster_.node(leader).members_line();
  EXPECT_EQ(cluster_.db(spare).all_records().size(), 4u);
}

TEST_F(NodeMembershipTest, AChangeNotCommittedInTimeIsAnsweredOnce) {
  const NodeId leader = cluster_.leader();
  for (NodeId n = 1; n <= 3; ++n)
    if (n != leader) cluster_.block(leader, n);
  Reply reply = remove_node(leader, follower_of(leader));
  // Refused up front (no quorum heard recently) or not committed within write_timeout.
  EXPECT_TRUE(reply.done);
  EXPECT_NE(reply.result.kind, WriteResult::Ok) << reply.result.message;
  EXPECT_TRUE(reply.result.message.starts_with("ERROR")) << reply.result.message;
}

class KeepRemovedAcksTest : public NodeMembershipTest {
 protected:
  static NodeOptions buggy() {
    NodeOptions o = fast_options(2);
    o.bugs.keep_removed_acks = true;
    return o;
  }
  KeepRemovedAcksTest() : NodeMembershipTest(buggy()) {}
};

TEST_F(KeepRemovedAcksTest, WithTheBugPendingNeverDropsAfterARemoval) {
  const NodeId leader = cluster_.leader();
  const NodeId dead = follower_of(leader);
  cluster_.crash(dead);
  ASSERT_EQ(write(leader, "one.a.test. 300 IN A 192.0.2.10").result.kind, WriteResult::Ok);
  ASSERT_EQ(remove_node(leader, dead).result.kind, WriteResult::Ok);
  cluster_.run_for(2s);
  EXPECT_FALSE(cluster_.node(leader).state().pending().empty());
}

}  // namespace
}  // namespace engine
