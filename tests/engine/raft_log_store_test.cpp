// RaftLogStore: what raft hands out to persist comes back after a restart, torn tails are cut,
// conflicting suffixes are overwritten, compaction and snapshots survive crashes.

#include "engine/raft_log_store.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/engine/memory_disk.h"

namespace engine {
namespace {

using raft::Entry;
using raft::Index;
using raft::Ready;
using raft::Term;
using testing::MemoryDisk;

std::vector<Entry> entries(Index from, Index to, Term term) {
  std::vector<Entry> out;
  for (Index i = from; i <= to; ++i) {
    out.push_back(Entry{.term = term, .index = i, .data = Bytes(i % 7, static_cast<uint8_t>(i))});
  }
  return out;
}

raft::Snapshot snapshot_at(Index index, Term term, std::string data) {
  return raft::Snapshot{.meta = {.index = index, .term = term, .voters = {1, 2, 3}},
                        .data = Bytes(data.begin(), data.end())};
}

TEST(RaftLogStore, EmptyDiskLoadsEmptyState) {
  MemoryDisk disk;
  raft::Restored r = RaftLogStore(disk).load();
  EXPECT_EQ(r.hard_state, raft::HardState{});
  EXPECT_FALSE(r.snapshot);
  EXPECT_TRUE(r.entries.empty());
}

TEST(RaftLogStore, SaveLoadRoundTrip) {
  MemoryDisk disk;
  {
    RaftLogStore store(disk);
    store.load();
    store.save(Ready{.hard_state = raft::HardState{.term = 2, .vote = 3, .commit = 4},
                     .entries = entries(1, 5, 2)});
    store.save(Ready{.entries = entries(6, 8, 2)});
  }
  disk.crash();
  raft::Restored r = RaftLogStore(disk).load();
  EXPECT_EQ(r.hard_state, (raft::HardState{.term = 2, .vote = 3, .commit = 4}));
  EXPECT_EQ(r.entries, entries(1, 8, 2));
}

TEST(RaftLogStore, SaveSyncsBeforeReturning) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 3, 1)});
  disk.crash();  // nothing torn: it was all synced
  EXPECT_EQ(RaftLogStore(disk).load().entries, entries(1, 3, 1));
}

TEST(RaftLogStore, HardStateSurvivesAndLatestWins) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.hard_state = raft::HardState{.term = 1, .vote = 1}});
  store.save(Ready{.hard_state = raft::HardState{.term = 5, .vote = 2, .commit = 0}});
  disk.crash();
  EXPECT_EQ(RaftLogStore(disk).load().hard_state, (raft::HardState{.term = 5, .vote = 2}));
}

// etcd's MustSync: entries, a snapshot, a new term or vote are synced; a new commit index alone
// is written without a sync, may be lost to a power cut, and is durable with the next sync.
TEST(RaftLogStore, ANewCommitIndexAloneIsWrittenButNotSynced) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  const Ready first{.hard_state = raft::HardState{.term = 2, .vote = 1, .commit = 0},
                    .entries = entries(1, 3, 2)};
  EXPECT_TRUE(store.needs_sync(first));
  store.save(first);
  const int syncs = disk.syncs;
  const Ready commit{.hard_state = raft::HardState{.term = 2, .vote = 1, .commit = 3}};
  EXPECT_FALSE(store.needs_sync(commit));
  store.save(commit);
  EXPECT_EQ(disk.syncs, syncs);
  EXPECT_TRUE(store.needs_sync(Ready{.hard_state = raft::HardState{.term = 3, .commit = 3}}));
  EXPECT_TRUE(
      store.needs_sync(Ready{.hard_state = raft::HardState{.term = 2, .vote = 2, .commit = 3}}));
  EXPECT_TRUE(store.needs_sync(Ready{.entries = entries(4, 4, 2)}));
  EXPECT_FALSE(store.needs_sync(Ready{}));
  {
    MemoryDisk lost = disk;
    lost.crash();  // the commit index goes back to the synced one; entries and term stay
    raft::Restored r = RaftLogStore(lost).load();
    EXPECT_EQ(r.hard_state, (raft::HardState{.term = 2, .vote = 1, .commit = 0}));
    EXPECT_EQ(r.entries, entries(1, 3, 2));
  }
  store.save(Ready{.entries = entries(4, 4, 2)});  // synced: takes the commit index along
  disk.crash();
  EXPECT_EQ(RaftLogStore(disk).load().hard_state,
            (raft::HardState{.term = 2, .vote = 1, .commit = 3}));
}

