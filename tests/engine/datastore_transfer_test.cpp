// Datastore transfer without a cluster: a source walks an immutable database version in bounded
// chunks; a receiver with lost, duplicated and resent messages, and a source that forgot the
// transfer, still ends with exactly the source's records.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "dns/zone_parser.h"
#include "engine/datastore_transfer.h"
#include "engine/local_store.h"
#include "engine/snapshot_file.h"
#include "raft/codec.h"
#include "tests/engine/memory_disk.h"

namespace engine {
namespace {

using testing::MemoryDisk;

std::vector<dns::Record> many_records(int zones, int per_zone) {
  std::string text;
  for (int z = 0; z < zones; ++z) {
    text += fmt::format("z{}.test. 300 IN SOA ns.z{}.test. admin.z{}.test. 1 3600 600 86400 300\n",
                        z, z, z);
    for (int i = 0; i < per_zone; ++i)
      text += fmt::format("h{}.z{}.test. 300 IN A 192.0.2.{}\n", i, z, i % 250 + 1);
  }
  text += "outside.example. 300 IN A 198.51.100.1\n";
  return dns::parse_master_file(text, "test", {}).records;
}

std::vector<dns::Record> sorted(std::vector<dns::Record> r) {
  std::sort(r.begin(), r.end(), [](const dns::Record& a, const dns::Record& b) {
    return dns::to_text(a) < dns::to_text(b);
  });
  return r;
}

// The records a finished transfer staged, read back from the sealed file as the node loads them.
std::vector<dns::Record> staged_records(TransferSink& sink, const Disk& disk) {
  sink.finish(false);
  std::vector<dns::Record> out;
  for_each_snapshot_record(disk, sink.staged_file(),
                           [&](const dns::Record& r) { out.push_back(r); });
  return out;
}

struct Fixture {
  dns::Database db;
  TransferSource source{4096};  // small chunks: many of them
  MemoryDisk disk;
  TransferSink sink{disk, "xfer.part"};
  int snapshots_taken = 0;

