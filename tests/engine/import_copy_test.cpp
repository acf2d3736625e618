// Imports by copy (engine/import_copy.h): the command and R's snapshot section, the import file,
// and a fake cluster in which one node's zone file reaches the others by datastore transfer,
// through a crash of the importer, a restart with an edited zone file and a wipe.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "engine/import_copy.h"
#include "engine/replicated_state.h"
#include "tests/engine/fake_cluster.h"
#include "tests/engine/node_test_support.h"

namespace engine {
namespace {

using namespace std::chrono_literals;
using testing::FakeCluster;
using testing::has;
using testing::MemoryDisk;
using testing::record;
using testing::records;

std::string zone_text(int hosts, int serial = 1, const std::string& net = "192.0.2") {
  std::string text = fmt::format(
      "big.test. 300 IN SOA ns.big.test. admin.big.test. {} 3600 600 86400 300\n"
      "big.test. 300 IN NS ns.big.test.\n",
      serial);
  for (int i = 0; i < hosts; ++i)
    text += fmt::format("h{}.big.test. 300 IN A {}.{}\n", i, net, i % 250 + 1);
  return text;
}

std::vector<dns::Change> adds_of(const std::vector<dns::Record>& rs) {
  std::vector<dns::Change> out;
  for (const dns::Record& r : rs) out.push_back({dns::Change::Add, r});
  return out;
}

TEST(ImportCopyCommand, RoundTripsAndRSnapshotKeepsItsDigest) {
  const std::vector<dns::Change> adds = adds_of(records(zone_text(20)));
  const ImportDigest digest = import_digest(adds);
  EXPECT_EQ(digest.records, 22u);
  const ChangeBatch batch{3, 77, {}, true, digest};
  const Command decoded = decode_command(encode_command(batch));
  const auto& got = std::get<ChangeBatch>(decoded);
  EXPECT_EQ(got.origin, 3u);
  EXPECT_EQ(got.request_id, 77u);
  EXPECT_TRUE(got.import);
  EXPECT_TRUE(got.changes.empty());
  ASSERT_TRUE(got.copy.has_value());
  EXPECT_EQ(*got.copy, digest);

  ReplicatedState r({1, 2, 3});
  const ApplyOutcome outcome = r.apply({1, 1, raft::EntryKind::Normal, encode_command(batch)});
  ASSERT_EQ(outcome.kind, ApplyOutcome::Batch);
  ASSERT_TRUE(outcome.batch->copy.has_value());
  // The same records proposed again under the same request id: a duplicate.
  EXPECT_EQ(r.apply({1, 2, raft::EntryKind::Normal, encode_command(batch)}).kind,
            ApplyOutcome::DuplicateBatch);
  ReplicatedState restored({1, 2, 3});
  restored.restore(r.snapshot(), 2);
  ASSERT_EQ(restored.pending().size(), 1u);
  const ChangeBatch& kept = restored.pending().begin()->second;
  EXPECT_TRUE(kept.import);
  ASSERT_TRUE(kept.copy.has_value());
  EXPECT_EQ(*kept.copy, digest);
  EXPECT_EQ(restored.hash(), r.hash());
  EXPECT_EQ(restored.snapshot(), r.snapshot());

  // Other records, or the same ones in another order, have another digest.
  std::vector<dns::Change> swapped = adds;
  std::swap(swapped[3], swapped[4]);
  EXPECT_FALSE(import_digest(swapped) == digest);

  // No records is no import; a short digest is malformed.
  Bytes empty = encode_command(ChangeBatch{3, 77, {}, true, ImportDigest{}});
  EXPECT_THROW(decode_command(empty), raft::DecodeError);
  Bytes cut = encode_command(batch);
  cut.pop_back();
  EXPECT_THROW(decode_command(cut), raft::DecodeError);
}

TEST(ImportFile, HoldsTheRecordsWithTheirDigestAndRefusesDamage) {
  MemoryDisk disk;
  EXPECT_FALSE(read_import_file(disk).has_value());
  const std::vector<dns::Change> adds = adds_of(records(zone_text(3000)));
  const ImportDigest digest = write_import_file(disk, adds);
  EXPECT_EQ(digest, import_digest(adds));
  disk.crash();  // durable on return
  const auto back = read_import_file(disk);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(import_digest(*back), digest);
  EXPECT_EQ(back->size(), adds.size());
  disk.raw(kImportFile)[100] ^= 1;
  try {
    read_import_file(disk);
    FAIL() << "a damaged import file was read";
  } catch (const raft::DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find(kImportFile), std::string::npos) << e.what();
  }
}

// Counts what each node did to get the import.
struct CopyWatch : NodeObserver {
  int copies_needed = 0;
  int installed = 0;
  void on_import_copy_needed(raft::Index) override { ++copies_needed; }
  void on_transfer_installed(std::uint64_t, std::uint64_t) override { ++installed; }
};

class ImportCopyTest : public ::testing::Test {
 protected:
  static NodeOptions options() {
    NodeOptions o = testing::fast_options(16);
    o.checkpoint_interval = 100ms;
    o.retry_interval = 100ms;
    o.compact_every = 8;
    o.transfer_chunk_bytes = 2048;  // many chunks
    o.transfer_timeout = 100ms;
    o.import_copy_records = 100;  // node 1's zone file goes by copy, node 2's through raft
    o.import_slice = 64;          // ... and is served in 7 turns
    return o;
  }
  void SetUp() override {
    cluster_.member(1).zone = records(zone_text(400));
    cluster_.member(2).zone = records(
        "small.test. 300 IN SOA ns.small.test. admin.small.test. 1 3600 600 86400 300\n"
        "ns.small.test. 300 IN A 198.51.100.1\n");
    for (NodeId n = 1; n <= 3; ++n) cluster_.member(n).observer = &watch_[n];
  }
  bool everyone_has(const dns::Record& r) {
    for (NodeId n = 1; n <= 3; ++n)
      if (!cluster_.member(n).alive || !has(cluster_.db(n), r)) return false;
    return true;
  }
  bool same_everywhere() {
    const auto want = cluster_.db(1).all_records();
    for (NodeId n = 2; n <= 3; ++n)
      if (cluster_.db(n).all_records() != want) return false;
    return true;
  }
  // Runs until every node serves both zone files and every import is done and dropped.
  bool settle(Duration limit = 20s) {
    return cluster_.run_until(
        [&] {
          if (!everyone_has(last_) || !everyone_has(small_)) return false;
          for (NodeId n = 1; n <= 3; ++n)
            if (!cluster_.node(n).status().imported || !cluster_.node(n).state().pending().empty())
              return false;
          return same_everywhere();
        },
        limit);
  }
  // Starts the cluster and wipes node 1 (down) once the others wait for its import's copy,
  // cut off from it so that nobody copied it; false if the import never committed.
  bool wipe_importer_before_anyone_copied() {
    cluster_.start_all();
    if (!cluster_.run_until([&] { return watch_[2].copies_needed + watch_[3].copies_needed > 0; },
                            20s))
      return false;
    cluster_.block(1, 2);
    cluster_.block(1, 3);
    cluster_.run_for(50ms);
    cluster_.wipe(1);
    cluster_.unblock_all();
    return true;
  }
  bool has_import_file(NodeId n) {
    return cluster_.member(n).disk.read_range(kImportFile, 0, 1).has_value();
  }

