// engine::Node's local-store snapshot on a Worker (NodeOptions::worker): the WAL takes no append
// while the snapshot file is being written, raft and serving go on, the snapshot becomes the
// store's once its `done` runs, and a failed snapshot file leaves the node disk-faulted until a
// retry writes it inline.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/local_store.h"
#include "tests/engine/fake_cluster.h"
#include "tests/engine/held_worker.h"
#include "tests/engine/node_test_support.h"

namespace engine::testing {
namespace {

using namespace std::chrono_literals;

class NodeStoreSnapshotTest : public ::testing::Test {
 protected:
  static NodeOptions options() {
    NodeOptions o = fast_options();
    o.store_snapshot_wal_bytes = 1;  // a snapshot at every checkpoint that copied something
    o.store_snapshot_scales = false;
    o.checkpoint_by_snapshot = false;  // the WAL first, then the snapshot (see below for both)
    o.disk_retry_interval = 100ms;
    return o;
  }

  NodeStoreSnapshotTest() : cluster_(3, options()) {}

  void SetUp() override {
    cluster_.member(1).zone = records(kExampleZone);
    cluster_.set_bugs(1, [this](NodeOptions& o) { o.worker = &worker_; });
    cluster_.start_all();
    // The import's first checkpoint on node 1 starts a snapshot on the worker.
    ASSERT_TRUE(cluster_.run_until([&] { return worker_.running(); }, 10s));
  }

  // Adds a record through node 1 and waits until node 1 serves it.
  dns::Record add(std::string_view line) {
    const dns::Record r = record(line);
    Reply reply;
    cluster_.node(1).submit({{dns::Change::Add, r}}, into(reply));
    EXPECT_TRUE(cluster_.run_until([&] { return reply.done; }, 5s));
    EXPECT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
    return r;
  }

  FakeCluster cluster_;
  HeldWorker worker_;
};

TEST_F(NodeStoreSnapshotTest, WalWaitsWhileTheSnapshotIsWrittenAndRaftGoesOn) {
  Node& node = cluster_.node(1);
  const raft::Index hw = node.store().hw();
  const std::uint64_t wal = node.store().wal_bytes();
  const NodeId leader = cluster_.leader();
  ASSERT_NE(leader, 0u);

  // Several checkpoint intervals of writes: served, replicated, but not copied into the WAL.
  const dns::Record a = add("a.example.com. 300 IN A 192.0.2.10");
  const dns::Record b = add("b.example.com. 300 IN A 192.0.2.11");
  cluster_.run_for(1s);
  EXPECT_TRUE(has(cluster_.db(1), a));
  EXPECT_TRUE(has(cluster_.db(1), b));
  EXPECT_EQ(node.store().hw(), hw);
  EXPECT_EQ(node.store().wal_bytes(), wal);
  EXPECT_EQ(cluster_.leader(), leader);
  EXPECT_EQ(worker_.started, 1);
  // R keeps the batches node 1 has not acknowledged.
  EXPECT_FALSE(node.state().pending().empty());

  // The file is written, but it is the store's snapshot only once `done` runs here.
  worker_.finish_work();
  cluster_.run_for(500ms);
  EXPECT_EQ(node.store().hw(), hw);
  worker_.deliver_done();
  // done copies what was served meanwhile at once (and acks it); that snapshots again.
  EXPECT_GT(node.store().hw(), hw);
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        if (worker_.running()) worker_.finish_work();
        if (worker_.holding_done()) worker_.deliver_done();
        return node.state().pending().empty();
      },
      10s));

  // What the snapshot and WAL hold comes back after a restart.
  cluster_.restart(1);
  cluster_.run_for(200ms);
  EXPECT_TRUE(has(cluster_.db(1), a));
  EXPECT_TRUE(has(cluster_.db(1), b));
}

TEST_F(NodeStoreSnapshotTest, AFailedSnapshotFileIsRetriedInline) {
  Node& node = cluster_.node(1);
  MemoryDisk& disk = cluster_.member(1).disk;
  disk.fail(MemoryDisk::Failure::Replaces, "ENOSPC", "store.snap");
  worker_.finish_work();
  worker_.deliver_done();
  ASSERT_TRUE(node.status().disk_fault.has_value());
  EXPECT_EQ(node.status().disk_fault->summary, "ENOSPC:store.snap:write");
  const dns::Record a = record("a.example.com. 300 IN A 192.0.2.10");
  cluster_.run_for(300ms);  // retries fail while the disk is full
  ASSERT_TRUE(node.status().disk_fault.has_value());

  disk.heal();
  // The retry writes it inline, not on the worker.
  ASSERT_TRUE(cluster_.run_until([&] { return !node.status().disk_fault; }, 5s));
  add("a.example.com. 300 IN A 192.0.2.10");
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        if (worker_.running()) worker_.finish_work();
        if (worker_.holding_done()) worker_.deliver_done();
        return node.state().pending().empty();
      },
      10s));
  cluster_.restart(1);
  cluster_.run_for(200ms);
  EXPECT_TRUE(has(cluster_.db(1), a));
}

