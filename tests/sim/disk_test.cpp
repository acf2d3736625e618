#include "sim/sim_disk.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sim
