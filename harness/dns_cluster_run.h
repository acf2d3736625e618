#pragma once
// One complete simulated run of the DNS cluster, VOPR style: engine::Node members on the
// simulated world importing their zone files, a write/query workload, the scenario's fault
// schedule plus its scripted plan (dns_plans.h), then a heal phase
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

// TraceEvent::peer of the Note events a DNS run records.
inline constexpr std::uint64_t kDnsReplyNote = 0;  // a write answered: a = WriteResult::Kind,
                                                   // b = index
inline constexpr std::uint64_t kDnsPlanNote = 1;   // majority-loss cut: a = 1 begins / 2 ends,
                                                   // b = crashes

// How the events a DNS run records differently from the raft harness read (client writes and
// their answers, applies, plan steps); nullopt for the kinds both record alike.
std::optional<std::string> describe_dns_event(const sim::TraceEvent& event);

// The pieces of a DNS run; run_dns_cluster() is the only entry point most callers need.
class DnsClusterRun {
 public:
  explicit DnsClusterRun(const RunOptions& options);
  ~DnsClusterRun();
  DnsRunResult run();

  // ---- what scripted plans (dns_plans.h) work with ----
  sim::World& world() { return world_; }
  sim::Prng& plan_prng() { return plan_prng_; }
  FaultApplier& faults() { return faults_; }
  DnsRunStats& stats() { return stats_; }
  std::size_t nodes() const { return options_.knobs.nodes; }
  sim::SimTime fault_end() const { return fault_end_; }
  bool workload_on() const { return workload_on_; }
  // A fault schedule runs beside the plan (claims that assume only the plan's faults skip).
  bool extra_faults() const { return extra_faults_; }
  const engine::NodeOptions& node_options() const { return node_options_; }
  DnsNodeDriver* driver(engine::NodeId node) { return drivers_[node].get(); }  // null while down
  std::uint64_t incarnation(engine::NodeId node) const { return incarnations_[node]; }
  engine::NodeId leader() const { return current_leader(); }
  // A uniformly chosen running node (0 if none), drawn from the workload's stream.
  engine::NodeId random_live_node();
  // A client write on `node` (ignored while it is down); `must_fail`: only "no quorum" is a
  // correct answer.
  void submit_write(engine::NodeId node, std::vector<dns::Change> changes, bool must_fail);
  void crash(engine::NodeId node) { crash_node(node); }
  void restart_later(engine::NodeId node, sim::SimTime after);
  // Crashes `node` and keeps it down (fault restarts skip it) until release() starts it.
  void hold_down(engine::NodeId node);
  void release(engine::NodeId node);

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

  void start_node(engine::NodeId node);
  void crash_node(engine::NodeId node);
  void on_reply(std::uint64_t id, const engine::WriteResult& result);
  void query(engine::NodeId node, std::size_t index);
  void schedule_writes(sim::SimTime until);
  void schedule_queries(sim::SimTime until);
  void schedule_sampling();
  engine::NodeId current_leader() const;

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
