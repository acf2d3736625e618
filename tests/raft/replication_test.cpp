// Raft paper §5.3 (log replication) and §5.4 (safety), one test per claim.

#include "tests/raft/test_cluster.h"

namespace raft::testing {
namespace {

Config paper(Config c) {
  return no_pre_vote(c);
}

std::vector<Entry> log_with_terms(std::vector<Term> terms) {
  std::vector<Entry> out;
  for (size_t i = 0; i < terms.size(); ++i) {
    out.push_back(
        Entry{.term = terms[i], .index = i + 1, .data = bytes_of("e" + std::to_string(i + 1))});
  }
  return out;
}

TEST(Replication, LeaderAppendsReplicatesAndEveryoneApplies) {
  TestCluster c(3, [](Config& cfg) { cfg = paper(cfg); });
  ASSERT_TRUE(c.elect(1));
  auto res = c[1].propose(bytes_of("a"));
  ASSERT_EQ(res.kind, ProposeResult::Appended);
  EXPECT_EQ(res.term, 1u);
  EXPECT_EQ(res.index, 2u);  // index 1 is the leader's Noop
  c[1].propose(bytes_of("b"));
  c.settle();
  c.tick(1);  // a heartbeat carries the final commit index to the followers
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.applied_strings(id), (std::vector<std::string>{"a", "b"})) << "node " << id;
    EXPECT_EQ(c[id].status().commit, 3u);
  }
}

TEST(Replication, LeaderCommitsOnMajorityWithAFollowerDown) {
  TestCluster c(3, [](Config& cfg) { cfg = paper(cfg); });
  ASSERT_TRUE(c.elect(1));
  c.crash(3);
  c[1].propose(bytes_of("a"));
  c.settle();
  EXPECT_EQ(c[1].status().commit, 2u);
  EXPECT_EQ(c.applied_strings(1), std::vector<std::string>{"a"});
}

TEST(Replication, NoCommitWithoutMajority) {
  TestCluster c(3, [](Config& cfg) { cfg = paper(cfg); });
  ASSERT_TRUE(c.elect(1));
  c.settle();
  Index before = c[1].status().commit;
  c.isolate(1);
  c[1].propose(bytes_of("lonely"));
  c.tick(1, 5);
  EXPECT_EQ(c[1].status().commit, before);
  EXPECT_TRUE(c.applied_strings(1).empty());
}

TEST(Replication, DeliberateBugCommitsWithoutMajority) {
  TestCluster c(3, [](Config& cfg) {
    cfg = paper(cfg);
    cfg.bugs.commit_without_majority = true;
  });
  ASSERT_TRUE(c.elect(1));
  c.isolate(1);
  c[1].propose(bytes_of("lonely"));
  c.settle();
  EXPECT_EQ(c.applied_strings(1), std::vector<std::string>{"lonely"});
}

TEST(Replication, FollowerWithMissingEntriesCatchesUp) {
  TestCluster c(3, [](Config& cfg) { cfg = paper(cfg); });
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  for (int i = 0; i < 20; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  EXPECT_TRUE(c.applied_strings(3).empty());
  c.heal();
  c.tick(1, 3);
  EXPECT_EQ(c.applied_strings(3), c.applied_strings(1));
  EXPECT_EQ(c.applied_strings(3).size(), 20u);
}

TEST(Replication, FollowerRejectsAppendWhosePreviousEntryDoesNotMatch) {
  Raft r(paper(Config{.id = 1, .voters = {1, 2, 3}}),
         Restored{.hard_state = {.term = 2}, .entries = log_with_terms({1, 2})});
  r.step(Message{.type = MessageType::Append,
                 .from = 2,
                 .to = 1,
                 .term = 3,
                 .log_term = 3,
                 .index = 2,
                 .entries = {Entry{.term = 3, .index = 3}}});
  auto ms = take_messages(r);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].type, MessageType::AppendResponse);
  EXPECT_TRUE(ms[0].reject);
  EXPECT_EQ(ms[0].index, 2u);
  EXPECT_EQ(r.status().last_index, 2u);
}

