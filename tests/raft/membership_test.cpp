// Membership changes (Raft thesis ch. 4): single-server changes through ConfChange entries that
// take effect when appended, learners, refusals, a leader removing itself, removed nodes, and the
// configuration in snapshots, restarts and truncated suffixes.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "raft/codec.h"
#include "tests/raft/test_cluster.h"

namespace raft::testing {
namespace {

using Kind = ConfChange::Kind;
using Ids = std::vector<NodeId>;

ConfChangeResult change(Raft& leader, Kind kind, NodeId node) {
  return leader.propose_conf_change(ConfChange{.kind = kind, .node = node});
}

// Adds `node` as a learner through leader 1 and lets it catch up.
void add_learner(TestCluster& c, NodeId node) {
  c.add_node(node);
  ASSERT_TRUE(change(c[1], Kind::AddLearner, node).appended());
  c.settle();
  c.tick(1);  // a heartbeat carries the commit index to the learner
}

TEST(Membership, BootstrapVotersAreTheConfigurationUntilAChange) {
  TestCluster c(3);
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c[id].membership(), (Membership{.voters = {1, 2, 3}}));
    EXPECT_EQ(c[id].status().voters, (Ids{1, 2, 3}));
    EXPECT_TRUE(c[id].status().learners.empty());
    EXPECT_EQ(c[id].status().config_index, 0u);
  }
}

TEST(Membership, NodeOutsideTheConfigurationStaysPassive) {
  TestCluster c(3);
  c.add_node(4);
  c.tick(4, 100);
  EXPECT_EQ(c[4].role(), Role::Follower);
  EXPECT_EQ(c[4].term(), 0u);
  for (const Message& m : c.delivered) EXPECT_NE(m.from, 4u) << describe(m);
}

// ---- learners ------------------------------------------------------------------------------

TEST(Learner, ReplicatesButDoesNotCountTowardCommit) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  add_learner(c, 4);
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c[id].membership(), (Membership{.voters = {1, 2, 3}, .learners = {4}})) << id;
  }
  EXPECT_EQ(c[4].status().commit, c[1].status().commit);
  EXPECT_EQ(c[1].caught_up_learners(), Ids{4});

  c.cut(1, 2);
  c.cut(1, 3);
  Index before = c[1].status().commit;
  auto r = c[1].propose(bytes_of("x"));
  c.settle();
  ASSERT_NE(c[1].progress(4), nullptr);
  EXPECT_EQ(c[1].progress(4)->match(), r.index);  // the learner has it...
  EXPECT_EQ(c[1].status().commit, before);        // ...and it still is not committed
  EXPECT_EQ(c[1].caught_up_learners(), Ids{4});
  c.heal();
  c.tick(1);
  EXPECT_EQ(c[1].status().commit, r.index);
  EXPECT_EQ(c.applied_strings(4), std::vector<std::string>{"x"});
}

TEST(Learner, NeverCampaigns) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  add_learner(c, 4);
  Term term = c[4].term();
  c.isolate(4);
  c.tick(4, 200);
  EXPECT_EQ(c[4].role(), Role::Follower);
  EXPECT_EQ(c[4].term(), term);
  c[4].campaign();
  EXPECT_EQ(c[4].role(), Role::Follower);
  // Not even when a leader asks it to take over.
  c.heal();
  c[4].step(Message{.type = MessageType::TimeoutNow, .from = 1, .to = 4, .term = c[1].term()});
  EXPECT_EQ(c[4].role(), Role::Follower);
  EXPECT_EQ(c[4].term(), term);
  c.settle();
  c[1].transfer_leadership(4);  // a learner cannot take leadership
  c.settle();
  EXPECT_EQ(c[1].role(), Role::Leader);
  for (const Message& m : c.delivered) {
    EXPECT_FALSE(m.from == 4 && (m.type == MessageType::PreVote || m.type == MessageType::Vote));
  }
}

TEST(Learner, IsNotAskedForVotesNorCounted) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  add_learner(c, 4);
  c.delivered.clear();
  c.isolate(1);
  c.tick_all(40);
  EXPECT_TRUE(c[2].role() == Role::Leader || c[3].role() == Role::Leader);
  for (const Message& m : c.delivered) {
    if (m.type == MessageType::PreVote || m.type == MessageType::Vote) EXPECT_NE(m.to, 4u);
  }
}

TEST(Learner, DoesNotKeepAnIsolatedLeaderInPower) {
  // Check-quorum counts voters only: a leader that hears from its learner alone steps down.
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  add_learner(c, 4);
  c.cut(1, 2);
  c.cut(2, 1);
  c.cut(1, 3);
  c.cut(3, 1);
  c.tick(1, 2 * 10 + 1);
  EXPECT_NE(c[1].role(), Role::Leader);
}

