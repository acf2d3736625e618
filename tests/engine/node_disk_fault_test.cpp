// engine::Node on a failing disk: it keeps serving queries from memory, acknowledges nothing it
// has not stored (no raft responses, no ACK, no OK to a client), redoes the failed step once the
// disk works again, and asks for a restart when the failure cannot be redone safely. Nothing a
// client was told OK is lost.
#include <gtest/gtest.h>

#include <algorithm>

#include "dns/zone_parser.h"
#include "engine/status_text.h"
#include "tests/engine/fake_cluster.h"
#include "tests/engine/node_test_support.h"

namespace engine {
namespace {

using namespace std::chrono_literals;
using testing::FakeCluster;
using testing::has;
using testing::record;
using testing::records;
using testing::Reply;
using Failure = testing::MemoryDisk::Failure;

constexpr std::string_view kZone =
    "a.test. 300 IN SOA ns.a.test. admin.a.test. 1 3600 600 86400 300\n"
    "a.test. 300 IN NS ns.a.test.\n"
    "ns.a.test. 300 IN A 192.0.2.1\n"
    "www.a.test. 300 IN A 192.0.2.2\n";

// The last raft index node `id` could read back after a power cut right now.
raft::Index durable_last_index(const testing::MemoryDisk& disk) {
  testing::MemoryDisk copy = disk;
  copy.heal();
  copy.crash();
  const raft::Restored r = RaftLogStore(copy).load();
  if (!r.entries.empty()) return r.entries.back().index;
  return r.snapshot ? r.snapshot->meta.index : 0;
}

class NodeDiskFaultTest : public ::testing::Test {
 protected:
  static NodeOptions options(std::vector<std::string>* log, std::uint64_t store_snapshot_bytes) {
    NodeOptions o;
    o.tick = 10ms;
    o.election_ticks = 10;
    o.checkpoint_interval = 200ms;
    o.write_timeout = 1s;
    o.retry_interval = 200ms;
    o.disk_retry_interval = 500ms;
    o.store_snapshot_wal_bytes = store_snapshot_bytes;
    o.store_snapshot_scales = false;  // 1 byte: a snapshot at every checkpoint
    o.log = [log](LogLevel, const std::string& line) { log->push_back(line); };
    return o;
  }

  explicit NodeDiskFaultTest(std::uint64_t store_snapshot_bytes = 4u << 20)
      : cluster_(3, options(&log_, store_snapshot_bytes)) {}

  void SetUp() override {
    cluster_.member(1).zone = records(kZone);
    cluster_.start_all();
    ASSERT_TRUE(cluster_.run_until([&] { return settled(); }, 10s));
  }

  bool settled() {
    for (NodeId n = 1; n <= 3; ++n)
      if (!cluster_.node(n).state().pending().empty() || cluster_.db(n).all_records().size() != 4)
        return false;
    return cluster_.leader() != 0;
  }
  NodeId follower() { return cluster_.leader() == 3 ? 2 : 3; }
  NodeId other_than(NodeId a, NodeId b = 0) {
    for (NodeId n = 1; n <= 3; ++n)
      if (n != a && n != b) return n;
    return 0;
  }
  testing::MemoryDisk& disk(NodeId n) { return cluster_.member(n).disk; }

  // A write through `on` that must be answered OK; retried while the cluster elects a leader
  // (a write that timed out may still commit: the retry is then a NOOP, which counts too).
  dns::Record write_ok(NodeId on, std::string_view line) {
    const dns::Record r = record(line);
    for (int attempt = 0; attempt < 4; ++attempt) {
      Reply reply;
      cluster_.node(on).submit({{dns::Change::Add, r}}, [&reply](const WriteResult& w) {
        reply.done = true;
        reply.result = w;
      });
      cluster_.run_until([&] { return reply.done; }, 5s);
      EXPECT_TRUE(reply.done);
      if (reply.result.kind == WriteResult::Ok || reply.result.kind == WriteResult::Noop) {
        acknowledged_.push_back(r);
        return r;
      }
      EXPECT_EQ(reply.result.kind, WriteResult::NoQuorum) << reply.result.message;
    }
    ADD_FAILURE() << "never committed: " << line;
    return r;
  }
  bool has_every_acknowledged(NodeId n) {
    return std::all_of(acknowledged_.begin(), acknowledged_.end(),
                       [&](const dns::Record& r) { return has(cluster_.db(n), r); });
  }
  std::size_t log_lines(std::string_view text) {
    return std::count_if(log_.begin(), log_.end(), [&](const std::string& line) {
      return line.find(text) != std::string::npos;
    });
  }
  std::optional<DiskFaultStatus> fault(NodeId n) { return cluster_.node(n).status().disk_fault; }

  // Every node has every acknowledged write and pending drained (every node stored and acked).
  void expect_converged() {
    EXPECT_TRUE(cluster_.run_until(
        [&] {
          for (NodeId n = 1; n <= 3; ++n)
            if (!has_every_acknowledged(n) || !cluster_.node(n).state().pending().empty())
              return false;
          return true;
        },
        10s));
  }

