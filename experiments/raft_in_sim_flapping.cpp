#include "experiments/raft_in_sim_flapping.h"

#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace raft_in_sim {

FlapVariant parse_flap_variant(const std::string& name) {
  if (name == "isolated-follower") return FlapVariant::IsolatedFollower;
  if (name == "leader-link") return FlapVariant::LeaderLink;
  throw std::invalid_argument(
      fmt::format("unknown flap variant '{}' (isolated-follower or leader-link)", name));
}

const char* flap_variant_name(FlapVariant variant) {
  return variant == FlapVariant::IsolatedFollower ? "isolated-follower" : "leader-link";
}

namespace {

// Follows every node's (role, term, leader) through the cluster's `changed` hook and turns the
// changes inside the window into FlapSample's election counts and leaderless time.
class ElectionTracker {
 public:
  ElectionTracker(BenchCluster& cluster, FlapSample& sample)
      : cluster_(cluster),
        sample_(sample),
        nodes_(cluster.size() + 1),
        quorum_(cluster.size() / 2 + 1) {}

  // The window opens: what every node is now is the baseline nothing is counted against.
  void start() {
    for (NodeId n = 1; n < nodes_.size(); ++n) {
      const raft::Status s = cluster_.node(n)->status();
      nodes_[n] = {s.role, s.term, s.leader, s.term};
      if (s.role == raft::Role::Leader) last_leader_term_ = std::max(last_leader_term_, s.term);
    }
    start_term_ = highest_term();
    measuring_ = true;
    led_ = leader_known_to_majority();
    leaderless_since_ = cluster_.world().now();
  }

  void stop() {
    if (!led_) sample_.leaderless += cluster_.world().now() - leaderless_since_;
    sample_.term_increments = highest_term() - start_term_;
    measuring_ = false;
  }

  void on_change(NodeId node, raft::Role role, Term term, NodeId leader) {
    if (!measuring_) return;
    NodeState& st = nodes_[node];
    st.role = role, st.term = term, st.leader = leader;
    if (role == raft::Role::Candidate && term > st.last_campaign_term) {
      ++sample_.spurious_elections;
      st.last_campaign_term = term;
    }
    if (role == raft::Role::Leader && term > last_leader_term_) {
      ++sample_.leader_changes;
      last_leader_term_ = term;
    }
    const bool led = leader_known_to_majority();
    if (led == led_) return;
    const SimTime now = cluster_.world().now();
    if (led) sample_.leaderless += now - leaderless_since_;
    leaderless_since_ = now;
    led_ = led;
  }

 private:
  struct NodeState {
    raft::Role role = raft::Role::Follower;
    Term term = 0;
    NodeId leader = raft::kNoNode;
    Term last_campaign_term = 0;
  };

  bool leader_known_to_majority() const {
    for (NodeId l = 1; l < nodes_.size(); ++l) {
      if (nodes_[l].role != raft::Role::Leader) continue;
      std::size_t followers = 0;
      for (NodeId n = 1; n < nodes_.size(); ++n)
        followers += nodes_[n].term == nodes_[l].term && nodes_[n].leader == l;
      if (followers >= quorum_) return true;
    }
    return false;
  }

  Term highest_term() const {
    Term t = 0;
    for (NodeId n = 1; n < nodes_.size(); ++n) t = std::max(t, nodes_[n].term);
    return t;
  }

  BenchCluster& cluster_;
  FlapSample& sample_;
  std::vector<NodeState> nodes_;  // index 0 unused
  std::size_t quorum_;
  bool measuring_ = false;
  bool led_ = false;
  SimTime leaderless_since_ = 0;
  Term start_term_ = 0;
  Term last_leader_term_ = 0;
};

}  // namespace

