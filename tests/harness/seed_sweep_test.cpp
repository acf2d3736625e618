// Thousands of short seeded runs per `make test`, split into one test per (scenario, block) so
// ctest -j2 runs them in parallel. Each block is capped by a seed count and a wall-time budget.

#include <gtest/gtest.h>

#include <chrono>

#include "harness/raft_cluster_run.h"

namespace harness {
namespace {

constexpr int kSeedsPerBlock = 250;
constexpr auto kBudget = std::chrono::seconds(8);

struct Block {
  std::string scenario;
  std::uint64_t first_seed;
  std::size_t nodes;
};

class SeedSweep : public ::testing::TestWithParam<Block> {};

TEST_P(SeedSweep, NoViolation) {
  const Block& block = GetParam();
  const auto start = std::chrono::steady_clock::now();
  int ran = 0;
  for (std::uint64_t seed = block.first_seed; seed < block.first_seed + kSeedsPerBlock; ++seed) {
    RunOptions options = default_options(seed, block.scenario);
    options.knobs.nodes = block.nodes;
    options.knobs.time_s = 3;
    const RunResult r = run_raft_cluster(options);
    ASSERT_TRUE(r.ok) << r.detail << "\nfault schedule: " << describe(r.schedule)
                      << "\nreproduce: " << reproduce_command(options);
    ++ran;
    if (std::chrono::steady_clock::now() - start > kBudget) break;  // bounded on slow machines
  }
  RecordProperty("seeds", ran);
  EXPECT_GT(ran, 0);
}

std::vector<Block> blocks() {
  std::vector<Block> out;
  for (const char* scenario :
       {"random", "partition", "leader-crash", "asymmetric", "disk-loss", "rejoin-storm"}) {
    out.push_back({scenario, 10'000, 3});
    out.push_back({scenario, 20'000, 5});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Blocks, SeedSweep, ::testing::ValuesIn(blocks()), [](const auto& info) {
  std::string name = info.param.scenario + "_n" + std::to_string(info.param.nodes);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
});

}  // namespace
}  // namespace harness
