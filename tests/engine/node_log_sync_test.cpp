// engine::Node with its raft log fsync on a Worker (NodeOptions::log_syncer) while it leads:
// writes that come in while a sync runs wait for it and then share the next one, nothing is
// answered or applied before the sync of its entries returns, a follower syncs inline and acks
// only what is durable, a failed fsync leaves the node needing a restart, and a crash before the
// sync returns loses only what nobody was told of.

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>

#include "tests/engine/fake_cluster.h"
#include "tests/engine/held_worker.h"
#include "tests/engine/node_test_support.h"

namespace engine::testing {
namespace {

using namespace std::chrono_literals;

class NodeLogSyncTest : public ::testing::Test {
 protected:
  NodeLogSyncTest() : cluster_(3, fast_options()) {}

  void SetUp() override {
    cluster_.member(1).zone = records(kExampleZone);
    for (NodeId id = 1; id <= 3; ++id)
      cluster_.set_bugs(id, [this, id](NodeOptions& o) { o.log_syncer = &syncers_[id]; });
    cluster_.start_all();
    ASSERT_TRUE(run_until([&] {
      return cluster_.leader() != 0 && cluster_.db(3).all_records().size() == 3 &&
             cluster_.node(1).state().pending().empty();
    }));
    leader_ = cluster_.leader();
  }

  // Runs the cluster, finishing every node's syncs except those of `held`.
  bool run_until(const std::function<bool()>& done, NodeId held = 0, Duration limit = 10s) {
    return cluster_.run_until(
        [&] {
          for (NodeId id = 1; id <= 3; ++id)
            if (id != held && cluster_.member(id).alive) syncers_[id].pump();
          return done();
        },
        limit);
  }
  void run_for(Duration d, NodeId held) {
    run_until([] { return false; }, held, d);
  }

  static dns::Change add(std::string_view line) { return {dns::Change::Add, record(line)}; }

