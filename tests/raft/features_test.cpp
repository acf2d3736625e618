// Pre-vote and check-quorum (thesis §9.6, §6.2), forwarding, snapshots (§5 of the thesis / paper
// §7) and leadership transfer (§3.10).

#include "tests/raft/test_cluster.h"

namespace raft::testing {
namespace {

TEST(PreVote, PreCandidateDoesNotRaiseItsTerm) {
  Raft r(Config{.id = 1, .voters = {1, 2, 3}}, {});
  r.campaign();
  EXPECT_EQ(r.role(), Role::PreCandidate);
  EXPECT_EQ(r.term(), 0u);
  auto ms = take_messages(r);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].type, MessageType::PreVote);
  EXPECT_EQ(ms[0].term, 1u);
}

TEST(PreVote, ElectionStillWorks) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  EXPECT_EQ(c[1].term(), 1u);
}

TEST(PreVote, PartitionedNodeRejoiningDoesNotDisruptLeader) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  Term term = c[1].term();
  c.isolate(3);
  c.tick_all(100);  // node 3 keeps pre-campaigning in vain
  EXPECT_EQ(c[3].term(), term);
  c.heal();
  c.tick_all(20);
  EXPECT_EQ(c[1].role(), Role::Leader);
  EXPECT_EQ(c[1].term(), term);
  EXPECT_EQ(c[3].leader(), 1u);
}

TEST(PreVote, WithoutPreVoteARejoiningNodeRaisesTerms) {
  // The failure mode pre-vote exists for, shown on the same scenario.
  TestCluster c(3, [](Config& cfg) { cfg = no_pre_vote(cfg); });
  ASSERT_TRUE(c.elect(1));
  Term term = c[1].term();
  c.isolate(3);
  c.tick_all(100);
  EXPECT_GT(c[3].term(), term + 2);
  c.heal();
  c.tick_all(20);
  EXPECT_GT(c[1].term(), term);
}

TEST(PreVote, PreVoteGrantedOnlyToUpToDateLog) {
  Raft r(Config{.id = 1, .voters = {1, 2, 3}},
         Restored{.hard_state = {.term = 2}, .entries = {Entry{.term = 2, .index = 1}}});
  r.step(Message{
      .type = MessageType::PreVote, .from = 2, .to = 1, .term = 3, .log_term = 1, .index = 5});
  r.step(Message{
      .type = MessageType::PreVote, .from = 3, .to = 1, .term = 3, .log_term = 2, .index = 1});
  auto ms = take_messages(r);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_TRUE(ms[0].reject);
  EXPECT_FALSE(ms[1].reject);
  EXPECT_EQ(ms[1].term, 3u);
  EXPECT_EQ(r.term(), 2u);  // granting a pre-vote changes nothing here
}

TEST(CheckQuorum, IsolatedLeaderStepsDown) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.isolate(1);
  c.tick(1, 2 * 10 + 1);
  EXPECT_EQ(c[1].role(), Role::Follower);
  EXPECT_EQ(c[1].propose(bytes_of("x")).kind, ProposeResult::Dropped);
}

TEST(CheckQuorum, LeaderWithMajorityStays) {
  TestCluster c(5);
  ASSERT_TRUE(c.elect(1));
  c.isolate(4);
  c.isolate(5);
  c.tick_all(50);
  EXPECT_EQ(c[1].role(), Role::Leader);
}

TEST(CheckQuorum, FollowerInLeaseIgnoresVoteRequests) {
  TestCluster c(3, [](Config& cfg) { cfg.pre_vote = false; });
  ASSERT_TRUE(c.elect(1));
  Term term = c[1].term();
  c[2].step(Message{.type = MessageType::Vote,
                    .from = 3,
                    .to = 2,
                    .term = term + 1,
                    .log_term = 100,
                    .index = 100});
  EXPECT_EQ(c[2].term(), term);
  EXPECT_EQ(c[2].leader(), 1u);
}

TEST(CheckQuorum, StaleLeaderLearnsNewTermAndStepsDown) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.cut(1, 2);
  c.cut(1, 3);  // 1 cannot reach anyone, but hears them
  c.tick_all(40);
  NodeId leader = c[2].role() == Role::Leader ? 2 : 3;
  ASSERT_EQ(c[leader].role(), Role::Leader);
  c.heal();
  c.tick_all(5);
  EXPECT_NE(c[1].role(), Role::Leader);
  EXPECT_EQ(c[1].term(), c[leader].term());
}

TEST(Forwarding, FollowerForwardsProposalToLeader) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.tick_all(1);
  auto res = c[2].propose(bytes_of("via-2"));
  EXPECT_EQ(res.kind, ProposeResult::Forwarded);
  EXPECT_EQ(res.leader, 1u);
  c.settle();
  c.tick(1, 2);
  for (NodeId id : c.ids()) EXPECT_EQ(c.applied_strings(id), std::vector<std::string>{"via-2"});
}