TEST(RaftLogStore, TornTailIsCutOnLoad) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 4, 1)});
  // A write that never got synced, torn after a few bytes by a crash.
  disk.append("raft.log", Bytes(3, 0xab));
  disk.crash(3);
  RaftLogStore reloaded(disk);
  EXPECT_EQ(reloaded.load().entries, entries(1, 4, 1));
  // The cut is durable, and appending continues cleanly after it.
  reloaded.save(Ready{.entries = entries(5, 6, 1)});
  disk.crash();
  EXPECT_EQ(RaftLogStore(disk).load().entries, entries(1, 6, 1));
}

RC_GTEST_PROP(RaftLogStore, AnyTornRecordIsCutNeverParsed, ()) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 3, 1)});
  size_t synced = disk.raw("raft.log").size();
  // Simulate an unsynced append of entries 4..6 torn at an arbitrary byte.
  Bytes before = disk.raw("raft.log");
  {
    MemoryDisk scratch;
    RaftLogStore other(scratch);
    other.load();
    other.save(Ready{.entries = entries(1, 6, 1)});
    Bytes full = scratch.raw("raft.log");
    RC_PRE(full.size() > synced);
    size_t torn = *rc::gen::inRange<size_t>(0, full.size() - synced);
    disk.append("raft.log", ByteView(full.data() + synced, full.size() - synced));
    disk.crash(torn);
  }
  raft::Restored r = RaftLogStore(disk).load();
  RC_ASSERT(r.entries.size() >= 3u);
  RC_ASSERT(r.entries.size() <= 6u);
  RC_ASSERT(r.entries == entries(1, r.entries.size(), 1));
}

TEST(RaftLogStore, CorruptRecordInTailIsCut) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 2, 1)});
  size_t good = disk.raw("raft.log").size();
  store.save(Ready{.entries = entries(3, 3, 1)});
  disk.raw("raft.log").back() ^= 0xff;  // checksum no longer matches
  raft::Restored r = RaftLogStore(disk).load();
  EXPECT_EQ(r.entries, entries(1, 2, 1));
  EXPECT_EQ(disk.raw("raft.log").size(), good);
}

TEST(RaftLogStore, ConflictingSuffixIsOverwritten) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 6, 1)});
  // A new leader's entries from index 4 on replace ours.
  store.save(Ready{.entries = entries(4, 5, 2)});
  disk.crash();
  std::vector<Entry> expected = entries(1, 3, 1);
  for (Entry& e : entries(4, 5, 2)) expected.push_back(e);
  EXPECT_EQ(RaftLogStore(disk).load().entries, expected);
}

TEST(RaftLogStore, CompactedSnapshotDropsOldEntries) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 10, 1)});
  uint64_t before = store.log_file_size();
  store.save(Ready{.compacted_snapshot = snapshot_at(7, 1, "app@7")});
  EXPECT_LT(store.log_file_size(), before);
  store.save(Ready{.entries = entries(11, 12, 1)});
  disk.crash();
  raft::Restored r = RaftLogStore(disk).load();
  ASSERT_TRUE(r.snapshot);
  EXPECT_EQ(*r.snapshot, snapshot_at(7, 1, "app@7"));
  EXPECT_EQ(r.entries, entries(8, 12, 1));
}

TEST(RaftLogStore, CompactRefusesToDropEntriesNoSnapshotCovers) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 10, 1)});
  EXPECT_THROW(store.compact(5), RaftLogStoreError);
  store.save(Ready{.compacted_snapshot = snapshot_at(5, 1, "s")});
  EXPECT_NO_THROW(store.compact(5));
  EXPECT_EQ(RaftLogStore(disk).load().entries, entries(6, 10, 1));
}

TEST(RaftLogStore, ReceivedSnapshotReplacesLog) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 10, 1)});
  store.save(Ready{.hard_state = raft::HardState{.term = 3, .commit = 20},
                   .snapshot = snapshot_at(20, 3, "leader-state"),
                   .entries = entries(21, 22, 3)});
  disk.crash();
  raft::Restored r = RaftLogStore(disk).load();
  EXPECT_EQ(r.snapshot->meta.index, 20u);
  EXPECT_EQ(r.entries, entries(21, 22, 3));
  EXPECT_EQ(r.hard_state.commit, 20u);
}

// A disk that crashes the process (throws) on the Nth replace(), to test crash points.
class CrashingDisk : public MemoryDisk {
 public:
  int replaces_left = 1000;
  void replace(const std::string& name, ByteView data) override {
    if (replaces_left-- == 0) throw std::runtime_error("crash");
    MemoryDisk::replace(name, data);
  }
};

