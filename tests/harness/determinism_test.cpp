#include <gtest/gtest.h>

#include "harness/raft_cluster_run.h"

namespace harness {
namespace {

class DeterminismTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DeterminismTest, SameSeedSameTraceHashDifferentSeedDifferentHash) {
  RunOptions a = default_options(7, GetParam());
  a.knobs.time_s = 3;
  const RunResult first = run_raft_cluster(a);
  const RunResult second = run_raft_cluster(a);
  EXPECT_TRUE(first.ok) << first.detail;
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.events, second.events);
  RunOptions b = a;
  b.seed = 8;
  EXPECT_NE(run_raft_cluster(b).trace_hash, first.trace_hash);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, DeterminismTest,
                         ::testing::Values("random", "partition", "leader-crash", "asymmetric",
                                           "disk-loss", "rejoin-storm"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(Determinism, FiveNodesWithEveryFaultKnobOn) {
  RunOptions o = default_options(1234, "random");
  o.knobs.nodes = 5;
  o.knobs.time_s = 4;
  o.knobs.crash_rate = 2;
  o.knobs.partition_rate = 2;
  const RunResult a = run_raft_cluster(o), b = run_raft_cluster(o);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.ok, b.ok);
}

TEST(Determinism, AKnobChangesTheRunButNotTheFaultSchedule) {
  // Named PRNG streams: the network's loss draws do not shift the fault schedule.
  RunOptions o = default_options(99, "random");
  o.knobs.time_s = 3;
  RunOptions lossy = o;
  lossy.knobs.loss = 0.2;
  const RunResult a = run_raft_cluster(o), b = run_raft_cluster(lossy);
  EXPECT_NE(a.trace_hash, b.trace_hash);
  ASSERT_EQ(a.schedule.size(), b.schedule.size());
  for (std::size_t i = 0; i < a.schedule.size(); ++i) {
    EXPECT_EQ(a.schedule[i].at, b.schedule[i].at);
    EXPECT_EQ(a.schedule[i].kind, b.schedule[i].kind);
  }
}

}  // namespace
}  // namespace harness
