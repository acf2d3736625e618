// build/engine-in-sim: the DNS engine (engine::Node, issue 4) measured in simulated time on
// sim::World, 3 nodes with the engine's real defaults (tick = heartbeat 100 ms, election timeout
// 10 ticks, checkpoint 1 s, write timeout 2 s) unless a flag says otherwise:
//   propagation - write submitted on a random node -> served by EVERY node, and -> OK at the
//                 origin, over many seeds and several link delays;
//   checkpoint  - pending (batches, changes) and raft log (entries since the snapshot, bytes)
//                 sampled every 100 ms under a steady write load, per checkpoint interval, and
//                 with one node down for 10 s;
//   catchup     - a follower down for D s while writes stream: time from its restart until it
//                 serves what the others served at that instant, and until pending drains.
// Not a Google Benchmark program: every number is simulated time, a pure function of the flags
// and seeds (the run prints a result-hash; same flags, same hash).

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dns/types.h"
#include "dns/zone_db.h"
#include "engine/node.h"
#include "experiments/sim_measure.h"
#include "harness/dns_workload.h"
#include "sim/world.h"

namespace {

using engine::NodeId;
using raft::Index;
using sim::kMillisecond;
using sim::kSecond;
using sim::SimTime;
using sim_measure::from_ms;
using sim_measure::percentile;
using sim_measure::ResultHash;
using sim_measure::to_ms;
using sim_measure::to_s;

// ---- the simulated cluster ----------------------------------------------------------------

// Engine and link settings of one simulated cluster.
struct ClusterModel {
  std::size_t nodes = 3;
  engine::NodeOptions node;      // members/id filled in per node
  SimTime delay = kMillisecond;  // one-way link delay: delay + exponential tail, capped at
  double jitter = 0.5;           // delay * jitter (tail mean = a third of the cap)
  // The simulator's disk is instantaneous; this much is charged per durable raft write (new
  // entries, a snapshot, a new term or vote): messages leave the node only after it, one fsync
  // after another. Local apply is not delayed (an approximation: see the results note).
  SimTime fsync = 0;
  // Nodes boot at uniform random instants in [0, this) (negative: one checkpoint interval):
  // their tick and checkpoint timers are then out of phase, as on real machines.
  SimTime boot_spread = -1;
};

engine::NodeOptions default_node_options() {
  engine::NodeOptions o;  // the engine's defaults are dns-node's cluster defaults
  o.coalesce_io = false;  // disk and CPU cost nothing in the simulator: nothing to coalesce
  return o;
}

// TCP-like links between the nodes: a message never overtakes the previous one on its ordered
// pair (what the real peer transport gives); per-message delay is delay + an exponential tail
// capped at delay * jitter. Messages from or to a node that crashed after they were sent are
// lost, as the connection would be.
class Links {
 public:
  using Deliver = std::function<void(NodeId to, NodeId from, engine::Bytes bytes)>;

  Links(sim::World& world, const ClusterModel& model, Deliver deliver)
      : world_(world),
        model_(model),
        deliver_(std::move(deliver)),
        prng_(world.stream("engine-links")),
        last_arrival_((model.nodes + 1) * (model.nodes + 1), 0),
        epoch_(model.nodes + 1, 0) {}

  // `depart`: when the message leaves `from` (now, or later while its disk is busy).
  void send(NodeId from, NodeId to, engine::Bytes bytes, SimTime depart) {
    if (to == 0 || to > model_.nodes) return;
    const double cap = static_cast<double>(model_.delay) * model_.jitter;
    const auto tail = static_cast<SimTime>(std::min(cap, prng_.exponential(cap / 3.0)));
    SimTime& last = last_arrival_[from * (model_.nodes + 1) + to];
    last = std::max(last, std::max(depart, world_.now()) + model_.delay + tail);
    world_.queue().schedule_at(
        last, [this, from, to, ef = epoch_[from], et = epoch_[to], b = std::move(bytes)]() mutable {
          if (epoch_[from] != ef || epoch_[to] != et) return;
          deliver_(to, from, std::move(b));
        });
  }
  void crashed(NodeId node) { ++epoch_[node]; }

