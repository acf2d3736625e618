// max_pending_bytes (issue 11 item 4): over the bound R stops holding changes for the member
// furthest behind, identically on every replica; that member copies a peer's datastore when it
// returns and its acks count again; the decision survives snapshots and restarts.
#include "engine/pending_bound.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "engine/replicated_state.h"
#include "engine/status_text.h"
#include "tests/engine/fake_cluster.h"
#include "tests/engine/node_test_support.h"

namespace engine {
namespace {

using namespace std::chrono_literals;
using testing::FakeCluster;
using testing::has;
using testing::record;

raft::Entry entry(raft::Index index, const Command& command) {
  return {1, index, raft::EntryKind::Normal, encode_command(command)};
}

ChangeBatch batch(NodeId origin, std::uint64_t request) {
  const dns::Record r = record(fmt::format("h{}.test. 60 IN A 192.0.2.1", request));
  return {origin, request, {{dns::Change::Add, r}}};
}

// Feeds every replica the same committed entries, one index after the other.
struct Replicas {
  std::vector<ReplicatedState> r;
  raft::Index next = 1;
  explicit Replicas(std::size_t n) : r(n, ReplicatedState({1, 2, 3})) {}
  ApplyOutcome apply(const Command& command) {
    ApplyOutcome first;
    for (std::size_t i = 0; i < r.size(); ++i) {
      ApplyOutcome o = r[i].apply(entry(next, command));
      if (i == 0) first = o;
    }
    ++next;
    return first;
  }
};

TEST(PendingBound, OverTheBoundTheMemberFurthestBehindIsDroppedIdenticallyOnEveryReplica) {
  Replicas replicas(3);
  replicas.apply(SetPendingBound{kMinPendingBound});
  std::vector<NodeId> dropped;
  for (std::uint64_t i = 1; i <= 200; ++i) {
    const ApplyOutcome o = replicas.apply(batch(1 + i % 3, i));
    dropped.insert(dropped.end(), o.new_laggards.begin(), o.new_laggards.end());
    // Nodes 1 and 2 copy every batch at once; node 3 is down and never acks.
    replicas.apply(Ack{1, replicas.next - 1});
    replicas.apply(Ack{2, replicas.next - 2});
    for (const ReplicatedState& r : replicas.r)
      ASSERT_LE(r.pending_bytes(), kMinPendingBound) << "after batch " << i;
  }
  EXPECT_EQ(dropped, std::vector<NodeId>{3});
  const ReplicatedState& first = replicas.r[0];
  EXPECT_TRUE(first.needs_transfer(3));
  EXPECT_FALSE(first.needs_transfer(1));
  EXPECT_GT(first.dropped_through(), 0u);
  for (const ReplicatedState& r : replicas.r) {
    EXPECT_EQ(r.snapshot(), first.snapshot());
    EXPECT_EQ(r.hash(), first.hash());
  }
  // Without node 3, pending follows the slower of 1 and 2: everything they copied has gone.
  EXPECT_EQ(first.min_acked(), std::min(first.acked(1), first.acked(2)));
  EXPECT_EQ(first.acked(3), 0u);  // kept, for STATUS, but no longer holding anything
}

TEST(PendingBound, UnderTheBoundNothingChanges) {
  Replicas replicas(1);
  for (std::uint64_t i = 1; i <= 50; ++i) replicas.apply(batch(1, i));  // default: 64 MiB
  EXPECT_TRUE(replicas.r[0].pending_bound().laggards.empty());
  EXPECT_EQ(replicas.r[0].pending().size(), 50u);
  EXPECT_TRUE(replicas.r[0].pending_bound().is_default());
}

TEST(PendingBound, ALaggardCountsAgainOnceItAcksPastWhatWasDropped) {
  Replicas replicas(2);
  replicas.apply(SetPendingBound{kMinPendingBound});
  for (std::uint64_t i = 1; i <= 100; ++i) {
    replicas.apply(batch(1, i));
    replicas.apply(Ack{1, replicas.next - 1});
    replicas.apply(Ack{2, replicas.next - 2});
  }
  ReplicatedState& r = replicas.r[0];
  ASSERT_TRUE(r.needs_transfer(3));
  const raft::Index dropped = r.dropped_through();
  ASSERT_GT(dropped, 1u);
  // An ack below what was dropped (an old checkpoint) changes nothing.
  EXPECT_EQ(replicas.apply(Ack{3, dropped - 1}).caught_up, raft::kNoNode);
  EXPECT_TRUE(r.needs_transfer(3));
  // After its transfer it acks at least what was dropped: pending holds its changes again.
  EXPECT_EQ(replicas.apply(Ack{3, dropped}).caught_up, 3u);
  EXPECT_FALSE(r.needs_transfer(3));
  EXPECT_EQ(r.min_acked(), dropped);
  EXPECT_EQ(replicas.r[1].snapshot(), r.snapshot());
}

TEST(PendingBound, AMajorityOfVotersAlwaysCounts) {
  Replicas replicas(1);
  replicas.apply(SetPendingBound{kMinPendingBound});
  // Nodes 2 and 3 both never ack: dropping both would leave only node 1's copy.
  for (std::uint64_t i = 1; i <= 60; ++i) {
    replicas.apply(batch(1, i));
    replicas.apply(Ack{1, replicas.next - 1});
  }
  const ReplicatedState& r = replicas.r[0];
  EXPECT_TRUE(r.pending_bound().laggards.empty());
  EXPECT_GT(r.pending_bytes(), kMinPendingBound);
  EXPECT_TRUE(laggards_to_drop(r.acked(), {}, {1, 2, 3}).empty());
  // Once node 2 copies something, node 3 alone is furthest behind and may go.
  replicas.apply(Ack{2, 3});
  EXPECT_TRUE(r.needs_transfer(3));
  EXPECT_FALSE(r.needs_transfer(2));
}

TEST(PendingBound, LaggardsToDropTakesTheWholeTieAndNeedsSomeoneAhead) {
  EXPECT_EQ(laggards_to_drop({{1, 9}, {2, 4}, {3, 4}, {4, 9}, {5, 9}}, {}, {1, 2, 3, 4, 5}),
            (std::vector<NodeId>{2, 3}));
  EXPECT_TRUE(laggards_to_drop({{1, 4}, {2, 4}, {3, 4}}, {}, {1, 2, 3}).empty());
  EXPECT_EQ(laggards_to_drop({{1, 9}, {2, 1}, {3, 5}, {4, 9}, {5, 9}}, {{2, 3}}, {1, 2, 3, 4, 5}),
            (std::vector<NodeId>{3}));
}

TEST(PendingBound, RemovingALaggardForgetsIt) {
  Replicas replicas(1);
  replicas.apply(SetPendingBound{kMinPendingBound});
  for (std::uint64_t i = 1; i <= 60; ++i) {
    replicas.apply(batch(1, i));
    replicas.apply(Ack{1, replicas.next - 1});
    replicas.apply(Ack{2, replicas.next - 2});
  }
  ReplicatedState& r = replicas.r[0];
  ASSERT_TRUE(r.needs_transfer(3));
  raft::Entry remove{1, replicas.next++, raft::EntryKind::ConfChange,
                     raft::encode_conf_change({raft::ConfChange::Kind::RemoveNode, 3})};
  EXPECT_EQ(r.apply(remove).kind, ApplyOutcome::MemberChange);
  EXPECT_FALSE(r.needs_transfer(3));
  EXPECT_TRUE(r.pending_bound().laggards.empty());
}

TEST(PendingBound, TheDecisionSurvivesASnapshotRoundTrip) {
  Replicas replicas(1);
  replicas.apply(SetPendingBound{4096});
  for (std::uint64_t i = 1; i <= 200; ++i) {
    replicas.apply(batch(1, i));
    replicas.apply(Ack{1, replicas.next - 1});
    replicas.apply(Ack{2, replicas.next - 2});
  }
  const ReplicatedState& r = replicas.r[0];
  ASSERT_TRUE(r.needs_transfer(3));
  ReplicatedState copy({1, 2, 3});
  copy.restore(r.snapshot(), r.applied());
  EXPECT_EQ(copy.pending_bound(), r.pending_bound());
  EXPECT_EQ(copy.pending_bytes(), r.pending_bytes());
  EXPECT_EQ(copy.snapshot(), r.snapshot());
  EXPECT_EQ(copy.pending_bound().max_pending_bytes, 4096u);
  // And the next apply decides the same on both.
  ReplicatedState& original = replicas.r[0];
  const raft::Entry next = entry(replicas.next, Ack{3, r.dropped_through()});
  EXPECT_EQ(original.apply(next).caught_up, 3u);
  EXPECT_EQ(copy.apply(next).caught_up, 3u);
  EXPECT_EQ(copy.snapshot(), original.snapshot());
}

// An UPDATE's pending batch holds no changes, only its request: counted in and out alike, and
// as a snapshot counts it. (Counted in short by the empty batch's 4 bytes, pending_bytes wrapped
// below zero once the updates were acked, and every apply after that dropped a laggard.)
TEST(PendingBound, UpdatesAreCountedOutAsTheyWereCountedIn) {
  Replicas replicas(1);
  ReplicatedState& r = replicas.r[0];
  std::vector<NodeId> dropped;
  for (std::uint64_t i = 1; i <= 50; ++i) {
    dns::update::Request request;
    request.zone = dns::Name::from_text("test.");
    request.updates.push_back(record(fmt::format("u{}.test. 60 IN A 192.0.2.1", i)));
    const ApplyOutcome o = replicas.apply(UpdateCommand{1, i, request});
    ASSERT_EQ(o.kind, ApplyOutcome::Batch);
    dropped.insert(dropped.end(), o.new_laggards.begin(), o.new_laggards.end());
  }
  ASSERT_EQ(r.pending_updates().size(), 50u);
  ReplicatedState copy({1, 2, 3});
  copy.restore(r.snapshot(), r.applied());
  EXPECT_EQ(copy.pending_bytes(), r.pending_bytes());
  EXPECT_GT(r.pending_bytes(), 50u * 20u);
  const raft::Index last = replicas.next - 1;
  for (NodeId n : {1, 2, 3}) {
    const ApplyOutcome o = replicas.apply(Ack{n, last});
    dropped.insert(dropped.end(), o.new_laggards.begin(), o.new_laggards.end());
  }
  EXPECT_TRUE(r.pending().empty());
  EXPECT_EQ(r.pending_bytes(), 0u);
  // More updates after the drop keep the count small, and nobody is dropped as a laggard.
  for (std::uint64_t i = 51; i <= 60; ++i) {
    dns::update::Request request;
    request.zone = dns::Name::from_text("test.");
    request.updates.push_back(record(fmt::format("u{}.test. 60 IN A 192.0.2.1", i)));
    const ApplyOutcome o = replicas.apply(UpdateCommand{1, i, request});
    dropped.insert(dropped.end(), o.new_laggards.begin(), o.new_laggards.end());
  }
  EXPECT_LT(r.pending_bytes(), kMinPendingBound);
  EXPECT_TRUE(dropped.empty());
  EXPECT_TRUE(r.pending_bound().laggards.empty());
}

TEST(PendingBound, SectionCodecRoundTripsAndRejectsDamage) {
  PendingBoundState s;
  s.max_pending_bytes = 65536;
  s.laggards = {{2, 17}, {5, 30}};
  EXPECT_EQ(decode_pending_bound(encode_pending_bound(s)), s);
  Bytes bytes = encode_pending_bound(s);
  bytes.push_back(0);
  EXPECT_THROW(decode_pending_bound(bytes), raft::DecodeError);  // trailing byte
  EXPECT_THROW(decode_pending_bound(encode_pending_bound(PendingBoundState{})),
               raft::DecodeError);  // the default is never written
  PendingBoundState tiny;
  tiny.max_pending_bytes = 10;
  EXPECT_THROW(decode_pending_bound(encode_pending_bound(tiny)), raft::DecodeError);
  Bytes swapped = encode_pending_bound(s);  // node 5 first, then node 2: out of order
  std::swap_ranges(swapped.begin() + 12, swapped.begin() + 28, swapped.begin() + 28);
  EXPECT_THROW(decode_pending_bound(swapped), raft::DecodeError);
  EXPECT_EQ(std::get<SetPendingBound>(decode_command(encode_command(SetPendingBound{4096}))),
            SetPendingBound{4096});
  EXPECT_THROW(decode_command(encode_command(SetPendingBound{1023})), raft::DecodeError);
}

TEST(PendingBound, ASnapshotNamingANonMemberLaggardIsRefused) {
  Replicas replicas(1);
  replicas.apply(SetPendingBound{kMinPendingBound});
  for (std::uint64_t i = 1; i <= 60; ++i) {
    replicas.apply(batch(1, i));
    replicas.apply(Ack{1, replicas.next - 1});
    replicas.apply(Ack{2, replicas.next - 2});
  }
  ASSERT_TRUE(replicas.r[0].needs_transfer(3));
  Bytes snapshot = replicas.r[0].snapshot();
  // The PendingBound section is last: its final 16 bytes are the laggard (u64 node 3 as the
  // codec writes it, little-endian, then its index).
  ASSERT_EQ(snapshot[snapshot.size() - 16], 3);
  snapshot[snapshot.size() - 16] = 9;
  ReplicatedState copy({1, 2, 3});
  EXPECT_THROW(copy.restore(snapshot, replicas.r[0].applied()), raft::DecodeError);
}

// ---- the nodes ------------------------------------------------------------------------------

NodeOptions bounded_options() {
  NodeOptions o = testing::fast_options(2);
  o.checkpoint_interval = 100ms;
  o.retry_interval = 100ms;
  o.compact_every = 16;
  o.transfer_chunk_bytes = 512;
  o.transfer_timeout = 100ms;
  o.max_pending_bytes = 2048;
  return o;
}

class PendingBoundNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.member(1).zone = testing::records(
        "a.test. 300 IN SOA ns.a.test. admin.a.test. 1 3600 600 86400 300\n"
        "ns.a.test. 300 IN A 192.0.2.1\n");
    cluster_.start_all();
    ASSERT_TRUE(cluster_.run_until(
        [&] {
          for (NodeId n = 1; n <= 3; ++n)
            if (cluster_.node(n).state().pending_bound().max_pending_bytes != 2048 ||
                !cluster_.node(n).status().imported)
              return false;
          return true;
        },
        10s));
  }
  bool write(NodeId on, const dns::Record& r) {
    bool done = false, ok = false;
    cluster_.node(on).submit({{dns::Change::Add, r}}, [&](const WriteResult& w) {
      done = true;
      ok = w.kind == WriteResult::Ok;
    });
    cluster_.run_until([&] { return done; }, 3s);
    return ok;
  }
  bool same_everywhere() {
    const auto want = cluster_.db(1).all_records();
    for (NodeId n = 2; n <= 3; ++n)
      if (cluster_.db(n).all_records() != want) return false;
    return true;
  }
  FakeCluster cluster_{3, bounded_options()};
};

