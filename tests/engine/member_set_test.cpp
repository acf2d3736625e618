// R's member set: ConfChange entries change who must ack before pending drops, and the member
// set travels in R's snapshot section (only once it differs from the bootstrap).
#include "engine/member_set.h"

#include <gtest/gtest.h>

#include "dns/zone_parser.h"
#include "engine/replicated_state.h"
#include "raft/codec.h"

namespace engine {
namespace {

using Kind = raft::ConfChange::Kind;

raft::Entry entry(raft::Index index, const Command& command) {
  return {1, index, raft::EntryKind::Normal, encode_command(command)};
}

raft::Entry conf(raft::Index index, Kind kind, NodeId node, Bytes context = {}) {
  return {1, index, raft::EntryKind::ConfChange,
          raft::encode_conf_change({kind, node, std::move(context)})};
}

ChangeBatch batch(NodeId origin, std::uint64_t request) {
  auto records = dns::parse_master_file("x.test. 60 IN A 192.0.2.1\n", "t", {}).records;
  return {origin, request, {{dns::Change::Add, records[0]}}};
}

TEST(MemberSet, RemovingAMemberDropsItsAckAndWhatOnlyItHeldBack) {
  ReplicatedState r({1, 2, 3});
  r.apply(entry(1, batch(1, 1)));
  r.apply(entry(2, Ack{1, 1}));
  r.apply(entry(3, Ack{2, 1}));
  EXPECT_EQ(r.pending().size(), 1u);  // node 3 has not acked
  const ApplyOutcome out = r.apply(conf(4, Kind::RemoveNode, 3));
  EXPECT_EQ(out.kind, ApplyOutcome::MemberChange);
  EXPECT_EQ(out.dropped_through, 1u);
  EXPECT_TRUE(r.pending().empty());
  EXPECT_FALSE(r.acked().contains(3));
  EXPECT_EQ(r.members().membership.voters, (std::vector<NodeId>{1, 2}));
  // Its acks are no longer taken.
  EXPECT_EQ(r.apply(entry(5, Ack{3, 4})).kind, ApplyOutcome::Invalid);
}

TEST(MemberSet, AnAddedLearnerStartsWherePendingWasDroppedAndHoldsBackWhatFollows) {
  ReplicatedState r({1, 2});
  r.apply(entry(1, batch(1, 1)));
  r.apply(entry(2, Ack{1, 1}));
  r.apply(entry(3, Ack{2, 1}));
  r.apply(entry(4, batch(1, 2)));
  ASSERT_EQ(r.min_acked(), 1u);
  EXPECT_EQ(r.apply(conf(5, Kind::AddLearner, 7, {'a'})).kind, ApplyOutcome::MemberChange);
  EXPECT_EQ(r.acked(7), 1u);  // needs only what is still pending
  EXPECT_EQ(r.members().added_at.at(7), 5u);
  EXPECT_EQ(r.members().context.at(7), Bytes{'a'});
  r.apply(entry(6, Ack{1, 4}));
  r.apply(entry(7, Ack{2, 4}));
  EXPECT_EQ(r.pending().size(), 1u);  // the learner holds batch 4 back
  EXPECT_EQ(r.apply(entry(8, Ack{7, 7})).dropped_through, 4u);
  EXPECT_TRUE(r.pending().empty());
  EXPECT_EQ(r.apply(conf(9, Kind::PromoteLearner, 7)).kind, ApplyOutcome::MemberChange);
  EXPECT_EQ(r.members().membership.voters, (std::vector<NodeId>{1, 2, 7}));
}

TEST(MemberSet, AnInvalidChangeIsSkippedLikeRaftSkipsIt) {
  ReplicatedState r({1, 2});
  const ApplyOutcome out = r.apply(conf(1, Kind::AddLearner, 2));
  EXPECT_EQ(out.kind, ApplyOutcome::Invalid);
  EXPECT_NE(out.error.find("add-learner 2"), std::string::npos) << out.error;
  EXPECT_FALSE(r.sections().contains(StateSection::Membership));
  raft::Entry garbage{1, 2, raft::EntryKind::ConfChange, {9, 9}};
  EXPECT_EQ(r.apply(garbage).kind, ApplyOutcome::Invalid);
  EXPECT_EQ(r.members().membership.voters, (std::vector<NodeId>{1, 2}));
}

TEST(MemberSet, TheSectionIsWrittenOnlyOnceMembershipChanged) {
  ReplicatedState r({1, 2, 3});
  r.apply(entry(1, batch(1, 1)));
  EXPECT_EQ(r.snapshot().front(), 1);  // format 1: as before membership existed
  r.apply(conf(2, Kind::AddLearner, 4, {'x', 'y'}));
  const Bytes snap = r.snapshot();
  EXPECT_EQ(snap.front(), 2);
  // A node that knows nothing of the bootstrap takes the members from the snapshot.
  ReplicatedState joiner({99});
  joiner.restore(snap, 2);
  EXPECT_EQ(joiner.members(), r.members());
  EXPECT_EQ(joiner.acked(), r.acked());
  EXPECT_EQ(joiner.hash(), r.hash());
}

TEST(MemberSet, ASnapshotWithoutTheSectionTakesItsMembersFromTheAcks) {
  ReplicatedState r({1, 2, 3});
  r.apply(entry(1, Ack{2, 0}));
  ReplicatedState joiner({99});
  joiner.restore(r.snapshot(), 1);
  EXPECT_EQ(joiner.members().membership.voters, (std::vector<NodeId>{1, 2, 3}));
  EXPECT_EQ(joiner.acked(), r.acked());
}

TEST(MemberSet, EncodingRoundTripsAndBadPayloadsAreRefused) {
  MemberSet set;
  set.membership = *raft::make_membership({1, 2}, {5});
  set.added_at = {{5, 17}};
  set.context = {{5, Bytes{'1', '2'}}};
  const Bytes bytes = encode_member_set(set);
  EXPECT_EQ(decode_member_set(bytes), set);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut)
    EXPECT_THROW(decode_member_set(ByteView(bytes.data(), cut)), raft::DecodeError) << cut;
  Bytes bad_format = bytes;
  bad_format[0] = 9;
  EXPECT_THROW(decode_member_set(bad_format), raft::DecodeError);
  MemberSet stranger = set;
  stranger.added_at = {{8, 1}};  // added_at for a node that is not a member
  EXPECT_THROW(decode_member_set(encode_member_set(stranger)), raft::DecodeError);
  MemberSet overlap = set;
  overlap.membership.learners = {1};
  EXPECT_THROW(decode_member_set(encode_member_set(overlap)), raft::DecodeError);
}

}  // namespace
}  // namespace engine
