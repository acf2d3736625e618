#pragma once
// The simulated raft cluster raft-in-sim measures (shared by its experiments): a disk-latency
// model per node, FIFO or sim::Network links that can be cut, and the command encoding the
// closed-loop clients use.

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "experiments/sim_measure.h"
#include "raft/message.h"
#include "raft/raft.h"
#include "sim/world.h"

namespace raft_in_sim {

using raft::Index;
using raft::NodeId;
using raft::Term;
using sim::kMillisecond;
using sim::kSecond;
using sim::SimTime;
using sim_measure::to_ms;

constexpr SimTime kMicrosecond = 1'000;

// Raft and physical settings of one simulated cluster. The simulator itself gives disk writes
// and computation zero duration; `fsync` is what this benchmark adds so that batching has the
// cost it has on a real machine (one durable write per Ready, however many entries it holds).
struct ClusterModel {
  std::size_t nodes = 3;
  SimTime tick = 10 * kMillisecond;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  bool pre_vote = true;
  bool check_quorum = raft::Config{}.check_quorum;
  SimTime fsync = 500 * kMicrosecond;
  SimTime delay_min = 1 * kMillisecond;  // one-way link delay: min + exponential tail, capped
  SimTime delay_max = 2 * kMillisecond;
  bool fifo_links = true;  // false: sim::Network as sim-runner uses it (messages may overtake)
  std::size_t max_inflight = 64;
  Index compact_every = 4096;
};

// Carries encoded raft messages between nodes. With fifo_links every ordered pair of nodes is a
// TCP-like stream: a message never overtakes the one sent before it on the same link (which is
// what the real peer transport will give). Otherwise it is sim::Network, whose delays are drawn
// independently per message, so a burst of appends arrives shuffled.
class Links {
 public:
  using Deliver = std::function<void(NodeId to, NodeId from, raft::Bytes bytes)>;

  Links(sim::World& world, const ClusterModel& model, Deliver deliver)
      : world_(world),
        model_(model),
        deliver_(std::move(deliver)),
        prng_(world.stream("fifo-links")),
        last_arrival_((model.nodes + 1) * (model.nodes + 1), 0),
        cut_(last_arrival_.size(), false),
        epochs_(last_arrival_.size(), 0) {
    if (!model_.fifo_links)
      world_.network().set_deliver([this](engine::NodeId to, engine::NodeId from, engine::Bytes b) {
        deliver_(to, from, std::move(b));
      });
  }

  void send(NodeId from, NodeId to, raft::Bytes bytes) {
    ++sent_;
    if (!model_.fifo_links) return world_.network().send(from, to, std::move(bytes));
    const std::size_t link = from * (model_.nodes + 1) + to;
    if (cut_[link]) return;
    // Same delay law as sim::Network (min + exponential tail with mean spread/3, capped).
    const SimTime spread = std::max<SimTime>(0, model_.delay_max - model_.delay_min);
    const auto tail = static_cast<SimTime>(prng_.exponential(static_cast<double>(spread) / 3.0));
    SimTime& last = last_arrival_[link];
    last = std::max(last, world_.now() + model_.delay_min + std::min(spread, tail));
    world_.queue().schedule_at(
        last, [this, from, to, link, epoch = epochs_[link], bytes = std::move(bytes)]() mutable {
          // A stream that broke while this was in flight lost it, as a reset TCP connection would.
          if (epochs_[link] == epoch) deliver_(to, from, std::move(bytes));
        });
  }

  // Cuts (up = false) or restores the link between a and b, both ways. A cut link drops what is
  // sent on it and what is in flight on it.
  void set_link(NodeId a, NodeId b, bool up) {
    if (!model_.fifo_links) {
      if (up) {
        world_.network().unblock(a, b);
        world_.network().unblock(b, a);
      } else {
        world_.network().block(a, b);
        world_.network().block(b, a);
      }
      return;
    }
    for (const std::size_t link : {a * (model_.nodes + 1) + b, b * (model_.nodes + 1) + a}) {
      if (!up && !cut_[link]) ++epochs_[link];
      cut_[link] = !up;
    }
  }

  std::uint64_t sent() const { return sent_; }

 private:
  sim::World& world_;
  const ClusterModel& model_;
  Deliver deliver_;
  sim::Prng prng_;
  std::vector<SimTime> last_arrival_;  // by link = from * (nodes + 1) + to
  std::vector<bool> cut_;
  std::vector<std::uint64_t> epochs_;  // bumped when the link is cut
  std::uint64_t sent_ = 0;
};

// One cluster member. Nodes never restart here, so the log is not written anywhere (sim-runner
// covers persistence; SimDisk::sync copies the whole file, which made long logs quadratic): the
// disk is modelled by its latency only. A durable write (new entries, a snapshot, a changed term
// or vote) keeps the node busy for `fsync`, and the Ready
// contract says persist before sending, so nothing of that Ready leaves before then. Messages,
// ticks and proposals arriving meanwhile wait and are stepped together afterwards: that is the
// group commit a single-threaded raft loop gets on a real disk.
class BenchNode {
 public:
  using OnApply = std::function<void(NodeId node, const raft::Entry& entry)>;
  // Called whenever the node's role, term or known leader changed, right after the tick or
  // message that changed it (so a candidacy that ends in the same step is still seen).
  using OnChange = std::function<void(NodeId node, raft::Role role, Term term, NodeId leader)>;

