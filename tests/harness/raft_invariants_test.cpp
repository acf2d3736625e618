#include "harness/raft_invariants.h"

#include <gtest/gtest.h>

#include "harness/command_log.h"
#include "harness/log_fingerprints.h"

namespace harness {
namespace {

raft::Entry entry(raft::Index index, raft::Term term, CommandId command = 0) {
  return raft::Entry{term, index, raft::EntryKind::Normal,
                     command ? encode_command({command, 1}) : raft::Bytes{}};
}

raft::Status status(raft::NodeId id, raft::Role role, raft::Term term, raft::Index commit,
                    raft::Index snapshot = 0) {
  raft::Status s;
  s.id = id;
  s.role = role;
  s.term = term;
  s.commit = commit;
  s.snapshot_index = snapshot;
  return s;
}

TEST(CommandLog, SnapshotRoundTripsAndEqualHistoriesHaveEqualHashes) {
  CommandLog a, b;
  for (raft::Index i = 1; i <= 5; ++i) a.apply(entry(i, 1, 100 + i)), b.apply(entry(i, 1, 100 + i));
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_TRUE(a.contains(103));
  CommandLog c;
  c.restore(a.snapshot());
  EXPECT_EQ(c.applied(), 5u);
  EXPECT_EQ(c.hash(), a.hash());
  EXPECT_TRUE(c.contains(105));
  CommandLog d;
  for (raft::Index i = 1; i <= 5; ++i) d.apply(entry(i, i == 3 ? 2 : 1, 100 + i));
  EXPECT_NE(d.hash(), a.hash());  // same commands, different term at index 3
  EXPECT_THROW(d.apply(entry(9, 1)), std::logic_error);
  EXPECT_THROW(c.restore(raft::Bytes{1, 2, 3}), std::runtime_error);
}

TEST(LogFingerprints, OverwritingASuffixChangesFingerprintsFromThereOn) {
  LogFingerprints log;
  log.put(entry(1, 1));
  log.put(entry(2, 1));
  const auto at2 = *log.at(2);
  log.put(entry(3, 1));
  log.put(entry(2, 2));  // conflict: drops 3
  EXPECT_EQ(log.last(), 2u);
  EXPECT_NE(*log.at(2), at2);
  EXPECT_FALSE(log.put(entry(5, 2)).has_value());  // gap
  log.compact(2);
  EXPECT_EQ(log.base(), 2u);
  EXPECT_FALSE(log.at(1).has_value());
}

TEST(RaftInvariants, TwoLeadersInOneTermAreAViolation) {
  RaftInvariants checker(3);
  LogFingerprints log;
  checker.observe(1, status(1, raft::Role::Leader, 2, 0), log, 0);
  EXPECT_THROW(checker.observe(2, status(2, raft::Role::Leader, 2, 0), log, 0), InvariantViolation);
}

TEST(RaftInvariants, TermOrCommitGoingBackIsAViolation) {
  RaftInvariants checker(3);
  LogFingerprints log;
  checker.observe(1, status(1, raft::Role::Follower, 3, 0), log, 0);
  EXPECT_THROW(checker.observe(1, status(1, raft::Role::Follower, 2, 0), log, 0),
               InvariantViolation);
  RaftInvariants checker2(3);
  checker2.on_persisted_hard_state(1, raft::HardState{3, 1, 5});
  EXPECT_THROW(checker2.on_restart(1, raft::HardState{3, 1, 4}), InvariantViolation);
}

TEST(RaftInvariants, SnapshotBeyondCommitIsAViolation) {
  RaftInvariants checker(3);
  LogFingerprints log;
  EXPECT_THROW(checker.observe(1, status(1, raft::Role::Follower, 1, 3, 4), log, 0),
               InvariantViolation);
}

TEST(RaftInvariants, DoubleVoteIsAViolation) {
  RaftInvariants checker(3);
  checker.on_vote_granted(1, 4, 2);
  checker.on_vote_granted(1, 4, 2);  // the same vote again is fine (retransmission)
  EXPECT_THROW(checker.on_vote_granted(1, 4, 3), InvariantViolation);
}

TEST(RaftInvariants, LogMatchingCatchesSameIndexAndTermWithDifferentPrefixes) {
  RaftInvariants checker(3);
  LogFingerprints a, b;
  a.put(entry(1, 1, 7));
  b.put(entry(1, 1, 8));  // a different entry with the same index and term
  checker.on_persisted_entry(1, entry(1, 1, 7), *a.at(1));
  EXPECT_THROW(checker.on_persisted_entry(2, entry(1, 1, 8), *b.at(1)), InvariantViolation);
}

TEST(RaftInvariants, AppliedHistoriesMustAgree) {
  RaftInvariants checker(3);
  CommandLog a, b;
  a.apply(entry(1, 1, 7));
  b.apply(entry(1, 1, 8));
  checker.on_applied(1, 1, a.hash());
  EXPECT_THROW(checker.on_applied(2, 1, b.hash()), InvariantViolation);
}

TEST(RaftInvariants, ALeaderMissingACommittedEntryIsAViolation) {
  RaftInvariants checker(3);
  LogFingerprints full, empty;
  full.put(entry(1, 1, 7));
  checker.observe(1, status(1, raft::Role::Leader, 1, 1), full, 0);  // commits index 1 in term 1
  EXPECT_THROW(checker.observe(2, status(2, raft::Role::Leader, 2, 0), empty, 0),
               InvariantViolation);
}

TEST(RaftInvariants, StableLeaderRequirementCatchesATermChange) {
  RaftInvariants checker(3);
  checker.require_stable_leader(100);
  LogFingerprints log;
  checker.observe(1, status(1, raft::Role::Leader, 1, 0), log, 50);  // before the window
  checker.observe(1, status(1, raft::Role::Leader, 1, 0), log, 150);
  EXPECT_THROW(checker.observe(2, status(2, raft::Role::Follower, 2, 0), log, 200),
               InvariantViolation);
}

}  // namespace
}  // namespace harness