TEST_F(PendingBoundNodeTest, ALaggardBeyondTheBoundCopiesAPeersDatastoreAndAcksAgain) {
  cluster_.crash(3);
  std::size_t most = 0;
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE(write(1 + i % 2, record(fmt::format("h{}.a.test. 300 IN A 192.0.2.{}", i, i))));
    for (NodeId n = 1; n <= 2; ++n) {
      most = std::max(most, cluster_.node(n).status().pending_bytes);
      ASSERT_LE(cluster_.node(n).status().pending_bytes, 2048u) << "node " << n << " write " << i;
    }
  }
  EXPECT_GT(most, 1024u);  // the bound was reached, not just never approached
  for (NodeId n = 1; n <= 2; ++n) {
    EXPECT_EQ(cluster_.node(n).status().needs_transfer, std::vector<NodeId>{3});
    const std::string status = format_status(n, cluster_.node(n).status());
    EXPECT_NE(status.find(" needs_transfer=3"), std::string::npos) << status;
    EXPECT_NE(status.find(" pending_bytes="), std::string::npos) << status;
    EXPECT_NE(status.find(" max_pending_bytes=2048"), std::string::npos) << status;
  }
  EXPECT_EQ(cluster_.node(1).state().snapshot(), cluster_.node(2).state().snapshot());

  // The decision is in R: a restarted member still holds nothing for node 3.
  cluster_.restart(2);
  EXPECT_TRUE(cluster_.node(2).state().needs_transfer(3));

  cluster_.start(3);
  bool copied = false;
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        copied = copied || cluster_.node(3).status().transfer.has_value();
        return same_everywhere() && !cluster_.node(3).status().transfer &&
               cluster_.node(1).status().needs_transfer.empty() &&
               cluster_.node(3).status().needs_transfer.empty();
      },
      10s))
      << format_status(1, cluster_.node(1).status()) << "\n"
      << format_status(3, cluster_.node(3).status());
  EXPECT_TRUE(copied) << "node 3 caught up without a datastore transfer";
  EXPECT_TRUE(has(cluster_.db(3), record("h0.a.test. 300 IN A 192.0.2.0")));
  // Its acks count again: with everyone up, pending drains to nothing.
  ASSERT_TRUE(write(3, record("after.a.test. 300 IN A 192.0.2.250")));
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        for (NodeId n = 1; n <= 3; ++n)
          if (!cluster_.node(n).state().pending().empty()) return false;
        return true;
      },
      5s));
  EXPECT_TRUE(same_everywhere());
}

TEST_F(PendingBoundNodeTest, TheBugSwitchLetsPendingGrowPastTheBound) {
  for (NodeId n = 1; n <= 3; ++n)
    cluster_.set_bugs(n, [](NodeOptions& o) { o.bugs.ignore_pending_bound = true; });
  for (NodeId n = 1; n <= 3; ++n) cluster_.restart(n);
  cluster_.crash(3);
  for (int i = 0; i < 80; ++i)
    ASSERT_TRUE(write(1, record(fmt::format("h{}.a.test. 300 IN A 192.0.2.{}", i, i))));
  EXPECT_GT(cluster_.node(1).status().pending_bytes, 2048u);
  EXPECT_TRUE(cluster_.node(1).status().needs_transfer.empty());
}

}  // namespace
}  // namespace engine