TEST(Learner, PromotedLearnerCountsTowardCommit) {
  TestCluster c(2);
  ASSERT_TRUE(c.elect(1));
  add_learner(c, 3);
  c.isolate(2);
  Index before = c[1].status().commit;
  c[1].propose(bytes_of("not yet"));
  c.settle();
  EXPECT_EQ(c[1].status().commit, before);  // voters {1,2}: the learner does not help
  c.heal();
  c.settle();
  c.tick(1);

  auto promoted = change(c[1], Kind::PromoteLearner, 3);
  ASSERT_TRUE(promoted.appended()) << promoted.reason;
  c.settle();
  c.tick(1);
  for (NodeId id : c.ids()) EXPECT_EQ(c[id].membership(), (Membership{.voters = {1, 2, 3}})) << id;
  c.isolate(2);
  auto r = c[1].propose(bytes_of("now"));
  c.settle();
  EXPECT_EQ(c[1].status().commit, r.index);  // 1 and 3 are a majority of {1,2,3}
}

TEST(Learner, CaughtUpOnlyOnceItHasEverythingCommitted) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 5; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  c.add_node(4);
  c.isolate(4);
  ASSERT_TRUE(change(c[1], Kind::AddLearner, 4).appended());
  c.settle();
  EXPECT_TRUE(c[1].caught_up_learners().empty());
  EXPECT_TRUE(c[2].caught_up_learners().empty());  // followers know nothing of progress
  c.heal();
  c.tick(1, 5);
  EXPECT_EQ(c[1].caught_up_learners(), Ids{4});
}

// ---- adding and removing voters ------------------------------------------------------------

TEST(Membership, AddAndRemoveVotersWhileCommitting) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c[1].propose(bytes_of("a"));
  add_learner(c, 4);
  c[1].propose(bytes_of("b"));
  ASSERT_TRUE(change(c[1], Kind::PromoteLearner, 4).appended());
  c[1].propose(bytes_of("c"));
  c.settle();
  c.tick(1);
  auto removed = change(c[1], Kind::RemoveNode, 2);
  ASSERT_TRUE(removed.appended()) << removed.reason;
  EXPECT_EQ(c[1].progress(2), nullptr);  // the leader stops tracking (and sending to) node 2
  c.delivered.clear();
  c[1].propose(bytes_of("d"));
  c.settle();
  c.tick_all(3);
  for (NodeId id : {1, 3, 4}) {
    EXPECT_EQ(c[id].membership(), (Membership{.voters = {1, 3, 4}})) << id;
    EXPECT_EQ(c.applied_strings(id), (std::vector<std::string>{"a", "b", "c", "d"})) << id;
  }
  for (const Message& m : c.delivered) EXPECT_NE(m.to, 2u) << describe(m);
  // Node 2 never got the entry removing it: it still believes in {1,2,3,4}.
  EXPECT_TRUE(c[2].membership().is_voter(2));
  // The smaller cluster still commits with one voter down.
  c.isolate(4);
  auto r = c[1].propose(bytes_of("e"));
  c.settle();
  EXPECT_EQ(c[1].status().commit, r.index);
}

TEST(Membership, RemovingAFollowerShrinksTheQuorum) {
  TestCluster c(4);
  ASSERT_TRUE(c.elect(1));
  ASSERT_TRUE(change(c[1], Kind::RemoveNode, 4).appended());
  c.settle();
  c.tick(1);
  // {1,2,3}: two of them commit; with 4 voters three would have been needed.
  c.isolate(3);
  auto r = c[1].propose(bytes_of("x"));
  c.settle();
  EXPECT_EQ(c[1].status().commit, r.index);
}

// ---- refusals ------------------------------------------------------------------------------

TEST(Refusal, SecondChangeWhileTheFirstIsUncommitted) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.cut(1, 2);
  c.cut(1, 3);
  auto first = change(c[1], Kind::AddLearner, 4);
  ASSERT_TRUE(first.appended()) << first.reason;
  EXPECT_EQ(c[1].membership().learners, Ids{4});  // in effect on append, before commit
  c.settle();
  auto second = change(c[1], Kind::AddLearner, 5);
  EXPECT_EQ(second.refusal, ConfChangeRefusal::ChangeInProgress);
  EXPECT_NE(second.reason.find(std::to_string(first.index)), std::string::npos) << second.reason;
  c.heal();
  c.tick(1, 3);
  ASSERT_GE(c[1].status().commit, first.index);
  EXPECT_TRUE(change(c[1], Kind::AddLearner, 5).appended());
}