 private:
  sim::World& world_;
  const ClusterModel& model_;
  Deliver deliver_;
  sim::Prng prng_;
  std::vector<SimTime> last_arrival_;
  std::vector<std::uint64_t> epoch_;
};

// What the experiments watch inside the nodes (all optional).
struct Hooks {
  std::function<void(NodeId, Index, const engine::ChangeBatch&, const dns::Database&)> served;
  std::function<void(NodeId, Index)> pending_dropped;
  std::function<void(NodeId)> snapshot_received;
};

// One cluster member: an engine::Node on its SimClock and SimDisk, talking through Links, with
// its own serving database. Destroyed on a crash; a restart builds a new one from the disk.
// (harness::DnsNodeDriver does the same but feeds its observer hooks to the invariant
// checkers only; the benchmarks need on_served and friends themselves.)
class SimNode final : private engine::Clock,
                      private engine::Transport,
                      private engine::NodeObserver {
 public:
  SimNode(NodeId id, std::uint64_t incarnation, sim::World& world, Links& links,
          const engine::NodeOptions& options, SimTime fsync, const Hooks& hooks)
      : id_(id),
        world_(world),
        links_(links),
        fsync_(fsync),
        hooks_(hooks),
        random_(world.stream(fmt::format("engine-node-n{}-{}", id, incarnation))) {
    engine::NodeOptions o = options;
    o.id = id;
    node_ = std::make_unique<engine::Node>(
        o, static_cast<engine::Transport&>(*this), static_cast<engine::Clock&>(*this),
        world.disk(id), random_, serving_, static_cast<engine::NodeObserver*>(this));
    node_->start(harness::dns_zone_file(id));
  }
  ~SimNode() override { node_.reset(); }
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  void deliver(NodeId from, const engine::Bytes& bytes) { node_->receive(from, bytes); }
  void submit(std::vector<dns::Change> changes, engine::Node::WriteCallback done) {
    node_->submit(std::move(changes), std::move(done));
  }
  engine::Node& node() { return *node_; }
  const dns::Database& serving() const { return serving_; }

 private:
  engine::TimePoint now() const override { return world_.clock(id_).now(); }
  TimerId start_timer(engine::Duration after, std::function<void()> fire) override {
    return world_.clock(id_).start_timer(after, std::move(fire));
  }
  void cancel_timer(TimerId id) override { world_.clock(id_).cancel_timer(id); }
  void send(NodeId to, engine::Bytes message) override {
    links_.send(id_, to, std::move(message), disk_free_);
  }
  void on_raft_persisted(const raft::Ready& ready) override {
    if (ready.snapshot && hooks_.snapshot_received) hooks_.snapshot_received(id_);
    bool durable = !ready.entries.empty() || ready.snapshot || ready.compacted_snapshot;
    if (ready.hard_state) {
      durable = durable || ready.hard_state->term != durable_.term ||
                ready.hard_state->vote != durable_.vote;
      durable_ = *ready.hard_state;
    }
    if (durable && fsync_ > 0) disk_free_ = std::max(disk_free_, world_.now()) + fsync_;
  }
  void on_served(Index index, const engine::ChangeBatch& batch, const dns::ApplyResult&) override {
    if (hooks_.served) hooks_.served(id_, index, batch, serving_);
  }
  void on_pending_dropped(Index index) override {
    if (hooks_.pending_dropped) hooks_.pending_dropped(id_, index);
  }

  NodeId id_;
  sim::World& world_;
  Links& links_;
  SimTime fsync_;
  const Hooks& hooks_;
  sim::Prng random_;
  raft::HardState durable_;
  SimTime disk_free_ = 0;  // the last durable write completes then
  dns::Database serving_;
  std::unique_ptr<engine::Node> node_;  // last: destroyed first
};

// N SimNodes on one sim::World, with crash and restart.
class Cluster {
 public:
  Cluster(std::uint64_t seed, ClusterModel model, Hooks hooks)
      : model_(std::move(model)),
        hooks_(std::move(hooks)),
        world_(seed, world_options(model_)),
        links_(world_, model_,
               [this](NodeId to, NodeId from, engine::Bytes bytes) {
                 if (nodes_[to]) nodes_[to]->deliver(from, bytes);
               }),
        nodes_(model_.nodes + 1),
        incarnations_(model_.nodes + 1, 0) {
    for (NodeId n = 1; n <= model_.nodes; ++n) model_.node.members.push_back(n);
    sim::Prng boot = world_.stream("engine-boot");
    for (NodeId n = 1; n <= model_.nodes; ++n) {
      const SimTime spread =
          model_.boot_spread >= 0 ? model_.boot_spread : model_.node.checkpoint_interval.count();
      const auto at = static_cast<SimTime>(
          boot.below(static_cast<std::uint64_t>(std::max<SimTime>(spread, 1))));
      world_.queue().schedule_at(at, [this, n] { start(n); });
    }
  }
  ~Cluster() { nodes_.clear(); }

  sim::World& world() { return world_; }
  SimTime now() const { return world_.now(); }
  std::size_t size() const { return model_.nodes; }
  SimNode* node(NodeId n) { return nodes_.at(n).get(); }

  void crash(NodeId n) {
    nodes_.at(n).reset();
    world_.crash(n);
    links_.crashed(n);
  }
  void restart(NodeId n) {
    world_.restart(n);
    start(n);
  }

  // The live leader of the highest term, 0 if none.
  NodeId leader() {
    NodeId leader = 0;
    raft::Term term = 0;
    for (NodeId n = 1; n <= model_.nodes; ++n) {
      if (!nodes_[n]) continue;
      const raft::Status s = nodes_[n]->node().raft().status();
      if (s.role == raft::Role::Leader && s.term >= term) leader = n, term = s.term;
    }
    return leader;
  }

