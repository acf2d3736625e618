#include "harness/bug_switches.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "harness/scenario.h"

namespace harness {

const std::vector<BugSwitch>& bug_switches() {
  static const std::vector<BugSwitch> all{
      {.name = "commit-without-majority",
       .summary = "a leader commits what only it has",
       .raft_run = [](RaftDriverOptions& o) { o.raft_bugs.commit_without_majority = true; },
       .dns_run = [](DnsDriverOptions& o) { o.engine.raft_bugs.commit_without_majority = true; }},
      {.name = "forget-vote",
       .summary = "a node's vote never reaches its disk",
       .raft_run = [](RaftDriverOptions& o) { o.forget_vote = true; }},
      {.name = "no-pre-vote",
       .summary = "pre-vote off: rejoining nodes depose healthy leaders",
       .raft_run = [](RaftDriverOptions& o) { o.pre_vote = false; }},
      {.name = "ack-before-fsync",
       .summary = "a node acknowledges batches before its local datastore is durable",
       .dns_run = [](DnsDriverOptions& o) { o.engine.bugs.ack_before_fsync = true; }},
      {.name = "drop-on-majority-ack",
       .summary = "pending batches are dropped once a majority (not every node) acknowledged",
       .dns_run = [](DnsDriverOptions& o) { o.engine.bugs.drop_on_majority_ack = true; }},
      {.name = "keep-removed-acks",
       .summary = "a removed member's ack stays in R: pending never drains without it",
       .dns_run = [](DnsDriverOptions& o) { o.engine.bugs.keep_removed_acks = true; }},
      {.name = "ignore-pending-bound",
       .summary = "R never stops holding changes for a laggard: pending (and raft's snapshot) "
                  "grows past max_pending_bytes while a member is down",
       .dns_run = [](DnsDriverOptions& o) { o.engine.bugs.ignore_pending_bound = true; }},
      {.name = "reimport-after-wipe",
       .summary = "a node whose disk was wiped imports its zone file again whatever the cluster "
                  "decided: records removed since come back",
       .dns_run = [](DnsDriverOptions& o) { o.engine.bugs.reimport_after_wipe = true; }},
      {.name = "wiped-node-votes",
       .summary = "a node whose data directory was wiped votes at once, having forgotten the "
                  "votes it gave: two leaders in one term",
       .dns_run = [](DnsDriverOptions& o) { o.engine.bugs.wiped_node_votes = true; }},
      {.name = "transfer-before-fsync",
       .summary = "a copy of a peer's datastore is installed, served and acknowledged before it "
                  "is durable",
       .dns_run = [](DnsDriverOptions& o) { o.engine.bugs.transfer_before_fsync = true; }},
      {.name = "ignore-fsync-error",
       .summary = "a failed fsync is taken for success: the node acks and votes on data the "
                  "kernel dropped",
       .dns_run = [](DnsDriverOptions& o) { o.disk_bugs.ignore_fsync_errors = true; }},
      {.name = "drop-failed-write",
       .summary = "a write that failed for lack of space is taken for done, not retried",
       .dns_run = [](DnsDriverOptions& o) { o.disk_bugs.drop_failed_writes = true; }},
  };
  return all;
}

const BugSwitch& find_bug_switch(const Scenario& scenario, const std::string& name) {
  const auto& all = bug_switches();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const BugSwitch& b) { return b.name == name; });
  const bool accepted =
      std::find(scenario.bugs.begin(), scenario.bugs.end(), name) != scenario.bugs.end();
  if (it == all.end() || !accepted)
    throw std::invalid_argument(fmt::format("unknown --bug '{}' for scenario {} (known: {})", name,
                                            scenario.name, fmt::join(scenario.bugs, ", ")));
  if (scenario.dns ? it->dns_run == nullptr : it->raft_run == nullptr)
    throw std::logic_error(fmt::format("scenario {} lists --bug {}, which has no switch in {} runs",
                                       scenario.name, name, scenario.dns ? "DNS" : "raft-only"));
  return *it;
}

}  // namespace harness