  TransferMessage ask(const TransferRequest& r) {
    return source.handle(r, [&](std::string&) -> std::optional<TransferSource::Snapshot> {
      ++snapshots_taken;
      return TransferSource::Snapshot{db.current(), 77};
    });
  }
};

TEST(DatastoreTransfer, LostAndDuplicatedChunksResumeAndEndWithTheSourcesRecords) {
  Fixture f;
  f.db.load(many_records(5, 300));
  const std::vector<dns::Record> want = f.db.all_records();
  TransferRequest request = f.sink.begin(2, 0xabc);
  std::size_t max_payload = 0;
  int round = 0;
  for (; round < 10000; ++round) {
    TransferMessage reply = f.ask(request);
    auto& chunk = std::get<TransferChunk>(reply);
    max_payload = std::max(max_payload, chunk.payload.size());
    if (round % 3 == 1) continue;  // lost: the receiver asks for the same chunk again
    const TransferSink::Step step = f.sink.on_chunk(2, chunk);
    ASSERT_NE(step, TransferSink::Step::Ignored) << "round " << round;
    // A duplicate of the chunk just taken is ignored.
    EXPECT_EQ(f.sink.on_chunk(2, chunk), TransferSink::Step::Ignored);
    if (step == TransferSink::Step::Complete) break;
    request = f.sink.next_request();
  }
  EXPECT_GT(f.sink.progress().chunks, 10u);
  EXPECT_EQ(f.snapshots_taken, 1);
  // Bounded: one chunk is at most the chunk size plus one record.
  EXPECT_LT(max_payload, 4096u + 600u);
  EXPECT_EQ(f.sink.progress().index, 77u);
  EXPECT_EQ(sorted(staged_records(f.sink, f.disk)), sorted(want));
}

TEST(DatastoreTransfer, ASnapshotStaysConsistentWhileTheSourceKeepsChanging) {
  Fixture f;
  f.db.load(many_records(2, 200));
  const std::vector<dns::Record> want = f.db.all_records();
  TransferRequest request = f.sink.begin(2, 5);
  for (int i = 0; i < 1000; ++i) {
    TransferMessage reply = f.ask(request);
    // The source goes on applying changes between chunks.
    std::vector<dns::Change> change{
        {dns::Change::Add,
         dns::parse_master_file(fmt::format("n{}.z0.test. 300 IN A 192.0.2.9\n", i), "t", {})
             .records.at(0)}};
    f.db.apply(change);
    if (f.sink.on_chunk(2, std::get<TransferChunk>(reply)) == TransferSink::Step::Complete) break;
    request = f.sink.next_request();
  }
  EXPECT_EQ(sorted(staged_records(f.sink, f.disk)), sorted(want));
}

TEST(DatastoreTransfer, ASourceThatForgotTheTransferRefusesAndTheReceiverStartsOver) {
  Fixture f;
  f.db.load(many_records(1, 200));
  TransferRequest request = f.sink.begin(2, 9);
  ASSERT_EQ(f.sink.on_chunk(2, std::get<TransferChunk>(f.ask(request))), TransferSink::Step::Next);
  TransferSource restarted{4096};
  const TransferMessage reply = restarted.handle(
      f.sink.next_request(), [](std::string&) -> std::optional<TransferSource::Snapshot> {
        ADD_FAILURE() << "a resumed chunk must not take a new snapshot";
        return std::nullopt;
      });
  ASSERT_TRUE(std::holds_alternative<TransferRefused>(reply));
  EXPECT_NE(std::get<TransferRefused>(reply).reason.find("unknown transfer"), std::string::npos);
  // Starting over discards the part file and counts a restart.
  f.sink.begin(3, 10);
  EXPECT_FALSE(f.disk.read("xfer.part").has_value());
  EXPECT_EQ(f.sink.progress().restarts, 1u);
}

TEST(DatastoreTransfer, ChunksFromAnotherPeerOrTransferOrOutOfOrderAreIgnored) {
  Fixture f;
  f.db.load(many_records(1, 100));
  TransferRequest request = f.sink.begin(2, 9);
  TransferChunk chunk = std::get<TransferChunk>(f.ask(request));
  EXPECT_EQ(f.sink.on_chunk(3, chunk), TransferSink::Step::Ignored);
  TransferChunk other = chunk;
  other.transfer_id = 8;
  EXPECT_EQ(f.sink.on_chunk(2, other), TransferSink::Step::Ignored);
  TransferChunk later = chunk;
  later.chunk = 1;
  EXPECT_EQ(f.sink.on_chunk(2, later), TransferSink::Step::Ignored);
  EXPECT_EQ(f.sink.progress().chunks, 0u);
}

TEST(DatastoreTransfer, AChunkWhoseRecordsDoNotDecodeIsRefusedBeforeTheDisk) {
  Fixture f;
  f.sink.begin(2, 1);
  TransferChunk bad{1, 5, 0, true, 3, {1, 2, 3}};
  EXPECT_THROW(f.sink.on_chunk(2, bad), raft::DecodeError);
  EXPECT_FALSE(f.disk.read("xfer.part").has_value());
}

TEST(DatastoreTransfer, FinishSealsTheStagedFileAndWithoutItsFsyncAPowerCutLosesTheHeader) {
  Fixture f;
  f.db.load(many_records(1, 50));
  TransferRequest request = f.sink.begin(2, 4);
  while (f.sink.on_chunk(2, std::get<TransferChunk>(f.ask(request))) !=
         TransferSink::Step::Complete)
    request = f.sink.next_request();
  // Every chunk is durable as it is staged; the header is written (and fsynced) by finish().
  MemoryDisk unsynced = f.disk;
  TransferSink careless{unsynced, "xfer.part"};
  ASSERT_TRUE(careless.recover().find("complete") != std::string::npos);
  careless.finish(/*skip_sync=*/true);
  unsynced.crash();
  EXPECT_THROW(for_each_snapshot_record(unsynced, "xfer.part", [](const dns::Record&) {}),
               raft::DecodeError);
  f.sink.finish(false);
  f.disk.crash();
  std::uint64_t n = 0;
  const SnapshotFileSummary s =
      for_each_snapshot_record(f.disk, "xfer.part", [&](const dns::Record&) { ++n; });
  EXPECT_EQ(s.index, 77u);
  EXPECT_EQ(n, f.db.all_records().size());
}

TEST(DatastoreTransfer, LocalStoreInstallReplacesItsContentsDurably) {
  MemoryDisk disk;
  {
    LocalStore store(disk);
    store.load();
    store.initialize();
    store.append(std::vector<StoredBatch>{{3, {}}}, 3);
    store.install_snapshot(many_records(1, 10), 40);
    EXPECT_EQ(store.durable_hw(), 40u);
  }
  disk.crash();
  LocalStore again(disk);
  const LocalStoreContents c = again.load();
  EXPECT_EQ(c.hw, 40u);
  EXPECT_TRUE(c.imported);
  EXPECT_EQ(sorted(c.snapshot_records), sorted(many_records(1, 10)));
  EXPECT_TRUE(c.batches.empty());
}

TEST(DatastoreTransfer, AnInstalledStagedFileIsTheStoresSnapshotAtEveryCrashPoint) {
  Fixture f;
  f.db.load(many_records(3, 40));
  const std::vector<dns::Record> want = f.db.all_records();
  TransferRequest request = f.sink.begin(2, 4);
  while (f.sink.on_chunk(2, std::get<TransferChunk>(f.ask(request))) !=
         TransferSink::Step::Complete)
    request = f.sink.next_request();
  f.sink.finish(false);
  const std::vector<dns::Record> old_records = many_records(1, 3);
  {
    LocalStore store(f.disk);
    store.load();
    store.initialize();
    store.install_snapshot(old_records, 5);
  }
  // Every writing call of the install may be the last before a power cut: the store then loads
  // either the old snapshot or the copy, never anything else.
  bool installed = false;
  for (int cut = 0; !installed; ++cut) {
    ASSERT_LT(cut, 20);
    MemoryDisk disk = f.disk;
    LocalStore store(disk);
    store.load();
    disk.cut_power_after(cut);
    try {
      store.install_snapshot_file("xfer.part", kSnapshotHeaderBytes + f.sink.progress().bytes, 77);
      installed = true;
    } catch (const testing::PowerCut&) {
    }
    disk.cut_power_after(-1);
    disk.crash();
    LocalStore again(disk);
    const LocalStoreContents c = again.load();
    if (c.hw == 77u) {
      EXPECT_EQ(sorted(c.snapshot_records), sorted(want)) << "cut " << cut;
    } else {
      EXPECT_FALSE(installed);
      EXPECT_EQ(c.hw, 5u) << "cut " << cut;
      EXPECT_EQ(sorted(c.snapshot_records), sorted(old_records)) << "cut " << cut;
    }
  }
}

}  // namespace
}  // namespace engine