TEST_F(NodeStoreSnapshotTest, StoppingFinishesTheRunningSnapshot) {
  Node& node = cluster_.node(1);
  const raft::Index hw = node.store().hw();
  node.stop();
  EXPECT_GE(worker_.waits, 1);
  EXPECT_FALSE(worker_.running());
  // The snapshot is the store's: the queued done finds nothing left to do.
  worker_.deliver_done();
  EXPECT_EQ(node.store().hw(), hw);
  cluster_.restart(1);
  cluster_.run_for(200ms);
  EXPECT_EQ(cluster_.node(1).store().hw(), hw);
  EXPECT_EQ(cluster_.db(1).all_records().size(), 3u);
}

// A checkpoint by snapshot (NodeOptions::checkpoint_by_snapshot): batches that would take the
// WAL past the threshold are stored by a snapshot of the serving view on the worker, never
// appended to the WAL.
struct CheckpointSnapshotCluster {
  static NodeOptions options() {
    NodeOptions o = fast_options();
    o.store_snapshot_wal_bytes = 1;  // every checkpoint that copies something
    o.store_snapshot_scales = false;
    o.disk_retry_interval = 100ms;
    return o;
  }
  // Node 1 imports the example zone; true once its first checkpoint runs on the worker.
  bool start() {
    cluster.member(1).zone = records(kExampleZone);
    cluster.set_bugs(1, [this](NodeOptions& n) { n.worker = &worker; });
    cluster.start_all();
    return cluster.run_until([&] { return worker.running(); }, 10s);
  }
  HeldWorker worker;
  FakeCluster cluster{3, options()};
};

TEST(CheckpointBySnapshot, BatchesGoIntoTheSnapshotNotTheWalAndSurviveARestart) {
  CheckpointSnapshotCluster c;
  ASSERT_TRUE(c.start());
  FakeCluster& cluster = c.cluster;
  HeldWorker& worker = c.worker;
  Node& node = cluster.node(1);
  const std::uint64_t wal = node.store().wal_bytes();
  const raft::Index hw = node.store().hw();
  // The import's batches are served but in neither the WAL nor the snapshot yet.
  EXPECT_LT(hw, node.status().served);
  worker.finish_work();
  EXPECT_EQ(node.store().hw(), hw);
  worker.deliver_done();
  EXPECT_GE(node.store().hw(), node.status().served - 1);
  // The WAL is reset to its header: no batch was appended to it (a batch is larger).
  EXPECT_LT(node.store().wal_bytes(), 32u) << "before: " << wal;
  const dns::Record a = record("a.example.com. 300 IN A 192.0.2.10");
  Reply reply;
  node.submit({{dns::Change::Add, a}}, into(reply));
  ASSERT_TRUE(cluster.run_until(
      [&] {
        worker.pump();
        return reply.done && node.state().pending().empty();
      },
      10s));
  EXPECT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
  cluster.restart(1);
  cluster.run_for(200ms);
  EXPECT_TRUE(has(cluster.db(1), a));
  EXPECT_TRUE(has(cluster.db(1), record("ns1.example.com. 300 IN A 192.0.2.1")));
}

TEST(CheckpointBySnapshot, AFailedSnapshotLeavesTheBatchesToTheWalAndLosesNothing) {
  CheckpointSnapshotCluster c;
  ASSERT_TRUE(c.start());
  FakeCluster& cluster = c.cluster;
  HeldWorker& worker = c.worker;
  Node& node = cluster.node(1);
  MemoryDisk& disk = cluster.member(1).disk;
  disk.fail(MemoryDisk::Failure::Replaces, "ENOSPC", "store.snap");
  worker.finish_work();
  worker.deliver_done();
  ASSERT_TRUE(node.status().disk_fault.has_value());
  // The retry copies the batches into the WAL (only the snapshot's replace fails).
  ASSERT_TRUE(cluster.run_until([&] { return !node.status().disk_fault; }, 5s));
  EXPECT_EQ(node.store().hw(), node.status().served);
  disk.heal();
  ASSERT_TRUE(cluster.run_until(
      [&] {
        worker.pump();
        return node.state().pending().empty();
      },
      10s));
  cluster.crash(1);
  cluster.start(1);
  cluster.run_for(200ms);
  EXPECT_TRUE(has(cluster.db(1), record("ns1.example.com. 300 IN A 192.0.2.1")));
}

}  // namespace
}  // namespace engine::testing
