// Raft paper §5.2 (leader election), one test per claim, in the spirit of etcd's
// raft_paper_test.go. Pre-vote and check-quorum are off unless a test is about them.

#include <set>

#include "tests/raft/test_cluster.h"

namespace raft::testing {
namespace {

Raft make_node(NodeId id, std::vector<NodeId> voters, Restored restored = {}) {
  return Raft(no_pre_vote(Config{.id = id, .voters = voters, .seed = 7}), std::move(restored));
}

std::vector<Message> of_type(const std::vector<Message>& ms, MessageType t) {
  std::vector<Message> out;
  for (const Message& m : ms) {
    if (m.type == t) out.push_back(m);
  }
  return out;
}

TEST(Election, FollowerStartsElectionAfterTimeout) {
  Raft r = make_node(1, {1, 2, 3});
  for (int i = 0; i < 2 * 10; ++i) r.tick();
  EXPECT_EQ(r.role(), Role::Candidate);
  EXPECT_EQ(r.term(), 1u);
  auto votes = of_type(take_messages(r), MessageType::Vote);
  ASSERT_EQ(votes.size(), 2u);
  std::set<NodeId> to;
  for (const Message& m : votes) {
    EXPECT_EQ(m.term, 1u);
    to.insert(m.to);
  }
  EXPECT_EQ(to, (std::set<NodeId>{2, 3}));
}

TEST(Election, FollowerDoesNotCampaignBeforeTimeout) {
  Raft r = make_node(1, {1, 2, 3});
  for (int i = 0; i < 10 - 1; ++i) r.tick();  // below the minimum randomized timeout
  EXPECT_EQ(r.role(), Role::Follower);
  EXPECT_EQ(r.term(), 0u);
}

TEST(Election, CandidateVotesForItselfAndPersistsIt) {
  Raft r = make_node(1, {1, 2, 3});
  r.campaign();
  Ready rd = r.ready();
  ASSERT_TRUE(rd.hard_state);
  EXPECT_EQ(rd.hard_state->term, 1u);
  EXPECT_EQ(rd.hard_state->vote, 1u);
}

TEST(Election, VotesAtMostOncePerTerm) {
  Raft r = make_node(1, {1, 2, 3});
  r.step(Message{.type = MessageType::Vote, .from = 2, .to = 1, .term = 1});
  r.step(Message{.type = MessageType::Vote, .from = 3, .to = 1, .term = 1});
  // A retransmitted request from the candidate we voted for gets the same answer.
  r.step(Message{.type = MessageType::Vote, .from = 2, .to = 1, .term = 1});
  auto responses = of_type(take_messages(r), MessageType::VoteResponse);
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].to, 2u);
  EXPECT_FALSE(responses[0].reject);
  EXPECT_EQ(responses[1].to, 3u);
  EXPECT_TRUE(responses[1].reject);
  EXPECT_FALSE(responses[2].reject);
}

