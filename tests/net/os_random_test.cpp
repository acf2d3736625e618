#include "net/os_random.h"

#include <set>

#include <gtest/gtest.h>

namespace net {
namespace {

TEST(OsRandom, SameSeedGivesTheSameSequence) {
  OsRandom a(42), b(42), c(43);
  bool differs_from_other_seed = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs_from_other_seed |= x != c.next_u64();
  }
  EXPECT_TRUE(differs_from_other_seed);
  EXPECT_EQ(a.seed(), 42u);
}

TEST(OsRandom, ZeroSeedStillProducesVariedOutput) {
  OsRandom random(0);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random.next_u64());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(OsRandom, UniformStaysInRangeAndHitsBothEnds) {
  OsRandom random;
  bool low = false, high = false;
  for (int i = 0; i < 10000; ++i) {
    const auto x = random.uniform(10, 13);
    ASSERT_GE(x, 10u);
    ASSERT_LE(x, 13u);
    low |= x == 10;
    high |= x == 13;
  }
  EXPECT_TRUE(low && high);
}

TEST(OsRandom, TwoDefaultInstancesAreSeededDifferently) {
  // 2^-64 chance of a false failure.
  EXPECT_NE(OsRandom().seed(), OsRandom().seed());
}

}  // namespace
}  // namespace net