  // Runs events until `done()` holds (checked after every event) or `deadline` passes.
  bool run_until(const std::function<bool()>& done, SimTime deadline) {
    return sim_measure::run_until(world_.queue(), done, deadline);
  }
  void run_for(SimTime span) { world_.queue().run_until(world_.now() + span); }

  // Waits until a leader exists and every node has imported its zone file and serves what the
  // leader committed, with nothing pending; throws naming the seed otherwise.
  void settle(SimTime bound) {
    const bool ok = run_until(
        [&] {
          const NodeId l = leader();
          if (l == 0) return false;
          const Index commit = nodes_[l]->node().raft().status().commit;
          for (NodeId n = 1; n <= model_.nodes; ++n) {
            if (!nodes_[n]) return false;
            const engine::NodeStatus s = nodes_[n]->node().status();
            if (!s.imported || s.applied < commit || s.pending_batches > 0) return false;
          }
          return true;
        },
        world_.now() + bound);
    if (!ok)
      throw std::runtime_error(
          fmt::format("seed {}: cluster not settled after {:.1f} s", world_.seed(), to_s(bound)));
  }

 private:
  static sim::WorldOptions world_options(const ClusterModel& model) {
    sim::WorldOptions w;
    w.nodes = model.nodes;
    return w;
  }
  void start(NodeId n) {
    nodes_[n] = std::make_unique<SimNode>(n, incarnations_[n]++, world_, links_, model_.node,
                                          model_.fsync, hooks_);
  }

  ClusterModel model_;
  Hooks hooks_;
  sim::World world_;
  Links links_;
  std::vector<std::unique_ptr<SimNode>> nodes_;  // index 0 unused; null while down
  std::vector<std::uint64_t> incarnations_;
};

// ---- workload ---------------------------------------------------------------------------------

// The k-th write of a run: ADD of a record no other write touches (w<k>.z<1..3>.test. A), so
// the batch that carries it is recognisable wherever it is served.
dns::Record write_record(std::uint64_t k) {
  dns::Record r;
  r.owner = dns::Name::from_text(fmt::format("w{}.{}", k, harness::dns_zone_apex(k % 3)));
  r.type = dns::type::A;
  r.ttl = 300;
  r.rdata = {10, static_cast<std::uint8_t>(k >> 16), static_cast<std::uint8_t>(k >> 8),
             static_cast<std::uint8_t>(k)};
  return r;
}

// Open-loop Poisson writes at `rate` per simulated second to uniformly chosen live nodes,
// from now until stop() (or `until`).
class WriteStream {
 public:
  using OnSubmit = std::function<void(std::uint64_t k, NodeId node, const dns::Record&)>;
  using OnReply = std::function<void(std::uint64_t k, const engine::WriteResult&)>;

  WriteStream(Cluster& cluster, double rate, OnSubmit on_submit, OnReply on_reply)
      : cluster_(cluster),
        rate_(rate),
        prng_(cluster.world().stream("engine-writes")),
        on_submit_(std::move(on_submit)),
        on_reply_(std::move(on_reply)) {}

  void start(SimTime until) {
    until_ = until;
    schedule_next();
  }
  void stop() { until_ = 0; }
  std::uint64_t submitted() const { return next_ - 1; }

 private:
  void schedule_next() {
    const auto gap = static_cast<SimTime>(prng_.exponential(static_cast<double>(kSecond) / rate_));
    const SimTime at = cluster_.now() + std::max<SimTime>(gap, 1);
    if (at >= until_) return;
    cluster_.world().queue().schedule_at(at, [this] {
      if (cluster_.now() >= until_) return;
      submit_one();
      schedule_next();
    });
  }
  void submit_one() {
    std::vector<NodeId> live;
    for (NodeId n = 1; n <= cluster_.size(); ++n)
      if (cluster_.node(n)) live.push_back(n);
    if (live.empty()) return;
    const NodeId node = live[prng_.below(live.size())];
    const std::uint64_t k = next_++;
    dns::Record record = write_record(k);
    if (on_submit_) on_submit_(k, node, record);
    cluster_.node(node)->submit({{dns::Change::Add, std::move(record)}},
                                [this, k](const engine::WriteResult& r) {
                                  if (on_reply_) on_reply_(k, r);
                                });
  }

