// The scenario table: bug switches each scenario accepts exist for its kind of run, unknown or
// foreign bugs are clear errors, DNS plans sit with their scenarios, and random-dns carries
// exactly random's fault knobs.

#include <gtest/gtest.h>

#include <algorithm>

#include "harness/bug_switches.h"
#include "harness/dns_plans.h"
#include "harness/dns_scenarios.h"
#include "harness/scenario.h"

namespace harness {
namespace {

TEST(ScenarioTable, EveryListedBugHasASwitchForTheScenariosKindOfRun) {
  for (const Scenario& s : scenarios()) {
    EXPECT_FALSE(s.bugs.empty()) << s.name;
    for (const std::string& bug : s.bugs) {
      const BugSwitch& b = find_bug_switch(s, bug);
      EXPECT_EQ(b.name, bug);
      EXPECT_TRUE(s.dns ? b.dns_run != nullptr : b.raft_run != nullptr)
          << s.name << " --bug " << bug;
    }
  }
}

TEST(ScenarioTable, EveryBugSwitchIsAcceptedSomewhere) {
  for (const BugSwitch& b : bug_switches()) {
    const bool used = std::any_of(scenarios().begin(), scenarios().end(), [&](const Scenario& s) {
      return std::find(s.bugs.begin(), s.bugs.end(), b.name) != s.bugs.end();
    });
    EXPECT_TRUE(used) << b.name;
  }
}

TEST(ScenarioTable, ABugTheScenarioDoesNotListIsAClearError) {
  try {
    find_bug_switch(find_scenario("random-dns"), "forget-vote");
    FAIL() << "forget-vote accepted for random-dns";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("forget-vote"), std::string::npos) << what;
    EXPECT_NE(what.find("ack-before-fsync"), std::string::npos) << what;
  }
  EXPECT_THROW(find_bug_switch(find_scenario("random"), "ack-before-fsync"), std::invalid_argument);
  EXPECT_THROW(find_bug_switch(find_scenario("random"), "no-such-bug"), std::invalid_argument);
}

TEST(ScenarioTable, ABugSwitchChangesTheOptionsItNames) {
  RaftDriverOptions raft;
  find_bug_switch(find_scenario("rejoin-storm"), "no-pre-vote").raft_run(raft);
  EXPECT_FALSE(raft.pre_vote);
  DnsDriverOptions node;
  find_bug_switch(find_scenario("crash-before-fsync"), "ack-before-fsync").dns_run(node);
  EXPECT_TRUE(node.engine.bugs.ack_before_fsync);
  EXPECT_FALSE(node.engine.bugs.drop_on_majority_ack);
  DnsDriverOptions careless;
  find_bug_switch(find_scenario("disk-full"), "ignore-fsync-error").dns_run(careless);
  EXPECT_TRUE(careless.disk_bugs.ignore_fsync_errors);
  EXPECT_FALSE(careless.disk_bugs.drop_failed_writes);
}

TEST(ScenarioTable, PlansSitWithTheirScenarios) {
  EXPECT_EQ(find_scenario("majority-loss").plan, &plan_majority_loss);
  EXPECT_EQ(find_scenario("leader-crash-mid-write").plan, &plan_leader_crash_mid_write);
  EXPECT_EQ(find_scenario("crash-before-fsync").plan, &plan_crash_before_fsync);
  EXPECT_EQ(find_scenario("long-down-node").plan, &plan_long_down_node);
  EXPECT_EQ(find_scenario("whole-cluster-restart").plan, &plan_whole_cluster_restart);
  EXPECT_EQ(find_scenario("random-dns").plan, nullptr);
  EXPECT_EQ(find_scenario("checkpoint-race").plan, nullptr);
  for (const Scenario& s : scenarios())
    if (!s.dns) {
      EXPECT_EQ(s.plan, nullptr) << s.name;
    }
}

TEST(ScenarioTable, RandomDnsHasRandomsFaultKnobsOnTheDnsCluster) {
  const Scenario& random = find_scenario("random");
  const Scenario& random_dns = find_scenario("random-dns");
  EXPECT_TRUE(random_dns.dns);
  EXPECT_FALSE(random.dns);
  EXPECT_EQ(random_dns.defaults, random.defaults);
  EXPECT_EQ(fault_rates(random_dns, random_dns.defaults).crash,
            fault_rates(random, random.defaults).crash);
  EXPECT_EQ(random_dns.w_partition, random.w_partition);
  EXPECT_EQ(random_dns.w_one_way, random.w_one_way);
  EXPECT_EQ(random_dns.w_isolate, random.w_isolate);
  EXPECT_EQ(random_dns.w_clog, random.w_clog);
  EXPECT_EQ(random_dns.w_crash, random.w_crash);
  EXPECT_EQ(random_dns.w_crash_leader, random.w_crash_leader);
  EXPECT_EQ(random_dns.min_fault, random.min_fault);
  EXPECT_EQ(random_dns.max_fault, random.max_fault);
  EXPECT_EQ(random_dns.proposals_per_second, random.proposals_per_second);
}

TEST(ScenarioTable, DnsScenariosAreTheDnsEntriesOfTheTableInOrder) {
  std::vector<std::string> names;
  for (const Scenario& s : dns_scenarios()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "checkpoint-race", "majority-loss", "leader-crash-mid-write",
                       "crash-before-fsync", "long-down-node", "whole-cluster-restart", "disk-full",
                       "remove-leader", "reconfig-partition", "laggard-transfer", "replace-node",
                       "wipe-rejoin", "add-under-load", "random-dns"}));
}

}  // namespace
}  // namespace harness
