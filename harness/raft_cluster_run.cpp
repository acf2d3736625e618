#include "harness/raft_cluster_run.h"

#include <fmt/core.h>

#include <stdexcept>

#include "harness/bug_switches.h"

namespace harness {

namespace {

// The raft nodes of a raft-only scenario (with the run's bug switch on).
RaftDriverOptions raft_node_options(const Scenario& scenario, const Knobs& k) {
  if (scenario.dns)
    throw std::invalid_argument(fmt::format("'{}' is a DNS scenario", scenario.name));
  RaftDriverOptions o;
  if (k.snapshot_chunk_bytes > 0) o.max_snapshot_chunk_bytes = k.snapshot_chunk_bytes;
  if (!k.bug.empty()) find_bug_switch(scenario, k.bug).raft_run(o);
  return o;
}

}  // namespace

RaftClusterRun::RaftClusterRun(const RunOptions& options)
    : ScenarioRun(options, find_scenario(options.scenario),
                  raft_node_options(find_scenario(options.scenario), options.knobs)) {
  cluster_.set_checks(&raft_checks_, nullptr);
  cluster_.hooks().acknowledged = [this](raft::NodeId, CommandId id) { acked_.push_back(id); };
  if (scenario_.stable_leader) raft_checks_.require_stable_leader(kWarmup);
}

void RaftClusterRun::start_workload() {
  schedule_workload(fault_end_);
}

void RaftClusterRun::schedule_workload(sim::SimTime until) {
  if (scenario_.proposals_per_second <= 0) return;
  const double gap = workload_prng_.exponential(1e9 / scenario_.proposals_per_second);
  const sim::SimTime at = world().now() + static_cast<sim::SimTime>(gap);
  if (at >= until) return;
  world().queue().schedule_at(at, [this, until] {
    if (!workload_on()) return;
    const raft::NodeId node = 1 + workload_prng_.below(nodes());
    if (RaftNodeDriver* d = driver(node)) d->propose(next_command_++);
    schedule_workload(until);
  });
}

std::string RaftClusterRun::convergence_gap() {
  const raft::NodeId leader = cluster_.leader();
  if (leader == 0) return "no leader";
  const raft::Status ls = driver(leader)->status();
  if (ls.commit < ls.last_index)
    return fmt::format("leader n{} has committed {} of {}", leader, ls.commit, ls.last_index);
  const CommandLog& reference = driver(leader)->app();
  for (raft::NodeId n = 1; n <= nodes(); ++n) {
    const raft::Status s = driver(n)->status();
    if (s.term != ls.term) return fmt::format("n{} at term {}, leader at {}", n, s.term, ls.term);
    const CommandLog& app = driver(n)->app();
    if (app.applied() != ls.commit)
      return fmt::format("n{} applied {} of {} committed", n, app.applied(), ls.commit);
    if (app.hash() != reference.hash())
      return fmt::format("n{} applied a different sequence than leader n{}", n, leader);
  }
  for (CommandId id : acked_)
    if (!reference.contains(id)) return fmt::format("acknowledged command {} is not applied", id);
  return "";
}

void RaftClusterRun::finish_result(RunResult& result) {
  result.proposed = next_command_ - 1;
  result.acknowledged = acked_.size();
}

RunResult run_raft_cluster(const RunOptions& options) {
  return RaftClusterRun(options).run();
}

}  // namespace harness