  std::vector<std::string> log_;
  FakeCluster cluster_;
  std::vector<dns::Record> acknowledged_;
};

TEST_F(NodeDiskFaultTest, FullDiskKeepsServingAcknowledgesNothingAndResumes) {
  const NodeId full = follower();
  const NodeId writer = other_than(full, 0);
  const auto served_before = cluster_.db(full).all_records();
  const raft::Index acked_before = cluster_.node(writer).state().acked().at(full);
  disk(full).fail(Failure::Writes);

  for (int i = 0; i < 5; ++i)
    write_ok(writer, fmt::format("f{}.a.test. 300 IN A 192.0.2.{}", i, 10 + i));
  cluster_.run_for(2s);  // several retries

  const std::optional<DiskFaultStatus> f = fault(full);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->restart_needed);
  EXPECT_TRUE(f->summary.starts_with("ENOSPC:")) << f->summary;
  EXPECT_GE(f->retries, 2u);
  // Queries are answered from memory as before.
  EXPECT_EQ(cluster_.db(full).all_records(), served_before);
  // No ACK, so the writes stay pending everywhere; the leader never heard of entries the full
  // node did not store.
  EXPECT_EQ(cluster_.node(writer).state().acked().at(full), acked_before);
  EXPECT_EQ(cluster_.node(writer).state().pending().size(), 5u);
  const raft::Raft& leader = cluster_.node(cluster_.leader()).raft();
  EXPECT_LE(leader.progress(full)->match(), durable_last_index(disk(full)));
  EXPECT_LT(leader.progress(full)->match(), leader.status().commit);
  // Client writes on the full node are refused at once.
  Reply refused;
  cluster_.node(full).submit({{dns::Change::Add, record("no.a.test. 300 IN A 192.0.2.99")}},
                             [&](const WriteResult& w) {
                               refused.done = true;
                               refused.result = w;
                             });
  ASSERT_TRUE(refused.done);
  EXPECT_EQ(refused.result.kind, WriteResult::DiskFault);
  EXPECT_TRUE(refused.result.message.starts_with("ERROR disk fault on this node (ENOSPC:"))
      << refused.result.message;
  EXPECT_EQ(log_lines("disk fault: "), 1u) << "logged once, not once per retry";
  EXPECT_NE(format_status(full, cluster_.node(full).status())
                .find(fmt::format(" disk=faulted({},retrying)", f->summary)),
            std::string::npos);

  disk(full).heal();
  EXPECT_TRUE(cluster_.run_until([&] { return !fault(full); }, 2s));
  EXPECT_EQ(log_lines("disk recovered"), 1u) << ::testing::PrintToString(log_);
  write_ok(full, "after.a.test. 300 IN A 192.0.2.50");
  expect_converged();
  EXPECT_NE(format_status(full, cluster_.node(full).status()).find(" disk=ok"), std::string::npos);