  FakeCluster cluster_{3, options()};
  CopyWatch watch_[4];
  const dns::Record last_ = record("h399.big.test. 300 IN A 192.0.2.150");
  const dns::Record small_ = record("ns.small.test. 300 IN A 198.51.100.1");
};

TEST_F(ImportCopyTest, TheOtherNodesCopyTheImportersDatastoreInsteadOfEveryRecord) {
  cluster_.start_all();
  std::size_t most_pending_changes = 0;
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        for (NodeId n = 1; n <= 3; ++n)
          most_pending_changes =
              std::max(most_pending_changes, cluster_.node(n).state().pending_changes());
        return everyone_has(last_) && everyone_has(small_) && same_everywhere();
      },
      20s));
  // Node 2's two records went through raft; node 1's 402 never did.
  EXPECT_LE(most_pending_changes, 2u);
  EXPECT_EQ(watch_[1].copies_needed, 0);
  for (NodeId n = 2; n <= 3; ++n) {
    EXPECT_EQ(watch_[n].copies_needed, 1) << "node " << n;
    EXPECT_EQ(watch_[n].installed, 1) << "node " << n;
  }
  ASSERT_TRUE(settle());
  // Every node has it in its datastore: the importer's staged records are gone.
  EXPECT_TRUE(cluster_.run_until([&] { return !has_import_file(1); }, 2s));
  // A write after the import commits and reaches everyone as usual.
  testing::Reply reply;
  const dns::Record late = record("late.big.test. 300 IN A 192.0.2.251");
  cluster_.node(3).submit({{dns::Change::Add, late}}, testing::into(reply));
  ASSERT_TRUE(cluster_.run_until([&] { return everyone_has(late); }, 5s));
  EXPECT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
  // Restarted, each node serves the import from its own datastore.
  for (NodeId n = 1; n <= 3; ++n) {
    cluster_.restart(n);
    EXPECT_TRUE(has(cluster_.db(n), last_)) << "node " << n;
  }
}