TEST(Refusal, NotLeader) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  auto r = change(c[2], Kind::AddLearner, 4);
  EXPECT_EQ(r.refusal, ConfChangeRefusal::NotLeader);
  EXPECT_EQ(r.leader, 1u);
  EXPECT_TRUE(take_messages(c[2]).empty());  // not forwarded
}

TEST(Refusal, LeaderWithoutACommittedEntryOfItsTerm) {
  TestCluster c(3);
  c.drop = [](const Message& m) { return m.type == MessageType::Append; };
  ASSERT_TRUE(c.elect(1));
  auto r = change(c[1], Kind::AddLearner, 4);
  EXPECT_EQ(r.refusal, ConfChangeRefusal::LeaderNotReady);
  c.drop = nullptr;
  c.tick(1, 2);
  EXPECT_TRUE(change(c[1], Kind::AddLearner, 4).appended());
}

TEST(Refusal, DuringLeadershipTransfer) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  c[1].transfer_leadership(3);
  EXPECT_EQ(change(c[1], Kind::AddLearner, 4).refusal, ConfChangeRefusal::TransferInProgress);
}

TEST(Refusal, InvalidChanges) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  add_learner(c, 4);
  struct Case {
    Kind kind;
    NodeId node;
    std::string reason;
  };
  for (const Case& k : std::vector<Case>{
           {Kind::AddLearner, 2, "node 2 is already a voter"},
           {Kind::AddLearner, 4, "node 4 is already a learner"},
           {Kind::PromoteLearner, 5, "node 5 is not a learner"},
           {Kind::PromoteLearner, 3, "node 3 is already a voter"},
           {Kind::RemoveNode, 9, "node 9 is not a member"},
           {Kind::AddLearner, kNoNode, "the node id is not set"},
       }) {
    auto r = change(c[1], k.kind, k.node);
    EXPECT_EQ(r.refusal, ConfChangeRefusal::InvalidChange) << k.reason;
    EXPECT_EQ(r.reason, k.reason);
  }
  EXPECT_EQ(c[1].membership(), (Membership{.voters = {1, 2, 3}, .learners = {4}}));
}

TEST(Refusal, RemovingTheLastVoter) {
  TestCluster c(1);
  ASSERT_TRUE(c.elect(1));
  auto r = change(c[1], Kind::RemoveNode, 1);
  EXPECT_EQ(r.refusal, ConfChangeRefusal::InvalidChange);
  EXPECT_EQ(r.reason, "node 1 is the last voter");
}

TEST(Refusal, StrictCheckKeepsTheQuorumReachable) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  c.tick(1, 2 * 10 + 1);  // two check-quorum windows: node 3 is no longer "heard recently"
  ASSERT_EQ(c[1].role(), Role::Leader);
  // Without 2, the voters {1,3} need both, and 3 is silent.
  auto r = change(c[1], Kind::RemoveNode, 2);
  EXPECT_EQ(r.refusal, ConfChangeRefusal::WouldLoseQuorum);
  EXPECT_EQ(r.reason,
            "after remove 2 the 2 voters need 2 for a quorum, but the leader has heard recently "
            "from only 1 of them");
  // Removing the silent one keeps a reachable quorum.
  EXPECT_TRUE(change(c[1], Kind::RemoveNode, 3).appended());
}

TEST(Refusal, StrictCheckRefusesPromotingASilentLearner) {
  TestCluster c(1);
  ASSERT_TRUE(c.elect(1));
  c.add_node(2);
  c.isolate(2);
  ASSERT_TRUE(change(c[1], Kind::AddLearner, 2).appended());
  c.settle();
  // {1,2} would need both; 2 has never answered.
  EXPECT_EQ(change(c[1], Kind::PromoteLearner, 2).refusal, ConfChangeRefusal::WouldLoseQuorum);
  c.heal();
  c.tick(1, 2);
  EXPECT_TRUE(change(c[1], Kind::PromoteLearner, 2).appended());
}

// ---- a leader removing itself --------------------------------------------------------------

