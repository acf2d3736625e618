// RaftLogStore when a disk call fails (DiskError): its state stays as the files are, so the node
// can save the same Ready again once the disk works, and a reload finds every entry once.

#include <gtest/gtest.h>

#include "engine/raft_log_store.h"
#include "tests/engine/memory_disk.h"

namespace engine {
namespace {

using raft::Entry;
using raft::Index;
using raft::Ready;
using testing::MemoryDisk;
using Failure = MemoryDisk::Failure;

std::vector<Entry> entries(Index from, Index to, raft::Term term) {
  std::vector<Entry> out;
  for (Index i = from; i <= to; ++i)
    out.push_back(Entry{.term = term, .index = i, .data = Bytes(3, static_cast<uint8_t>(i))});
  return out;
}

void expect_save_fails(RaftLogStore& store, const Ready& ready) {
  try {
    store.save(ready);
    ADD_FAILURE() << "no DiskError";
  } catch (const DiskError& e) {
    EXPECT_TRUE(e.retry_safe());
    EXPECT_EQ(e.code(), "ENOSPC");
  }
}

TEST(RaftLogStoreRetry, FailedAppendChangesNothingAndTheSameReadySavesLater) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(
      Ready{.hard_state = raft::HardState{.term = 1, .vote = 1}, .entries = entries(1, 3, 1)});
  const std::uint64_t size = store.log_file_size();
  const Ready next{.hard_state = raft::HardState{.term = 2, .vote = 2, .commit = 3},
                   .entries = entries(4, 5, 2)};
  disk.fail(Failure::Writes);
  expect_save_fails(store, next);
  expect_save_fails(store, next);
  EXPECT_EQ(store.log_file_size(), size);
  disk.heal();
  store.save(next);
  store.save(Ready{.entries = entries(6, 6, 2)});  // and it goes on where the Ready left off
  disk.crash();
  const raft::Restored r = RaftLogStore(disk).load();
  std::vector<Entry> expected = entries(1, 3, 1);
  for (const Entry& e : entries(4, 6, 2)) expected.push_back(e);
  EXPECT_EQ(r.entries, expected);
  EXPECT_EQ(r.hard_state, (raft::HardState{.term = 2, .vote = 2, .commit = 3}));
}

TEST(RaftLogStoreRetry, FailedOverwriteOfAConflictingSuffixKeepsTheOldSuffixUntilRetried) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 5, 1)});
  const Ready conflicting{.entries = entries(3, 4, 2)};
  disk.fail(Failure::Writes);
  expect_save_fails(store, conflicting);
  disk.heal();
  store.save(conflicting);
  store.save(Ready{.entries = entries(5, 5, 2)});
  std::vector<Entry> expected = entries(1, 2, 1);
  for (const Entry& e : entries(3, 5, 2)) expected.push_back(e);
  EXPECT_EQ(RaftLogStore(disk).load().entries, expected);
}

TEST(RaftLogStoreRetry, ReceivedSnapshotWhoseLogRewriteFailedIsSavedAgain) {
  MemoryDisk disk;
  RaftLogStore store(disk);
  store.load();
  store.save(Ready{.entries = entries(1, 5, 1)});
  const Ready received{
      .snapshot = raft::Snapshot{.meta = {.index = 8, .term = 2, .voters = {1}}, .data = Bytes{7}},
      .entries = entries(9, 9, 2)};
  disk.fail(Failure::Replaces, "ENOSPC", "raft.log");  // raft.snap is written, the log is not
  expect_save_fails(store, received);
  {
    MemoryDisk crashed = disk;  // a crash now: the old log is recognised as stale
    crashed.heal();
    crashed.crash();
    const raft::Restored r = RaftLogStore(crashed).load();
    EXPECT_EQ(r.snapshot->meta.index, 8u);
    EXPECT_TRUE(r.entries.empty());
  }
  disk.heal();
  store.save(received);
  store.save(Ready{.entries = entries(10, 10, 2)});
  disk.crash();
  const raft::Restored r = RaftLogStore(disk).load();
  EXPECT_EQ(r.snapshot->meta.index, 8u);
  EXPECT_EQ(r.entries, entries(9, 10, 2));
}

}  // namespace
}  // namespace engine
