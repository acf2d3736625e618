#pragma once
// The named scenarios of the whole DNS cluster (engine::Node in the simulator): checkpoint-race,
// majority-loss, leader-crash-mid-write, crash-before-fsync, long-down-node,
// whole-cluster-restart, disk-full, remove-leader, reconfig-partition and random-dns, with their
// knobs, bug switches and scripted plans (dns_plans.h).

#include <vector>

#include "harness/scenario.h"

namespace harness {

// Appends the DNS scenarios (dns = true) to the table; `random-dns` is derived from the raft
// table's `random`, which must be in it already.
void add_dns_scenarios(std::vector<Scenario>& table);

// The DNS scenarios of scenarios(), in table order.
const std::vector<Scenario>& dns_scenarios();

}  // namespace harness
