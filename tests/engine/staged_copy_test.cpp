// A datastore copy staged on disk and taken up after a restart (engine/staged_copy.h,
// TransferSink::recover): the receiver resumes from its last durable chunk, at every crash point
// of staging one, and a damaged staged file or identity restarts the copy cleanly, never
// installing wrong records.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "dns/zone_parser.h"
#include "engine/crc32.h"
#include "engine/datastore_transfer.h"
#include "engine/local_store.h"
#include "engine/snapshot_file.h"
#include "raft/codec.h"
#include "tests/engine/memory_disk.h"

namespace engine {
namespace {

using testing::MemoryDisk;

std::vector<std::string> canonical(const std::vector<dns::Record>& records) {
  std::vector<std::string> out;
  for (const dns::Record& r : records) out.push_back(dns::to_text(r));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<dns::Record> source_records() {
  std::string text;
  for (int z = 0; z < 3; ++z) {
    text += fmt::format("z{}.test. 300 IN SOA ns.z{}.test. admin.z{}.test. 1 3600 600 86400 300\n",
                        z, z, z);
    for (int i = 0; i < 200; ++i)
      text += fmt::format("h{}.z{}.test. 300 IN A 192.0.2.{}\n", i, z, i % 250 + 1);
  }
  return dns::parse_master_file(text, "test", {}).records;
}

// How many chunks the staged copy's identity file names (after a power cut: what resumes).
std::uint64_t read_staged_chunks(const MemoryDisk& disk) {
  MemoryDisk copy = disk;
  copy.crash();
  TransferSink probe{copy, "xfer.part"};
  probe.recover();
  return probe.active() ? probe.progress().chunks : 0;
}

// A source that keeps serving one snapshot, and the receiver's disk.
struct Copy {
  Copy() { db.load(source_records()); }

  dns::Database db;
  TransferSource source{2048};
  MemoryDisk disk;
  int snapshots = 0;

  TransferChunk chunk(const TransferRequest& r) {
    TransferMessage m =
        source.handle(r, [&](std::string&) -> std::optional<TransferSource::Snapshot> {
          ++snapshots;
          return TransferSource::Snapshot{db.current(), 42};
        });
    return std::get<TransferChunk>(m);
  }
  // Feeds chunks until `stop_after` more are staged or the copy is complete.
  TransferSink::Step feed(TransferSink& sink, int stop_after = 1 << 30) {
    TransferSink::Step step = TransferSink::Step::Next;
    for (int i = 0; i < stop_after && step != TransferSink::Step::Complete; ++i)
      step = sink.on_chunk(2, chunk(sink.next_request()));
    return step;
  }
  std::vector<std::string> installed(TransferSink& sink) { return installed(sink, disk); }
  std::vector<std::string> installed(TransferSink& sink, const Disk& on) {
    sink.finish(false);
    std::vector<dns::Record> out;
    for_each_snapshot_record(on, sink.staged_file(),
                             [&](const dns::Record& r) { out.push_back(r); });
    return canonical(out);
  }
};

TEST(Crc32, ExtendingTheChecksumOfAPrefixGivesTheChecksumOfTheWhole) {
  const Bytes whole{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
    const ByteView a(whole.data(), cut), b(whole.data() + cut, whole.size() - cut);
    EXPECT_EQ(crc32_extend(crc32(a), b), crc32(whole)) << "cut " << cut;
  }
  EXPECT_EQ(crc32_extend(0, whole), crc32(whole));
}

TEST(StagedCopy, AReceiverRestartedMidCopyResumesAtItsNextChunkFromTheSameSnapshot) {
  Copy c;
  const std::vector<std::string> want = canonical(c.db.all_records());
  TransferSink sink{c.disk, "xfer.part"};
  sink.begin(2, 0x77);
  ASSERT_EQ(c.feed(sink, 5), TransferSink::Step::Next);
  c.disk.crash();  // a power cut: only what was fsynced is left
  TransferSink restarted{c.disk, "xfer.part"};
  const std::string note = restarted.recover();
  EXPECT_NE(note.find("5 chunks"), std::string::npos) << note;
  ASSERT_TRUE(restarted.active());
  EXPECT_TRUE(restarted.recovered());
  EXPECT_EQ(restarted.next_request(), (TransferRequest{0x77, 5}));
  EXPECT_EQ(restarted.progress().index, 42u);
  EXPECT_EQ(c.feed(restarted), TransferSink::Step::Complete);
  EXPECT_EQ(c.snapshots, 1);  // the source went on with the version it had taken
  EXPECT_EQ(c.installed(restarted), want);
}

TEST(StagedCopy, WithSyncBytesARestartResumesAtTheLastChunkThatFilledThem) {
  Copy c;
  const std::vector<std::string> want = canonical(c.db.all_records());
  TransferSink sink{c.disk, "xfer.part"};
  sink.set_sync_bytes(3 * 2048);  // about three of the source's 2048-byte chunks
  sink.begin(2, 0x55);
  const int syncs_before = c.disk.syncs;
  ASSERT_EQ(c.feed(sink, 2), TransferSink::Step::Next);
  EXPECT_EQ(c.disk.syncs, syncs_before) << "two chunks are below the sync bytes";
  ASSERT_EQ(c.feed(sink, 3), TransferSink::Step::Next);
  const std::uint64_t chunks_at_identity = read_staged_chunks(c.disk);
  EXPECT_GE(chunks_at_identity, 3u);
  EXPECT_LT(chunks_at_identity, 5u);
  c.disk.crash();
  TransferSink restarted{c.disk, "xfer.part"};
  restarted.set_sync_bytes(3 * 2048);
  restarted.recover();
  ASSERT_TRUE(restarted.active());
  // Whatever came after the last identity is asked for again.
  EXPECT_EQ(restarted.next_request(), (TransferRequest{0x55, chunks_at_identity}));
  EXPECT_EQ(c.feed(restarted), TransferSink::Step::Complete);
  EXPECT_EQ(c.installed(restarted), want);
}

TEST(StagedCopy, APowerCutAtEveryWriteOfStagingAChunkResumesAtAChunkThatGivesTheRightRecords) {
  Copy c;  // its source serves every restarted receiver below
  const std::vector<std::string> want = canonical(c.db.all_records());
  TransferSink first{c.disk, "xfer.part"};
  first.begin(2, 0x99);
  ASSERT_EQ(c.feed(first, 3), TransferSink::Step::Next);
  bool staged = false;
  for (int cut = 0; !staged; ++cut) {
    ASSERT_LT(cut, 20);
    MemoryDisk disk = c.disk;
    TransferSink sink{disk, "xfer.part"};
    ASSERT_FALSE(sink.recover().empty());
    disk.cut_power_after(cut);
    try {
      c.feed(sink, 1);
      staged = true;
    } catch (const testing::PowerCut&) {
    }
    disk.cut_power_after(-1);
    for (std::size_t torn : {std::size_t{0}, std::size_t{5}}) {
      MemoryDisk after = disk;
      after.crash(torn);
      TransferSink restarted{after, "xfer.part"};
      restarted.recover();
      ASSERT_TRUE(restarted.active()) << "cut " << cut;
      EXPECT_EQ(restarted.next_request().chunk, staged ? 4u : 3u) << "cut " << cut;
      EXPECT_EQ(c.feed(restarted), TransferSink::Step::Complete);
      EXPECT_EQ(c.installed(restarted, after), want) << "cut " << cut << " torn " << torn;
    }
  }
}

TEST(StagedCopy, ADamagedStagedFileFailsItsChecksumAndTheCopyStartsCleanlyOver) {
  Copy c;
  TransferSink sink{c.disk, "xfer.part"};
  sink.begin(2, 5);
  c.feed(sink, 4);
  c.disk.raw("xfer.part")[kSnapshotHeaderBytes + 100] ^= 0x40;  // bit rot in a staged record
  TransferSink restarted{c.disk, "xfer.part"};
  const std::string note = restarted.recover();
  EXPECT_NE(note.find("do not match their checksum"), std::string::npos) << note;
  EXPECT_FALSE(restarted.active());
  EXPECT_FALSE(c.disk.read("xfer.part").has_value());
  EXPECT_FALSE(c.disk.read("xfer.part.state").has_value());
  // A new copy from scratch gives the source's records.
  restarted.begin(2, 6);
  EXPECT_EQ(c.feed(restarted), TransferSink::Step::Complete);
  EXPECT_EQ(c.installed(restarted), canonical(c.db.all_records()));
}

TEST(StagedCopy, AStagedFileShorterThanItsIdentityOrADamagedIdentityIsDropped) {
  for (int damage = 0; damage < 3; ++damage) {
    Copy c;
    TransferSink sink{c.disk, "xfer.part"};
    sink.begin(2, 5);
    c.feed(sink, 3);
    if (damage == 0) c.disk.raw("xfer.part").resize(kSnapshotHeaderBytes + 10);
    if (damage == 1) c.disk.raw("xfer.part.state")[7] ^= 1;
    if (damage == 2) c.disk.remove("xfer.part.state");
    TransferSink restarted{c.disk, "xfer.part"};
    EXPECT_FALSE(restarted.recover().empty()) << damage;
    EXPECT_FALSE(restarted.active()) << damage;
    EXPECT_TRUE(c.disk.list().empty()) << damage;
  }
}

TEST(StagedCopy, AFileDamagedAfterItsLastChunkIsNeverSealedAsASnapshot) {
  Copy c;
  TransferSink sink{c.disk, "xfer.part"};
  sink.begin(2, 5);
  ASSERT_EQ(c.feed(sink), TransferSink::Step::Complete);
  c.disk.raw("xfer.part")[c.disk.raw("xfer.part").size() - 3] ^= 0x01;
  EXPECT_THROW(sink.finish(false), raft::DecodeError);
  // The header was not written: the file is no snapshot a store could load.
  EXPECT_THROW(for_each_snapshot_record(c.disk, "xfer.part", [](const dns::Record&) {}),
               raft::DecodeError);
}

TEST(StagedCopy, ACopyStagedWholeBeforeTheRestartIsCompleteAndNeedsNoChunk) {
  Copy c;
  TransferSink sink{c.disk, "xfer.part"};
  sink.begin(2, 5);
  ASSERT_EQ(c.feed(sink), TransferSink::Step::Complete);
  c.disk.crash();
  TransferSink restarted{c.disk, "xfer.part"};
  restarted.recover();
  EXPECT_TRUE(restarted.complete());
  EXPECT_EQ(c.installed(restarted), canonical(c.db.all_records()));
}

TEST(SnapshotFile, TheReaderReadsWhatLocalStoreWritesInAnyPieceSize) {
  const std::vector<dns::Record> records = source_records();
  MemoryDisk disk;
  LocalStore store(disk);
  store.load();
  store.append(std::vector<StoredBatch>{{9, {}}}, 9);
  store.write_snapshot(records);
  // Pieces far smaller than a record: every record straddles reads.
  for (std::size_t piece : {std::size_t{7}, std::size_t{97}, kSnapshotReadPiece}) {
    std::vector<dns::Record> read;
    const SnapshotFileSummary s = for_each_snapshot_record(
        disk, store.snapshot_file(), [&](const dns::Record& r) { read.push_back(r); }, piece);
    EXPECT_EQ(s.index, 9u);
    EXPECT_EQ(canonical(read), canonical(records)) << piece;
  }
  // A loaded database is the same whether it got a vector or the file twice over.
  dns::Database whole, streamed;
  whole.load(records);
  streamed.load_streamed([&](const dns::Database::RecordVisitor& visit) {
    for_each_snapshot_record(disk, store.snapshot_file(), visit);
  });
  EXPECT_EQ(canonical(streamed.all_records()), canonical(whole.all_records()));
  // A flipped byte anywhere fails the checksum (or the decoding), never passes as records.
  Bytes& file = disk.raw(store.snapshot_file());
  file[file.size() / 2] ^= 0x10;
  EXPECT_THROW(for_each_snapshot_record(disk, store.snapshot_file(), [](const dns::Record&) {}),
               raft::DecodeError);
}

}  // namespace
}  // namespace engine
