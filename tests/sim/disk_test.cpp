#include "sim/sim_disk.h"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

namespace sim {
namespace {

engine::Bytes bytes(std::initializer_list<std::uint8_t> b) {
  return engine::Bytes(b);
}

TEST(SimDisk, SyncedDataSurvivesACrashUnsyncedDataDoesNot) {
  SimDisk disk;
  Prng prng(1);
  disk.append("log", bytes({1, 2, 3}));
  disk.sync("log");
  disk.append("log", bytes({4, 5}));
  EXPECT_EQ(*disk.read("log"), bytes({1, 2, 3, 4, 5}));
  EXPECT_EQ(disk.unsynced_bytes(), 2u);
  disk.crash(/*torn=*/false, prng);
  EXPECT_EQ(*disk.read("log"), bytes({1, 2, 3}));
}

TEST(SimDisk, WriteAtIsLostUnlessSyncedAndARenamedFileKeepsWhatWasSynced) {
  SimDisk disk;
  Prng prng(1);
  disk.append("part", bytes({0, 0, 7, 8}));
  disk.sync("part");
  disk.write_at("part", 0, bytes({1, 2}));
  EXPECT_EQ(*disk.read_range("part", 1, 2), bytes({2, 7}));
  SimDisk unsynced = disk;
  unsynced.rename("part", "snap");
  unsynced.crash(/*torn=*/true, prng);  // not a pure append: never torn, reverted
  EXPECT_FALSE(unsynced.read("part").has_value());
  EXPECT_EQ(*unsynced.read("snap"), bytes({0, 0, 7, 8}));
  disk.sync("part");
  disk.rename("part", "snap");
  disk.crash(false, prng);
  EXPECT_EQ(*disk.read("snap"), bytes({1, 2, 7, 8}));
}

TEST(SimDisk, NeverSyncedFileVanishesOnCrash) {
  SimDisk disk;
  Prng prng(1);
  disk.append("new", bytes({9}));
  EXPECT_EQ(disk.list(), std::vector<std::string>{"new"});
  disk.crash(false, prng);
  EXPECT_FALSE(disk.read("new").has_value());
  EXPECT_TRUE(disk.list().empty());
}

TEST(SimDisk, UnsyncedTruncateIsUndoneByCrash) {
  SimDisk disk;
  Prng prng(1);
  disk.append("log", bytes({1, 2, 3, 4}));
  disk.sync("log");
  disk.truncate("log", 1);
  EXPECT_EQ(*disk.read("log"), bytes({1}));
  disk.crash(false, prng);
  EXPECT_EQ(*disk.read("log"), bytes({1, 2, 3, 4}));
  disk.truncate("log", 2);
  disk.sync("log");
  disk.crash(false, prng);
  EXPECT_EQ(*disk.read("log"), bytes({1, 2}));
}

TEST(SimDisk, ReplaceIsDurableAtOnce) {
  SimDisk disk;
  Prng prng(1);
  disk.replace("snap", bytes({7, 7}));
  disk.crash(false, prng);
  EXPECT_EQ(*disk.read("snap"), bytes({7, 7}));
  disk.remove("snap");
  EXPECT_FALSE(disk.read("snap").has_value());
}

TEST(SimDisk, TornCrashKeepsAPrefixOfTheUnsyncedTailAndSometimesPartOfIt) {
  bool saw_partial = false;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    SimDisk disk;
    Prng prng(seed);
    disk.append("log", bytes({1, 2}));
    disk.sync("log");
    const engine::Bytes tail = {3, 4, 5, 6, 7, 8, 9, 10};
    disk.append("log", tail);
    disk.crash(/*torn=*/true, prng);
    const engine::Bytes after = *disk.read("log");
    ASSERT_GE(after.size(), 2u);
    ASSERT_LE(after.size(), 10u);
    // Whatever survived is a prefix of what was written: never garbage, never reordered.
    const engine::Bytes full = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    ASSERT_TRUE(std::equal(after.begin(), after.end(), full.begin()));
    saw_partial |= after.size() > 2 && after.size() < 10;
    // What survived a crash is durable from then on.
    disk.crash(true, prng);
    ASSERT_EQ(*disk.read("log"), after);
  }
  EXPECT_TRUE(saw_partial);
}

// The error a call threw, or nullopt if it returned.
template <typename Call>
std::optional<engine::DiskError> error_of(Call call) {
  try {
    call();
  } catch (const engine::DiskError& e) {
    return e;
  }
  return std::nullopt;
}

TEST(SimDisk, AFullDiskRefusesWritesRetrySafelyAndChangesNothing) {
  SimDisk disk;
  Prng prng(1);
  disk.append("log", bytes({1, 2}));
  disk.begin_fault(DiskFault::Full);
  const auto append = error_of([&] { disk.append("log", bytes({3})); });
  ASSERT_TRUE(append.has_value());
  EXPECT_EQ(append->code(), "ENOSPC");
  EXPECT_EQ(append->operation(), "write");
  EXPECT_EQ(append->file(), "log");
  EXPECT_TRUE(append->retry_safe());
  const auto replace = error_of([&] { disk.replace("snap", bytes({9})); });
  ASSERT_TRUE(replace.has_value());
  EXPECT_TRUE(replace->retry_safe());
  EXPECT_FALSE(disk.read("snap").has_value());
  EXPECT_EQ(*disk.read("log"), bytes({1, 2}));
  // What needs no new space still works: syncing what was written before, truncating.
  EXPECT_FALSE(error_of([&] { disk.sync("log"); }).has_value());
  EXPECT_FALSE(error_of([&] { disk.truncate("log", 1); }).has_value());
  EXPECT_EQ(disk.failed_calls(), 2u);
  disk.end_fault(DiskFault::Full);
  EXPECT_FALSE(disk.faulty());
  disk.append("log", bytes({3}));
  disk.sync("log");
  disk.crash(false, prng);
  EXPECT_EQ(*disk.read("log"), bytes({1, 3}));
}

TEST(SimDisk, AFailedFsyncIsNotRetrySafeAndItsDataNeverBecomesDurable) {
  SimDisk disk;
  Prng prng(1);
  disk.append("log", bytes({1}));
  disk.sync("log");
  disk.append("log", bytes({2}));
  disk.begin_fault(DiskFault::FailingSyncs);
  const auto sync = error_of([&] { disk.sync("log"); });
  ASSERT_TRUE(sync.has_value());
  EXPECT_EQ(sync->code(), "EIO");
  EXPECT_EQ(sync->operation(), "fsync");
  EXPECT_FALSE(sync->retry_safe());
  // A replace() whose temp file's fsync fails leaves the old file: retry-safe.
  const auto replace = error_of([&] { disk.replace("snap", bytes({9})); });
  ASSERT_TRUE(replace.has_value());
  EXPECT_TRUE(replace->retry_safe());
  disk.end_fault(DiskFault::FailingSyncs);
  // The kernel forgot the dirty data: a later fsync "works" and proves nothing.
  EXPECT_EQ(*disk.read("log"), bytes({1, 2}));
  disk.append("log", bytes({3}));
  EXPECT_FALSE(error_of([&] { disk.sync("log"); }).has_value());
  disk.crash(/*torn=*/true, prng);
  EXPECT_EQ(*disk.read("log"), bytes({1}));
  // After the restart the file syncs normally again.
  disk.append("log", bytes({4}));
  disk.sync("log");
  disk.crash(false, prng);
  EXPECT_EQ(*disk.read("log"), bytes({1, 4}));
}

TEST(SimDisk, OverlappingFaultWindowsEndWithTheLast) {
  SimDisk disk;
  disk.begin_fault(DiskFault::Full);
  disk.begin_fault(DiskFault::Full);
  disk.end_fault(DiskFault::Full);
  EXPECT_TRUE(disk.faulty());
  EXPECT_TRUE(error_of([&] { disk.append("log", bytes({1})); }).has_value());
  disk.end_fault(DiskFault::Full);
  EXPECT_FALSE(disk.faulty());
  EXPECT_THROW(disk.end_fault(DiskFault::Full), std::logic_error);
  disk.begin_fault(DiskFault::FailingSyncs);
  disk.clear_faults();
  EXPECT_FALSE(disk.faulty());
}

}  // namespace
}  // namespace sim
