#pragma once
// The one run loop of every scenario, raft-only or DNS alike, VOPR style: the cluster starts,
// the fault schedule (drawn from the seed, or given) and the workload run for the fault phase,
// then the heal phase (every link up, every node restarted from its disk) must converge within
// a bound. What differs per kind of cluster (workload, plan, convergence checks) comes from
// RaftClusterRun and DnsClusterRun.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/fault_applier.h"
#include "harness/faults.h"
#include "harness/raft_invariants.h"
#include "harness/scenario.h"
#include "harness/sim_cluster.h"
#include "sim/world.h"

namespace harness {

// What the DNS layer did during a run (on top of the raft numbers of RunResult).
struct DnsRunStats {
  std::size_t writes = 0;      // client writes submitted
  std::size_t ok = 0;          // answered OK
  std::size_t noop = 0;        // answered NOOP (committed, changed nothing)
  std::size_t no_quorum = 0;   // answered "no quorum"
  std::size_t unanswered = 0;  // their node crashed first (the client saw the connection drop)
  std::size_t queries = 0;     // queries answered from a serving view
  std::size_t committed_batches = 0;
  std::size_t max_pending = 0;         // most batches pending on any node (sampled every 100 ms)
  std::size_t disk_fault_answers = 0;  // writes refused by a disk-faulted node
  std::size_t disk_restarts = 0;       // restarts an operator did for a failed fsync
  std::size_t probes = 0;              // writes that had to commit while a disk was faulted
  std::size_t records = 0;             // records served after convergence
  std::size_t removed_members = 0;     // members a plan removed (REMOVE-NODE committed)
  std::size_t added_members = 0;       // spares a plan added (ADD-NODE, started with join)
  std::size_t promoted = 0;            // ... of which the cluster made voters by the heal
  std::size_t wipes = 0;               // disks a plan wiped
  std::size_t transfers = 0;           // datastore copies installed
  std::size_t transfers_resumed = 0;   // copies taken up again after the receiver restarted
  double converge_s = 0;               // sim seconds from the heal to convergence
};

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
  std::optional<DnsRunStats> dns;  // DNS scenarios only
};

// Runs one seed under its scenario, raft-only or DNS as the scenario says.
RunResult run_scenario(const RunOptions& options);

// The run loop and what every kind of run shares; `Node` is RaftNodeDriver or DnsNodeDriver.
template <typename Node>
class ScenarioRun {
 public:
  virtual ~ScenarioRun() = default;
  ScenarioRun(const ScenarioRun&) = delete;
  ScenarioRun& operator=(const ScenarioRun&) = delete;

  RunResult run();

  sim::World& world() { return cluster_.world(); }
  SimCluster<Node>& cluster() { return cluster_; }
  FaultApplier& faults() { return faults_; }
  std::size_t nodes() const { return options_.knobs.nodes; }
  sim::SimTime fault_end() const { return fault_end_; }
  // False once the heal began: workload, plans and fault undos stop.
  bool workload_on() const { return workload_on_; }
  // A fault schedule runs beside the scenario's plan (claims that assume only the plan's
  // faults skip).
  bool extra_faults() const { return extra_faults_; }
  // Every fault of the schedule hits a disk and no scripted plan runs (the network and the
  // processes are otherwise healthy).
  bool only_disk_faults() const { return only_disk_faults_; }
  Node* driver(engine::NodeId node) { return cluster_.node(node); }  // null while down
  std::uint64_t incarnation(engine::NodeId node) const { return cluster_.incarnation(node); }
  engine::NodeId leader() const { return cluster_.leader(); }
  void crash(engine::NodeId node) { cluster_.crash(node); }
  // Starts `node` after `after` unless the heal began or a plan holds it down.
  void restart_later(engine::NodeId node, sim::SimTime after);
  // Starts `node` (if down); if its disk fails that start, power-cycles it and tries again after
  // kStartRetry, as an operator or a supervisor would, until it runs or the heal begins.
  void start_or_retry(engine::NodeId node);
  // Crashes `node` and keeps it down (fault restarts skip it) until release() starts it.
  void hold_down(engine::NodeId node);
  void release(engine::NodeId node);

 protected:
  ScenarioRun(const RunOptions& options, const Scenario& scenario,
              typename Node::Options node_options);

  // Schedules the kind's workload (and plan) once the nodes are up and the faults scheduled.
  virtual void start_workload() = 0;
  // Empty when converged; otherwise what is still missing.
  virtual std::string convergence_gap() = 0;
  // Checks beyond convergence_gap() once it is empty (throws InvariantViolation).
  virtual void after_convergence() {}
  // The kind's own numbers (proposed, acknowledged, DNS stats).
  virtual void finish_result(RunResult& result) = 0;
  // Whether the heal restarts `node` at once (it has been started before); a kind may keep one
  // down a while longer (a wiped node waits for a leader, as operations.md asks).
  virtual bool restart_at_heal(engine::NodeId node) { return incarnation(node) > 0; }

  const RunOptions options_;
  const Scenario& scenario_;
  const sim::SimTime fault_end_;
  SimCluster<Node> cluster_;
  RaftInvariants raft_checks_;
  sim::Prng workload_prng_;
  sim::Prng fault_prng_;
  FaultApplier faults_;
  sim::SimTime healed_at_ = 0;

 private:
  void heal();

  std::vector<bool> held_down_;  // per node
  bool workload_on_ = true;
  bool extra_faults_ = false;
  bool only_disk_faults_ = false;
};

// How long a supervisor waits before starting a node whose start failed on its disk again.
inline constexpr sim::SimTime kStartRetry = 300 * sim::kMillisecond;

}  // namespace harness
