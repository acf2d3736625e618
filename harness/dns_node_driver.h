#pragma once
// One simulated DNS cluster member: an engine::Node on the node's SimClock, SimDisk and the
// simulated network, with its own dns::Database as the serving view. It is the Node's clock
// (wrapping every timer so that the invariants run after each one fires), its transport and its
// observer (feeding the raft and DNS invariant checkers). Destroyed on a crash; a restart builds
// a new one from the disk alone.

#include <cstdint>
#include <memory>
#include <vector>

#include "dns/zone_db.h"
#include "engine/node.h"
#include "harness/dns_invariants.h"
#include "harness/log_fingerprints.h"
#include "harness/raft_invariants.h"
#include "sim/world.h"

namespace harness {

class DnsNodeDriver final : private engine::Clock,
                            private engine::Transport,
                            private engine::NodeObserver {
 public:
  // `options` is the cluster's common NodeOptions (id is filled in here). `incarnation` counts
  // restarts so each process draws its own randomness. Starts the node (loading its disk).
  DnsNodeDriver(engine::NodeId id, std::uint64_t incarnation, sim::World& world,
                RaftInvariants& raft_checker, DnsInvariants& dns_checker,
                const engine::NodeOptions& options, const std::vector<dns::Record>& zone_file);
  ~DnsNodeDriver() override;
  DnsNodeDriver(const DnsNodeDriver&) = delete;
  DnsNodeDriver& operator=(const DnsNodeDriver&) = delete;

  void deliver(engine::NodeId from, const engine::Bytes& bytes);
  // A client write on this node; `done` runs once (never, if the node crashes first).
  void submit(std::vector<dns::Change> changes, engine::Node::WriteCallback done);

  engine::Node& node() { return *node_; }
  const engine::Node& node() const { return *node_; }
  const dns::Database& serving() const { return serving_; }
  engine::NodeId id() const { return id_; }

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

  // The chain hash stored in a raft snapshot of R (the base of the log fingerprints).
  std::uint64_t snapshot_hash(const raft::Snapshot& snapshot) const;
  // The invariants that look at the node's whole state, after each event.
  void after_event();

  engine::NodeId id_;
  sim::World& world_;
  RaftInvariants& raft_checker_;
  DnsInvariants& dns_checker_;
  engine::NodeOptions options_;
  sim::Prng random_;
  dns::Database serving_;
  LogFingerprints log_;
  raft::Role last_role_ = raft::Role::Follower;
  std::unique_ptr<engine::Node> node_;  // last: destroyed first, while the rest still exists
};

}  // namespace harness