TEST(LeaderRemoval, LeadsUntilCommittedThenStepsDownAndANewLeaderEmerges) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  Term term = c[1].term();
  auto r = change(c[1], Kind::RemoveNode, 1);
  ASSERT_TRUE(r.appended()) << r.reason;
  EXPECT_EQ(c[1].role(), Role::Leader);  // still leading: the change is not committed
  EXPECT_FALSE(c[1].membership().is_voter(1));
  // While it leads, it replicates and commits new entries without counting itself.
  c[1].propose(bytes_of("during"));
  c.settle();
  EXPECT_NE(c[1].role(), Role::Leader);
  EXPECT_GE(c[1].status().commit, r.index);
  // It handed over to an up-to-date voter at once (TimeoutNow), no election timeout needed.
  NodeId next = c[2].role() == Role::Leader ? 2 : 3;
  EXPECT_EQ(c[next].role(), Role::Leader);
  EXPECT_EQ(c[next].term(), term + 1);
  c.tick_all(100);
  EXPECT_EQ(c[next].role(), Role::Leader);
  EXPECT_EQ(c[next].term(), term + 1);
  EXPECT_EQ(c[1].role(), Role::Follower);  // the removed node never campaigns
  auto after = c[next].propose(bytes_of("after"));
  c.settle();
  c.tick(next);
  for (NodeId id : {2, 3}) {
    EXPECT_EQ(c[id].membership(), (Membership{.voters = {2, 3}}));
    EXPECT_EQ(c[id].status().commit, after.index);
    EXPECT_EQ(c.applied_strings(id), (std::vector<std::string>{"during", "after"}));
  }
}

TEST(LeaderRemoval, DoesNotCountItselfTowardTheNewQuorum) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.cut(1, 3);
  auto r = change(c[1], Kind::RemoveNode, 1);
  ASSERT_TRUE(r.appended()) << r.reason;
  c.settle();
  // Leader + 2 would be a majority of {1,2,3}, but the change needs both of {2,3}.
  EXPECT_LT(c[1].status().commit, r.index);
  EXPECT_EQ(c[1].role(), Role::Leader);
  c.heal();
  c.tick(1, 3);  // a stalled follower is probed again on the second heartbeat
  EXPECT_GE(c[2].status().commit, r.index);
  EXPECT_NE(c[1].role(), Role::Leader);
}

TEST(LeaderRemoval, HandsOverOnceAVoterHasItsWholeLog) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  Term term = c[1].term();
  // Node 3 misses the tail; node 2 gets it late.
  c.cut(1, 3);
  ASSERT_TRUE(change(c[1], Kind::RemoveNode, 1).appended());
  c[1].propose(bytes_of("tail"));
  c.drop = [](const Message& m) { return m.type == MessageType::Append && m.to == 2; };
  c.settle();
  EXPECT_EQ(c[1].role(), Role::Leader);
  c.drop = nullptr;
  c.heal();
  c.tick(1, 3);
  EXPECT_NE(c[1].role(), Role::Leader);
  EXPECT_EQ(c[2].role(), Role::Leader);  // the handover went to the one that caught up first
  EXPECT_EQ(c[2].term(), term + 1);
}

TEST(LeaderRemoval, StepsDownAfterAnElectionTimeoutIfNobodyCatchesUp) {
  // Without check-quorum only the removal itself makes this leader step down.
  TestCluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
  ASSERT_TRUE(c.elect(1));
  ASSERT_TRUE(change(c[1], Kind::RemoveNode, 1).appended());
  c[1].propose(bytes_of("tail"));
  // The removal reaches both voters; the tail reaches neither.
  c.drop = [](const Message& m) {
    return m.type == MessageType::Append && !m.entries.empty() &&
           m.entries.back().kind == EntryKind::Normal;
  };
  c.settle();
  ASSERT_EQ(c[1].role(), Role::Leader);
  EXPECT_EQ(c[1].propose(bytes_of("refused")).kind, ProposeResult::Dropped);  // handing over
  c.tick(1, 9);
  EXPECT_EQ(c[1].role(), Role::Leader);
  c.tick(1, 1);
  EXPECT_EQ(c[1].role(), Role::Follower);
  c.drop = nullptr;
  c.tick_all(50);
  int leaders = 0;
  for (NodeId id : {2, 3}) leaders += c[id].role() == Role::Leader;
  EXPECT_EQ(leaders, 1);
  EXPECT_EQ(c[1].role(), Role::Follower);
}

TEST(LeaderRemoval, ALeaderThatLostItsQuorumBeforeTheRemovalCommittedCanStillWin) {
  // Found by the property below: {1,2}; leader 1 appends its own removal, which only it has,
  // and loses its quorum. Node 2 cannot win (its log is behind); node 1 must still campaign,
  // though its newest configuration no longer lists it, or the cluster stalls for good.
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  ASSERT_TRUE(change(c[1], Kind::RemoveNode, 3).appended());
  c.settle();
  c.tick(1);
  c.cut(1, 2);
  auto r = change(c[1], Kind::RemoveNode, 1);
  ASSERT_TRUE(r.appended()) << r.reason;
  c.tick(1, 2 * 10 + 1);
  ASSERT_NE(c[1].role(), Role::Leader);  // check-quorum: node 2 never answered
  c.heal();
  c.tick_all(60);
  EXPECT_EQ(c[2].role(), Role::Leader);
  EXPECT_EQ(c[2].membership(), (Membership{.voters = {2}}));
  EXPECT_GE(c[2].status().commit, r.index);  // the removal survived
  EXPECT_NE(c[1].role(), Role::Leader);
}