TEST(Replication, FollowerOverwritesConflictingSuffix) {
  Raft r(paper(Config{.id = 1, .voters = {1, 2, 3}}),
         Restored{.hard_state = {.term = 2}, .entries = log_with_terms({1, 2, 2, 2})});
  // The leader of term 3 has entries (1,t1) (2,t3): our entries 2..4 of term 2 never committed.
  r.step(Message{.type = MessageType::Append,
                 .from = 2,
                 .to = 1,
                 .term = 3,
                 .log_term = 1,
                 .index = 1,
                 .entries = {Entry{.term = 3, .index = 2, .data = bytes_of("new")}}});
  auto ms = take_messages(r);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_FALSE(ms[0].reject);
  EXPECT_EQ(ms[0].index, 2u);
  EXPECT_EQ(r.status().last_index, 2u);
  EXPECT_EQ(r.term_at(2), 3u);
}

TEST(Replication, DuplicateAppendDoesNotTruncate) {
  Raft r(paper(Config{.id = 1, .voters = {1, 2, 3}}),
         Restored{.hard_state = {.term = 1}, .entries = log_with_terms({1, 1, 1})});
  // A delayed copy of an older append for entry 2 must not cut entry 3.
  r.step(Message{.type = MessageType::Append,
                 .from = 2,
                 .to = 1,
                 .term = 1,
                 .log_term = 1,
                 .index = 1,
                 .entries = {log_with_terms({1, 1})[1]}});
  EXPECT_EQ(r.status().last_index, 3u);
}

TEST(Replication, LogsConvergeAfterDivergence) {
  // Figure 7 style: followers with missing, extra and conflicting entries all end up equal.
  TestCluster c(3, [](Config& cfg) { cfg = paper(cfg); });
  c.storage(1) =
      MemoryStorage{.hard_state = {.term = 3}, .entries = log_with_terms({1, 1, 2, 3, 3})};
  c.storage(2) =
      MemoryStorage{.hard_state = {.term = 2}, .entries = log_with_terms({1, 1, 2, 2, 2, 2, 2})};
  c.storage(3) = MemoryStorage{.hard_state = {.term = 1}, .entries = log_with_terms({1})};
  for (NodeId id : c.ids()) c.restart(id);
  ASSERT_TRUE(c.elect(1));
  c[1].propose(bytes_of("x"));
  c.settle();
  c.tick(1, 3);
  for (NodeId id : {2, 3}) {
    EXPECT_EQ(c[id].log_entries(), c[1].log_entries()) << "node " << id;
  }
  EXPECT_EQ(c[1].status().commit, c[1].status().last_index);
}

TEST(Replication, FastBacktrackingSkipsWholeTerms) {
  // Follower 2 has 50 conflicting entries of term 2; the leader should not probe them one by one.
  TestCluster c(3, [](Config& cfg) { cfg = paper(cfg); });
  std::vector<Term> leader_terms(10, 1), follower_terms(10, 1);
  leader_terms.push_back(3);
  follower_terms.insert(follower_terms.end(), 50, 2);
  c.storage(1) = MemoryStorage{.hard_state = {.term = 3}, .entries = log_with_terms(leader_terms)};
  c.storage(2) =
      MemoryStorage{.hard_state = {.term = 2}, .entries = log_with_terms(follower_terms)};
  c.storage(3) = MemoryStorage{.hard_state = {.term = 3}, .entries = log_with_terms(leader_terms)};
  for (NodeId id : c.ids()) c.restart(id);
  ASSERT_TRUE(c.elect(1));
  c.settle();
  int rejections = 0;
  for (const Message& m : c.delivered) {
    rejections += m.type == MessageType::AppendResponse && m.from == 2 && m.reject;
  }
  EXPECT_LE(rejections, 3);
  EXPECT_EQ(c[2].log_entries(), c[1].log_entries());
}

