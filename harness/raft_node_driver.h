#pragma once
// One simulated cluster member: owns raft::Raft and its RaftLogStore on the node's SimDisk,
// ticks raft from the node's clock, and handles every Ready exactly as the contract says
// (persist + fsync, send, install/apply, advance). Feeds the invariant checker as it goes.
// Destroyed on a crash; a restart builds a new one from the disk alone.

#include <cstdint>
#include <functional>
#include <memory>
#include <set>

#include "engine/raft_log_store.h"
#include "harness/command_log.h"
#include "harness/log_fingerprints.h"
#include "harness/raft_invariants.h"
#include "raft/raft.h"
#include "sim/world.h"

namespace harness {

// Settings every driver of a run shares.
struct RaftDriverOptions {
  std::size_t nodes = 3;
  sim::SimTime tick = 10 * sim::kMillisecond;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  raft::Index compact_every = 64;  // take an application snapshot every this many applied
  raft::TestBugs raft_bugs;
  bool forget_vote = false;  // harness-level bug: the vote never reaches the disk
  bool pre_vote = true;      // off: rejoining nodes may depose healthy leaders (rejoin-storm)
};

class RaftNodeDriver {
 public:
  // Called when a command this node proposed has been applied here (the client's ack).
  using OnAck = std::function<void(CommandId)>;

  // `incarnation` counts restarts, so each process gets its own raft seed.
  RaftNodeDriver(raft::NodeId id, std::uint64_t incarnation, sim::World& world,
                 RaftInvariants& checker, const RaftDriverOptions& options, OnAck on_ack);
  RaftNodeDriver(const RaftNodeDriver&) = delete;
  RaftNodeDriver& operator=(const RaftNodeDriver&) = delete;

  void deliver(raft::NodeId from, const engine::Bytes& bytes);
  raft::ProposeResult propose(CommandId command);

  raft::Status status() const { return raft_->status(); }
  const CommandLog& app() const { return app_; }
  const LogFingerprints& log() const { return log_; }
  raft::NodeId id() const { return id_; }

 private:
  void start_tick_timer();
  void on_tick();
  // Drains and handles every Ready, compacts when due, then runs the invariant checks.
  void process();
  void handle(raft::Ready& ready);
  void apply(const raft::Entry& entry);

  raft::NodeId id_;
  sim::World& world_;
  RaftInvariants& checker_;
  const RaftDriverOptions& options_;
  OnAck on_ack_;
  engine::RaftLogStore store_;
  std::unique_ptr<raft::Raft> raft_;
  CommandLog app_;
  LogFingerprints log_;
  std::set<CommandId> proposed_;  // proposed here, not yet applied here
  raft::Index last_compaction_ = 0;
  raft::Role last_role_ = raft::Role::Follower;
};

}  // namespace harness