// ---- removed nodes -------------------------------------------------------------------------

TEST(RemovedNode, CannotDisruptTheCluster) {
  for (bool pre_vote : {true, false}) {
    SCOPED_TRACE(pre_vote ? "pre-vote and check-quorum" : "check-quorum only");
    TestCluster c(3, [&](Config& cfg) { cfg.pre_vote = pre_vote; });
    ASSERT_TRUE(c.elect(1));
    c.isolate(3);  // node 3 will never hear of its removal
    ASSERT_TRUE(change(c[1], Kind::RemoveNode, 3).appended());
    c.settle();
    c.tick(1);
    ASSERT_EQ(c[1].membership(), (Membership{.voters = {1, 2}}));
    Term term = c[1].term();
    c.heal();
    for (int i = 0; i < 500; ++i) {
      c.tick_all(1);
      ASSERT_EQ(c[1].role(), Role::Leader) << "tick " << i;
      ASSERT_EQ(c[1].term(), term);
      ASSERT_EQ(c[2].term(), term);
      ASSERT_EQ(c[2].leader(), 1u);
    }
    auto r = c[1].propose(bytes_of("still"));
    c.settle();
    EXPECT_EQ(c[2].status().commit, r.index);
  }
}

TEST(RemovedNode, ThatKnowsItNeverCampaigns) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  ASSERT_TRUE(change(c[1], Kind::RemoveNode, 3).appended());
  c.settle();
  c.tick(1);
  // Restart node 3 from a log that holds its own removal, committed.
  Raft r(c.config_for(3),
         Restored{.hard_state = c.storage(2).hard_state, .entries = c.storage(2).entries});
  EXPECT_FALSE(r.membership().is_voter(3));
  EXPECT_GE(r.status().commit, r.status().config_index);
  for (int i = 0; i < 100; ++i) r.tick();
  EXPECT_EQ(r.role(), Role::Follower);
  EXPECT_TRUE(take_messages(r).empty());
}

TEST(RemovedNode, ItsForwardedProposalsAreIgnored) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  ASSERT_TRUE(change(c[1], Kind::RemoveNode, 3).appended());
  c.settle();
  c.heal();
  c.settle();
  // A forwarded proposal from a non-member is dropped.
  Index last = c[1].status().last_index;
  c[1].step(Message{.type = MessageType::Propose,
                    .from = 3,
                    .to = 1,
                    .term = c[1].term(),
                    .entries = {Entry{.data = bytes_of("x")}}});
  EXPECT_EQ(c[1].status().last_index, last);
}

// ---- the configuration in snapshots, restarts and truncations ------------------------------

TEST(Membership, SurvivesSnapshotAndRestart) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  add_learner(c, 4);
  ASSERT_TRUE(change(c[1], Kind::PromoteLearner, 4).appended());
  c.settle();
  c.tick(1);
  add_learner(c, 5);
  const Membership expected{.voters = {1, 2, 3, 4}, .learners = {5}};
  c[1].propose(bytes_of("x"));
  c.settle();
  c.tick(1);
  for (NodeId id : c.ids()) c[id].compact(c[id].status().applied, bytes_of("state"));
  c.settle();
  const SnapshotMeta& meta = c.storage(1).snapshot->meta;
  EXPECT_EQ(meta.voters, expected.voters);
  EXPECT_EQ(meta.learners, expected.learners);
  ASSERT_TRUE(c.storage(1).entries.empty());  // nothing but the snapshot tells the configuration

  for (NodeId id : c.ids()) c.crash(id);
  for (NodeId id : c.ids()) c.start(id);
  EXPECT_EQ(c[1].membership(), expected);
  EXPECT_EQ(c[1].status().config_index, meta.index);
  for (NodeId id : c.ids()) EXPECT_EQ(c[id].membership(), expected) << id;
  c.tick_all(30);

  // A node joining now learns the whole configuration from the snapshot.
  NodeId leader = 0;
  for (NodeId id : c.ids()) leader = c[id].role() == Role::Leader ? id : leader;
  ASSERT_NE(leader, 0u);
  c.add_node(6);
  ASSERT_TRUE(change(c[leader], Kind::AddLearner, 6).appended());
  c.settle();
  c.tick(leader, 3);
  EXPECT_EQ(c.installed_snapshots[6], 1);
  EXPECT_EQ(c.app_snapshot(6), bytes_of("state"));
  const Membership with_6{.voters = {1, 2, 3, 4}, .learners = {5, 6}};
  EXPECT_EQ(c[6].membership(), with_6);
  c.restart(6);
  EXPECT_EQ(c[6].membership(), with_6);  // snapshot + the AddLearner entry after it
}

