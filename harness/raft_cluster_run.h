#pragma once
// One complete simulated run of a raft-only cluster (scenario_run.h's loop): RaftNodeDriver
// members applying the harness's command log, a client workload proposing commands at random
// nodes, and convergence meaning one leader, everything committed and applied everywhere in the
// same order, and every acknowledged command applied.

#include <cstdint>
#include <string>
#include <vector>

#include "harness/raft_node_driver.h"
#include "harness/scenario.h"
#include "harness/scenario_run.h"

namespace harness {

// Runs one seed under one raft-only scenario.
RunResult run_raft_cluster(const RunOptions& options);

// The raft-only kind of run; run_raft_cluster() is the only entry point most callers need.
class RaftClusterRun final : public ScenarioRun<RaftNodeDriver> {
 public:
  explicit RaftClusterRun(const RunOptions& options);

 private:
  void start_workload() override;
  std::string convergence_gap() override;
  void finish_result(RunResult& result) override;

  void schedule_workload(sim::SimTime until);

  std::vector<CommandId> acked_;
  CommandId next_command_ = 1;
};

}  // namespace harness