  Cluster& cluster_;
  double rate_;
  sim::Prng prng_;
  OnSubmit on_submit_;
  OnReply on_reply_;
  SimTime until_ = 0;
  std::uint64_t next_ = 1;
};

// ---- statistics -----------------------------------------------------------------------------

// ---- command line -------------------------------------------------------------------------------

struct Flags {
  std::string experiment = "all";
  std::size_t seeds = 50;
  std::uint64_t first_seed = 1;
  std::string out;
  // engine (defaults = engine::NodeOptions = dns-node cluster defaults)
  double tick_ms = 100;
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  double jitter = 0.5;
  double fsync_ms = 0;
  // propagation
  std::vector<double> delays_ms{0.1, 1, 5, 20};
  double prop_rate = 20;
  double prop_seconds = 5;
  std::vector<double> prop_fsync_ms{0, 1};
  // checkpoint
  std::vector<double> checkpoint_ms{100, 1000, 5000};
  double ckpt_rate = 50;
  double ckpt_seconds = 30;
  double ckpt_down_s = 10;
  std::size_t ckpt_seeds = 0;  // 0: min(--seeds, 3)
  // catchup
  std::vector<double> down_s{1, 5, 20};
  double catchup_rate = 50;
  std::size_t catchup_seeds = 0;  // 0: min(--seeds, 20)
  double link_ms = 1;             // link delay of the checkpoint and catchup experiments
};

ClusterModel base_model(const Flags& f) {
  ClusterModel m;
  m.node = default_node_options();
  m.node.tick = std::chrono::nanoseconds(from_ms(f.tick_ms));
  m.node.election_ticks = f.election_ticks;
  m.node.heartbeat_ticks = f.heartbeat_ticks;
  m.delay = from_ms(f.link_ms);
  m.jitter = f.jitter;
  m.fsync = from_ms(f.fsync_ms);
  return m;
}

std::string settings(const Flags& f, const ClusterModel& m) {
  return fmt::format(
      "3 nodes; tick {} ms, heartbeat {} tick(s), election timeout {}..{} ticks, pre-vote + "
      "check-quorum, checkpoint {} ms, write timeout {} ms, raft compaction every {} entries (or "
      "128 when pending is empty); FIFO links, one-way delay d + exp tail capped at {}*d; fsync "
      "{} ms; nodes boot spread over one checkpoint interval",
      f.tick_ms, f.heartbeat_ticks, f.election_ticks, 2 * f.election_ticks,
      std::chrono::duration_cast<std::chrono::milliseconds>(m.node.checkpoint_interval).count(),
      std::chrono::duration_cast<std::chrono::milliseconds>(m.node.write_timeout).count(),
      m.node.compact_every, f.jitter, f.fsync_ms);
}

std::FILE* open_csv(const Flags& f, const char* name) {
  if (f.out.empty()) return nullptr;
  std::filesystem::create_directories(f.out);
  const std::string path = (std::filesystem::path(f.out) / name).string();
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (!file) throw std::runtime_error(fmt::format("cannot write {}", path));
  return file;
}

constexpr SimTime kSettleBound = 30 * kSecond;

// ---- 1. propagation -----------------------------------------------------------------------------

struct WriteTrace {
  NodeId origin = 0;
  bool origin_leader = false;
  SimTime submitted = 0;
  SimTime ok = -1;
  std::vector<SimTime> served;  // per node, -1 until served there
  std::size_t served_count = 0;
  SimTime all_served = -1;
  NodeId last_node = 0;
};

void run_propagation_experiment(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "engine_propagation.csv");
  if (csv)
    fmt::print(csv,
               "link_delay_ms,fsync_ms,seed,write,origin,origin_was_leader,commit_ms,"
               "propagation_ms,last_node\n");
  ClusterModel shown = base_model(f);
  fmt::print(
      "## propagation: write submitted on a random node -> OK at the origin (commit) / served "
      "by every node\n{}\n{} seeds x {} s of Poisson writes at {}/s per (link delay, fsync); "
      "the fsync column overrides --fsync-ms\n\n",
      settings(f, shown), f.seeds, f.prop_seconds, f.prop_rate);
  fmt::print(
      "| link delay | fsync | writes | commit p50 ms | p90 | p99 | max | everywhere p50 ms | p90 | "
      "p99 | "
      "max | lost |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (double fsync_ms : f.prop_fsync_ms)
    for (double delay_ms : f.delays_ms) {
      std::vector<double> commit, everywhere;
      std::size_t lost = 0;
      for (std::uint64_t seed = f.first_seed; seed < f.first_seed + f.seeds; ++seed) {
        ClusterModel m = base_model(f);
        m.delay = from_ms(delay_ms);
        m.fsync = from_ms(fsync_ms);
        std::vector<WriteTrace> writes(1);  // by k, from 1
        std::unordered_map<std::string, std::uint64_t> by_owner;
        Cluster* cluster_ptr = nullptr;
        Hooks hooks;
        hooks.served = [&](NodeId node, Index, const engine::ChangeBatch& batch,
                           const dns::Database&) {
          for (const dns::Change& c : batch.changes) {
            auto it = by_owner.find(c.record.owner.to_text());
            if (it == by_owner.end()) continue;
            WriteTrace& w = writes[it->second];
            if (w.served[node] >= 0) continue;
            w.served[node] = cluster_ptr->now();
            if (++w.served_count == m.nodes) w.all_served = cluster_ptr->now(), w.last_node = node;
          }
        };
        Cluster cluster(seed, m, hooks);
        cluster_ptr = &cluster;
        cluster.settle(kSettleBound);
        WriteStream stream(
            cluster, f.prop_rate,
            [&](std::uint64_t k, NodeId node, const dns::Record& r) {
              WriteTrace w;
              w.origin = node;
              w.origin_leader = cluster.leader() == node;
              w.submitted = cluster.now();
              w.served.assign(m.nodes + 1, -1);
              writes.push_back(std::move(w));
              if (writes.size() != k + 1) throw std::logic_error("write numbering");
              by_owner.emplace(r.owner.to_text(), k);
            },
            [&](std::uint64_t k, const engine::WriteResult& r) {
              if (r.kind == engine::WriteResult::Ok) writes[k].ok = cluster.now();
            });
        const SimTime end = cluster.now() + static_cast<SimTime>(f.prop_seconds * kSecond);
        stream.start(end);
        cluster.run_until(
            [&] {
              if (cluster.now() < end) return false;
              return std::all_of(writes.begin() + 1, writes.end(),
                                 [](const WriteTrace& w) { return w.all_served >= 0; });
            },
            end + 10 * kSecond);
        for (std::uint64_t k = 1; k < writes.size(); ++k) {
          const WriteTrace& w = writes[k];
          const double c = w.ok >= 0 ? to_ms(w.ok - w.submitted) : NAN;
          const double p = w.all_served >= 0 ? to_ms(w.all_served - w.submitted) : NAN;
          if (w.ok < 0 || w.all_served < 0) ++lost;
          if (w.ok >= 0) commit.push_back(c);
          if (w.all_served >= 0) everywhere.push_back(p);
          if (csv)
            fmt::print(csv, "{},{},{},{},{},{},{:.3f},{:.3f},{}\n", delay_ms, fsync_ms, seed, k,
                       w.origin, w.origin_leader ? 1 : 0, c, p, w.last_node);
        }
      }
      double row[8];
      const double ps[4] = {50, 90, 99, 100};
      for (int i = 0; i < 4; ++i) {
        row[i] = percentile(commit, ps[i]);
        row[4 + i] = percentile(everywhere, ps[i]);
      }
      fmt::print(
          "| {} ms | {} ms | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | "
          "{:.2f} | "
          "{} |\n",
          delay_ms, fsync_ms, everywhere.size(), row[0], row[1], row[2], row[3], row[4], row[5],
          row[6], row[7], lost);
      std::fflush(stdout);
      for (double v : row) hash.add(v);
      hash.add(static_cast<double>(lost));
    }
  if (csv) std::fclose(csv);
  fmt::print("\n");
}

// ---- 2. checkpointing ------------------------------------------------------------------------

struct CheckpointScenario {
  std::string name;  // "steady" or "node-down"
  double checkpoint_ms = 1000;
  double down_at_s = 0, down_for_s = 0;  // node-down: seconds after the load started
};

struct CheckpointSummary {
  double mean_pending = 0, max_pending = 0, max_pending_changes = 0;
  double max_raft_entries = 0, max_raft_bytes = 0, max_wal_bytes = 0;
  double drained_after_s = NAN;  // node-down: restart -> backlog dropped
};

void run_checkpoint_experiment(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "engine_checkpoint.csv");
  if (csv)
    fmt::print(csv,
               "scenario,checkpoint_ms,seed,t_s,node,alive,role,pending_batches,pending_changes,"
               "raft_log_entries,raft_log_bytes,store_wal_bytes,store_hw,commit\n");
  ClusterModel shown = base_model(f);
  fmt::print(
      "## checkpointing: pending and raft log over time, {} writes/s for {} s, sampled every 100 "
      "ms on every node\n{}\nlink delay {} ms; node-down: one follower crashed {} s into the load "
      "for {} s\n\n",
      f.ckpt_rate, f.ckpt_seconds, settings(f, shown), f.link_ms, f.ckpt_seconds / 3,
      f.ckpt_down_s);
  std::vector<CheckpointScenario> scenarios;
  for (double ms : f.checkpoint_ms) scenarios.push_back({"steady", ms});
  scenarios.push_back({"node-down", 1000, f.ckpt_seconds / 3, f.ckpt_down_s});
  fmt::print(
      "| scenario | checkpoint | mean pending batches | max pending batches | max pending "
      "changes | max raft log entries | max raft.log bytes | max store WAL bytes | backlog "
      "drained after restart |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const CheckpointScenario& sc : scenarios) {
    CheckpointSummary sum;
    std::size_t samples = 0;
    for (std::uint64_t seed = f.first_seed; seed < f.first_seed + f.ckpt_seeds; ++seed) {
      ClusterModel m = base_model(f);
      m.node.checkpoint_interval = std::chrono::nanoseconds(from_ms(sc.checkpoint_ms));
      Index backlog = 0;  // node-down: highest pending index when the node came back
      SimTime restarted = -1, drained = -1;
      Cluster* cluster_ptr = nullptr;
      Hooks hooks;
      hooks.pending_dropped = [&](NodeId, Index index) {
        if (restarted >= 0 && drained < 0 && index >= backlog) drained = cluster_ptr->now();
      };
      Cluster cluster(seed, m, hooks);
      cluster_ptr = &cluster;
      cluster.settle(kSettleBound);
      const SimTime t0 = cluster.now();
      const SimTime end = t0 + static_cast<SimTime>(f.ckpt_seconds * kSecond);
      WriteStream stream(cluster, f.ckpt_rate, nullptr, nullptr);
      stream.start(end);
      if (sc.down_for_s > 0) {
        cluster.world().queue().schedule_at(t0 + static_cast<SimTime>(sc.down_at_s * kSecond), [&] {
          // The follower with the highest id: a crash of the leader would measure failover.
          NodeId victim = 0;
          for (NodeId n = cluster.size(); n >= 1 && victim == 0; --n)
            if (n != cluster.leader() && cluster.node(n)) victim = n;
          cluster.crash(victim);
          cluster.world().queue().schedule_after(
              static_cast<SimTime>(sc.down_for_s * kSecond), [&, victim] {
                for (NodeId n = 1; n <= cluster.size(); ++n)
                  if (cluster.node(n) && !cluster.node(n)->node().state().pending().empty())
                    backlog = std::max(backlog,
                                       cluster.node(n)->node().state().pending().rbegin()->first);
                cluster.restart(victim);
                restarted = cluster.now();
              });
        });
      }
      for (SimTime t = t0; t <= end; t += 100 * kMillisecond) {
        cluster.run_until([] { return false; }, t);
        for (NodeId n = 1; n <= cluster.size(); ++n) {
          SimNode* node = cluster.node(n);
          if (!node) {
            if (csv)
              fmt::print(csv, "{},{},{},{:.1f},{},0,down,,,,,,,\n", sc.name, sc.checkpoint_ms, seed,
                         to_s(t - t0), n);
            continue;
          }
          const engine::NodeStatus s = node->node().status();
          const double entries = static_cast<double>(s.raft.last_index - s.raft.snapshot_index);
          if (csv)
            fmt::print(csv, "{},{},{},{:.1f},{},1,{},{},{},{},{},{},{},{}\n", sc.name,
                       sc.checkpoint_ms, seed, to_s(t - t0), n, raft::to_string(s.raft.role),
                       s.pending_batches, s.pending_changes,
                       s.raft.last_index - s.raft.snapshot_index, s.raft_log_bytes, s.wal_bytes,
                       s.hw, s.raft.commit);
          sum.mean_pending += static_cast<double>(s.pending_batches);
          ++samples;
          sum.max_pending = std::max(sum.max_pending, static_cast<double>(s.pending_batches));
          sum.max_pending_changes =
              std::max(sum.max_pending_changes, static_cast<double>(s.pending_changes));
          sum.max_raft_entries = std::max(sum.max_raft_entries, entries);
          sum.max_raft_bytes = std::max(sum.max_raft_bytes, static_cast<double>(s.raft_log_bytes));
          sum.max_wal_bytes = std::max(sum.max_wal_bytes, static_cast<double>(s.wal_bytes));
        }
      }
      if (restarted >= 0) {
        if (drained < 0)  // the load stopped at `end`: give the last checkpoint a chance
          cluster.run_until([&] { return drained >= 0; }, end + 20 * kSecond);
        const double d = drained >= 0 ? to_s(drained - restarted) : NAN;
        sum.drained_after_s =
            std::isnan(sum.drained_after_s) ? d : std::max(sum.drained_after_s, d);
      }
    }
    sum.mean_pending /= static_cast<double>(std::max<std::size_t>(samples, 1));
    fmt::print("| {} | {} ms | {:.1f} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {} |\n",
               sc.name, sc.checkpoint_ms, sum.mean_pending, sum.max_pending,
               sum.max_pending_changes, sum.max_raft_entries, sum.max_raft_bytes, sum.max_wal_bytes,
               sc.down_for_s > 0 ? fmt::format("{:.2f} s", sum.drained_after_s) : "-");
    std::fflush(stdout);
    for (double v : {sum.mean_pending, sum.max_pending, sum.max_pending_changes,
                     sum.max_raft_entries, sum.max_raft_bytes, sum.max_wal_bytes})
      hash.add(v);
  }
  if (csv) std::fclose(csv);
  fmt::print("\n");
}

