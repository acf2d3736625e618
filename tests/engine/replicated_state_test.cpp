// Raft's state machine R: pending by index, acks per node, dropping at min(acked).
#include "engine/replicated_state.h"

#include <gtest/gtest.h>

#include "dns/zone_parser.h"
#include "engine/entry_chain.h"

namespace engine {
namespace {

raft::Entry entry(raft::Index index, const Command& command) {
  return {1, index, raft::EntryKind::Normal, encode_command(command)};
}

ChangeBatch batch(NodeId origin, std::uint64_t request) {
  auto records = dns::parse_master_file("x.test. 60 IN A 192.0.2.1\n", "t", {}).records;
  return {origin, request, {{dns::Change::Add, records[0]}}};
}

TEST(ReplicatedState, BatchesStayPendingUntilEveryMemberAcked) {
  ReplicatedState r({1, 2, 3});
  EXPECT_EQ(r.apply(entry(1, batch(1, 10))).kind, ApplyOutcome::Batch);
  EXPECT_EQ(r.apply(entry(2, batch(2, 11))).kind, ApplyOutcome::Batch);
  EXPECT_EQ(r.apply(entry(3, Ack{1, 2})).dropped_through, 0u);
  EXPECT_EQ(r.apply(entry(4, Ack{2, 2})).dropped_through, 0u);
  EXPECT_EQ(r.pending().size(), 2u);
  const ApplyOutcome last = r.apply(entry(5, Ack{3, 1}));
  EXPECT_EQ(last.dropped_through, 1u);
  ASSERT_EQ(r.pending().size(), 1u);
  EXPECT_EQ(r.pending().begin()->first, 2u);
  EXPECT_EQ(r.min_acked(), 1u);
}

TEST(ReplicatedState, AcksNeverGoBackwards) {
  ReplicatedState r({1, 2});
  r.apply(entry(1, batch(1, 1)));
  r.apply(entry(2, batch(1, 2)));
  r.apply(entry(3, Ack{1, 2}));
  r.apply(entry(4, Ack{1, 1}));
  EXPECT_EQ(r.acked(1), 2u);
}

TEST(ReplicatedState, BrokenMajorityVariantDropsTooEarly) {
  ReplicatedState r({1, 2, 3});
  r.set_drop_on_majority(true);
  r.apply(entry(1, batch(1, 1)));
  r.apply(entry(2, Ack{1, 1}));
  EXPECT_EQ(r.apply(entry(3, Ack{2, 1})).dropped_through, 1u);  // node 3 never acked
}

TEST(ReplicatedState, ReproposedDuplicateIsSkipped) {
  ReplicatedState r({1, 2});
  EXPECT_EQ(r.apply(entry(1, batch(1, 7))).kind, ApplyOutcome::Batch);
  EXPECT_EQ(r.apply(entry(2, batch(1, 7))).kind, ApplyOutcome::DuplicateBatch);
  EXPECT_EQ(r.apply(entry(3, batch(2, 7))).kind, ApplyOutcome::Batch);  // other origin
  EXPECT_EQ(r.pending().size(), 2u);
}

TEST(ReplicatedState, InvalidCommandsAreIgnoredNotFatal) {
  ReplicatedState r({1, 2});
  raft::Entry garbage{1, 1, raft::EntryKind::Normal, {9, 9, 9}};
  EXPECT_EQ(r.apply(garbage).kind, ApplyOutcome::Invalid);
  EXPECT_EQ(r.apply(entry(2, Ack{7, 1})).kind, ApplyOutcome::Invalid);  // not a member
  EXPECT_EQ(r.apply(entry(3, Ack{1, 3})).kind, ApplyOutcome::Invalid);  // not yet committed
  EXPECT_EQ(r.acked(1), 0u);
  EXPECT_EQ(r.applied(), 3u);
}

TEST(ReplicatedState, SnapshotRoundTripsEverything) {
  ReplicatedState r({1, 2, 3});
  r.apply(entry(1, batch(1, 1)));
  r.apply(entry(2, Ack{2, 1}));
  r.apply(entry(3, batch(3, 5)));
  ReplicatedState copy({1, 2, 3});
  copy.restore(r.snapshot(), 3);
  EXPECT_EQ(copy.snapshot(), r.snapshot());
  EXPECT_EQ(copy.hash(), r.hash());
  EXPECT_EQ(copy.pending().size(), 2u);
  EXPECT_EQ(copy.acked(2), 1u);
  // The duplicate memory survives the snapshot too.
  EXPECT_EQ(copy.apply(entry(4, batch(3, 5))).kind, ApplyOutcome::DuplicateBatch);
}

TEST(ReplicatedState, MalformedSnapshotThrowsDecodeError) {
  ReplicatedState r({1, 2});
  r.apply(entry(1, batch(1, 1)));
  Bytes snap = r.snapshot();
  ReplicatedState copy({1, 2});
  EXPECT_THROW(copy.restore(snap, 2), raft::DecodeError);  // wrong index
  snap.resize(snap.size() - 3);
  EXPECT_THROW(copy.restore(snap, 1), raft::DecodeError);
}

TEST(ReplicatedState, SectionsRoundTripAndOnlyTheyChangeTheFormat) {
  // (PendingUpdates is R's own section, filled from its pending UPDATEs: node_update_test.)
  ReplicatedState r({1, 2});
  r.apply(entry(1, batch(1, 1)));
  const Bytes plain = r.snapshot();
  EXPECT_EQ(plain[0], 1u);  // no section: the base layout, byte for byte as before
  IdentityState identity;
  identity.cluster_id = 78;
  r.set_section(StateSection::ClusterIdentity, encode_identity_state(identity));
  MemberSet members;
  members.membership = *raft::make_membership({1, 2}, {});
  r.set_section(StateSection::Membership, encode_member_set(members));
  const Bytes with = r.snapshot();
  EXPECT_EQ(with[0], 2u);
  ReplicatedState copy({1, 2});
  copy.restore(with, 1);
  EXPECT_EQ(copy.snapshot(), with);
  ASSERT_EQ(copy.sections().size(), 2u);
  EXPECT_EQ(copy.identity(), identity);
  copy.restore(plain, 1);  // a restore replaces the sections too
  EXPECT_TRUE(copy.sections().empty());
  r.clear_section(StateSection::ClusterIdentity);
  r.clear_section(StateSection::Membership);
  EXPECT_EQ(r.snapshot(), plain);
}

TEST(ReplicatedState, MalformedSectionsAreRefused) {
  ReplicatedState r({1, 2});
  r.set_section(StateSection::Membership, {1});
  Bytes snap = r.snapshot();
  // The section list is: u32 count, u8 tag, u32 length, payload (1 byte): the tag sits 6 bytes
  // from the end.
  ReplicatedState copy({1, 2});
  Bytes unknown = snap;
  unknown[unknown.size() - 6] = 9;
  EXPECT_THROW(copy.restore(unknown, 0), raft::DecodeError);
  Bytes empty_list = r.snapshot();
  empty_list.resize(empty_list.size() - 10);
  for (int i = 0; i < 4; ++i) empty_list.push_back(0);
  EXPECT_THROW(copy.restore(empty_list, 0), raft::DecodeError);
  Bytes cut = snap;
  cut.pop_back();
  EXPECT_THROW(copy.restore(cut, 0), raft::DecodeError);
}

TEST(ReplicatedState, HashChainsEveryEntry) {
  ReplicatedState a({1}), b({1});
  a.apply(entry(1, batch(1, 1)));
  b.apply(entry(1, batch(1, 2)));
  EXPECT_NE(a.hash(), b.hash());
  const raft::Entry e = entry(1, batch(1, 1));
  EXPECT_EQ(a.hash(), chain_hash(kEmptyChain, e));
}

TEST(Command, RoundTripsAndRejectsGarbage) {
  const Bytes bytes = encode_command(batch(4, 99));
  const auto decoded = std::get<ChangeBatch>(decode_command(bytes));
  EXPECT_EQ(decoded.origin, 4u);
  EXPECT_EQ(decoded.request_id, 99u);
  EXPECT_EQ(decoded.changes.size(), 1u);
  EXPECT_EQ(std::get<Ack>(decode_command(encode_command(Ack{3, 8}))), (Ack{3, 8}));
  for (std::size_t cut = 0; cut < bytes.size(); ++cut)
    EXPECT_THROW(decode_command(ByteView(bytes).first(cut)), raft::DecodeError) << cut;
  Bytes bad = bytes;
  bad[0] = 7;
  EXPECT_THROW(decode_command(bad), raft::DecodeError);
}

}  // namespace
}  // namespace engine
