#include "sim/prng.h"

#include <gtest/gtest.h>

#include <vector>

namespace sim {
namespace {

// Draws through the engine::Random interface, as SimClock, SimDisk and the drivers do.
std::vector<std::uint64_t> draws_through_interface(engine::Random& random, int n) {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(random.next_u64());
  return out;
}

std::vector<std::uint64_t> draws(raft::Prng generator, int n) {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(generator.next_u64());
  return out;
}

TEST(SimPrng, DrawsExactlyWhatRaftPrngDraws) {
  Prng seeded(42);
  EXPECT_EQ(draws_through_interface(seeded, 50), draws(raft::Prng(42), 50));
  Prng stream = Prng::stream(7, "network");
  EXPECT_EQ(draws_through_interface(stream, 50), draws(raft::Prng::stream(7, "network"), 50));
  Prng parent(5);
  raft::Prng raft_parent(5);
  Prng child = parent.fork("disk");
  EXPECT_EQ(draws_through_interface(child, 50), draws(raft_parent.fork("disk"), 50));
}

TEST(SimPrng, UniformIsInclusiveOnBothEnds) {
  Prng prng(9);
  bool low = false, high = false;
  for (int i = 0; i < 10000; ++i) {
    const auto u = prng.uniform(3, 5);
    ASSERT_GE(u, 3u);
    ASSERT_LE(u, 5u);
    low |= u == 3;
    high |= u == 5;
  }
  EXPECT_TRUE(low && high);
}

}  // namespace
}  // namespace sim
