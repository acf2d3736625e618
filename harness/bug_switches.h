#pragma once
// The deliberate bugs sim-runner --bug can switch on, to show that the checks catch them: one
// table that names them, says what each breaks and how it is switched on in a raft-only run and
// in a DNS run. Each scenario lists the bugs it accepts (Scenario::bugs).

#include <string>
#include <vector>

#include "harness/dns_node_driver.h"
#include "harness/raft_node_driver.h"

namespace harness {

struct Scenario;

// One deliberate bug.
struct BugSwitch {
  std::string name;
  std::string summary;
  // How a raft-only run (raft_cluster_run.h) and a DNS run (dns_cluster_run.h) switch it on;
  // null where the bug does not exist.
  void (*raft_run)(RaftDriverOptions& options) = nullptr;
  void (*dns_run)(DnsDriverOptions& options) = nullptr;
};

const std::vector<BugSwitch>& bug_switches();

// The switch `name` if `scenario` accepts it; throws std::invalid_argument naming the bugs the
// scenario accepts otherwise.
const BugSwitch& find_bug_switch(const Scenario& scenario, const std::string& name);

}  // namespace harness