// ---- 3. catch-up ------------------------------------------------------------------------------

struct CatchupResult {
  NodeId victim = 0;
  std::size_t pending_batches = 0, pending_changes = 0;  // on the leader at the restart
  Index target = 0;            // highest index the live nodes served at the restart
  Index backlog = 0;           // highest pending index at the restart
  Index hw_at_restart = 0;     // what the victim's local datastore held
  bool snapshot = false;       // the victim received a raft snapshot (InstallSnapshot)
  double catchup_s = NAN;      // restart -> victim served `target`
  double drain_s = NAN;        // restart -> pending <= backlog dropped
  bool records_match = false;  // at catch-up, same record count as a peer at the same index
  bool converged = false;      // after the load: every node serves the same record set
};

CatchupResult run_catchup(const Flags& f, std::uint64_t seed, double down_s) {
  ClusterModel m = base_model(f);
  CatchupResult r;
  SimTime restarted = -1;
  // Per node, the record count it served at each index, to compare the victim with.
  std::vector<std::map<Index, std::size_t>> counts(m.nodes + 1);
  Cluster* cluster_ptr = nullptr;
  Hooks hooks;
  hooks.served = [&](NodeId node, Index index, const engine::ChangeBatch&,
                     const dns::Database& db) {
    counts[node][index] = db.current()->record_count();
    if (restarted < 0) return;
    if (node == r.victim && index >= r.target && std::isnan(r.catchup_s)) {
      r.catchup_s = to_s(cluster_ptr->now() - restarted);
      // Same index, same record set (raft's state-machine safety); check the record count
      // against every peer that served this index before.
      bool seen = false, same = true;
      for (NodeId n = 1; n <= m.nodes; ++n) {
        if (n == node) continue;
        auto it = counts[n].find(index);
        if (it == counts[n].end()) continue;
        seen = true;
        same = same && it->second == db.current()->record_count();
      }
      r.records_match = seen && same;
    }
  };
  hooks.pending_dropped = [&](NodeId, Index index) {
    if (restarted >= 0 && std::isnan(r.drain_s) && index >= r.backlog)
      r.drain_s = to_s(cluster_ptr->now() - restarted);
  };
  hooks.snapshot_received = [&](NodeId node) {
    if (node == r.victim && restarted >= 0) r.snapshot = true;
  };
  Cluster cluster(seed, m, hooks);
  cluster_ptr = &cluster;
  cluster.settle(kSettleBound);
  WriteStream stream(cluster, f.catchup_rate, nullptr, nullptr);
  stream.start(std::numeric_limits<SimTime>::max());
  cluster.run_for(2 * kSecond);  // steady state first
  for (NodeId n = cluster.size(); n >= 1 && r.victim == 0; --n)
    if (n != cluster.leader()) r.victim = n;
  cluster.crash(r.victim);
  cluster.run_for(static_cast<SimTime>(down_s * kSecond));
  for (NodeId n = 1; n <= cluster.size(); ++n) {
    SimNode* node = cluster.node(n);
    if (!node) continue;
    const engine::NodeStatus s = node->node().status();
    r.target = std::max(r.target, s.served);
    const auto& pending = node->node().state().pending();
    if (!pending.empty()) r.backlog = std::max(r.backlog, pending.rbegin()->first);
    if (n == cluster.leader())
      r.pending_batches = s.pending_batches, r.pending_changes = s.pending_changes;
  }
  restarted = cluster.now();
  cluster.restart(r.victim);
  r.hw_at_restart = cluster.node(r.victim)->node().status().hw;
  cluster.run_until([&] { return !std::isnan(r.catchup_s) && !std::isnan(r.drain_s); },
                    restarted + 60 * kSecond);
  // Quiesce and compare what everyone serves.
  stream.stop();
  cluster.run_for(3 * kSecond);
  std::vector<std::string> first;
  r.converged = true;
  for (NodeId n = 1; n <= cluster.size(); ++n) {
    std::vector<std::string> set = harness::canonical(cluster.node(n)->serving().all_records());
    if (n == 1)
      first = std::move(set);
    else if (set != first)
      r.converged = false;
  }
  return r;
}

