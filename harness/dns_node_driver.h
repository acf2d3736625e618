#pragma once
// One simulated DNS cluster member: an engine::Node on the node's SimClock, SimDisk and the
// cluster's links, with its own dns::Database as the serving view. It is the Node's clock
// (wrapping every timer so that the invariants run after each one fires), its transport and its
// observer (feeding the raft and DNS invariant checkers, if any, and the node hooks). Destroyed
// on a crash; a restart builds a new one from the disk alone.

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "dns/zone_db.h"
#include "engine/node.h"
#include "harness/careless_disk.h"
#include "harness/log_fingerprints.h"
#include "harness/node_hooks.h"
#include "sim/world.h"

namespace harness {

// TraceEvent::peer of the Note a DNS node records about its disk (the other DNS notes are in
// dns_cluster_run.h); a says what happened.
inline constexpr std::uint64_t kDnsDiskNote = 2;
inline constexpr std::uint64_t kDiskFaulted = 1;        // the node became disk-faulted
inline constexpr std::uint64_t kDiskRecovered = 2;      // a retry worked: the fault is over
inline constexpr std::uint64_t kDiskRestartNeeded = 3;  // only a restart recovers

// Settings every DNS node of a cluster shares.
struct DnsDriverOptions {
  engine::NodeOptions engine;  // `members` empty: 1..N; `id` is filled in per node
  // The simulated disk is instantaneous; this much is charged per durable raft write (new
  // entries, a snapshot, a new term or vote): the node's messages leave only after it, one
  // write after another. Local apply is not delayed.
  sim::SimTime fsync = 0;
  // Node events in the world's trace (whose hash is the determinism check); benchmarks switch
  // it off (it costs hashing every message).
  bool trace = true;
  // > 0: the node's raft log fsync runs off its thread (NodeOptions::log_syncer) and returns this
  // long after it starts; a crash meanwhile loses what it would have made durable.
  sim::SimTime log_sync = 0;
  // > 0: the node's local-datastore snapshots run off its thread (NodeOptions::worker; with it
  // the checkpoints by snapshot) and are written this long after they start; a crash meanwhile
  // loses the write (the old snapshot stays, as after a crash in the middle of a replace()).
  sim::SimTime store_snapshot = 0;
  // The PRNG stream of each process: a fmt pattern over {node} and {incarnation}.
  std::string random_stream = "dns-node-n{node}-{incarnation}";
  // The zone file node `n` imports on first boot (default: dns_workload.h's dns_zone_file).
  std::function<const std::vector<dns::Record>&(engine::NodeId)> zone_file;
  // Disk failures hidden from the node (bug switches only).
  DiskBugs disk_bugs;
  // Nodes started with NodeOptions::join: members added by ADD-NODE (`engine.members` is then
  // the cluster they were told of, which they join by the leader's snapshot).
  std::set<engine::NodeId> joiners;
};

class DnsNodeDriver final : private engine::Clock,
                            private engine::Transport,
                            private engine::NodeObserver {
 public:
  using Options = DnsDriverOptions;

  // `incarnation` counts restarts so each process draws its own randomness. Starts the node
  // (loading its disk).
  DnsNodeDriver(engine::NodeId id, std::uint64_t incarnation, const NodeEnv& env,
                const DnsDriverOptions& options);
  ~DnsNodeDriver() override;
  DnsNodeDriver(const DnsNodeDriver&) = delete;
  DnsNodeDriver& operator=(const DnsNodeDriver&) = delete;

  void deliver(engine::NodeId from, const engine::Bytes& bytes);
  // A client write on this node; `done` runs once (never, if the node crashes first).
  void submit(std::vector<dns::Change> changes, engine::Node::WriteCallback done);

  engine::Node& node() { return *node_; }
  const engine::Node& node() const { return *node_; }
  raft::Status raft_status() const { return node_->raft().status(); }
  const dns::Database& serving() const { return serving_; }
  engine::NodeId id() const { return id_; }
  // Whether this process found it needed a peer's datastore (see on_transfer_needed).
  bool needed_transfer() const { return needed_transfer_; }

 private:
  // engine::Clock
  engine::TimePoint now() const override;
  TimerId start_timer(engine::Duration after, std::function<void()> fire) override;
  void cancel_timer(TimerId id) override;
  // engine::Transport
  void send(engine::NodeId to, engine::Bytes message) override;
  // engine::NodeObserver
  void on_raft_restored(const raft::Restored& restored) override;
  void on_raft_persisted(const raft::Ready& ready) override;
  void on_raft_sent(const raft::Message& message) override;
  void on_applied(raft::Index index, std::uint64_t hash) override;
  void on_served(raft::Index index, const engine::ChangeBatch& batch,
                 const dns::ApplyResult& result) override;
  void on_store_synced(raft::Index hw) override;
  void on_pending_dropped(raft::Index index) override;
  void on_transfer_needed(raft::Index served, raft::Index dropped_through) override;
  void on_transfer_installed(std::uint64_t bytes, std::uint64_t chunks) override;
  void on_transfer_resumed(std::uint64_t chunk) override;

  // The chain hash stored in a raft snapshot of R (the base of the log fingerprints).
  std::uint64_t snapshot_hash(const raft::Snapshot& snapshot) const;
  // After each event: the role change in the trace and the hooks, then the invariants that look
  // at the node's whole state.
  void after_event();
  // engine::Worker for the log syncer and the local-datastore snapshots: the work runs `delay`
  // after it starts, on the node's clock (or on wait()), then `done`.
  class TimedWorker final : public engine::Worker {
   public:
    TimedWorker(DnsNodeDriver& driver, sim::SimTime delay) : driver_(driver), delay_(delay) {}
    void run(std::function<void()> work, std::function<void()> done) override;
    void wait() override;
    void drop() { work_ = nullptr; }  // the process crashed before the work ran

   private:
    DnsNodeDriver& driver_;
    sim::SimTime delay_;
    std::function<void()> work_;  // started, not run yet
  };
  // Follows the node's disk fault: the serving checks while it lasts, and the restart request.
  void watch_disk_fault();
  // Whether the disk failed a call since the last durability check: then what the node now
  // reports durable is checked against what a power cut would leave. (A failure the node did not
  // notice shows at its very next report; without failures the simulated disk cannot differ.)
  bool check_durability();
  sim::SimDisk after_power_cut() const;
  void check_raft_durable(const raft::Ready& ready) const;
  void check_store_durable(raft::Index hw) const;
  void record(const sim::TraceEvent& event, std::span<const std::uint8_t> bytes = {});

  engine::NodeId id_;
  sim::World& world_;
  SimLinks& links_;
  const NodeHooks& hooks_;
  RaftInvariants* raft_checks_;
  DnsInvariants* dns_checks_;
  engine::NodeOptions options_;
  sim::SimTime fsync_;
  raft::Index synced_commit_ = 0;  // raft's commit when no log sync last ran
  bool trace_;
  sim::Prng random_;
  dns::Database serving_;
  LogFingerprints log_;  // kept only for the raft checker
  raft::Role last_role_ = raft::Role::Follower;
  // As last reported through NodeHooks::changed.
  raft::Role seen_role_ = raft::Role::Follower;
  raft::Term seen_term_ = 0;
  raft::NodeId seen_leader_ = raft::kNoNode;
  // The last hard state written (as restored at start), and the last one synced: a new commit
  // index alone is written without a sync (engine::RaftLogStore::needs_sync), so a power cut
  // may take it back to synced_'s.
  raft::HardState durable_;
  raft::HardState synced_;
  sim::SimTime disk_free_ = 0;    // the last durable write completes then
  bool disk_faulted_ = false;     // as last seen in the node's status
  bool served_in_event_ = false;  // a batch reached the serving view in this event
  bool restart_requested_ = false;
  std::uint64_t checked_failures_ = 0;           // the disk's failed calls as of the last check
  std::uint64_t watched_failures_ = 0;           // ... as of the last look at the node's disk fault
  std::unique_ptr<CarelessDisk> careless_disk_;  // only with a disk bug switch on
  bool needed_transfer_ = false;                 // this process found it needed a peer's datastore
  std::unique_ptr<TimedWorker> log_syncer_;      // only with DnsDriverOptions::log_sync
  std::unique_ptr<TimedWorker> snapshot_worker_;  // only with DnsDriverOptions::store_snapshot
  std::unique_ptr<engine::Node> node_;  // last: destroyed first, while the rest still exists
};

}  // namespace harness
