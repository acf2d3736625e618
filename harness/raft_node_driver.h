#pragma once
// One simulated raft cluster member: owns raft::Raft, ticks it from the node's clock and
// handles every Ready as the contract says (persist + fsync, send, install/apply, advance), with
// the harness's command log as its state machine. Feeds the invariant checker (if any) and the
// node hooks as it goes. Destroyed on a crash; a restart builds a new one from the disk alone.
//
// The disk is either real (RaftLogStore on the node's SimDisk, which restarts load) or latency
// only (nothing kept: for benchmarks whose logs grow long and whose nodes never restart). Either
// way a durable write may take `fsync`: the Ready's messages leave only after it, and input
// arriving meanwhile is queued and stepped together afterwards - the group commit a
// single-threaded raft loop gets on a real disk.

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/raft_log_store.h"
#include "harness/command_log.h"
#include "harness/log_fingerprints.h"
#include "harness/node_hooks.h"
#include "raft/raft.h"
#include "sim/world.h"

namespace harness {

// Settings every raft node of a cluster shares.
struct RaftDriverOptions {
  sim::SimTime tick = 10 * sim::kMillisecond;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  bool pre_vote = true;  // off: rejoining nodes may depose healthy leaders (rejoin-storm)
  bool check_quorum = raft::Config{}.check_quorum;
  std::size_t max_inflight_appends = raft::Config{}.max_inflight_appends;
  std::size_t max_snapshot_chunk_bytes = raft::Config{}.max_snapshot_chunk_bytes;
  raft::Index compact_every = 64;  // take an application snapshot every this many applied
  raft::TestBugs raft_bugs;
  bool forget_vote = false;  // harness-level bug: the vote never reaches the disk
  // The raft log lives on the node's SimDisk and restarts load it; false: nothing is written
  // (latency only) and the node cannot restart.
  bool persist = true;
  // How long a durable write (new entries, a snapshot, a changed term or vote) keeps the node
  // busy; 0: the simulator's instantaneous disk.
  sim::SimTime fsync = 0;
  // The first tick comes after a random part of a tick (nodes not in lockstep), not a whole one.
  bool random_tick_phase = false;
  // What only checked runs need, and benchmarks switch off (it costs hashing every message and
  // every applied entry): node events in the world's trace (whose hash is the determinism
  // check), and the command log's chain hash of the applied entries (replica comparisons; the
  // invariant checker requires it).
  bool trace = true;
  bool hash_applied = true;
  // The PRNG stream of each process (raft's seed, the tick phase): a fmt pattern over {node}
  // and {incarnation}.
  std::string random_stream = "raft-n{node}-{incarnation}";
};

class RaftNodeDriver {
 public:
  using Options = RaftDriverOptions;

  // `incarnation` counts restarts, so each process gets its own raft seed.
  RaftNodeDriver(raft::NodeId id, std::uint64_t incarnation, const NodeEnv& env,
                 const RaftDriverOptions& options);
  RaftNodeDriver(const RaftNodeDriver&) = delete;
  RaftNodeDriver& operator=(const RaftNodeDriver&) = delete;

  void deliver(raft::NodeId from, const engine::Bytes& bytes);
  // A client command in the command log's encoding; acknowledged through
  // NodeHooks::acknowledged once applied here.
  void propose(CommandId command);
  // Any payloads, stepped into raft together before its output is drained: one Ready, one
  // durable write.
  void propose(std::vector<raft::Bytes> payloads);

  raft::Status status() const { return raft_->status(); }
  raft::Status raft_status() const { return raft_->status(); }
  // True once the node leads and has committed an entry of its own term (it can serve writes).
  bool committed_in_own_term() const;
  const CommandLog& app() const { return app_; }
  raft::NodeId id() const { return id_; }
  std::uint64_t fsyncs() const { return fsyncs_; }  // durable writes that took `fsync`

 private:
  struct Proposal {
    raft::Bytes data;
    CommandId command = 0;  // 0: not a harness command
  };

  void start_timer(sim::SimTime after, std::function<void()> fire);
  void on_tick();
  // Steps everything queued, then drains Readys until one needs the disk for a while.
  void run();
  void step_message(raft::NodeId from, const engine::Bytes& bytes);
  void propose_now(Proposal& proposal);
  // Whether the Ready needs a durable write (remembers the hard state it persists).
  bool durable(const raft::Ready& ready);
  // The Ready is durable: record it, send, install, apply, advance, compact when due.
  void finish(raft::Ready& ready);
  void persist(const raft::Ready& ready);
  void apply(const raft::Entry& entry);
  void notice_change();
  void record(const sim::TraceEvent& event, std::span<const std::uint8_t> bytes = {});
  // After a batch of input: the role change in the trace, then the invariant checks.
  void observe();

  raft::NodeId id_;
  sim::World& world_;
  SimLinks& links_;
  const NodeHooks& hooks_;
  RaftInvariants* checks_;
  const RaftDriverOptions options_;
  std::optional<engine::RaftLogStore> store_;
  std::unique_ptr<raft::Raft> raft_;
  CommandLog app_;
  LogFingerprints log_;           // kept only for the checker
  std::set<CommandId> proposed_;  // proposed here, not yet applied here
  raft::Index last_compaction_ = 0;
  raft::Role last_role_ = raft::Role::Follower;  // as last recorded in the trace
  // As last reported through NodeHooks::changed.
  raft::Role seen_role_ = raft::Role::Follower;
  raft::Term seen_term_ = 0;
  raft::NodeId seen_leader_ = raft::kNoNode;
  // The last hard state written (at start: as restored).
  raft::HardState durable_;
  // The last hard state synced: a new commit index alone is written without a sync
  // (engine::RaftLogStore::needs_sync), so a power cut may take it back to this one's.
  raft::HardState synced_;
  bool busy_ = false;      // a durable write is in flight
  bool handling_ = false;  // inside run(): input only queues
  int missed_ticks_ = 0;
  std::vector<std::pair<raft::NodeId, engine::Bytes>> inbox_;
  std::vector<Proposal> proposals_;
  std::uint64_t fsyncs_ = 0;
};

}  // namespace harness