TEST(Membership, SnapshotCarriesTheConfigurationAsOfItsIndex) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  c[1].propose(bytes_of("x"));
  c.settle();
  c.tick(1);
  Index upto = c[1].status().applied;
  c.cut(1, 2);
  c.cut(1, 3);
  ASSERT_TRUE(change(c[1], Kind::AddLearner, 4).appended());  // not committed, not applied
  c[1].compact(upto, bytes_of("s"));
  Ready rd = c[1].ready();
  ASSERT_TRUE(rd.compacted_snapshot);
  EXPECT_EQ(rd.compacted_snapshot->meta.voters, (Ids{1, 2, 3}));
  EXPECT_TRUE(rd.compacted_snapshot->meta.learners.empty());
  c[1].advance();
  EXPECT_EQ(c[1].membership().learners, Ids{4});
}

TEST(Membership, TruncatedConfEntryRevertsTheConfiguration) {
  TestCluster c(5);
  ASSERT_TRUE(c.elect(1));
  for (NodeId other : {3, 4, 5}) c.cut(1, other);
  auto r = change(c[1], Kind::AddLearner, 6);
  ASSERT_TRUE(r.appended()) << r.reason;
  c.settle();
  ASSERT_EQ(c[2].membership().learners, Ids{6});  // in effect on node 2 before commit
  EXPECT_EQ(c[2].status().config_index, r.index);

  // 3, 4 and 5 elect one of them, whose log lacks the entry at r.index.
  c.heal();
  c.isolate(1);
  c.isolate(2);
  c.tick_all(40);
  NodeId leader = 0;
  for (NodeId id : {3, 4, 5}) leader = c[id].role() == Role::Leader ? id : leader;
  ASSERT_NE(leader, 0u);
  c[leader].propose(bytes_of("new history"));
  c.settle();
  c.heal();
  c.isolate(1);
  c.tick(leader, 3);
  EXPECT_EQ(c[2].membership(), (Membership{.voters = {1, 2, 3, 4, 5}}));
  EXPECT_EQ(c[2].status().config_index, 0u);
  c.heal();
  c.tick(leader, 3);
  EXPECT_EQ(c[1].membership(), (Membership{.voters = {1, 2, 3, 4, 5}}));
  EXPECT_EQ(c[1].role(), Role::Follower);
}

TEST(Membership, RestoredFromSnapshotAndConfEntries) {
  ConfChange add{.kind = Kind::AddLearner, .node = 7, .context = bytes_of("10.0.0.7:5000")};
  ConfChange promote{.kind = Kind::PromoteLearner, .node = 7};
  Restored restored{
      .hard_state = {.term = 2, .commit = 11},
      .snapshot = Snapshot{.meta = {.index = 9, .term = 2, .voters = {1, 2}, .learners = {3}}},
      .entries = {Entry{.term = 2,
                        .index = 10,
                        .kind = EntryKind::ConfChange,
                        .data = encode_conf_change(add)},
                  Entry{.term = 2,
                        .index = 11,
                        .kind = EntryKind::ConfChange,
                        .data = encode_conf_change(promote)},
                  Entry{.term = 2,
                        .index = 12,
                        .kind = EntryKind::ConfChange,
                        .data = bytes_of("garbage is skipped")}}};
  Raft r(Config{.id = 1, .voters = {1, 2, 3, 4, 5}}, restored);
  EXPECT_EQ(r.membership(), (Membership{.voters = {1, 2, 7}, .learners = {3}}));
  EXPECT_EQ(r.status().config_index, 11u);
}

TEST(Membership, ConstructorRefusesAConfigurationThatCannotBeRight) {
  EXPECT_THROW(Raft(Config{.id = 1}, {}), std::invalid_argument);
  Restored overlapping{
      .snapshot = Snapshot{.meta = {.index = 3, .term = 1, .voters = {1, 2}, .learners = {2}}}};
  EXPECT_THROW(Raft(Config{.id = 1, .voters = {1}}, overlapping), std::invalid_argument);
  // A node may start outside its configuration (joining, or removed).
  EXPECT_NO_THROW(Raft(Config{.id = 9, .voters = {1, 2, 3}}, {}));
}

