// Config::leader_sends_before_persist (raft thesis §10.2.1): the leader's appends may leave before
// its own write, but the leader counts itself toward commit only after advance().
#include <gtest/gtest.h>

#include "raft/raft.h"

namespace raft {
namespace {

Config early_config(NodeId id, std::vector<NodeId> voters) {
  return Config{.id = id,
                .voters = std::move(voters),
                .pre_vote = false,
                .leader_sends_before_persist = true};
}

// Drains and acknowledges everything, as a caller that persists synchronously would.
Ready drain(Raft& r) {
  Ready all;
  while (r.has_ready()) {
    Ready rd = r.ready();
    for (auto& m : rd.messages) all.messages.push_back(m);
    for (auto& m : rd.early_messages) all.early_messages.push_back(m);
    for (auto& e : rd.committed) all.committed.push_back(e);
    r.advance();
  }
  return all;
}

Raft leader_of_two() {
  Raft r(early_config(1, {1, 2}), {});
  r.campaign();
  drain(r);
  r.step(Message{.type = MessageType::VoteResponse, .from = 2, .to = 1, .term = r.term()});
  EXPECT_EQ(r.role(), Role::Leader);
  return r;
}

// Node 2 acknowledges everything leader r has: appends to it are pipelined from then on.
void ack_all(Raft& r) {
  drain(r);
  r.step(Message{.type = MessageType::AppendResponse,
                 .from = 2,
                 .to = 1,
                 .term = r.term(),
                 .index = r.status().last_index});
  drain(r);
}

// A leader whose follower acknowledged its noop: appends to it are pipelined, not probes.
Raft steady_leader_of_two() {
  Raft r = leader_of_two();
  ack_all(r);
  return r;
}

TEST(EarlySend, LeaderAppendsComeAsEarlyMessagesVotesDoNot) {
  Raft r(early_config(1, {1, 2}), {});
  r.campaign();
  Ready rd = r.ready();
  ASSERT_FALSE(rd.messages.empty());
  EXPECT_EQ(rd.messages[0].type, MessageType::Vote);  // needs the persisted vote first
  EXPECT_TRUE(rd.early_messages.empty());
  r.advance();
  r.step(Message{.type = MessageType::VoteResponse, .from = 2, .to = 1, .term = r.term()});
  rd = r.ready();
  ASSERT_FALSE(rd.early_messages.empty());
  EXPECT_EQ(rd.early_messages[0].type, MessageType::Append);
  for (const Message& m : rd.messages) EXPECT_NE(m.type, MessageType::Append);
}

TEST(EarlySend, LeaderDoesNotCountItselfBeforeItsWriteIsDone) {
  Raft r = leader_of_two();
  Ready rd = r.ready();  // the leader's noop: handed out, not yet persisted
  ASSERT_EQ(rd.entries.size(), 1u);
  const Index noop = rd.entries[0].index;
  // The follower has it; the leader has not finished its own write: no majority of two yet.
  r.step(Message{
      .type = MessageType::AppendResponse, .from = 2, .to = 1, .term = r.term(), .index = noop});
  EXPECT_EQ(r.status().commit, 0u);
  r.advance();  // now the leader's copy is durable
  EXPECT_EQ(r.status().commit, noop);
  Ready after = drain(r);
  ASSERT_EQ(after.committed.size(), 1u);
  EXPECT_EQ(after.committed[0].index, noop);
}

TEST(EarlySend, StableCommittedEntriesCanBeTakenWhileTheNextReadyIsPersisted) {
  Raft r = leader_of_two();
  drain(r);  // the leader's noop is on its disk; the follower has not acknowledged it
  const Index noop = r.status().last_index;
  ASSERT_EQ(r.status().commit, 0u);
  r.propose(Bytes{1, 2, 3});
  Ready rd = r.ready();  // the write of the proposal runs
  ASSERT_EQ(rd.entries.size(), 1u);
  const Index proposal = rd.entries[0].index;
  EXPECT_TRUE(r.take_stable_committed().empty());  // nothing committed yet

  // The follower's ack commits the noop, which the leader holds on disk: it may be applied now.
  r.step(Message{
      .type = MessageType::AppendResponse, .from = 2, .to = 1, .term = r.term(), .index = noop});
  EXPECT_EQ(r.status().commit, noop);
  std::vector<Entry> taken = r.take_stable_committed();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].index, noop);
  EXPECT_TRUE(r.take_stable_committed().empty());  // handed out once