TEST(Replication, PipelinesUpToMaxInflightAppends) {
  TestCluster c(3, [](Config& cfg) {
    cfg = paper(cfg);
    cfg.max_inflight_appends = 4;
  });
  ASSERT_TRUE(c.elect(1));
  c.cut(2, 1);  // acks from 2 are lost, so its window fills up
  c.cut(3, 1);
  c.delivered.clear();
  // One at a time: proposals made together go out as one append per follower.
  for (int i = 0; i < 10; ++i) {
    c[1].propose(bytes_of(std::to_string(i)));
    c.settle();
  }
  int appends_to_2 = 0;
  for (const Message& m : c.delivered) appends_to_2 += m.type == MessageType::Append && m.to == 2;
  EXPECT_EQ(appends_to_2, 4);
  EXPECT_EQ(c[1].progress(2)->inflight_count(), 4u);
}

TEST(Replication, BatchesRespectMaxAppendBytes) {
  TestCluster c(2, [](Config& cfg) {
    cfg = paper(cfg);
    cfg.max_append_bytes = 100;
  });
  ASSERT_TRUE(c.elect(1));
  c.isolate(2);
  for (int i = 0; i < 10; ++i) c[1].propose(Bytes(40, 'x'));
  c.settle();
  c.heal();
  c.delivered.clear();
  c.tick(1, 2);
  for (const Message& m : c.delivered) {
    if (m.type != MessageType::Append) continue;
    size_t bytes = 0;
    for (const Entry& e : m.entries) bytes += e.data.size();
    EXPECT_LE(bytes, 100u);
  }
  EXPECT_EQ(c.applied_strings(2).size(), 10u);
}