TEST_F(ImportCopyTest, AnImporterCrashedAfterTheCommitServesItFromItsImportFile) {
  cluster_.start_all();
  // Crash node 1 the moment another node learns of the import (committed; nobody copied yet).
  ASSERT_TRUE(cluster_.run_until(
      [&] { return watch_[2].copies_needed + watch_[3].copies_needed > 0; }, 20s));
  cluster_.crash(1);
  EXPECT_TRUE(has_import_file(1)) << "durable before it was proposed";
  cluster_.run_for(500ms);
  EXPECT_FALSE(has(cluster_.db(2), last_));
  EXPECT_FALSE(has(cluster_.db(3), last_));
  cluster_.start(1);
  ASSERT_TRUE(settle());
}

TEST_F(ImportCopyTest, AnImportStagedBeforeARestartIsProposedAsStagedNotAsTheFileIsNow) {
  // Node 1 stages its import as soon as R lets it import; it is cut off and crashes at once,
  // before its entry can commit.
  cluster_.start_all();
  for (int ms = 0; ms < 20000 && !has_import_file(1); ++ms)
    cluster_.loop().run_until(cluster_.loop().now() + 1ms);
  ASSERT_TRUE(has_import_file(1));
  cluster_.block(1, 2);
  cluster_.block(1, 3);
  cluster_.crash(1);
  cluster_.run_for(500ms);
  EXPECT_FALSE(has(cluster_.db(2), last_));
  // The operator edits the zone file meanwhile: another serial and other addresses.
  cluster_.member(1).zone = records(zone_text(400, 2, "203.0.113"));
  cluster_.unblock_all();
  cluster_.start(1);
  ASSERT_TRUE(settle());
  // What was staged is what the cluster serves (as a record-by-record import would have had it
  // committed before the restart); the edit is for RELOAD.
  EXPECT_TRUE(everyone_has(record("h7.big.test. 300 IN A 192.0.2.8")));
  EXPECT_FALSE(has(cluster_.db(2), record("h7.big.test. 300 IN A 203.0.113.8")));
}

TEST_F(ImportCopyTest, AWipedImporterServesItFromItsZoneFileWhenNobodyCopiedIt) {
  ASSERT_TRUE(wipe_importer_before_anyone_copied());
  EXPECT_FALSE(has(cluster_.db(2), last_));
  cluster_.start(1);
  // Known to the cluster, it does not import again, but its zone file holds the records the
  // entry names (same digest), so it serves them and the others copy from it.
  ASSERT_TRUE(settle(30s));
}

TEST_F(ImportCopyTest, AWipedImporterWithAnEditedZoneFileServesNothingElseAtThatIndex) {
  ASSERT_TRUE(wipe_importer_before_anyone_copied());
  cluster_.member(1).zone = records(zone_text(400, 2, "203.0.113"));
  cluster_.start(1);
  cluster_.run_for(3s);
  // The digest does not match: nobody serves other records in the import's place; the nodes
  // hold (the zone file must be restored: docs/design.md, "Import by copy").
  for (NodeId n = 1; n <= 3; ++n) {
    EXPECT_FALSE(has(cluster_.db(n), record("h7.big.test. 300 IN A 203.0.113.8"))) << n;
    EXPECT_FALSE(has(cluster_.db(n), record("h7.big.test. 300 IN A 192.0.2.8"))) << n;
  }
  // Restoring the file and restarting the node (as an operator would) ends it.
  cluster_.member(1).zone = records(zone_text(400));
  cluster_.restart(1);
  ASSERT_TRUE(settle(30s));
}

TEST_F(ImportCopyTest, TheOnlyHolderOfAnImportIsNotRemovedBeforeAnotherHasIt) {
  cluster_.start_all();
  ASSERT_TRUE(cluster_.run_until(
      [&] { return watch_[2].copies_needed + watch_[3].copies_needed > 0; }, 20s));
  cluster_.block(1, 2);
  cluster_.block(1, 3);
  const NodeId leader = cluster_.leader();
  ASSERT_NE(leader, 0u);
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        return std::any_of(cluster_.node(leader).state().pending().begin(),
                           cluster_.node(leader).state().pending().end(),
                           [](const auto& p) { return p.second.copy.has_value(); });
      },
      2s));
  testing::Reply reply;
  cluster_.node(leader).remove_node(1, testing::into(reply));
  ASSERT_TRUE(reply.done);
  EXPECT_EQ(reply.result.kind, WriteResult::Invalid);
  EXPECT_NE(reply.result.message.find("import by copy"), std::string::npos) << reply.result.message;
  // Once another member has it (and acknowledged it), the removal goes through.
  cluster_.unblock_all();
  ASSERT_TRUE(settle());
  // (A leader may remove itself: it leads until the removal commits.)
  testing::Reply later;
  cluster_.node(cluster_.leader()).remove_node(1, testing::into(later));
  ASSERT_TRUE(cluster_.run_until([&] { return later.done; }, 5s));
  EXPECT_EQ(later.result.kind, WriteResult::Ok) << later.result.message;
}

}  // namespace
}  // namespace engine
