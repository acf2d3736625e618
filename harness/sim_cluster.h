#pragma once
// The one simulated cluster every run and experiment builds on: a sim::World with its links
// (sim_links.h) and N node processes of one kind (RaftNodeDriver or DnsNodeDriver), started,
// crashed and restarted from their disks, with the hooks through which runs and experiments
// watch node events (node_hooks.h).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "harness/node_hooks.h"
#include "harness/sim_links.h"
#include "raft/raft.h"
#include "sim/world.h"

namespace harness {

// The physical side of a cluster: machines, clocks, disks (WorldOptions) and wires.
struct ClusterOptions {
  sim::WorldOptions world;
  LinkOptions links;
};

// `Node` is a driver: constructed as Node(id, incarnation, NodeEnv, Node::Options), with
// deliver(from, bytes) and raft_status().
template <typename Node>
class SimCluster {
 public:
  using NodeOptions = typename Node::Options;

  SimCluster(std::uint64_t seed, const ClusterOptions& options, NodeOptions node_options)
      : world_(seed, options.world),
        links_(world_, options.links,
               [this](engine::NodeId to, engine::NodeId from, engine::Bytes bytes) {
                 if (nodes_[to]) nodes_[to]->deliver(from, std::move(bytes));
               }),
        node_options_(std::move(node_options)),
        nodes_(world_.nodes() + 1),
        incarnations_(world_.nodes() + 1, 0) {}
  // Nodes reference the world, the links and the hooks: they go first.
  ~SimCluster() { nodes_.clear(); }
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  sim::World& world() { return world_; }
  const sim::World& world() const { return world_; }
  SimLinks& links() { return links_; }
  NodeHooks& hooks() { return hooks_; }
  // What nodes started from now on are built with.
  NodeOptions& node_options() { return node_options_; }
  // The invariant checkers the nodes feed (null: unchecked); set before starting nodes.
  void set_checks(RaftInvariants* raft, DnsInvariants* dns) {
    raft_checks_ = raft, dns_checks_ = dns;
  }

  std::size_t size() const { return world_.nodes(); }
  sim::SimTime now() const { return world_.now(); }
  Node* node(engine::NodeId n) { return nodes_.at(n).get(); }  // null while down
  const Node* node(engine::NodeId n) const { return nodes_.at(n).get(); }
  bool up(engine::NodeId n) const { return nodes_.at(n) != nullptr; }
  // How often `n` was started (a process's incarnation is this count before its start).
  std::uint64_t incarnation(engine::NodeId n) const { return incarnations_.at(n); }
  std::size_t crashes() const { return crashes_; }

  // Starts `n` from its disk (a no-op while it runs).
  void start(engine::NodeId n) {
    if (nodes_.at(n)) return;
    world_.restart(n);
    nodes_[n] = std::make_unique<Node>(n, incarnations_[n]++,
                                       NodeEnv{world_, links_, hooks_, raft_checks_, dns_checks_},
                                       node_options_);
  }
  void start_all() {
    for (engine::NodeId n = 1; n <= size(); ++n) start(n);
  }
  // Each node boots at a uniform random instant in [0, spread), drawn from `stream`: their
  // timers are then out of phase, as on real machines.
  void boot_all(sim::SimTime spread, std::string_view stream) {
    sim::Prng boot = world_.stream(stream);
    for (engine::NodeId n = 1; n <= size(); ++n) {
      const auto at = static_cast<sim::SimTime>(
          boot.below(static_cast<std::uint64_t>(std::max<sim::SimTime>(spread, 1))));
      world_.queue().schedule_at(at, [this, n] { start(n); });
    }
  }
  // Power cut on `n` (a no-op while it is down): the process is gone, unsynced writes are lost.
  void crash(engine::NodeId n) {
    if (!nodes_.at(n)) return;
    nodes_[n].reset();
    world_.crash(n);
    links_.node_crashed(n);
    ++crashes_;
  }

  // The running leader of the highest term, 0 if none.
  engine::NodeId leader() const {
    engine::NodeId leader = 0;
    raft::Term term = 0;
    for (engine::NodeId n = 1; n <= size(); ++n) {
      if (!nodes_[n]) continue;
      const raft::Status s = nodes_[n]->raft_status();
      if (s.role == raft::Role::Leader && s.term >= term) leader = n, term = s.term;
    }
    return leader;
  }

  // Runs events until `done()` holds (checked after every event) or `deadline` passes; returns
  // whether done() held.
  bool run_until(const std::function<bool()>& done, sim::SimTime deadline) {
    sim::EventQueue& queue = world_.queue();
    while (!done()) {
      const sim::SimTime next = queue.next_time();
      if (next < 0 || next > deadline) {
        queue.run_until(deadline);
        return done();
      }
      queue.run_next();
    }
    return true;
  }
  void run_for(sim::SimTime span) { world_.queue().run_until(world_.now() + span); }

 private:
  sim::World world_;
  SimLinks links_;
  NodeHooks hooks_;
  NodeOptions node_options_;
  RaftInvariants* raft_checks_ = nullptr;
  DnsInvariants* dns_checks_ = nullptr;
  std::vector<std::unique_ptr<Node>> nodes_;  // index 0 unused; null while down
  std::vector<std::uint64_t> incarnations_;
  std::size_t crashes_ = 0;
};

}  // namespace harness