  // The proposal is on the follower, not yet on the leader's disk: not committed, not taken.
  r.step(Message{.type = MessageType::AppendResponse,
                 .from = 2,
                 .to = 1,
                 .term = r.term(),
                 .index = proposal});
  EXPECT_TRUE(r.take_stable_committed().empty());
  r.advance();
  Ready after = drain(r);
  ASSERT_EQ(after.committed.size(), 1u);  // the noop does not come again
  EXPECT_EQ(after.committed[0].index, proposal);
}

TEST(EarlySend, ProposalsMadeTogetherLeaveAsOneAppendPerFollower) {
  Raft r = steady_leader_of_two();
  for (std::uint8_t i = 0; i < 5; ++i) r.propose(Bytes{i});
  Ready rd = r.ready();
  EXPECT_EQ(rd.entries.size(), 5u);
  ASSERT_EQ(rd.early_messages.size(), 1u);
  EXPECT_EQ(rd.early_messages[0].type, MessageType::Append);
  EXPECT_EQ(rd.early_messages[0].entries.size(), 5u);
}

TEST(EarlySend, AppendsOfProposalsMadeDuringAWriteCanLeaveBeforeIt) {
  Raft r = steady_leader_of_two();
  r.propose(Bytes{1});
  Ready rd = r.ready();  // the write of the first proposal runs
  ASSERT_EQ(rd.entries.size(), 1u);
  ASSERT_EQ(rd.early_messages.size(), 1u);
  EXPECT_TRUE(r.take_early_messages().empty());  // nothing new yet

  r.propose(Bytes{2});
  r.propose(Bytes{3});
  std::vector<Message> early = r.take_early_messages();
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].type, MessageType::Append);
  ASSERT_EQ(early[0].entries.size(), 2u);
  EXPECT_EQ(early[0].entries[0].index, rd.entries[0].index + 1);
  EXPECT_TRUE(r.take_early_messages().empty());  // they left with the call

  // The follower acks all three; the leader still counts only what it persisted.
  const Index last = early[0].entries.back().index;
  r.step(Message{
      .type = MessageType::AppendResponse, .from = 2, .to = 1, .term = r.term(), .index = last});
  EXPECT_LT(r.status().commit, last);
  r.advance();  // the first proposal is on the leader's disk: it commits
  EXPECT_EQ(r.status().commit, rd.entries[0].index);
  Ready next = r.ready();  // the next write holds both later entries, and no second append
  EXPECT_EQ(next.entries.size(), 2u);
  for (const Message& m : next.early_messages)
    if (m.type == MessageType::Append) EXPECT_TRUE(m.entries.empty()) << "entries sent twice";
  r.advance();
  EXPECT_EQ(r.status().commit, last);
}

TEST(EarlySend, WithoutEarlySendNothingIsTakenEarly) {
  Raft r(Config{.id = 1, .voters = {1, 2}, .pre_vote = false}, {});
  r.campaign();
  drain(r);
  r.step(Message{.type = MessageType::VoteResponse, .from = 2, .to = 1, .term = r.term()});
  ack_all(r);
  r.propose(Bytes{1});
  EXPECT_TRUE(r.take_early_messages().empty());
  Ready rd = r.ready();
  ASSERT_EQ(rd.messages.size(), 1u);  // the append comes with the Ready, as before
  EXPECT_EQ(rd.messages[0].type, MessageType::Append);
}

TEST(EarlySend, NothingIsTakenAheadOfTheOutstandingReadysCommittedEntries) {
  // A follower handed entries 1..2 and a commit of 2 in one Ready: they are applied after its
  // write, and nothing may be taken before them.
  Raft f(early_config(2, {1, 2}), {});
  f.step(Message{
      .type = MessageType::Append,
      .from = 1,
      .to = 2,
      .term = 1,
      .log_term = 0,
      .index = 0,
      .commit = 2,
      .entries = {Entry{.term = 1, .index = 1}, Entry{.term = 1, .index = 2, .data = {7}}}});
  Ready rd = f.ready();
  ASSERT_EQ(rd.entries.size(), 2u);
  ASSERT_EQ(rd.committed.size(), 2u);
  EXPECT_TRUE(f.take_stable_committed().empty());
  f.advance();
  EXPECT_TRUE(f.take_stable_committed().empty());
  EXPECT_FALSE(f.has_ready() && !f.ready().committed.empty());
}

TEST(EarlySend, SingleNodeCommitsOnlyAfterAdvance) {
  Raft r(early_config(1, {1}), {});
  r.campaign();
  Ready rd = r.ready();
  EXPECT_TRUE(rd.committed.empty());
  r.advance();
  Ready next = drain(r);
  EXPECT_EQ(r.status().commit, r.status().last_index);
  EXPECT_FALSE(next.committed.empty());
}

}  // namespace
}  // namespace raft