TEST(Replication, LostAppendsAreRetransmitted) {
  TestCluster c(3, [](Config& cfg) { cfg = paper(cfg); });
  ASSERT_TRUE(c.elect(1));
  int dropped = 0;
  c.drop = [&](const Message& m) {
    if (m.type == MessageType::Append && m.to == 3 && !m.entries.empty() && dropped < 3) {
      ++dropped;
      return true;
    }
    return false;
  };
  for (int i = 0; i < 3; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  c.tick(1, 4);
  EXPECT_EQ(dropped, 3);
  EXPECT_EQ(c.applied_strings(3), c.applied_strings(1));
  EXPECT_EQ(c.applied_strings(3).size(), 3u);
}

// ---- §5.4 safety ------------------------------------------------------------------------------

TEST(Safety, VotesOnlyForCandidatesWithUpToDateLogs) {
  auto vote = [](Term last_term, Index last_index) {
    Raft r(paper(Config{.id = 1, .voters = {1, 2, 3}}),
           Restored{.hard_state = {.term = 2}, .entries = log_with_terms({1, 2, 2})});
    r.step(Message{.type = MessageType::Vote,
                   .from = 2,
                   .to = 1,
                   .term = 3,
                   .log_term = last_term,
                   .index = last_index});
    auto ms = take_messages(r);
    return ms.size() == 1 && !ms[0].reject;
  };
  EXPECT_FALSE(vote(1, 10));  // older last term loses whatever its length
  EXPECT_FALSE(vote(2, 2));   // same last term, shorter
  EXPECT_TRUE(vote(2, 3));    // same last term, same length
  EXPECT_TRUE(vote(2, 4));
  EXPECT_TRUE(vote(3, 1));  // newer last term wins whatever its length
}

TEST(Safety, NeverCommitsEntryOfPreviousTermByCountingReplicas) {
  // Figure 8: a leader of term 3 holding an uncommitted entry of term 2 must not commit it just
  // because a majority has it; only its own Noop of term 3 commits it, indirectly.
  Raft r(paper(Config{.id = 1, .voters = {1, 2, 3}}),
         Restored{.hard_state = {.term = 2}, .entries = log_with_terms({1, 2})});
  r.campaign();
  r.step(Message{.type = MessageType::VoteResponse, .from = 2, .to = 1, .term = 3});
  ASSERT_EQ(r.role(), Role::Leader);
  ASSERT_EQ(r.status().last_index, 3u);  // the Noop
  take_messages(r);
  r.step(Message{.type = MessageType::AppendResponse, .from = 2, .to = 1, .term = 3, .index = 2});
  EXPECT_EQ(r.status().commit, 0u);
  r.step(Message{.type = MessageType::AppendResponse, .from = 2, .to = 1, .term = 3, .index = 3});
  EXPECT_EQ(r.status().commit, 3u);
}

TEST(Safety, NodeMissingCommittedEntryCannotBecomeLeader) {
  TestCluster c(3, [](Config& cfg) { cfg = paper(cfg); });
  ASSERT_TRUE(c.elect(1));
  c.isolate(3);
  c[1].propose(bytes_of("committed"));
  c.settle();
  ASSERT_EQ(c.applied_strings(1), std::vector<std::string>{"committed"});
  c.heal();
  c.isolate(1);
  EXPECT_FALSE(c.elect(3));  // node 2 refuses: its log has the committed entry, 3's does not
  ASSERT_TRUE(c.elect(2));
  c[2].propose(bytes_of("after"));
  c.settle();
  c.tick(2, 2);
  EXPECT_EQ(c.applied_strings(2), (std::vector<std::string>{"committed", "after"}));
  EXPECT_EQ(c.applied_strings(3), (std::vector<std::string>{"committed", "after"}));
}

TEST(Safety, NewLeaderHasAllCommittedEntries) {
  TestCluster c(5, [](Config& cfg) { cfg = paper(cfg); });
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 5; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  Index commit = c[1].status().commit;
  c.crash(1);
  for (NodeId id : {2, 3, 4, 5}) {
    if (c.elect(id)) {
      EXPECT_GE(c[id].status().last_index, commit);
      for (Index i = 1; i <= commit; ++i) EXPECT_TRUE(c[id].term_at(i).has_value());
      return;
    }
  }
  FAIL() << "no leader after the old one crashed";
}

TEST(Safety, AppliedEntriesAreIdenticalEverywhere) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 5; ++i) c[1].propose(bytes_of("a" + std::to_string(i)));
  c.settle();
  c.isolate(1);
  c.tick_all(40);  // 2 or 3 takes over
  NodeId leader = c[2].role() == Role::Leader ? 2 : 3;
  ASSERT_EQ(c[leader].role(), Role::Leader);
  c[1].propose(bytes_of("lost"));  // the deposed leader's entry will be overwritten
  for (int i = 0; i < 5; ++i) c[leader].propose(bytes_of("b" + std::to_string(i)));
  c.heal();
  c.tick_all(10);
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.applied(id), c.applied(leader)) << "node " << id;
  }
  EXPECT_EQ(c.applied_strings(1).size(), 10u);
}

}  // namespace
}  // namespace raft::testing

namespace raft::testing {
namespace {

// A follower whose disk was wiped comes back in the same leader's term with an empty log. Its
// rejections are not stale: the leader must forget the match it acknowledged and send it the
// log again (it would otherwise probe right behind the old match for ever).
TEST(Replication, AFollowerThatLostItsLogIsSentItAgainBySameTermLeader) {
  TestCluster c(3, [](Config& cfg) { cfg = paper(cfg); });
  ASSERT_TRUE(c.elect(1));
  for (int i = 0; i < 10; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  ASSERT_EQ(c.applied_strings(3).size(), 10u);
  const Term term = c[1].term();
  c.crash(3);
  c.storage(3) = MemoryStorage{};
  c.start(3);
  c[1].propose(bytes_of("after the wipe"));
  c.settle();
  c.tick(1, 3);
  EXPECT_EQ(c[1].term(), term);
  EXPECT_EQ(c.applied_strings(3), c.applied_strings(1));
  EXPECT_EQ(c.applied_strings(3).size(), 11u);
}

}  // namespace
}  // namespace raft::testing
