// The DNS cluster in the simulator: every named scenario runs clean and reproducibly, explicit
// schedules replace drawn ones, and the engine's deliberate bugs are caught.

#include <gtest/gtest.h>

#include "harness/dns_cluster_run.h"
#include "harness/dns_scenarios.h"

namespace harness {
namespace {

TEST(DnsClusterRun, EveryDnsScenarioRunsCleanAndReproducibly) {
  for (const Scenario& s : dns_scenarios()) {
    const RunOptions options = default_options(2, s.name);
    const RunResult a = run_dns_cluster(options);
    EXPECT_TRUE(a.ok) << s.name << ": " << a.detail
                      << "\nreproduce: " << reproduce_command(options);
    EXPECT_GT(a.dns->ok, 0u) << s.name << ": no write was acknowledged";
    EXPECT_GT(a.dns->records, 0u) << s.name;
    const RunResult b = run_dns_cluster(options);
    EXPECT_EQ(a.trace_hash, b.trace_hash) << s.name << " is not deterministic";
  }
}

TEST(DnsClusterRun, ScenariosAreRegisteredUnderTheirNames) {
  for (const char* name :
       {"checkpoint-race", "majority-loss", "leader-crash-mid-write", "crash-before-fsync",
        "long-down-node", "whole-cluster-restart", "random-dns"})
    EXPECT_TRUE(find_scenario(name).dns) << name;
  EXPECT_FALSE(find_scenario("random").dns);
  EXPECT_THROW(DnsClusterRun(default_options(1, "random")), std::invalid_argument);
}

TEST(DnsClusterRun, MajorityLossAnswersNoQuorumOnTheSurvivor) {
  // Across a few seeds both variants (majority crashed, survivor cut off) come up.
  std::size_t no_quorum = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const RunResult r = run_dns_cluster(default_options(seed, "majority-loss"));
    ASSERT_TRUE(r.ok) << r.detail;
    no_quorum += r.dns->no_quorum;
  }
  EXPECT_GT(no_quorum, 10u);
}

TEST(DnsClusterRun, AnExplicitScheduleReplacesTheDrawnOne) {
  RunOptions options = default_options(5, "random-dns");
  options.knobs.time_s = 4;
  options.schedule = std::vector<Fault>{
      {1500 * sim::kMillisecond, FaultKind::CrashLeader, 1, 0, 700 * sim::kMillisecond},
      {2500 * sim::kMillisecond, FaultKind::Partition, 0b0010, 0, 800 * sim::kMillisecond}};
  const RunResult r = run_dns_cluster(options);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.schedule.size(), 2u);
  EXPECT_GE(r.crashes, 1u + 3u);  // the leader, then everyone at the heal
}

TEST(DnsClusterRun, FiveNodesConvergeToo) {
  RunOptions options = default_options(3, "random-dns");
  options.knobs.nodes = 5;
  const RunResult r = run_dns_cluster(options);
  EXPECT_TRUE(r.ok) << r.detail << "\nreproduce: " << reproduce_command(options);
}

TEST(DnsClusterRun, AckBeforeFsyncIsCaught) {
  RunOptions options = default_options(1, "random-dns");
  options.knobs.bug = "ack-before-fsync";
  const RunResult r = run_dns_cluster(options);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.invariant, "no ack before fsync") << r.detail;
}

TEST(DnsClusterRun, DropOnMajorityAckIsCaught) {
  RunOptions options = default_options(1, "random-dns");
  options.knobs.bug = "drop-on-majority-ack";
  const RunResult r = run_dns_cluster(options);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.invariant, "pending kept until every node copied it durably") << r.detail;
}

TEST(DnsClusterRun, UnknownBugIsAClearError) {
  RunOptions options = default_options(1, "random-dns");
  options.knobs.bug = "forget-vote";
  EXPECT_THROW(run_dns_cluster(options), std::invalid_argument);
}

}  // namespace
}  // namespace harness