// The client is closed-loop with one command outstanding, as the commit experiment's: it
// proposes at the current leader, and proposes the next command as soon as that one is applied.
// It stands in for a client that follows leader redirects: it asks whoever is leader now (polling
// once a tick while there is none), and gives up on a command after one election timeout (the
// leader it asked may have lost its term) to propose a fresh one at whoever leads then.
FlapSample run_flapping(std::uint64_t seed, const FlapConfig& cfg) {
  FlapSample sample;
  const ClusterModel& model = cfg.model;
  const SimTime client_timeout = model.election_ticks * model.tick;
  std::vector<bool> applied{false};  // by command id; ids start at 1
  std::uint64_t awaited = 0;
  std::uint64_t generation = 0;  // a client timer is stale once this moved on
  SimTime window_start = 0, window_end = 0, last_commit = 0;
  std::function<void()> client_step;

  BenchCluster cluster(seed, cluster_options(model), node_options(model));
  cluster.hooks().applied = [&](NodeId, const raft::Entry& entry) {
    if (entry.kind != raft::EntryKind::Normal) return;
    const std::uint64_t id = decode_commands(entry.data).first;
    if (id == 0 || id >= applied.size() || applied[id]) return;  // only its first application
    applied[id] = true;
    sim::EventQueue& queue = cluster.world().queue();
    const SimTime now = queue.now();
    if (now >= window_start && now < window_end) {
      ++sample.commits;
      sample.max_commit_gap = std::max(sample.max_commit_gap, now - last_commit);
      last_commit = now;
    }
    if (id == awaited) {
      ++generation;
      // Next step from the event queue: the node is in the middle of handling a Ready.
      queue.schedule_after(0, [&client_step] { client_step(); });
    }
  };
  cluster.start_all();
  sim::EventQueue& queue = cluster.world().queue();
  ElectionTracker tracker(cluster, sample);
  cluster.hooks().changed = [&tracker](NodeId node, raft::Role role, Term term, NodeId leader) {
    tracker.on_change(node, role, term, leader);
  };

  NodeId last_leader = settle(cluster, seed, 10 * kSecond);
  const SimTime client_start = queue.now() + 100 * kMillisecond;
  window_start = client_start + 200 * kMillisecond;  // the client's pipeline is steady first
  window_end = window_start + cfg.measure;
  last_commit = window_start;

  client_step = [&] {
    if (queue.now() >= window_end) return;
    const std::uint64_t gen = ++generation;
    auto retry_after = [&, gen](SimTime after) {
      queue.schedule_after(after, [&, gen] {
        if (gen == generation) client_step();
      });
    };
    const NodeId leader = cluster.leader();
    if (leader == 0) {
      awaited = 0;
      return retry_after(model.tick);
    }
    awaited = applied.size();
    applied.push_back(false);
    cluster.node(leader)->propose({encode_commands(awaited, 1)});
    retry_after(client_timeout);
  };
  if (cfg.client) queue.schedule_at(client_start, [&client_step] { client_step(); });

  // Flaps: up for `up`, down for `down`, over and over, starting at a random instant of the first
  // up period. Each flap picks afresh a random follower of whoever leads at that moment.
  sim::Prng prng = cluster.world().stream("flapping");
  std::vector<std::pair<NodeId, NodeId>> cut;
  std::function<void()> go_down, go_up;
  go_down = [&] {
    if (queue.now() >= window_end) return;
    if (const NodeId l = cluster.leader(); l != 0) last_leader = l;
    NodeId follower = 1 + static_cast<NodeId>(prng.below(cluster.size() - 1));
    if (follower >= last_leader) ++follower;
    if (cfg.variant == FlapVariant::IsolatedFollower) {
      for (NodeId n = 1; n <= cluster.size(); ++n)
        if (n != follower) cut.emplace_back(follower, n);
    } else {
      cut.emplace_back(last_leader, follower);
    }
    for (auto [a, b] : cut) cluster.links().set_link(a, b, false);
    ++sample.flaps;
    queue.schedule_after(cfg.down, go_up);
  };
  go_up = [&] {
    for (auto [a, b] : cut) cluster.links().set_link(a, b, true);
    cut.clear();
    queue.schedule_after(cfg.up, go_down);
  };
  queue.schedule_at(
      window_start + static_cast<SimTime>(prng.below(static_cast<std::uint64_t>(cfg.up))), go_down);

  queue.run_until(window_start);
  tracker.start();
  queue.run_until(window_end);
  tracker.stop();
  sample.max_commit_gap = std::max(sample.max_commit_gap, window_end - last_commit);
  // The events still queued capture locals of this frame: they die with the cluster, unrun.
  return sample;
}

}  // namespace raft_in_sim
