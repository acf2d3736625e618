#include "harness/dns_scenarios.h"

#include <algorithm>
#include <stdexcept>

#include "harness/dns_lifecycle_plans.h"
#include "harness/dns_plans.h"

namespace harness {

namespace {

// The bug switches every DNS scenario accepts.
std::vector<std::string> dns_bugs() {
  return {"ack-before-fsync", "drop-on-majority-ack", "commit-without-majority"};
}

// A DNS scenario with the common DNS knobs.
Scenario dns_scenario(const char* name, const char* summary, DnsPlan plan = nullptr) {
  Scenario x;
  x.name = name;
  x.summary = summary;
  x.dns = true;
  x.plan = plan;
  x.bugs = dns_bugs();
  x.defaults.delay_min_ms = 1;
  x.defaults.delay_max_ms = 10;
  x.defaults.checkpoint_ms = 300;
  x.w_crash = 1, x.w_crash_leader = 0;
  x.proposals_per_second = 20;
  return x;
}

}  // namespace

void add_dns_scenarios(std::vector<Scenario>& table) {
  const auto random = std::find_if(table.begin(), table.end(),
                                   [](const Scenario& s) { return s.name == "random"; });
  if (random == table.end())
    throw std::logic_error("the DNS scenarios derive random-dns from random: add it first");
  // Every fault kind of `random`, on the DNS cluster with its write/query workload.
  Scenario random_dns = *random;
  random_dns.name = "random-dns";
  random_dns.summary =
      "every fault kind (loss, duplication, delays, torn crashes, leader crashes, partitions, "
      "one-way links, clogs, clock drift) plus a write/query workload";
  random_dns.dns = true;
  random_dns.plan = nullptr;
  random_dns.bugs = dns_bugs();
  {
    Scenario x = dns_scenario("checkpoint-race",
                              "short checkpoint intervals: acks cross with crashes (torn), "
                              "partitions, isolations and one-way links");
    x.defaults.checkpoint_ms = 100;
    x.defaults.loss = 0.02;
    x.defaults.crash_rate = 0.6;
    x.defaults.partition_rate = 0.6;
    x.defaults.torn = true;
    x.w_partition = 2, x.w_isolate = 1, x.w_one_way = 1, x.w_clog = 1;
    x.w_crash = 2, x.w_crash_leader = 1;
    x.min_fault = 50 * sim::kMillisecond, x.max_fault = 1 * sim::kSecond;
    table.push_back(x);
  }
  table.push_back(dns_scenario("majority-loss",
                               "a majority crashes or one node is cut off: the survivor keeps "
                               "answering with the same data, its writes get 'no quorum' in time",
                               plan_majority_loss));
  {
    Scenario x = dns_scenario("leader-crash-mid-write",
                              "writes submitted to the leader, which crashes milliseconds later",
                              plan_leader_crash_mid_write);
    x.defaults.loss = 0.01;
    x.defaults.torn = true;
    table.push_back(x);
  }
  {
    Scenario x = dns_scenario("crash-before-fsync",
                              "a node crashes right after taking writes, before its next "
                              "checkpoint; unsynced disk data is lost or torn",
                              plan_crash_before_fsync);
    x.defaults.torn = true;
    x.defaults.checkpoint_ms = 500;
    table.push_back(x);
  }
  table.push_back(dns_scenario("long-down-node",
                               "one node down or cut off for most of the run: pending grows, "
                               "then drains after it returns",
                               plan_long_down_node));
  {
    Scenario x = dns_scenario("whole-cluster-restart",
                              "every node loses power at once, again and again: all data survives",
                              plan_whole_cluster_restart);
    x.defaults.torn = true;
    table.push_back(x);
  }
  {
    // Only disk faults, so that the claims about the rest of the cluster hold: a minority's
    // disks fill up (writes fail, retried) or fail an fsync (the node asks for a restart, which
    // the operator does); the others keep committing, the faulted node keeps answering queries.
    Scenario x = dns_scenario("disk-full",
                              "a minority's disks fill up or fail an fsync: the node serves from "
                              "memory and retries (or is restarted), the rest keep committing, "
                              "all converge once space returns");
    x.defaults.disk_fault_rate = 0.6;
    x.w_disk_full = 2, x.w_fsync_fail = 1;
    x.w_crash = 0;
    x.min_fault = 200 * sim::kMillisecond, x.max_fault = 3 * sim::kSecond;
    x.bugs.push_back("ignore-fsync-error");
    x.bugs.push_back("drop-failed-write");
    table.push_back(x);
  }
  {
    Scenario x = dns_scenario("remove-leader",
                              "the leader removes itself (REMOVE-NODE) under message loss and "
                              "crashes: a new leader takes over, pending drains without the "
                              "removed node, which never leads again",
                              plan_remove_leader);
    x.defaults.nodes = 4;
    x.defaults.loss = 0.02;
    x.defaults.crash_rate = 0.3;
    x.w_crash = 1, x.w_crash_leader = 1;
    x.bugs.push_back("keep-removed-acks");
    table.push_back(x);
  }
  {
    Scenario x = dns_scenario("reconfig-partition",
                              "two members removed one after the other during partitions, "
                              "crashes and message loss",
                              plan_reconfig_partition);
    x.defaults.nodes = 5;
    x.defaults.loss = 0.03;
    x.defaults.crash_rate = 0.4;
    x.defaults.partition_rate = 0.6;
    x.defaults.torn = true;
    x.w_partition = 2, x.w_isolate = 1, x.w_one_way = 1, x.w_clog = 1;
    x.w_crash = 2, x.w_crash_leader = 1;
    x.bugs.push_back("keep-removed-acks");
    table.push_back(x);
  }
  {
    Scenario x = dns_scenario("laggard-transfer",
                              "a 16 KiB max_pending_bytes; one node down or cut off under large "
                              "writes: every replica stops holding changes for it, it copies a "
                              "peer's datastore when it returns and acks again",
                              plan_laggard_transfer);
    x.defaults.time_s = 8;
    x.defaults.max_pending_bytes = 16 * 1024;
    x.defaults.loss = 0.01;
    x.bugs.push_back("ignore-pending-bound");
    table.push_back(x);
  }
  {
    // Only message loss besides the plan's deaths, so that "writes go on" is a firm claim.
    Scenario x = dns_scenario("replace-node",
                              "a follower dies for good: REMOVE-NODE it, ADD-NODE a spare that "
                              "starts with join, copies a peer's datastore and is promoted; then "
                              "the leader dies and writes go on",
                              plan_replace_node);
    x.defaults.nodes = 4;
    x.spares = 1;
    x.faults_skip_outsiders = true;
    x.defaults.loss = 0.02;
    x.defaults.torn = true;
    x.w_crash = 0;
    x.bugs.push_back("reimport-after-wipe");
    x.bugs.push_back("transfer-before-fsync");
    table.push_back(x);
  }
  {
    Scenario x = dns_scenario("wipe-rejoin",
                              "a follower or the leader is killed, its disk wiped and it restarts "
                              "with the same id, again and again, under crashes and message loss: "
                              "it rejoins by transfer, never re-imports, removed records stay "
                              "removed",
                              plan_wipe_rejoin);
    x.faults_skip_outsiders = true;
    x.defaults.loss = 0.02;
    x.defaults.crash_rate = 0.2;
    x.defaults.torn = true;
    x.w_crash = 1, x.w_crash_leader = 1;
    x.bugs.push_back("reimport-after-wipe");
    x.bugs.push_back("transfer-before-fsync");
    x.defaults.transfer_chunk_bytes = 256;  // copies of many chunks
    x.bugs.push_back("wiped-node-votes");
    table.push_back(x);
  }
  {
    Scenario x = dns_scenario("add-under-load",
                              "two spares added one after the other (ADD-NODE, started with join) "
                              "under a steady write load, message loss, partitions and crashes",
                              plan_add_under_load);
    x.defaults.nodes = 5;
    x.spares = 2;
    x.faults_skip_outsiders = true;
    x.proposals_per_second = 40;
    x.defaults.loss = 0.03;
    x.defaults.crash_rate = 0.2;
    x.defaults.partition_rate = 0.5;
    x.defaults.torn = true;
    x.w_partition = 2, x.w_isolate = 1, x.w_one_way = 1, x.w_clog = 1;
    x.w_crash = 1, x.w_crash_leader = 1;
    x.bugs.push_back("transfer-before-fsync");
    x.defaults.transfer_chunk_bytes = 256;  // copies of many chunks
    table.push_back(x);
  }
  table.push_back(random_dns);
}

const std::vector<Scenario>& dns_scenarios() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> s;
    for (const Scenario& x : scenarios())
      if (x.dns) s.push_back(x);
    return s;
  }();
  return all;
}

}  // namespace harness
