#pragma once
// One complete simulated run of the DNS cluster, VOPR style: engine::Node members on the
// simulated world importing their zone files, a write/query workload, the scenario's fault
// schedule plus its scripted plan (majority loss, leader crash mid-write, ...), then a heal phase
// (every link up, every node restarted from its disk) that must converge within a bound: same
// applied index, empty pending, and every node serving exactly the reference record set.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/dns_invariants.h"
#include "harness/dns_node_driver.h"
#include "harness/fault_applier.h"
#include "harness/faults.h"
#include "harness/raft_cluster_run.h"
#include "harness/raft_invariants.h"
#include "harness/scenario.h"
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
  std::size_t max_pending = 0;  // most batches pending on any node (sampled every 100 ms)
  std::size_t records = 0;      // records served after convergence
  double converge_s = 0;        // sim seconds from the heal to convergence
};

struct DnsRunResult : RunResult {
  DnsRunStats dns;
};

// Runs one seed under one DNS scenario (scenario.dns must be true).
DnsRunResult run_dns_cluster(const RunOptions& options);

// How the events a DNS run records differently from the raft harness read (client writes and
// their answers, applies, plan steps); nullopt for the kinds both record alike.
std::optional<std::string> describe_dns_event(const sim::TraceEvent& event);

// The pieces of a DNS run; run_dns_cluster() is the only entry point most callers need.
class DnsClusterRun {
 public:
  explicit DnsClusterRun(const RunOptions& options);
  ~DnsClusterRun();
  DnsRunResult run();

 private:
  // One client write, from submission to its single answer.
  struct Write {
    engine::NodeId node = 0;
    std::uint64_t incarnation = 0;
    sim::SimTime submitted = 0;
    std::vector<dns::Change> changes;
    bool answered = false;
    bool must_fail = false;  // submitted without quorum: only "no quorum" is acceptable
  };

  DnsNodeDriver* driver(engine::NodeId node) { return drivers_[node].get(); }
  void start_node(engine::NodeId node);
  void crash_node(engine::NodeId node);
  void restart_later(engine::NodeId node, sim::SimTime after);
  void submit_write(engine::NodeId node, std::vector<dns::Change> changes, bool must_fail);
  void on_reply(std::uint64_t id, const engine::WriteResult& result);
  void query(engine::NodeId node, std::size_t index);
  void schedule_writes(sim::SimTime until);
  void schedule_queries(sim::SimTime until);
  void schedule_sampling();
  engine::NodeId random_live_node();
  engine::NodeId current_leader() const;

  // Scripted plans of the named scenarios.
  void install_plan();
  void plan_majority_loss();
  void plan_leader_crash_mid_write(sim::SimTime until);
  void plan_crash_before_fsync(sim::SimTime until);
  void plan_long_down_node();
  void plan_whole_cluster_restart(sim::SimTime until);

  void heal();
  // Empty when converged; otherwise what is still missing.
  std::string convergence_gap();
  // Throws InvariantViolation unless every node serves and stores the reference record set.
  void check_converged();

  RunOptions options_;
  const Scenario& scenario_;
  engine::NodeOptions node_options_;
  sim::SimTime fault_end_ = 0;
  sim::World world_;
  RaftInvariants raft_checker_;
  DnsInvariants dns_checker_;
  sim::Prng workload_prng_;
  sim::Prng fault_prng_;
  sim::Prng plan_prng_;
  FaultApplier faults_;
  std::vector<std::unique_ptr<DnsNodeDriver>> drivers_;  // index 0 unused; null while crashed
  std::vector<std::uint64_t> incarnations_;
  std::vector<bool> held_down_;  // per node, kept down by a plan: fault restarts skip it
  std::map<std::uint64_t, Write> writes_;
  std::uint64_t next_write_ = 1;
  DnsRunStats stats_;
  std::size_t crashes_ = 0;
  bool workload_on_ = true;
  bool extra_faults_ = false;  // a fault schedule runs beside the scenario's plan
};

}  // namespace harness
