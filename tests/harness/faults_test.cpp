#include "harness/faults.h"

#include <gtest/gtest.h>

#include "harness/raft_cluster_run.h"

namespace harness {
namespace {

TEST(FaultSchedule, FormatAndParseRoundTrip) {
  const std::vector<Fault> schedule = {
      {1500 * sim::kMillisecond, FaultKind::Partition, 0b0110, 0, 700 * sim::kMillisecond},
      {2000 * sim::kMillisecond, FaultKind::OneWay, 1, 3, 10 * sim::kMillisecond},
      {2500 * sim::kMillisecond, FaultKind::CrashLeader, 1, 0, sim::kSecond}};
  const std::string text = format_schedule(schedule);
  EXPECT_EQ(text, "partition@1500/6/0/700,one-way@2000/1/3/10,crash-leader@2500/1/0/1000");
  const auto parsed = parse_schedule(text);
  ASSERT_EQ(parsed.size(), schedule.size());
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    EXPECT_EQ(parsed[i].at, schedule[i].at);
    EXPECT_EQ(parsed[i].kind, schedule[i].kind);
    EXPECT_EQ(parsed[i].a, schedule[i].a);
    EXPECT_EQ(parsed[i].b, schedule[i].b);
    EXPECT_EQ(parsed[i].duration, schedule[i].duration);
  }
}

TEST(FaultSchedule, BadItemsAreRejectedByName) {
  EXPECT_THROW(parse_schedule("explode@1/1/1/1"), std::invalid_argument);
  EXPECT_THROW(parse_schedule("crash@1/1/1"), std::invalid_argument);
  EXPECT_THROW(parse_schedule("crash@1/1/1/1x"), std::invalid_argument);
  EXPECT_THROW(parse_schedule("crash@-5/1/1/1"), std::invalid_argument);
  EXPECT_THROW(parse_schedule("crash@9300000000000000/1/1/1"), std::invalid_argument);
  EXPECT_THROW(parse_schedule("crash@1/1/1/9300000000000000"), std::invalid_argument);
  try {
    parse_schedule("crash@1/1/1/1,bogus");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos);
  }
}

TEST(FaultSchedule, RandomScheduleStaysInsideThePhaseAndTheCluster) {
  sim::Prng prng(5);
  FaultRates rates;
  rates.crash = rates.partition = rates.one_way = rates.clog = rates.isolate = 2;
  const auto schedule = random_schedule(prng, rates, 5, sim::kSecond, 10 * sim::kSecond);
  EXPECT_GT(schedule.size(), 20u);
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    const Fault& f = schedule[i];
    EXPECT_GE(f.at, sim::kSecond);
    EXPECT_LT(f.at, 10 * sim::kSecond);
    if (i) {
      EXPECT_LE(schedule[i - 1].at, f.at);
    }
    if (f.kind == FaultKind::Partition) {
      EXPECT_NE(f.a, 0u);
      EXPECT_NE(f.a, 0b111110u);
      EXPECT_EQ(f.a & ~0b111110ULL, 0u);
    } else {
      EXPECT_GE(f.a, 1u);
      EXPECT_LE(f.a, 5u);
    }
    if (f.kind == FaultKind::OneWay || f.kind == FaultKind::Clog) {
      EXPECT_NE(f.a, f.b);
    }
  }
}

TEST(FaultSchedule, AnExplicitScheduleReplacesTheScenariosAndIsInTheReproduceCommand) {
  RunOptions options = default_options(4, "random");
  options.knobs.time_s = 3;
  options.schedule = parse_schedule("crash@1500/2/0/300");
  const RunResult r = run_raft_cluster(options);
  EXPECT_TRUE(r.ok) << r.detail;
  ASSERT_EQ(r.schedule.size(), 1u);
  EXPECT_EQ(r.crashes, 1u + 3u);  // the scheduled crash plus the heal phase's restarts
  EXPECT_NE(reproduce_command(options).find("--faults 'crash@1500/2/0/300'"), std::string::npos);
}

// isolate-leader cuts off whoever leads at that moment, so it always costs an election that the
// same run without it does not have; a fixed isolate of node 1 misses the leader on some seeds.
TEST(FaultSchedule, IsolateLeaderAlwaysHitsTheLeader) {
  EXPECT_EQ(parse_schedule("isolate-leader@1500/1/0/1000")[0].kind, FaultKind::IsolateLeader);
  EXPECT_EQ(format_schedule(parse_schedule("isolate-leader@1500/1/0/1000")),
            "isolate-leader@1500/1/0/1000");
  std::size_t fixed_missed = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    auto run = [&](const std::string& faults) {
      RunOptions options = default_options(seed, "random");
      options.knobs.time_s = 3;
      options.knobs.loss = 0;
      options.knobs.dup = 0;
      options.schedule = parse_schedule(faults);
      const RunResult r = run_raft_cluster(options);
      EXPECT_TRUE(r.ok) << faults << ": " << r.detail;
      return r.elections;
    };
    const std::size_t none = run("");
    EXPECT_GT(run("isolate-leader@1500/1/0/1000"), none) << "seed " << seed;
    fixed_missed += run("isolate@1500/1/0/1000") == none;
  }
  EXPECT_GT(fixed_missed, 0u) << "node 1 led in every seed: the test tells nothing";
}

}  // namespace
}  // namespace harness
