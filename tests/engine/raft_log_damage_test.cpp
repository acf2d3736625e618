// RaftLogStore on a damaged raft.log: only a torn tail (damage in the last record) is cut;
// damage that valid records follow is refused with the file and byte offset, since cutting there
// would drop synced entries and the vote.

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "engine/raft_log_store.h"
#include "raft/codec.h"
#include "tests/engine/memory_disk.h"

namespace engine {
namespace {

using raft::Entry;
using raft::Index;
using raft::Ready;
using testing::MemoryDisk;

std::vector<Entry> entries(Index from, Index to) {
  std::vector<Entry> out;
  for (Index i = from; i <= to; ++i)
    out.push_back(Entry{.term = 2, .index = i, .data = Bytes(5 + i % 7, static_cast<uint8_t>(i))});
  return out;
}

const raft::HardState kVoted{.term = 2, .vote = 3, .commit = 4};

// A synced raft.log: header, entries 1..6 and a hard state with a vote, in three Readies.
MemoryDisk synced_log() {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.hard_state = kVoted, .entries = entries(1, 3)});
  store.save(Ready{.entries = entries(4, 5)});
  store.save(Ready{.entries = entries(6, 6)});
  return disk;
}

// Where each record of the file starts (from the length fields of an undamaged file).
std::vector<std::size_t> record_starts(const Bytes& file) {
  std::vector<std::size_t> starts;
  for (std::size_t at = 0; at < file.size();) {
    starts.push_back(at);
    raft::ByteReader r(ByteView(file.data() + at, 4));
    at += 8 + r.u32("length");
  }
  return starts;
}

std::string refusal(MemoryDisk& disk) {
  try {
    RaftLogStore(disk).load();
  } catch (const RaftLogStoreError& e) {
    return e.what();
  }
  return "";
}

TEST(RaftLogDamage, FlippedByteInTheMiddleIsRefusedWithFileAndOffset) {
  MemoryDisk disk = synced_log();
  const Bytes before = disk.raw("raft.log");
  const std::vector<std::size_t> starts = record_starts(before);
  ASSERT_GE(starts.size(), 5u);
  const std::size_t damaged = starts[2];
  disk.raw("raft.log")[damaged + 12] ^= 0x10;  // inside the payload of the third record
  EXPECT_EQ(refusal(disk), fmt::format("raft.log: record at byte {} is damaged (checksum mismatch) "
                                       "but a valid record follows at byte {}: not a torn tail",
                                       damaged, starts[3]));
  // Nothing was cut: a repaired file still has every entry and the vote.
  EXPECT_EQ(disk.raw("raft.log").size(), before.size());
  disk.raw("raft.log")[damaged + 12] ^= 0x10;
  raft::Restored r = RaftLogStore(disk).load();
  EXPECT_EQ(r.entries, entries(1, 6));
  EXPECT_EQ(r.hard_state, kVoted);
}

TEST(RaftLogDamage, DamagedLengthFieldIsRefusedToo) {
  MemoryDisk disk = synced_log();
  const std::vector<std::size_t> starts = record_starts(disk.raw("raft.log"));
  // A length claiming far more than the file holds looks like an incomplete record, but valid
  // records follow it.
  disk.raw("raft.log")[starts[1] + 3] ^= 0x01;  // the high byte of the little-endian length
  const std::string message = refusal(disk);
  EXPECT_TRUE(message.starts_with(
      fmt::format("raft.log: record at byte {} is damaged (length ", starts[1])))
      << message;
}

TEST(RaftLogDamage, EveryFlippedByteBeforeTheLastRecordIsRefusedAndInItIsCut) {
  const MemoryDisk original = synced_log();
  const Bytes file = *original.read("raft.log");
  const std::vector<std::size_t> starts = record_starts(file);
  const std::size_t last = starts.back();
  for (std::size_t at = 0; at < file.size(); ++at) {
    SCOPED_TRACE(fmt::format("byte {} of {}", at, file.size()));
    MemoryDisk disk = original;
    disk.raw("raft.log")[at] ^= 0x01;
    if (at < last) {
      const std::size_t record = *std::prev(std::upper_bound(starts.begin(), starts.end(), at));
      EXPECT_TRUE(refusal(disk).starts_with(fmt::format("raft.log: record at byte {} ", record)));
    } else {
      // The last Ready held only entry 6: it is the torn tail.
      raft::Restored r = RaftLogStore(disk).load();
      EXPECT_EQ(r.entries, entries(1, 5));
      EXPECT_EQ(r.hard_state, kVoted);
      EXPECT_EQ(disk.raw("raft.log").size(), last);
    }
  }
}

TEST(RaftLogDamage, IncompleteLastRecordIsStillCut) {
  MemoryDisk disk = synced_log();
  const std::size_t size = disk.raw("raft.log").size();
  for (std::size_t keep = 1; keep < 12; ++keep) {
    MemoryDisk torn = disk;
    // The start of another entry record, cut after `keep` bytes.
    MemoryDisk scratch;
    RaftLogStore other(scratch);
    other.load();
    const std::size_t header = scratch.raw("raft.log").size();  // where save() appends
    other.save(Ready{.entries = entries(1, 1)});
    const Bytes& full = scratch.raw("raft.log");
    ASSERT_GE(full.size(), header + keep);
    torn.raw("raft.log")
        .insert(torn.raw("raft.log").end(), full.begin() + header, full.begin() + header + keep);
    raft::Restored r = RaftLogStore(torn).load();
    EXPECT_EQ(r.entries, entries(1, 6)) << keep;
    EXPECT_EQ(torn.raw("raft.log").size(), size) << keep;
  }
}

TEST(RaftLogDamage, ZerosAfterTheLastRecordAreTheEndOfTheLog) {
  // Disk::zero_ahead: a real disk writes zeros ahead of the appends. With or without a torn
  // record before them, load() cuts them and keeps every whole record.
  MemoryDisk disk = synced_log();
  const std::size_t size = disk.raw("raft.log").size();
  for (const std::size_t zeros : {1, 7, 8, 9, 4096}) {
    MemoryDisk ahead = disk;
    ahead.raw("raft.log").resize(size + zeros, 0);
    raft::Restored r = RaftLogStore(ahead).load();
    EXPECT_EQ(r.entries, entries(1, 6)) << zeros;
    EXPECT_EQ(r.hard_state, kVoted) << zeros;
    EXPECT_EQ(ahead.raw("raft.log").size(), size) << zeros;
  }
  // Zeros over the middle of the log are damage, not the end of it.
  MemoryDisk zeroed = disk;
  const std::vector<std::size_t> starts = record_starts(disk.raw("raft.log"));
  std::fill(zeroed.raw("raft.log").begin() + static_cast<std::ptrdiff_t>(starts[2]),
            zeroed.raw("raft.log").begin() + static_cast<std::ptrdiff_t>(starts[3]), 0);
  EXPECT_TRUE(refusal(zeroed).starts_with(fmt::format("raft.log: record at byte {} ", starts[2])));
}

TEST(RaftLogDamage, LoadMakesWhatItReadDurable) {
  // A process killed between write and fsync leaves data only in the OS cache; raft must not
  // announce it to peers before it is durable.
  MemoryDisk disk = synced_log();
  const int syncs = disk.syncs;
  RaftLogStore(disk).load();
  EXPECT_EQ(disk.syncs, syncs + 1);
}

}  // namespace
}  // namespace engine
