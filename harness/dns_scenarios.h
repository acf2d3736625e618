#pragma once
// The named scenarios of the whole DNS cluster (engine::Node in the simulator): checkpoint-race,
// majority-loss, leader-crash-mid-write, crash-before-fsync, long-down-node,
// whole-cluster-restart and random-dns. Their knobs live here; the scripted parts of each plan
// live in DnsClusterRun.

#include <vector>

#include "harness/scenario.h"

namespace harness {

// Appended to scenarios(); every entry has dns = true.
const std::vector<Scenario>& dns_scenarios();

}  // namespace harness