void run_catchup_experiment(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "engine_catchup.csv");
  if (csv)
    fmt::print(csv,
               "down_s,seed,writes_per_s,victim,pending_batches_at_restart,"
               "pending_changes_at_restart,store_hw_at_restart,target_index,snapshot_received,"
               "catchup_s,pending_drained_s,records_match,converged\n");
  ClusterModel shown = base_model(f);
  fmt::print(
      "## catch-up: a follower down for D s while {} writes/s stream; restart -> serves what the "
      "others served at the restart / -> the backlog left pending\n{}\nlink delay {} ms, {} seeds "
      "per D\n\n",
      f.catchup_rate, settings(f, shown), f.link_ms, f.catchup_seeds);
  fmt::print(
      "| down | pending batches at restart | catch-up p50 s | max | pending drained p50 s | max | "
      "snapshot installs | mismatches |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (double down_s : f.down_s) {
    std::vector<double> catchup, drain, pending;
    std::size_t snapshots = 0, bad = 0;
    for (std::uint64_t seed = f.first_seed; seed < f.first_seed + f.catchup_seeds; ++seed) {
      const CatchupResult r = run_catchup(f, seed, down_s);
      if (csv)
        fmt::print(csv, "{},{},{},{},{},{},{},{},{},{:.3f},{:.3f},{},{}\n", down_s, seed,
                   f.catchup_rate, r.victim, r.pending_batches, r.pending_changes, r.hw_at_restart,
                   r.target, r.snapshot ? 1 : 0, r.catchup_s, r.drain_s, r.records_match ? 1 : 0,
                   r.converged ? 1 : 0);
      catchup.push_back(r.catchup_s);
      drain.push_back(r.drain_s);
      pending.push_back(static_cast<double>(r.pending_batches));
      snapshots += r.snapshot ? 1 : 0;
      bad += (!r.records_match || !r.converged || std::isnan(r.catchup_s) || std::isnan(r.drain_s))
                 ? 1
                 : 0;
    }
    const double row[5] = {percentile(pending, 50), percentile(catchup, 50),
                           percentile(catchup, 100), percentile(drain, 50), percentile(drain, 100)};
    fmt::print("| {} s | {:.0f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {}/{} | {} |\n", down_s,
               row[0], row[1], row[2], row[3], row[4], snapshots, f.catchup_seeds, bad);
    std::fflush(stdout);
    for (double v : row) hash.add(v);
    hash.add(static_cast<double>(bad));
  }
  if (csv) std::fclose(csv);
  fmt::print("\n");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "engine::Node measured in simulated time: propagation delay, pending/raft-log size under "
      "checkpointing, catch-up after a node was down"};
  Flags f;
  app.add_option("--experiment", f.experiment, "propagation, checkpoint, catchup or all")
      ->check(CLI::IsMember({"propagation", "checkpoint", "catchup", "all"}));
  app.add_option("--seeds", f.seeds,
                 "propagation: seeds per link delay; also caps the checkpoint (3) and catchup (20) "
                 "seeds unless those are given")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--first-seed", f.first_seed, "first seed of every configuration");
  app.add_option("--out", f.out,
                 "directory for engine_propagation.csv, engine_checkpoint.csv, engine_catchup.csv");
  app.add_option("--tick-ms", f.tick_ms, "engine tick (= heartbeat interval with 1 tick)")
      ->check(CLI::Range(0.1, 10000.0));
  app.add_option("--election-ticks", f.election_ticks, "election timeout in ticks")
      ->check(CLI::Range(2, 1000));
  app.add_option("--heartbeat-ticks", f.heartbeat_ticks, "leader heartbeat interval in ticks")
      ->check(CLI::Range(1, 100));
  app.add_option("--jitter", f.jitter, "link delay tail cap as a fraction of the delay")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--fsync-ms", f.fsync_ms,
                 "cost of one durable raft write (the simulated disk is otherwise instantaneous)")
      ->check(CLI::Range(0.0, 1000.0));
  app.add_option("--delays-ms", f.delays_ms, "propagation: one-way link delays")
      ->check(CLI::Range(0.0, 10000.0));
  app.add_option("--prop-fsync-ms", f.prop_fsync_ms, "propagation: fsync costs to compare")
      ->check(CLI::Range(0.0, 1000.0));
  app.add_option("--prop-rate", f.prop_rate, "propagation: writes per simulated second")
      ->check(CLI::Range(0.01, 100000.0));
  app.add_option("--prop-seconds", f.prop_seconds, "propagation: seconds of writes per seed")
      ->check(CLI::Range(0.01, 3600.0));
  app.add_option("--checkpoint-ms", f.checkpoint_ms, "checkpoint: intervals (steady scenario)")
      ->check(CLI::Range(1.0, 600000.0));
  app.add_option("--ckpt-rate", f.ckpt_rate, "checkpoint: writes per simulated second")
      ->check(CLI::Range(0.01, 100000.0));
  app.add_option("--ckpt-seconds", f.ckpt_seconds, "checkpoint: seconds of load per scenario")
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--ckpt-down-s", f.ckpt_down_s, "checkpoint: node-down duration")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--ckpt-seeds", f.ckpt_seeds,
                 "checkpoint: seeds per scenario (default min(--seeds, 3))")
      ->check(CLI::Range(0, 10000));
  app.add_option("--down-s", f.down_s, "catchup: how long the follower is down")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--catchup-rate", f.catchup_rate, "catchup: writes per simulated second")
      ->check(CLI::Range(0.01, 100000.0));
  app.add_option("--catchup-seeds", f.catchup_seeds,
                 "catchup: seeds per down time (default min(--seeds, 20))")
      ->check(CLI::Range(0, 100000));
  app.add_option("--link-ms", f.link_ms, "checkpoint and catchup: one-way link delay")
      ->check(CLI::Range(0.0, 10000.0));
  CLI11_PARSE(app, argc, argv);
  if (f.ckpt_seeds == 0) f.ckpt_seeds = std::min<std::size_t>(f.seeds, 3);
  if (f.catchup_seeds == 0) f.catchup_seeds = std::min<std::size_t>(f.seeds, 20);
  try {
    ResultHash hash;
    if (f.experiment == "propagation" || f.experiment == "all") run_propagation_experiment(f, hash);
    if (f.experiment == "checkpoint" || f.experiment == "all") run_checkpoint_experiment(f, hash);
    if (f.experiment == "catchup" || f.experiment == "all") run_catchup_experiment(f, hash);
    fmt::print("result-hash={:016x}\n", hash.value());
  } catch (const std::exception& e) {
    fmt::print(stderr, "engine-in-sim: {}\n", e.what());
    return 1;
  }
  return 0;
}
