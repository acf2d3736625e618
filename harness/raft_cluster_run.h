#pragma once
// One complete simulated run, VOPR style: a raft cluster on the simulated world, a client
// workload, a fault phase driven by the scenario's schedule, then a heal phase (every link up,
// every node restarted from its disk) that must converge within a bound.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/fault_applier.h"
#include "harness/faults.h"
#include "harness/raft_invariants.h"
#include "harness/raft_node_driver.h"
#include "harness/scenario.h"
#include "sim/world.h"

namespace harness {

// The outcome of a run: either every invariant held and the cluster converged, or the first
// violation with the recent history.
struct RunResult {
  bool ok = true;
  std::string invariant;  // empty when ok
  std::string detail;
  std::vector<sim::TraceEvent> history;  // the last events before the violation
  std::vector<Fault> schedule;
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  double sim_seconds = 0;
  std::size_t elections = 0;
  raft::Term highest_term = 0;
  raft::Index committed = 0;
  std::size_t proposed = 0;
  std::size_t acknowledged = 0;
  std::size_t crashes = 0;
  std::uint64_t messages = 0;
};

// Runs one seed under one scenario.
RunResult run_raft_cluster(const RunOptions& options);

// The pieces of a run; run_raft_cluster() is the only entry point most callers need.
class RaftClusterRun {
 public:
  explicit RaftClusterRun(const RunOptions& options);
  ~RaftClusterRun();
  RunResult run();

 private:
  void start_node(raft::NodeId node);
  void crash_node(raft::NodeId node);
  void schedule_workload(sim::SimTime until);
  raft::NodeId current_leader() const;
  void heal();
  // Empty when converged; otherwise what is still missing.
  std::string convergence_gap() const;

  RunOptions options_;
  const Scenario& scenario_;
  RaftDriverOptions driver_options_;
  sim::World world_;
  RaftInvariants checker_;
  sim::Prng workload_prng_;
  sim::Prng fault_prng_;
  FaultApplier faults_;
  std::vector<std::unique_ptr<RaftNodeDriver>> drivers_;  // index 0 unused; null while crashed
  std::vector<std::uint64_t> incarnations_;
  std::vector<CommandId> acked_;
  CommandId next_command_ = 1;
  std::size_t crashes_ = 0;
  bool workload_on_ = true;
};

}  // namespace harness
