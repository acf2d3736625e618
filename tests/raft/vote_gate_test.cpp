// raft::VoteGate: the votes a node that may have forgotten votes it gave (a wiped data directory)
// is allowed to give, and whether it may campaign (docs/design.md, "Safe rejoin: votes").

#include "tests/raft/test_cluster.h"

namespace raft::testing {
namespace {

Raft make_node(NodeId id, VoteGate gate, Restored restored = {}) {
  Raft r(no_pre_vote(Config{.id = id, .voters = {1, 2, 3}, .seed = 7}), std::move(restored));
  r.set_vote_gate(gate);
  return r;
}

// Whether `r` grants a vote request of `type` from node 2 in `term` for a log ending at
// (index, log_term).
bool grants(Raft& r, Term term, Index index, Term log_term, MessageType type = MessageType::Vote) {
  r.step(Message{
      .type = type, .from = 2, .to = 1, .term = term, .log_term = log_term, .index = index});
  for (const Message& m : take_messages(r))
    if (m.type == MessageType::VoteResponse || m.type == MessageType::PreVoteResponse)
      return !m.reject;
  return false;
}

Restored with_log(Term term) {
  Restored restored;
  restored.hard_state = {.term = term};
  restored.entries = {Entry{.term = term, .index = 1, .kind = EntryKind::Noop}};
  return restored;
}

TEST(VoteGate, AllowsFollowsItsKind) {
  EXPECT_TRUE((VoteGate{}.allows(1, 5, 1)));
  EXPECT_TRUE((VoteGate{VoteGate::Kind::EmptyLogOnly, 0}.allows(4, 0, 0)));
  EXPECT_FALSE((VoteGate{VoteGate::Kind::EmptyLogOnly, 0}.allows(4, 1, 1)));
  EXPECT_FALSE((VoteGate{VoteGate::Kind::Closed, 0}.allows(9, 0, 0)));
  EXPECT_FALSE((VoteGate{VoteGate::Kind::AboveTerm, 7}.allows(7, 3, 2)));
  EXPECT_TRUE((VoteGate{VoteGate::Kind::AboveTerm, 7}.allows(8, 3, 2)));
  EXPECT_EQ(describe(VoteGate{VoteGate::Kind::AboveTerm, 7}), "above-term-7");
}

TEST(VoteGate, EmptyLogOnlyVotesForAnEmptyLogCandidateOnly) {
  Raft fresh = make_node(1, {VoteGate::Kind::EmptyLogOnly, 0});
  EXPECT_TRUE(grants(fresh, 1, 0, 0));  // a new cluster's first election
  Raft other = make_node(1, {VoteGate::Kind::EmptyLogOnly, 0});
  EXPECT_FALSE(grants(other, 3, 4, 2));  // an existing cluster's candidate
  Raft pre = make_node(1, {VoteGate::Kind::EmptyLogOnly, 0});
  EXPECT_FALSE(grants(pre, 3, 4, 2, MessageType::PreVote));
}

TEST(VoteGate, EmptyLogOnlyCampaignsOnlyWithAnEmptyLog) {
  Raft empty = make_node(1, {VoteGate::Kind::EmptyLogOnly, 0});
  empty.campaign();
  EXPECT_EQ(empty.role(), Role::Candidate);
  Raft filled = make_node(1, {VoteGate::Kind::EmptyLogOnly, 0}, with_log(2));
  filled.campaign();
  for (int i = 0; i < 40; ++i) filled.tick();
  EXPECT_EQ(filled.role(), Role::Follower);
  EXPECT_EQ(filled.term(), 2u);
}

TEST(VoteGate, ClosedNeverVotesNorCampaigns) {
  Raft r = make_node(1, {VoteGate::Kind::Closed, 0});
  EXPECT_FALSE(grants(r, 1, 0, 0));
  EXPECT_FALSE(grants(r, 5, 9, 4));
  for (int i = 0; i < 40; ++i) r.tick();
  EXPECT_NE(r.role(), Role::Candidate);
  EXPECT_EQ(r.status().elections, 0u);
}

TEST(VoteGate, AboveTermVotesAndCampaignsOnlyInLaterTerms) {
  Raft r = make_node(1, {VoteGate::Kind::AboveTerm, 3}, with_log(2));
  EXPECT_FALSE(grants(r, 3, 1, 2));  // the promotion's term: maybe voted in before the wipe
  EXPECT_TRUE(grants(r, 4, 1, 2));
  // At term 2, campaigning would mean term 3: refused; at term 3 it may campaign for term 4.
  Raft low = make_node(1, {VoteGate::Kind::AboveTerm, 3}, with_log(2));
  low.campaign();
  EXPECT_EQ(low.role(), Role::Follower);
  Raft high = make_node(1, {VoteGate::Kind::AboveTerm, 3}, with_log(3));
  high.campaign();
  EXPECT_EQ(high.role(), Role::Candidate);
  EXPECT_EQ(high.term(), 4u);
}

TEST(VoteGate, OpeningTheGateRestoresRaftsRules) {
  Raft r = make_node(1, {VoteGate::Kind::Closed, 0}, with_log(2));
  EXPECT_FALSE(grants(r, 3, 1, 2));
  r.set_vote_gate({});
  EXPECT_TRUE(grants(r, 4, 1, 2));
}

}  // namespace
}  // namespace raft::testing
