// The disk-full scenario: full disks and failing fsyncs on a minority, written in the fault
// language; a correct engine keeps every claim, and the disk-handling bug switches are caught.

#include <gtest/gtest.h>

#include "harness/dns_cluster_run.h"
#include "harness/faults.h"
#include "harness/scenario.h"

namespace harness {
namespace {

TEST(DiskFaults, TheFaultLanguageNamesThem) {
  const std::vector<Fault> schedule =
      parse_schedule("disk-full@1500/2/0/700,fsync-fail@3000/1/0/500");
  ASSERT_EQ(schedule.size(), 2u);
  EXPECT_EQ(schedule[0].kind, FaultKind::DiskFull);
  EXPECT_EQ(schedule[1].kind, FaultKind::FsyncFail);
  EXPECT_TRUE(is_disk_fault(schedule[0].kind));
  EXPECT_FALSE(is_disk_fault(FaultKind::Crash));
  EXPECT_EQ(format_schedule(schedule), "disk-full@1500/2/0/700,fsync-fail@3000/1/0/500");
  EXPECT_EQ(describe(schedule[0]), "1.500s disk-full n2 for 0.700s");
}

TEST(DiskFaults, TheScenarioDrawsOnlyDiskFaults) {
  const Scenario& s = find_scenario("disk-full");
  ASSERT_TRUE(s.dns);
  bool full = false, fsync = false;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::Prng prng(seed);
    for (const Fault& f :
         random_schedule(prng, fault_rates(s, s.defaults), 3, kWarmup, 10 * sim::kSecond)) {
      ASSERT_TRUE(is_disk_fault(f.kind)) << describe(f);
      full |= f.kind == FaultKind::DiskFull;
      fsync |= f.kind == FaultKind::FsyncFail;
    }
  }
  EXPECT_TRUE(full && fsync);
}

RunResult run_with(const std::string& faults, std::uint64_t seed = 1) {
  RunOptions options = default_options(seed, "disk-full");
  options.knobs.time_s = 6;
  options.schedule = parse_schedule(faults);
  return run_dns_cluster(options);
}

TEST(DiskFaults, AFullDiskIsRetriedAndTheRestKeepsCommitting) {
  // The node refuses writes while its disk is full, serves from memory, recovers on its own.
  const RunResult r = run_with("disk-full@2000/1/0/2000,disk-full@5100/3/0/500");
  ASSERT_TRUE(r.ok) << r.detail;
  ASSERT_TRUE(r.dns.has_value());
  EXPECT_EQ(r.dns->probes, 2u);
  EXPECT_GT(r.dns->disk_fault_answers, 0u);
  EXPECT_EQ(r.dns->disk_restarts, 0u);
}

TEST(DiskFaults, AFailedFsyncGetsTheNodeRestarted) {
  const RunResult r = run_with("fsync-fail@2000/2/0/600");
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.dns->disk_restarts, 1u);
  EXPECT_EQ(r.dns->probes, 1u);
}

TEST(DiskFaults, AMajorityIsNeverDiskFaultedAtOnce) {
  // The second and third faults would leave no majority of working disks: they are skipped,
  // so the probe of the first still has to commit.
  const RunResult r =
      run_with("disk-full@2000/1/0/2000,disk-full@2100/2/0/2000,fsync-fail@2200/3/0/500");
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.dns->probes, 1u);
  EXPECT_EQ(r.dns->disk_restarts, 0u);
}

// The first seed in [1, max_seeds] whose disk-full run fails under `bug`, or 0.
std::uint64_t first_failing_seed(const std::string& bug, int max_seeds, RunResult* failure) {
  for (int seed = 1; seed <= max_seeds; ++seed) {
    RunOptions options = default_options(seed, "disk-full");
    options.knobs.bug = bug;
    RunResult r = run_dns_cluster(options);
    if (!r.ok) {
      *failure = r;
      return seed;
    }
  }
  return 0;
}

TEST(DiskFaults, ANodeThatIgnoresAFailedFsyncIsCaught) {
  RunResult failure;
  const std::uint64_t seed = first_failing_seed("ignore-fsync-error", 10, &failure);
  ASSERT_NE(seed, 0u) << "a node acking data whose fsync failed went unnoticed";
  EXPECT_FALSE(failure.invariant.empty());
}

TEST(DiskFaults, ANodeThatDropsAFailedWriteIsCaught) {
  RunResult failure;
  const std::uint64_t seed = first_failing_seed("drop-failed-write", 10, &failure);
  ASSERT_NE(seed, 0u) << "a node dropping writes its full disk refused went unnoticed";
  EXPECT_FALSE(failure.invariant.empty());
}

TEST(DiskFaults, WithoutTheBugsTheSameSeedsPass) {
  RunResult failure;
  EXPECT_EQ(first_failing_seed("", 10, &failure), 0u) << failure.detail;
}

}  // namespace
}  // namespace harness