TEST(Election, VoteSurvivesRestart) {
  TestCluster c(3, [](Config& cfg) { cfg = no_pre_vote(cfg); });
  c[1].step(Message{.type = MessageType::Vote, .from = 2, .to = 1, .term = 1});
  c.isolate(1);  // keep the vote response from starting anything
  c.settle();
  c.restart(1);
  EXPECT_EQ(c[1].term(), 1u);
  c[1].step(Message{.type = MessageType::Vote, .from = 3, .to = 1, .term = 1});
  auto responses = of_type(take_messages(c[1]), MessageType::VoteResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_TRUE(responses[0].reject);
}

TEST(Election, CandidateWinsWithMajority) {
  TestCluster c(5, [](Config& cfg) { cfg = no_pre_vote(cfg); });
  c.isolate(4);
  c.isolate(5);  // three of five is still a majority
  ASSERT_TRUE(c.elect(1));
  EXPECT_EQ(c[1].term(), 1u);
  EXPECT_EQ(c[2].leader(), 1u);
  EXPECT_EQ(c[3].leader(), 1u);
}

TEST(Election, CandidateWithoutMajorityStaysCandidate) {
  TestCluster c(5, [](Config& cfg) { cfg = no_pre_vote(cfg); });
  c.isolate(3);
  c.isolate(4);
  c.isolate(5);
  EXPECT_FALSE(c.elect(1));
  EXPECT_EQ(c[1].role(), Role::Candidate);
}

TEST(Election, CandidateStepsDownWhenRejectedByMajority) {
  Raft r = make_node(1, {1, 2, 3});
  r.campaign();
  take_messages(r);
  r.step(Message{.type = MessageType::VoteResponse, .from = 2, .to = 1, .term = 1, .reject = true});
  r.step(Message{.type = MessageType::VoteResponse, .from = 3, .to = 1, .term = 1, .reject = true});
  EXPECT_EQ(r.role(), Role::Follower);
  EXPECT_EQ(r.term(), 1u);
}

TEST(Election, CandidateStepsDownOnAppendFromLeaderOfSameTerm) {
  Raft r = make_node(1, {1, 2, 3});
  r.campaign();
  r.step(Message{.type = MessageType::Append, .from = 2, .to = 1, .term = 1});
  EXPECT_EQ(r.role(), Role::Follower);
  EXPECT_EQ(r.leader(), 2u);
}

TEST(Election, AnyRoleStepsDownOnHigherTerm) {
  TestCluster c(3, [](Config& cfg) { cfg = no_pre_vote(cfg); });
  ASSERT_TRUE(c.elect(1));
  c[1].step(Message{.type = MessageType::Heartbeat, .from = 2, .to = 1, .term = 5});
  EXPECT_EQ(c[1].role(), Role::Follower);
  EXPECT_EQ(c[1].term(), 5u);
  Raft cand = make_node(1, {1, 2, 3});
  cand.campaign();
  cand.step(
      Message{.type = MessageType::VoteResponse, .from = 2, .to = 1, .term = 3, .reject = true});
  EXPECT_EQ(cand.role(), Role::Follower);
  EXPECT_EQ(cand.term(), 3u);
}

TEST(Election, SplitVoteStartsNewElectionWithHigherTerm) {
  TestCluster c(3, [](Config& cfg) { cfg = no_pre_vote(cfg); });
  c.isolate(1);
  c[1].campaign();
  c.settle();
  ASSERT_EQ(c[1].role(), Role::Candidate);
  ASSERT_EQ(c[1].term(), 1u);
  c.tick(1, 2 * 10);  // no answers: after its (randomized) timeout it tries again
  EXPECT_EQ(c[1].role(), Role::Candidate);
  EXPECT_EQ(c[1].term(), 2u);
}

TEST(Election, RandomizedTimeoutsAreSpreadOverOneToTwoTimeouts) {
  std::set<int> seen;
  for (NodeId id = 1; id <= 30; ++id) {
    std::vector<NodeId> voters{1};
    for (NodeId v = 2; v <= 30; ++v) voters.push_back(v);
    Raft r(no_pre_vote(Config{.id = id, .voters = voters, .seed = 99}), {});
    int ticks = 0;
    while (r.role() == Role::Follower && ticks < 100) {
      r.tick();
      ++ticks;
    }
    EXPECT_GE(ticks, 10);
    EXPECT_LT(ticks, 20);
    seen.insert(ticks);
  }
  EXPECT_GE(seen.size(), 4u) << "timeouts should differ between nodes";
}

TEST(Election, SameSeedGivesSameTimeouts) {
  auto timeout = [](uint64_t seed) {
    Raft r(no_pre_vote(Config{.id = 1, .voters = {1, 2, 3}, .seed = seed}), {});
    int ticks = 0;
    while (r.role() == Role::Follower) {
      r.tick();
      ++ticks;
    }
    return ticks;
  };
  EXPECT_EQ(timeout(5), timeout(5));
}

TEST(Election, LeaderSendsHeartbeatsEveryHeartbeatTick) {
  TestCluster c(3, [](Config& cfg) { cfg = no_pre_vote(cfg); });
  ASSERT_TRUE(c.elect(1));
  c.delivered.clear();
  c.tick(1);
  int heartbeats = 0;
  for (const Message& m : c.delivered) heartbeats += m.type == MessageType::Heartbeat;
  EXPECT_EQ(heartbeats, 2);
}

TEST(Election, FollowersNeverTimeOutUnderAHealthyLeader) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  Term term = c[1].term();
  c.tick_all(100);
  EXPECT_EQ(c[1].role(), Role::Leader);
  EXPECT_EQ(c[1].term(), term);
}

TEST(Election, SingleNodeElectsItselfAndCommits) {
  TestCluster c(1);
  c.tick(1, 20);
  ASSERT_EQ(c[1].role(), Role::Leader);
  auto res = c[1].propose(bytes_of("x"));
  EXPECT_EQ(res.kind, ProposeResult::Appended);
  c.settle();
  EXPECT_EQ(c.applied_strings(1), std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace raft::testing