TEST(Membership, SnapshotWithoutVotersIsNotInstalled) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  Message m{.type = MessageType::Snapshot, .from = 1, .to = 2, .term = c[1].term()};
  m.snapshot = Snapshot{.meta = {.index = 50, .term = c[1].term()}, .data = bytes_of("x")};
  c[2].step(m);
  Ready rd = c[2].ready();
  EXPECT_FALSE(rd.snapshot);
  c[2].advance();
  EXPECT_EQ(c[2].membership(), (Membership{.voters = {1, 2, 3}}));
}

// ---- codec ---------------------------------------------------------------------------------

TEST(ConfChangeCodec, KnownBytes) {
  ConfChange cc{.kind = Kind::PromoteLearner, .node = 0x0102, .context = {0xAA}};
  EXPECT_EQ(encode_conf_change(cc), (Bytes{1, 1, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xAA}));
}

RC_GTEST_PROP(ConfChangeCodec, RoundTrips, ()) {
  ConfChange cc{.kind = static_cast<Kind>(*rc::gen::inRange<int>(0, kMaxConfChangeKind + 1)),
                .node = *rc::gen::arbitrary<NodeId>(),
                .context = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>())};
  Bytes bytes = encode_conf_change(cc);
  RC_ASSERT(decode_conf_change(bytes) == cc);
  for (size_t n = 0; n < bytes.size(); ++n) {
    RC_ASSERT_THROWS_AS(decode_conf_change(std::span(bytes.data(), n)), DecodeError);
  }
}

RC_GTEST_PROP(ConfChangeCodec, GarbageDecodesOrThrows, (const Bytes& bytes)) {
  try {
    ConfChange cc = decode_conf_change(bytes);
    RC_ASSERT(encode_conf_change(cc) == bytes);  // anything accepted is canonical
  } catch (const DecodeError&) {
  }
}

TEST(ConfChangeCodec, RejectsWithTheFieldNamed) {
  auto error_of = [](Bytes b) -> std::string {
    try {
      decode_conf_change(b);
    } catch (const DecodeError& e) {
      return e.what();
    }
    return "accepted";
  };
  Bytes good = encode_conf_change(ConfChange{.kind = Kind::RemoveNode, .node = 3});
  Bytes bad_version = good;
  bad_version[0] = 9;
  EXPECT_EQ(error_of(bad_version), "conf_change format version 9 is not supported (expected 1)");
  Bytes bad_kind = good;
  bad_kind[1] = 4;
  EXPECT_EQ(error_of(bad_kind), "conf_change.kind 4 is unknown");
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(error_of(trailing), "1 trailing bytes after conf_change");
  Bytes huge = good;
  huge[10] = 0xFF;  // context length 0xFF: more than the bytes left
  EXPECT_NE(error_of(huge).find("conf_change.context"), std::string::npos) << error_of(huge);
  Bytes oversized = good;
  oversized[13] = 0x7F;  // context length ~2 GiB: over the limit before reading
  EXPECT_EQ(error_of(oversized), "conf_change.context is 2130706432 bytes, limit 65536");
}

TEST(SnapshotCodec, LearnersTravelInMessagesAndOldLayoutIsUnchanged) {
  Message m{.type = MessageType::Snapshot, .from = 1, .to = 2, .term = 3};
  m.snapshot = Snapshot{.meta = {.index = 5, .term = 2, .voters = {1, 2}}, .data = {7}};
  Bytes voters_only = encode(m);
  EXPECT_EQ(voters_only[2], 4);  // flags: just "has a snapshot"
  // index, term, voter count, 2 voters, data length, data: the layout before learners existed.
  EXPECT_EQ(voters_only.size(), 3 + 7 * 8 + 4 + 8 + 8 + 4 + 8 + 8 + 4 + 1);
  EXPECT_EQ(decode(voters_only), m);

  m.snapshot->meta.learners = {4, 9};
  Bytes with_learners = encode(m);
  EXPECT_EQ(with_learners[2], 4 | 8);
  EXPECT_EQ(with_learners.size(), voters_only.size() + 4 + 2 * 8);
  EXPECT_EQ(decode(with_learners), m);

  Bytes flag_without_snapshot = encode(Message{.type = MessageType::Heartbeat, .term = 1});
  flag_without_snapshot[2] = 8;
  EXPECT_THROW(decode(flag_without_snapshot), DecodeError);
  Bytes too_many = with_learners;
  // learner count sits after index, term, voter count and two voters
  size_t at = 3 + 7 * 8 + 4 + 8 + 8 + 4 + 16;
  too_many[at + 3] = 0x40;
  EXPECT_THROW(decode(too_many), DecodeError);
}

TEST(SnapshotCodec, VotersOnlyLayoutCannotHoldLearners) {
  Bytes out;
  ByteWriter w(out);
  Snapshot s{.meta = {.index = 1, .term = 1, .voters = {1}, .learners = {2}}};
  EXPECT_THROW(put_snapshot(w, s, SnapshotLayout::VotersOnly), std::invalid_argument);
}