TEST(Forwarding, WithoutLeaderProposalIsDropped) {
  Raft r(Config{.id = 1, .voters = {1, 2, 3}}, {});
  auto res = r.propose(bytes_of("x"));
  EXPECT_EQ(res.kind, ProposeResult::Dropped);
  EXPECT_EQ(res.leader, kNoNode);
  EXPECT_TRUE(take_messages(r).empty());
}

TEST(Forwarding, ProposeReachingAFollowerIsNotForwardedAgain) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c[2].step(Message{.type = MessageType::Propose,
                    .from = 3,
                    .to = 2,
                    .term = c[2].term(),
                    .entries = {Entry{.data = bytes_of("x")}}});
  EXPECT_TRUE(take_messages(c[2]).empty());
}

TEST(Snapshot, CompactDropsEntriesAndKeepsSnapshot) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 10; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  Index applied = c[1].status().applied;
  ASSERT_EQ(applied, 11u);
  c[1].compact(8, bytes_of("state@8"));
  EXPECT_EQ(c[1].status().snapshot_index, 8u);
  EXPECT_EQ(c[1].log_entries().front().index, 9u);
  Ready rd = c[1].ready();
  ASSERT_TRUE(rd.compacted_snapshot);
  EXPECT_FALSE(rd.snapshot);
  EXPECT_EQ(rd.compacted_snapshot->meta.index, 8u);
  c[1].advance();
  EXPECT_THROW(c[1].compact(applied + 1, {}), std::invalid_argument);
}

TEST(Snapshot, FollowerFarBehindGetsSnapshotThenAppends) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  for (int i = 0; i < 10; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  c[1].compact(c[1].status().applied, bytes_of("app-state"));
  c.settle();
  c.heal();
  c.tick(1, 3);
  EXPECT_EQ(c.installed_snapshots[3], 1);
  EXPECT_EQ(c.app_snapshot(3), bytes_of("app-state"));
  EXPECT_EQ(c[3].status().snapshot_index, 11u);
  c[1].propose(bytes_of("after"));
  c.settle();
  c.tick(1, 2);
  EXPECT_EQ(c.applied_strings(3), std::vector<std::string>{"after"});
  EXPECT_EQ(c[3].status().commit, c[1].status().commit);
}

TEST(Snapshot, LostSnapshotIsResent) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  for (int i = 0; i < 3; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  c[1].compact(c[1].status().applied, bytes_of("s"));
  c.heal();
  int snapshots_sent = 0;
  c.drop = [&](const Message& m) {
    return m.type == MessageType::Snapshot && snapshots_sent++ == 0;
  };
  c.tick(1, 25);
  EXPECT_GE(snapshots_sent, 2);
  EXPECT_EQ(c.installed_snapshots[3], 1);
  EXPECT_EQ(c.app_snapshot(3), bytes_of("s"));
}

TEST(Snapshot, RestartFromSnapshotReappliesOnlyLaterEntries) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 4; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  c[1].compact(3, bytes_of("upto3"));
  c.settle();
  c.restart(1);
  c.settle();
  EXPECT_EQ(c.app_snapshot(1), bytes_of("upto3"));
  EXPECT_EQ(c.applied_strings(1), (std::vector<std::string>{"2", "3"}));
}

TEST(Snapshot, StaleSnapshotIsIgnored) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 4; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  c.tick(1);
  Index commit = c[2].status().commit;
  Message old{.type = MessageType::Snapshot, .from = 1, .to = 2, .term = c[1].term()};
  old.snapshot.emplace();
  old.snapshot->meta.index = 2;
  old.snapshot->meta.term = 1;
  old.snapshot->data = bytes_of("old");
  c[2].step(old);
  Ready rd = c[2].ready();
  EXPECT_FALSE(rd.snapshot);
  EXPECT_EQ(c[2].status().commit, commit);
  c[2].advance();
}

TEST(Transfer, LeadershipMovesToUpToDateFollower) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.settle();
  c.tick_all(1);
  c[1].transfer_leadership(2);
  c.settle();
  EXPECT_EQ(c[2].role(), Role::Leader);
  EXPECT_EQ(c[1].role(), Role::Follower);
  EXPECT_EQ(c[1].leader(), 2u);
}

TEST(Transfer, LaggingTargetCatchesUpFirst) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  for (int i = 0; i < 5; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  c.heal();
  c[1].transfer_leadership(3);
  EXPECT_EQ(c[1].propose(bytes_of("during")).kind, ProposeResult::Dropped);
  c.settle();
  EXPECT_EQ(c[3].role(), Role::Leader);
  c.tick(3, 2);
  EXPECT_EQ(c.applied_strings(3).size(), 5u);
}

TEST(Transfer, AbandonedAfterElectionTimeout) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  c[1].transfer_leadership(3);
  c.tick(1, 11);
  EXPECT_EQ(c[1].role(), Role::Leader);
  EXPECT_EQ(c[1].propose(bytes_of("x")).kind, ProposeResult::Appended);
}

}  // namespace
}  // namespace raft::testing