  FakeCluster cluster_;
  std::array<HeldWorker, 4> syncers_;
  NodeId leader_ = 0;
};

TEST_F(NodeLogSyncTest, WritesDuringASyncWaitForItAndShareTheNext) {
  HeldWorker& syncer = syncers_[leader_];
  Node& node = cluster_.node(leader_);
  Reply a, b, c;
  node.submit({add("a.example.com. 300 IN A 192.0.2.10")}, into(a));
  ASSERT_TRUE(syncer.running());
  ASSERT_TRUE(node.log_syncing());
  const int started = syncer.started;
  node.submit({add("b.example.com. 300 IN A 192.0.2.11")}, into(b));
  node.submit({add("c.example.com. 300 IN A 192.0.2.12")}, into(c));
  // The followers take a's entry (the leader sends it before its own write is durable) and
  // acknowledge it; the leader starts no second sync and answers nothing.
  run_for(100ms, leader_);
  EXPECT_EQ(syncer.started, started);
  EXPECT_FALSE(a.done || b.done || c.done);
  EXPECT_FALSE(has(cluster_.db(leader_), record("a.example.com. 300 IN A 192.0.2.10")));

  syncer.pump();
  // The next Ready carries b and c together: one more sync for both.
  EXPECT_EQ(syncer.started, started + 1);
  ASSERT_TRUE(run_until([&] { return a.done && b.done && c.done; }));
  EXPECT_EQ(a.result.kind, WriteResult::Ok) << a.result.message;
  EXPECT_EQ(b.result.kind, WriteResult::Ok) << b.result.message;
  EXPECT_EQ(c.result.kind, WriteResult::Ok) << c.result.message;
  EXPECT_LT(a.result.index, b.result.index);
  EXPECT_LT(b.result.index, c.result.index);
  EXPECT_EQ(cluster_.leader(), leader_);
  for (NodeId id = 1; id <= 3; ++id)
    EXPECT_TRUE(has(cluster_.db(id), record("c.example.com. 300 IN A 192.0.2.12"))) << id;
}

// A follower syncs inline (only a leader has work worth doing meanwhile): it never uses its
// syncer, and a follower whose fsync fails never acknowledges what it could not make durable.
TEST_F(NodeLogSyncTest, AFollowerSyncsInlineAndAnswersTheLeaderOnlyAfterItsSync) {
  const NodeId follower = leader_ == 1 ? 2 : 1;
  const NodeId other = 6 - leader_ - follower;
  cluster_.block(leader_, other);  // the follower's ack is the only one that can commit
  const int started = syncers_[follower].started;
  Reply a;
  cluster_.node(leader_).submit({add("a.example.com. 300 IN A 192.0.2.10")}, into(a));
  ASSERT_TRUE(run_until([&] { return a.done; }));
  EXPECT_EQ(a.result.kind, WriteResult::Ok) << a.result.message;
  EXPECT_EQ(syncers_[follower].started, started) << "a follower's sync ran off its thread";

  cluster_.member(follower).disk.fail(MemoryDisk::Failure::Syncs, "EIO", "raft.log");
  Reply b;
  cluster_.node(leader_).submit({add("b.example.com. 300 IN A 192.0.2.11")}, into(b));
  run_for(500ms, 0);
  EXPECT_TRUE(cluster_.node(follower).status().disk_fault.has_value());
  EXPECT_FALSE(b.done && b.result.kind == WriteResult::Ok)
      << "committed on an ack the follower sent without a durable copy";
}

TEST_F(NodeLogSyncTest, AWriteTheLeaderHoldsOnDiskIsAnsweredWhileALaterOneSyncs) {
  HeldWorker& syncer = syncers_[leader_];
  Node& node = cluster_.node(leader_);
  Reply a, b;
  // a reaches the leader's disk; the followers do not hear of it yet: no ack.
  for (NodeId id = 1; id <= 3; ++id)
    if (id != leader_) cluster_.block(leader_, id);
  // Briefly: a leader that hears from no follower for an election timeout steps down.
  node.submit({add("a.example.com. 300 IN A 192.0.2.10")}, into(a));
  for (int i = 0; i < 10 && node.log_syncing(); ++i) {
    syncer.pump();
    cluster_.run_for(2ms);
  }
  ASSERT_FALSE(node.log_syncing());
  ASSERT_FALSE(a.done);
  // b's sync on the leader runs (held) when the followers' acks of a come in.
  node.submit({add("b.example.com. 300 IN A 192.0.2.11")}, into(b));
  ASSERT_TRUE(node.log_syncing());
  cluster_.unblock_all();
  ASSERT_TRUE(cluster_.run_until([&] { return a.done; }, 2s));
  EXPECT_EQ(a.result.kind, WriteResult::Ok) << a.result.message;
  EXPECT_TRUE(has(cluster_.db(leader_), record("a.example.com. 300 IN A 192.0.2.10")));
  EXPECT_TRUE(syncer.running()) << "a waited for b's sync";
  EXPECT_FALSE(b.done);
  ASSERT_TRUE(run_until([&] { return b.done; }));
  EXPECT_EQ(b.result.kind, WriteResult::Ok) << b.result.message;
}

TEST_F(NodeLogSyncTest, AFailedLogFsyncNeedsARestart) {
  Node& node = cluster_.node(leader_);
  cluster_.member(leader_).disk.fail(MemoryDisk::Failure::Syncs, "EIO", "raft.log");
  Reply a;
  node.submit({add("a.example.com. 300 IN A 192.0.2.10")}, into(a));
  ASSERT_TRUE(syncers_[leader_].running());
  syncers_[leader_].pump();
  ASSERT_TRUE(node.status().disk_fault.has_value());
  EXPECT_EQ(node.status().disk_fault->summary, "EIO:raft.log:fsync");
  EXPECT_TRUE(node.status().disk_fault->restart_needed);
  EXPECT_FALSE(node.log_syncing());
  EXPECT_FALSE(a.done && a.result.kind == WriteResult::Ok);

  cluster_.member(leader_).disk.heal();
  cluster_.crash(leader_);
  syncers_[leader_].drop();
  cluster_.restart(leader_);
  // The write may have committed through the others; either way the cluster goes on.
  Reply b;
  ASSERT_TRUE(run_until([&] { return cluster_.leader() != 0; }));
  cluster_.node(cluster_.leader()).submit({add("b.example.com. 300 IN A 192.0.2.11")}, into(b));
  ASSERT_TRUE(run_until([&] { return b.done; }));
  EXPECT_EQ(b.result.kind, WriteResult::Ok) << b.result.message;
  ASSERT_TRUE(run_until(
      [&] { return has(cluster_.db(leader_), record("b.example.com. 300 IN A 192.0.2.11")); }));
}

TEST_F(NodeLogSyncTest, ACrashBeforeTheSyncReturnsLosesOnlyWhatNobodyWasToldOf) {
  // The leader's sync held and its followers cut off: nothing of the write is durable anywhere,
  // nothing is answered.
  for (NodeId id = 1; id <= 3; ++id)
    if (id != leader_) cluster_.block(leader_, id);
  Reply a;
  cluster_.node(leader_).submit({add("a.example.com. 300 IN A 192.0.2.10")}, into(a));
  cluster_.run_for(200ms);
  EXPECT_FALSE(a.done);
  cluster_.unblock_all();
  for (NodeId id = 1; id <= 3; ++id) {
    cluster_.crash(id);
    syncers_[id].drop();
  }
  for (NodeId id = 1; id <= 3; ++id) cluster_.restart(id);
  ASSERT_TRUE(run_until([&] { return cluster_.leader() != 0; }));
  Reply b;
  cluster_.node(cluster_.leader()).submit({add("b.example.com. 300 IN A 192.0.2.11")}, into(b));
  ASSERT_TRUE(run_until([&] { return b.done; }));
  EXPECT_EQ(b.result.kind, WriteResult::Ok) << b.result.message;
  for (NodeId id = 1; id <= 3; ++id) {
    ASSERT_TRUE(run_until(
        [&] { return has(cluster_.db(id), record("b.example.com. 300 IN A 192.0.2.11")); }));
    EXPECT_FALSE(has(cluster_.db(id), record("a.example.com. 300 IN A 192.0.2.10"))) << id;
  }
}

TEST_F(NodeLogSyncTest, StoppingWaitsForTheRunningSync) {
  HeldWorker& syncer = syncers_[leader_];
  Reply a;
  cluster_.node(leader_).submit({add("a.example.com. 300 IN A 192.0.2.10")}, into(a));
  ASSERT_TRUE(syncer.running());
  const int waits = syncer.waits;
  cluster_.node(leader_).stop();
  EXPECT_EQ(syncer.waits, waits + 1);
  EXPECT_FALSE(syncer.running());
  syncer.deliver_done();  // finds the node stopped: nothing more happens
  EXPECT_TRUE(a.done);
  EXPECT_EQ(a.result.kind, WriteResult::Stopped);
}

}  // namespace
}  // namespace engine::testing