TEST(EntryCodec, ConfChangeKindDecodesAndUnknownKindsDoNot) {
  Bytes out;
  ByteWriter w(out);
  put_entry(w, Entry{.term = 1, .index = 2, .kind = EntryKind::ConfChange, .data = {1}});
  ByteReader r(out);
  EXPECT_EQ(get_entry(r).kind, EntryKind::ConfChange);
  out[16] = kMaxEntryKind + 1;
  ByteReader bad(out);
  EXPECT_THROW(get_entry(bad), DecodeError);
}

// ---- property ------------------------------------------------------------------------------

// Random changes, proposals, partitions, crashes and compactions over five nodes (three bootstrap
// voters, two that may join): TestCluster checks one leader per term and identical applied
// entries after every step; at the end the healed cluster must still elect and commit.
RC_GTEST_PROP(Membership, RandomChangesAndFaultsKeepSafetyAndLiveness, ()) {
  // Unrelated seeds per node: with one shared seed, two-voter configurations can time out in
  // lockstep for a long while (the per-node streams are near-shifted copies of each other).
  TestCluster c(3, [](Config& cfg) { cfg.seed = 0x5eed + cfg.id * cfg.id * 1000003; });
  c.add_node(4);
  c.add_node(5);
  c.elect(1);
  const int steps = *rc::gen::inRange(10, 60);
  int changes = 0;
  for (int step = 0; step < steps; ++step) {
    NodeId leader = 0;
    for (NodeId id : c.ids()) {
      if (c.up(id) && c[id].role() == Role::Leader) leader = id;
    }
    const NodeId node = *rc::gen::inRange<NodeId>(1, 6);
    switch (*rc::gen::inRange(0, 9)) {
      case 0:
      case 1:
        if (leader != 0) {
          // Mostly the change that suits the node, sometimes any (to exercise refusals).
          const Membership& m = c[leader].membership();
          Kind kind = m.is_learner(node) ? Kind::PromoteLearner
                      : m.is_voter(node) ? Kind::RemoveNode
                                         : Kind::AddLearner;
          if (*rc::gen::inRange(0, 4) == 0) {
            kind = static_cast<Kind>(*rc::gen::inRange<int>(0, kMaxConfChangeKind + 1));
          }
          auto r = change(c[leader], kind, node);
          changes += r.appended();
          RC_LOG() << "leader " << leader << ": "
                   << describe(ConfChange{.kind = kind, .node = node}) << " -> "
                   << to_string(r.refusal) << " " << r.reason << "\n";
        }
        break;
      case 2:
        if (leader != 0) c[leader].propose(bytes_of("p" + std::to_string(step)));
        RC_LOG() << "propose at " << leader << "\n";
        break;
      case 3:
        c.isolate(node);
        RC_LOG() << "isolate " << node << "\n";
        break;
      case 4:
        c.heal();
        RC_LOG() << "heal\n";
        break;
      case 5:
        if (c.up(node)) {
          c.crash(node);
        } else {
          c.start(node);
        }
        RC_LOG() << (c.up(node) ? "start " : "crash ") << node << "\n";
        break;
      case 6:
        if (c.up(node) && c[node].status().applied > 0) {
          c[node].compact(c[node].status().applied, bytes_of("s"));
          RC_LOG() << "compact " << node << "\n";
        }
        break;
      default: {
        int ticks = *rc::gen::inRange(1, 15);
        c.tick_all(ticks);
        RC_LOG() << "tick " << ticks << "\n";
        break;
      }
    }
    c.settle();
  }
  RC_CLASSIFY(changes == 0, "no change");
  RC_CLASSIFY(changes >= 3, "3 changes or more");
  c.heal();
  for (NodeId id : c.ids()) {
    if (!c.up(id)) c.start(id);
  }
  c.tick_all(100);
  NodeId leader = 0;
  for (NodeId id : c.ids()) {
    if (c[id].role() == Role::Leader) leader = id;
    const Status s = c[id].status();
    RC_LOG() << "node " << id << ": " << to_string(s.role) << " term " << s.term << " leader "
             << s.leader << " commit " << s.commit << " last " << s.last_index << " "
             << describe(c[id].membership()) << " at " << s.config_index << "\n";
  }
  RC_ASSERT(leader != 0u);
  auto r = c[leader].propose(bytes_of("final"));
  RC_ASSERT(r.kind == ProposeResult::Appended);
  c.tick_all(3);
  for (NodeId voter : c[leader].membership().voters) RC_ASSERT(c[voter].status().commit >= r.index);
}

}  // namespace
}  // namespace raft::testing