  BenchNode(NodeId id, sim::World& world, Links& links, const ClusterModel& model, OnApply on_apply)
      : id_(id), world_(world), links_(links), model_(model), on_apply_(std::move(on_apply)) {
    raft::Config config;
    config.id = id;
    for (NodeId n = 1; n <= model.nodes; ++n) config.voters.push_back(n);
    config.election_ticks = model.election_ticks;
    config.heartbeat_ticks = model.heartbeat_ticks;
    config.pre_vote = model.pre_vote;
    config.check_quorum = model.check_quorum;
    config.max_inflight_appends = model.max_inflight;
    sim::Prng prng = world.stream(fmt::format("bench-n{}", id));
    config.seed = prng.next_u64();
    raft_ = std::make_unique<raft::Raft>(config, raft::Restored{});
    // Nodes boot at different instants, so their ticks are not in lockstep.
    start_timer(static_cast<SimTime>(prng.below(static_cast<std::uint64_t>(model.tick))),
                [this] { on_tick(); });
  }
  BenchNode(const BenchNode&) = delete;
  BenchNode& operator=(const BenchNode&) = delete;

  void deliver(NodeId from, raft::Bytes bytes) {
    inbox_.push_back({from, std::move(bytes)});
    run();
  }
  // All commands are stepped into raft before its output is drained: one Ready, one fsync.
  void propose(std::vector<raft::Bytes> commands) {
    for (auto& c : commands) proposals_.push_back(std::move(c));
    run();
  }

  raft::Status status() const { return raft_->status(); }
  // True once the leader has committed an entry of its own term (it can serve writes).
  bool committed_in_own_term() const {
    const raft::Status s = raft_->status();
    return s.role == raft::Role::Leader && s.commit > 0 && raft_->term_at(s.commit) == s.term;
  }
  std::uint64_t fsyncs() const { return fsyncs_; }
  void set_on_change(OnChange on_change) { on_change_ = std::move(on_change); }

 private:
  void start_timer(SimTime after, std::function<void()> fire) {
    // Timers of the node's clock die with a crash, as the process would.
    world_.clock(id_).start_timer(engine::Duration(after), std::move(fire));
  }

  void on_tick() {
    ++missed_ticks_;
    start_timer(model_.tick, [this] { on_tick(); });
    run();
  }

  // Steps everything queued, then drains Readys until one needs the disk.
  void run() {
    if (busy_ || handling_) return;
    handling_ = true;
    for (;;) {
      for (; missed_ticks_ > 0; --missed_ticks_) {
        raft_->tick();
        notice_change();
      }
      for (auto& [from, bytes] : std::exchange(inbox_, {})) {
        raft_->step(raft::decode(bytes));
        notice_change();
      }
      for (auto& data : std::exchange(proposals_, {})) raft_->propose(std::move(data));
      if (!raft_->has_ready()) break;
      raft::Ready ready = raft_->ready();
      const bool durable = !ready.entries.empty() || ready.snapshot || ready.compacted_snapshot ||
                           (ready.hard_state && (ready.hard_state->term != durable_.term ||
                                                 ready.hard_state->vote != durable_.vote));
      if (ready.hard_state) durable_ = *ready.hard_state;
      if (durable && model_.fsync > 0) {
        ++fsyncs_;
        busy_ = true;
        auto held = std::make_shared<raft::Ready>(std::move(ready));
        start_timer(model_.fsync, [this, held] {
          busy_ = false;
          handling_ = true;
          finish(*held);
          handling_ = false;
          run();
        });
        break;
      }
      finish(ready);
    }
    handling_ = false;
  }

  void notice_change() {
    if (!on_change_) return;
    const raft::Role role = raft_->role();
    const Term term = raft_->term();
    const NodeId leader = raft_->leader();
    if (role == seen_role_ && term == seen_term_ && leader == seen_leader_) return;
    seen_role_ = role, seen_term_ = term, seen_leader_ = leader;
    on_change_(id_, role, term, leader);
  }

  // The Ready is durable: send, install, apply, advance, compact when due.
  void finish(raft::Ready& ready) {
    for (const raft::Message& m : ready.messages) links_.send(id_, m.to, raft::encode(m));
    if (ready.snapshot && ready.snapshot->meta.index > applied_)
      applied_ = ready.snapshot->meta.index;
    for (const raft::Entry& entry : ready.committed) {
      if (entry.index <= applied_) continue;
      applied_ = entry.index;
      if (on_apply_) on_apply_(id_, entry);
    }
    raft_->advance();
    if (model_.compact_every > 0 && applied_ >= last_compaction_ + model_.compact_every) {
      // The benchmark's state machine has no state worth keeping: the snapshot is a marker.
      raft_->compact(applied_, raft::Bytes(8, 0));
      last_compaction_ = applied_;
    }
  }