  // Nothing acknowledged is lost, also across a power cut of the node that was full.
  cluster_.crash(full);
  cluster_.start(full);
  expect_converged();
}

TEST_F(NodeDiskFaultTest, FailedFsyncIsNotRetriedAndARestartLosesNothing) {
  const NodeId broken = follower();
  const NodeId writer = other_than(broken);
  disk(broken).fail(Failure::Syncs, "EIO");
  for (int i = 0; i < 3; ++i)
    write_ok(writer, fmt::format("s{}.a.test. 300 IN A 192.0.2.{}", i, 20 + i));
  ASSERT_TRUE(fault(broken));
  EXPECT_TRUE(fault(broken)->restart_needed);
  EXPECT_TRUE(fault(broken)->summary.ends_with(":fsync")) << fault(broken)->summary;
  EXPECT_EQ(log_lines("restart this node"), 1u);
  EXPECT_NE(format_status(broken, cluster_.node(broken).status()).find(",restart-needed)"),
            std::string::npos);

  // Even once the disk works, a failed fsync is not retried: only a restart recovers.
  disk(broken).heal();
  const int failed = disk(broken).failed_calls;
  cluster_.run_for(2s);
  EXPECT_TRUE(fault(broken));
  EXPECT_EQ(disk(broken).failed_calls, failed);
  EXPECT_EQ(cluster_.node(writer).state().pending().size(), 3u);

  cluster_.crash(broken);  // whatever was not synced is gone
  cluster_.start(broken);
  EXPECT_FALSE(fault(broken));
  write_ok(broken, "after.a.test. 300 IN A 192.0.2.51");
  expect_converged();
}

TEST_F(NodeDiskFaultTest, TornAppendNeedsARestartWhichCutsTheTornTail) {
  const NodeId broken = follower();
  const NodeId writer = other_than(broken);
  disk(broken).fail(Failure::TornAppends, "ENOSPC", "raft.log");
  for (int i = 0; i < 3; ++i)
    write_ok(writer, fmt::format("t{}.a.test. 300 IN A 192.0.2.{}", i, 30 + i));
  ASSERT_TRUE(fault(broken));
  EXPECT_TRUE(fault(broken)->restart_needed);
  EXPECT_EQ(fault(broken)->summary, "ENOSPC:raft.log:write");
  disk(broken).heal();

  cluster_.restart(broken);  // the process only: the half-written record is still in raft.log
  EXPECT_FALSE(fault(broken));
  expect_converged();
  cluster_.crash(broken);
  cluster_.start(broken);
  expect_converged();
}

TEST_F(NodeDiskFaultTest, LocalDatastoreFailureStopsAcksUntilItWorks) {
  const NodeId full = follower();
  const NodeId writer = other_than(full);
  const raft::Index acked_before = cluster_.node(writer).state().acked().at(full);
  disk(full).fail(Failure::Writes, "ENOSPC", "store.wal");
  for (int i = 0; i < 3; ++i)
    write_ok(writer, fmt::format("w{}.a.test. 300 IN A 192.0.2.{}", i, 40 + i));
  ASSERT_TRUE(cluster_.run_until([&] { return fault(full).has_value(); }, 1s));
  EXPECT_EQ(fault(full)->summary, "ENOSPC:store.wal:write");
  cluster_.run_for(1s);
  EXPECT_EQ(cluster_.node(writer).state().acked().at(full), acked_before);
  EXPECT_EQ(cluster_.node(writer).state().pending().size(), 3u);

  disk(full).heal();
  expect_converged();
  EXPECT_FALSE(fault(full));
  cluster_.crash(full);
  cluster_.start(full);
  expect_converged();
}

// Group commit: the leader answers a write once it is committed, before it writes the Ready that
// records the commit (and the next burst's entries) to its own disk. A write on a quorum's disks
// is answered OK even when that later write fails.
TEST_F(NodeDiskFaultTest, CommittedWriteIsAnsweredBeforeTheLeadersNextDiskWrite) {
  const NodeId leader = cluster_.leader();
  const dns::Record r = record("gc.a.test. 300 IN A 192.0.2.60");
  Reply reply;
  cluster_.node(leader).submit({{dns::Change::Add, r}}, [&reply](const WriteResult& w) {
    reply.done = true;
    reply.result = w;
  });
  // The leader stored the entry at once; the followers' acks are on their way. From now on its
  // disk refuses writes, so the Ready that carries the new commit index cannot be saved.
  ASSERT_FALSE(reply.done);
  ASSERT_EQ(durable_last_index(disk(leader)), cluster_.node(leader).raft().status().last_index);
  disk(leader).fail(Failure::Writes);
  ASSERT_TRUE(cluster_.run_until([&] { return reply.done; }, 3s));
  EXPECT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
  EXPECT_TRUE(has(cluster_.db(leader), r));
  EXPECT_TRUE(fault(leader)) << "the failed write of the commit index";
  acknowledged_.push_back(r);

  disk(leader).heal();
  EXPECT_TRUE(cluster_.run_until([&] { return !fault(leader); }, 2s));
  expect_converged();
}

TEST_F(NodeDiskFaultTest, FullLeaderIsReplacedAndRejoinsWhenTheDiskWorks) {
  const NodeId full = cluster_.leader();
  disk(full).fail(Failure::Writes);
  const NodeId writer = other_than(full);
  for (int i = 0; i < 3; ++i)
    write_ok(writer, fmt::format("l{}.a.test. 300 IN A 192.0.2.{}", i, 60 + i));
  ASSERT_TRUE(fault(full));
  // The frozen node still calls itself leader in an old term; another one leads now.
  const NodeId other = other_than(full, writer);
  EXPECT_TRUE(cluster_.node(writer).raft().role() == raft::Role::Leader ||
              cluster_.node(other).raft().role() == raft::Role::Leader);
  disk(full).heal();
  expect_converged();
  EXPECT_FALSE(fault(full));
}

class NodeStoreSnapshotFaultTest : public NodeDiskFaultTest {
 protected:
  NodeStoreSnapshotFaultTest() : NodeDiskFaultTest(1) {}  // a store snapshot at every checkpoint
};

TEST_F(NodeStoreSnapshotFaultTest, HalfWrittenStoreSnapshotIsRedoneAndRestartsLoseNothing) {
  const NodeId full = follower();
  const NodeId writer = other_than(full);
  // The snapshot file is replaced, then resetting the WAL fails.
  disk(full).fail(Failure::Replaces, "ENOSPC", "store.wal");
  write_ok(writer, "p0.a.test. 300 IN A 192.0.2.70");
  ASSERT_TRUE(cluster_.run_until([&] { return fault(full).has_value(); }, 1s));
  EXPECT_EQ(fault(full)->summary, "ENOSPC:store.wal:write");
  {
    // A power cut now still finds a datastore it can load.
    FakeCluster::Member& m = cluster_.member(full);
    testing::MemoryDisk copy = m.disk;
    copy.heal();
    copy.crash();
    EXPECT_NO_THROW(LocalStore(copy).load());
  }
  disk(full).heal();
  write_ok(writer, "p1.a.test. 300 IN A 192.0.2.71");
  expect_converged();
  cluster_.crash(full);
  cluster_.start(full);
  expect_converged();
}

}  // namespace
}  // namespace engine
