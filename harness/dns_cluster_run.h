#pragma once
// One complete simulated run of the DNS cluster (scenario_run.h's loop): engine::Node members
// importing their zone files, a write/query workload and the scenario's scripted plan
// (dns_plans.h) beside the fault schedule; convergence after the heal means the same applied
// index, empty pending, and every node serving exactly the reference record set.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/dns_invariants.h"
#include "harness/dns_node_driver.h"
#include "harness/history.h"
#include "harness/scenario.h"
#include "harness/scenario_run.h"
#include "sim/world.h"

namespace harness {

// Runs one seed under one DNS scenario (scenario.dns must be true); the result has `dns` set.
RunResult run_dns_cluster(const RunOptions& options);

// TraceEvent::peer of the Note events a DNS run records.
inline constexpr std::uint64_t kDnsReplyNote = 0;  // a write answered: a = WriteResult::Kind,
                                                   // b = index
inline constexpr std::uint64_t kDnsPlanNote = 1;   // majority-loss cut: a = 1 begins / 2 ends,
                                                   // b = crashes
// (2 is kDnsDiskNote, dns_node_driver.h.)
inline constexpr std::uint64_t kDnsProbeNote = 3;  // a probe write: a = the disk-faulted node
inline constexpr std::uint64_t kDnsWipeNote = 4;   // the node's disk was wiped (it is down)

// How long after a node asks for a restart (a failed fsync) the operator restarts it.
inline constexpr sim::SimTime kOperatorDelay = 300 * sim::kMillisecond;

// How the events a DNS run records differently from the raft harness read (client writes and
// their answers, applies, plan steps); nullopt for the kinds both record alike.
std::optional<std::string> describe_dns_event(const sim::TraceEvent& event);

// The DNS kind of run (scenario_run.h's loop); run_dns_cluster() is the only entry point most
// callers need. Its public part is what scripted plans (dns_plans.h) work with, on top of
// ScenarioRun's.
class DnsClusterRun final : public ScenarioRun<DnsNodeDriver> {
 public:
  explicit DnsClusterRun(const RunOptions& options);

  sim::Prng& plan_prng() { return plan_prng_; }
  DnsRunStats& stats() { return stats_; }
  const engine::NodeOptions& node_options() { return cluster_.node_options().engine; }
  // A uniformly chosen running node (0 if none), drawn from the workload's stream.
  engine::NodeId random_live_node();
  // A client write on `node` (ignored while it is down); `must_fail`: only "no quorum" is a
  // correct answer.
  void submit_write(engine::NodeId node, std::vector<dns::Change> changes, bool must_fail);
  // A write that must commit (OK or NOOP): the plan claims the cluster has quorum.
  // `claim` names the invariant a failure breaks.
  void submit_must_commit(engine::NodeId node, std::vector<dns::Change> changes, const char* claim);
  // Membership plans (remove-leader, reconfig-partition): whether `node` is a member as the
  // most advanced running node's R says (every node while none runs), and the nodes whose
  // removal committed, with the highest term seen when it did (they must never lead later).
  bool is_member(engine::NodeId node);
  void note_removed(engine::NodeId node);
  const std::map<engine::NodeId, raft::Term>& removed() const { return removed_; }

  // Cluster lifetime (dns_cluster_lifecycle.cpp, plans in dns_lifecycle_plans.h).
  // One of the scenario's spare slots (Scenario::spares): no member until added.
  bool is_spare(engine::NodeId node) const;
  // Whether `node` is a voter as the most advanced running node's R says.
  bool is_voter(engine::NodeId node);
  // The current leader (if any, and not disk-faulted) proposes ADD-NODE / REMOVE-NODE of
  // `node`; plans retry until is_member() shows the change committed.
  void propose_add(engine::NodeId node);
  void propose_remove(engine::NodeId node);
  // Spare `node`'s ADD-NODE committed: it starts with NodeOptions::join (and keeps it across
  // restarts, as `dns-node --join` would be run again); from now on it owes final reads.
  void start_joiner(engine::NodeId node);
  bool joined(engine::NodeId node) const { return joined_.contains(node); }
  // Power cut on `node` (if up) and its simulated disk erased, as an operator's `rm -rf` of the
  // data directory; it comes back with the same id and command line through restart_later().
  void wipe(engine::NodeId node);
  std::size_t wipes() const { return wipes_; }
  const DnsInvariants& dns_checks() const { return dns_checks_; }

 private:
  // One client write, from submission to its single answer.
  struct Write {
    engine::NodeId node = 0;
    std::uint64_t incarnation = 0;
    sim::SimTime submitted = 0;
    std::vector<dns::Change> changes;
    bool answered = false;
    bool must_fail = false;    // submitted without quorum: only "no quorum" is acceptable
    bool must_commit = false;  // a probe while a minority's disks fail: only OK/NOOP will do
    const char* must_commit_claim =
        "the rest of the cluster keeps committing while a minority's disks fail";
  };

  void start_workload() override;
  std::string convergence_gap() override;
  void after_convergence() override;
  void finish_result(RunResult& result) override;

  void on_reply(std::uint64_t id, const engine::WriteResult& result);
  // The operator's restart of a node whose fsync failed (NodeHooks::restart_needed).
  void restart_for_disk(engine::NodeId node);
  // A disk fault window begins or ends on `node` (FaultHooks::disk_window). With only disk
  // faults in the schedule, the rest of the cluster must commit a probe write meanwhile, and
  // `node` must have recovered and caught up by the time it settles.
  void on_disk_window(engine::NodeId node, bool begins);
  void probe_commit(engine::NodeId faulted);
  void check_recovered(engine::NodeId node, raft::Index commit_at_end);
  void query(engine::NodeId node, std::size_t index);
  void schedule_writes(sim::SimTime until);
  void schedule_queries(sim::SimTime until);
  void schedule_sampling();
  // Throws InvariantViolation unless every node serves and stores the reference record set.
  void check_converged();
  // The history (RunOptions::history): a write's line once its outcome is known (`result` null:
  // never answered), a read through `node`'s query path, every node's reads after the heal.
  void record_write(std::uint64_t id, const Write& w, const engine::WriteResult* result);
  void record_read(engine::NodeId node, std::size_t index, bool final);
  void record_final_reads();
  // Reads only the history sees, on top of the workload's (they change nothing in the run).
  void schedule_history_reads(sim::SimTime until);

  // Throws InvariantViolation if a node whose removal committed leads in a later term.
  void check_removed_never_lead();

  // Whether a fault may hit `node` (Scenario::faults_skip_outsiders): no spare not yet added,
  // no member whose removal committed.
  bool in_play(engine::NodeId node) const;

  std::map<engine::NodeId, raft::Term> removed_;
  std::set<engine::NodeId> joined_;  // spares started with NodeOptions::join
  std::size_t wipes_ = 0;
  DnsInvariants dns_checks_;
  sim::Prng plan_prng_;
  sim::Prng probe_prng_;
  std::map<std::uint64_t, Write> writes_;
  std::uint64_t next_write_ = 1;
  DnsRunStats stats_;
  const bool invariants_;  // false: RunOptions::no_invariants
  std::unique_ptr<HistoryWriter> history_;
  sim::Prng history_prng_;
  std::uint64_t next_read_ = 1;
  bool final_reads_done_ = false;
};

}  // namespace harness