  NodeId id_;
  sim::World& world_;
  Links& links_;
  const ClusterModel& model_;
  OnApply on_apply_;
  OnChange on_change_;
  raft::Role seen_role_ = raft::Role::Follower;
  Term seen_term_ = 0;
  NodeId seen_leader_ = raft::kNoNode;
  std::unique_ptr<raft::Raft> raft_;
  raft::HardState durable_;
  bool busy_ = false;      // a durable write is in flight
  bool handling_ = false;  // inside run()/finish(): input only queues
  int missed_ticks_ = 0;
  std::vector<std::pair<NodeId, raft::Bytes>> inbox_;
  std::vector<raft::Bytes> proposals_;
  Index applied_ = 0;
  Index last_compaction_ = 0;
  std::uint64_t fsyncs_ = 0;
};

// N BenchNodes on one sim::World; a crashed node stays down.
class BenchCluster {
 public:
  BenchCluster(std::uint64_t seed, const ClusterModel& model, BenchNode::OnApply on_apply)
      : model_(model),
        world_(seed, world_options(model)),
        links_(world_, model_,
               [this](NodeId to, NodeId from, raft::Bytes bytes) {
                 if (nodes_[to]) nodes_[to]->deliver(from, std::move(bytes));
               }),
        nodes_(model.nodes + 1) {
    for (NodeId n = 1; n <= model.nodes; ++n)
      nodes_[n] = std::make_unique<BenchNode>(n, world_, links_, model_, on_apply);
  }
  ~BenchCluster() { nodes_.clear(); }  // nodes reference the world and the links

  sim::World& world() { return world_; }
  const Links& links() const { return links_; }
  Links& links() { return links_; }
  std::size_t size() const { return model_.nodes; }
  void set_on_change(const BenchNode::OnChange& on_change) {
    for (auto& node : nodes_)
      if (node) node->set_on_change(on_change);
  }
  BenchNode* node(NodeId n) { return nodes_.at(n).get(); }

  // The alive leader of the highest term, 0 if none.
  NodeId leader() const {
    NodeId leader = 0;
    Term term = 0;
    for (NodeId n = 1; n < nodes_.size(); ++n) {
      if (!nodes_[n]) continue;
      const raft::Status s = nodes_[n]->status();
      if (s.role == raft::Role::Leader && s.term >= term) leader = n, term = s.term;
    }
    return leader;
  }

  void crash(NodeId n) {
    nodes_.at(n).reset();
    world_.crash(n);
  }

  // Runs events until `done()` holds (checked after every event) or `deadline` passes.
  bool run_until(const std::function<bool()>& done, SimTime deadline) {
    return sim_measure::run_until(world_.queue(), done, deadline);
  }

 private:
  static sim::WorldOptions world_options(const ClusterModel& model) {
    sim::WorldOptions w;
    w.nodes = model.nodes;
    w.network.min_delay = model.delay_min;
    w.network.max_delay = model.delay_max;
    return w;
  }

  const ClusterModel& model_;
  sim::World world_;
  Links links_;
  std::vector<std::unique_ptr<BenchNode>> nodes_;  // index 0 unused; null once crashed
};

// Waits for the first leader to commit in its own term; throws naming the seed if it does not.
inline NodeId settle(BenchCluster& cluster, std::uint64_t seed, SimTime bound) {
  const bool ok = cluster.run_until(
      [&] {
        const NodeId l = cluster.leader();
        return l != 0 && cluster.node(l)->committed_in_own_term();
      },
      cluster.world().now() + bound);
  if (!ok)
    throw std::runtime_error(
        fmt::format("seed {}: no leader committed within {:.0f} ms", seed, to_ms(bound)));
  return cluster.leader();
}

// Command layout in an entry: [u64 first id][u32 count][count x 16 payload bytes].
constexpr std::size_t kCommandBytes = 16;

inline raft::Bytes encode_commands(std::uint64_t first, std::uint32_t count) {
  raft::Bytes out(12 + count * kCommandBytes, 0);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(first >> (8 * i));
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<std::uint8_t>(count >> (8 * i));
  return out;
}

inline std::pair<std::uint64_t, std::uint32_t> decode_commands(const raft::Bytes& data) {
  if (data.size() < 12) return {0, 0};
  std::uint64_t first = 0;
  std::uint32_t count = 0;
  for (int i = 0; i < 8; ++i) first |= static_cast<std::uint64_t>(data[i]) << (8 * i);
  for (int i = 0; i < 4; ++i) count |= static_cast<std::uint32_t>(data[8 + i]) << (8 * i);
  return {first, count};
}

}  // namespace raft_in_sim