TEST(RaftLogStore, CrashBetweenReceivedSnapshotAndLogRewriteDropsStaleLog) {
  CrashingDisk disk;
  RaftLogStore store(disk);
  store.load();
  // Our log diverged: entries 1..10 of term 1 while the cluster's snapshot at 5 has term 2.
  store.save(Ready{.entries = entries(1, 10, 1)});
  disk.replaces_left = 1;  // the snapshot write succeeds, the log rewrite "crashes"
  EXPECT_THROW(store.save(Ready{.snapshot = snapshot_at(5, 2, "s")}), std::runtime_error);
  disk.crash();
  raft::Restored r = RaftLogStore(disk).load();
  EXPECT_EQ(r.snapshot->meta.index, 5u);
  EXPECT_TRUE(r.entries.empty()) << "entries 6..10 of the replaced history came back";
}

TEST(RaftLogStore, CrashBetweenCompactionAndLogRewriteKeepsEntries) {
  CrashingDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 10, 1)});
  disk.replaces_left = 1;
  EXPECT_THROW(store.save(Ready{.compacted_snapshot = snapshot_at(5, 1, "s")}), std::runtime_error);
  disk.crash();
  raft::Restored r = RaftLogStore(disk).load();
  EXPECT_EQ(r.snapshot->meta.index, 5u);
  EXPECT_EQ(r.entries, entries(6, 10, 1));
}

TEST(RaftLogStore, HardStateCostsNoExtraSyncAndTheLatestWins) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  const auto syncs = disk.syncs;
  store.save(
      Ready{.hard_state = raft::HardState{.term = 1, .vote = 2}, .entries = entries(1, 3, 1)});
  EXPECT_EQ(disk.syncs, syncs + 1);
  store.save(Ready{.hard_state = raft::HardState{.term = 1, .vote = 2, .commit = 2}});
  EXPECT_EQ(RaftLogStore(disk).load().hard_state,
            (raft::HardState{.term = 1, .vote = 2, .commit = 2}));
  // Survives compaction's rewrite of the log.
  store.save(Ready{.compacted_snapshot = raft::Snapshot{.meta = {.index = 2, .term = 1}}});
  store.compact(2);
  raft::Restored r = RaftLogStore(disk).load();
  EXPECT_EQ(r.hard_state, (raft::HardState{.term = 1, .vote = 2, .commit = 2}));
  EXPECT_EQ(r.entries, entries(3, 3, 1));
}

TEST(RaftLogStore, DamagedLegacyHardStateFileIsAnErrorNotSilence) {
  MemoryDisk disk;
  disk.replace("raft.hs", std::vector<std::uint8_t>{1, 0, 0, 0, 0, 9, 9});
  try {
    RaftLogStore(disk).load();
    FAIL();
  } catch (const RaftLogStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("raft.hs"), std::string::npos) << e.what();
  }
}

TEST(RaftLogStore, PrefixSeparatesStores) {
  MemoryDisk disk;
  RaftLogStore a(disk, "a"), b(disk, "b");
  a.load();
  b.load();
  a.save(Ready{.entries = entries(1, 2, 1)});
  EXPECT_TRUE(RaftLogStore(disk, "b").load().entries.empty());
  EXPECT_EQ(RaftLogStore(disk, "a").load().entries.size(), 2u);
}

TEST(RaftLogStore, SnapshotWithLearnersUsesFormat2AndOthersKeepFormat1) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 10, 2)});
  store.save(Ready{.compacted_snapshot = snapshot_at(5, 2, "voters only")});
  EXPECT_EQ(disk.read("raft.snap")->at(0), 1);  // what versions before learners wrote and read
  raft::Snapshot with_learners = snapshot_at(9, 2, "with learners");
  with_learners.meta.learners = {4, 5};
  store.save(Ready{.compacted_snapshot = with_learners});
  EXPECT_EQ(disk.read("raft.snap")->at(0), 2);
  disk.crash();
  raft::Restored r = RaftLogStore(disk).load();
  ASSERT_TRUE(r.snapshot);
  EXPECT_EQ(*r.snapshot, with_learners);
  EXPECT_EQ(r.entries, entries(10, 10, 2));
}

TEST(RaftLogStore, UnknownSnapshotFormatIsAnError) {
  MemoryDisk disk;
  RaftLogStore(disk).save(Ready{.compacted_snapshot = snapshot_at(1, 1, "s")});
  Bytes file = *disk.read("raft.snap");
  file[0] = 3;
  disk.replace("raft.snap", file);
  try {
    RaftLogStore(disk).load();
    FAIL();
  } catch (const RaftLogStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("format version 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace engine
