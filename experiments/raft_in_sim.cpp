// build/raft-in-sim: raft measured in simulated time on sim::World (issue 3, "Benchmarks"):
//   commit   - commit latency and throughput vs client batch size, closed loop, no faults;
//   failover - time to elect a new leader (and to commit in its term) after the leader crashes,
//              vs election timeout, with and without pre-vote, over many seeds.
// Not a Google Benchmark program: what it measures is simulated time, so every number is a pure
// function of the flags and seeds (run it twice, compare the printed result-hash).

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
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "experiments/sim_measure.h"
#include "raft/message.h"
#include "raft/raft.h"
#include "sim/world.h"

namespace {

using raft::Index;
using raft::NodeId;
using raft::Term;
using sim::kMillisecond;
using sim::kSecond;
using sim::SimTime;
using sim_measure::percentile;
using sim_measure::ResultHash;
using sim_measure::to_ms;

constexpr SimTime kMicrosecond = 1'000;

// ---- the simulated cluster ----------------------------------------------------------------

// Raft and physical settings of one simulated cluster. The simulator itself gives disk writes
// and computation zero duration; `fsync` is what this benchmark adds so that batching has the
// cost it has on a real machine (one durable write per Ready, however many entries it holds).
struct ClusterModel {
  std::size_t nodes = 3;
  SimTime tick = 10 * kMillisecond;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  bool pre_vote = true;
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
        last_arrival_((model.nodes + 1) * (model.nodes + 1), 0) {
    if (!model_.fifo_links)
      world_.network().set_deliver([this](engine::NodeId to, engine::NodeId from, engine::Bytes b) {
        deliver_(to, from, std::move(b));
      });
  }

  void send(NodeId from, NodeId to, raft::Bytes bytes) {
    ++sent_;
    if (!model_.fifo_links) return world_.network().send(from, to, std::move(bytes));
    // Same delay law as sim::Network (min + exponential tail with mean spread/3, capped).
    const SimTime spread = std::max<SimTime>(0, model_.delay_max - model_.delay_min);
    const auto tail = static_cast<SimTime>(prng_.exponential(static_cast<double>(spread) / 3.0));
    SimTime& last = last_arrival_[from * (model_.nodes + 1) + to];
    last = std::max(last, world_.now() + model_.delay_min + std::min(spread, tail));
    world_.queue().schedule_at(last, [this, from, to, bytes = std::move(bytes)]() mutable {
      deliver_(to, from, std::move(bytes));
    });
  }

  std::uint64_t sent() const { return sent_; }

 private:
  sim::World& world_;
  const ClusterModel& model_;
  Deliver deliver_;
  sim::Prng prng_;
  std::vector<SimTime> last_arrival_;
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

  BenchNode(NodeId id, sim::World& world, Links& links, const ClusterModel& model, OnApply on_apply)
      : id_(id), world_(world), links_(links), model_(model), on_apply_(std::move(on_apply)) {
    raft::Config config;
    config.id = id;
    for (NodeId n = 1; n <= model.nodes; ++n) config.voters.push_back(n);
    config.election_ticks = model.election_ticks;
    config.heartbeat_ticks = model.heartbeat_ticks;
    config.pre_vote = model.pre_vote;
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
      for (; missed_ticks_ > 0; --missed_ticks_) raft_->tick();
      for (auto& [from, bytes] : std::exchange(inbox_, {})) raft_->step(raft::decode(bytes));
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
    sim::EventQueue& queue = world_.queue();
    while (!done()) {
      const SimTime next = queue.next_time();
      if (next < 0 || next > deadline) {
        queue.run_until(deadline);
        return done();
      }
      queue.run_next();
    }
    return true;
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
NodeId settle(BenchCluster& cluster, std::uint64_t seed, SimTime bound) {
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

// ---- statistics -----------------------------------------------------------------------------

// ---- commit latency and throughput vs batch size ---------------------------------------------

// How a client step of `batch` commands reaches raft.
enum class BatchMode {
  Entries,  // `batch` proposals stepped together: one entry each, one Ready, one leader fsync
  Packed,   // one proposal whose entry carries all `batch` commands (as engine batches records)
};

struct CommitConfig {
  ClusterModel model;
  BatchMode mode = BatchMode::Entries;
  std::size_t batch = 1;
  std::size_t clients = 1;
  SimTime measure = 2 * kSecond;
};

struct CommitSample {
  std::vector<double> latency_ms;  // per command proposed inside the window
  std::uint64_t applied = 0;       // commands applied on the leader inside the window
  std::uint64_t leader_fsyncs = 0;
  std::uint64_t messages = 0;
  std::uint64_t unfinished = 0;  // proposed in the window, never applied (a stall: must be 0)
  bool leader_changed = false;
};

// Command layout in an entry: [u64 first id][u32 count][count x 16 payload bytes].
constexpr std::size_t kCommandBytes = 16;

raft::Bytes encode_commands(std::uint64_t first, std::uint32_t count) {
  raft::Bytes out(12 + count * kCommandBytes, 0);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(first >> (8 * i));
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<std::uint8_t>(count >> (8 * i));
  return out;
}

std::pair<std::uint64_t, std::uint32_t> decode_commands(const raft::Bytes& data) {
  if (data.size() < 12) return {0, 0};
  std::uint64_t first = 0;
  std::uint32_t count = 0;
  for (int i = 0; i < 8; ++i) first |= static_cast<std::uint64_t>(data[i]) << (8 * i);
  for (int i = 0; i < 4; ++i) count |= static_cast<std::uint32_t>(data[8 + i]) << (8 * i);
  return {first, count};
}

// Closed loop: each client proposes `batch` commands at the leader, waits until all of them are
// applied there, and at once proposes the next batch. Latency = propose -> applied on the leader.
CommitSample run_commit(std::uint64_t seed, const CommitConfig& cfg) {
  CommitSample sample;
  std::vector<SimTime> proposed_at{0};  // by command id (ids start at 1)
  std::vector<std::uint32_t> client_of{0};
  std::vector<std::size_t> outstanding(cfg.clients, 0);
  NodeId leader = 0;
  SimTime window_start = 0, window_end = 0;
  std::function<void(std::size_t)> step;
  BenchCluster* cluster_ptr = nullptr;

  auto on_apply = [&](NodeId node, const raft::Entry& entry) {
    if (node != leader || entry.kind != raft::EntryKind::Normal) return;
    const auto [first, count] = decode_commands(entry.data);
    const SimTime now = cluster_ptr->world().now();
    for (std::uint64_t id = first; id < first + count && id < proposed_at.size(); ++id) {
      if (proposed_at[id] >= window_start && proposed_at[id] < window_end)
        sample.latency_ms.push_back(to_ms(now - proposed_at[id]));
      if (now >= window_start && now < window_end) ++sample.applied;
      const std::uint32_t c = client_of[id];
      // Next step from the event queue: the node is in the middle of handling a Ready.
      if (--outstanding[c] == 0)
        cluster_ptr->world().queue().schedule_after(0, [&step, c] { step(c); });
    }
  };
  BenchCluster cluster(seed, cfg.model, on_apply);
  cluster_ptr = &cluster;
  sim::EventQueue& queue = cluster.world().queue();

  leader = settle(cluster, seed, 10 * kSecond);
  const Term term = cluster.node(leader)->status().term;
  const SimTime start = queue.now() + 100 * kMillisecond;
  window_start = start + 200 * kMillisecond;  // the pipeline fills first
  window_end = window_start + cfg.measure;

  step = [&](std::size_t c) {
    const SimTime now = queue.now();
    if (now >= window_end) return;
    const std::uint64_t first = proposed_at.size();
    std::vector<raft::Bytes> commands;
    if (cfg.mode == BatchMode::Packed) {
      commands.push_back(encode_commands(first, static_cast<std::uint32_t>(cfg.batch)));
    } else {
      for (std::size_t i = 0; i < cfg.batch; ++i) commands.push_back(encode_commands(first + i, 1));
    }
    proposed_at.resize(first + cfg.batch, now);
    client_of.resize(first + cfg.batch, static_cast<std::uint32_t>(c));
    outstanding[c] = cfg.batch;
    cluster.node(leader)->propose(std::move(commands));
  };
  for (std::size_t c = 0; c < cfg.clients; ++c) queue.schedule_at(start, [&step, c] { step(c); });

  queue.run_until(window_start);
  const std::uint64_t fsyncs_before = cluster.node(leader)->fsyncs();
  const std::uint64_t sent_before = cluster.links().sent();
  queue.run_until(window_end);
  sample.leader_fsyncs = cluster.node(leader)->fsyncs() - fsyncs_before;
  sample.messages = cluster.links().sent() - sent_before;
  // Let the steps begun inside the window finish (they hold the window's last latencies).
  cluster.run_until(
      [&] {
        return std::all_of(outstanding.begin(), outstanding.end(),
                           [](std::size_t n) { return n == 0; });
      },
      window_end + 5 * kSecond);
  for (std::size_t n : outstanding) sample.unfinished += n;
  sample.leader_changed = cluster.leader() != leader || cluster.node(leader)->status().term != term;
  return sample;
}

// One row of raft_commit.csv: a configuration pooled over its seeds.
struct CommitRow {
  CommitConfig cfg;
  std::size_t seeds = 0;
  double seconds = 0;
  double throughput = 0;  // commands per simulated second
  double p50 = 0, p99 = 0, max = 0;
  double fsyncs_per_s = 0;
  double messages_per_command = 0;
  std::uint64_t unfinished = 0;
  std::size_t leader_changes = 0;
};

CommitRow measure_commit(const CommitConfig& cfg, std::uint64_t first_seed, std::size_t seeds) {
  CommitRow row{.cfg = cfg, .seeds = seeds};
  std::vector<double> latencies;
  std::uint64_t applied = 0, fsyncs = 0, messages = 0;
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    CommitSample s = run_commit(seed, cfg);
    latencies.insert(latencies.end(), s.latency_ms.begin(), s.latency_ms.end());
    applied += s.applied;
    fsyncs += s.leader_fsyncs;
    messages += s.messages;
    row.unfinished += s.unfinished;
    row.leader_changes += s.leader_changed;
  }
  row.seconds = static_cast<double>(seeds) * static_cast<double>(cfg.measure) / kSecond;
  row.throughput = static_cast<double>(applied) / row.seconds;
  row.p50 = percentile(latencies, 50);
  row.p99 = percentile(latencies, 99);
  row.max = percentile(latencies, 100);
  row.fsyncs_per_s = static_cast<double>(fsyncs) / row.seconds;
  row.messages_per_command =
      applied == 0 ? 0 : static_cast<double>(messages) / static_cast<double>(applied);
  return row;
}

// ---- failover time vs election timeout -------------------------------------------------------

struct FailoverSample {
  std::optional<double> elect_ms;   // crash -> some node is leader of a later term
  std::optional<double> commit_ms;  // crash -> that leader committed an entry of its term
  Term terms = 0;                   // terms the election took (> 1: split votes)
};

// A settled cluster (leader committed, then one second of heartbeats); the leader crashes at a
// random instant, unaligned with ticks and heartbeats.
FailoverSample run_failover(std::uint64_t seed, const ClusterModel& model, SimTime bound) {
  FailoverSample sample;
  BenchCluster cluster(seed, model, nullptr);
  sim::EventQueue& queue = cluster.world().queue();
  settle(cluster, seed, 10 * kSecond);
  sim::Prng prng = cluster.world().stream("failover");
  queue.run_until(queue.now() + kSecond +
                  static_cast<SimTime>(
                      prng.below(static_cast<std::uint64_t>(model.tick * model.election_ticks))));
  const NodeId old = cluster.leader();
  if (old == 0) throw std::runtime_error(fmt::format("seed {}: no leader to crash", seed));
  const Term old_term = cluster.node(old)->status().term;
  const SimTime crashed_at = queue.now();
  cluster.crash(old);

  auto new_leader = [&]() -> BenchNode* {
    const NodeId l = cluster.leader();
    return l != 0 && cluster.node(l)->status().term > old_term ? cluster.node(l) : nullptr;
  };
  if (!cluster.run_until([&] { return new_leader() != nullptr; }, crashed_at + bound))
    return sample;
  sample.elect_ms = to_ms(queue.now() - crashed_at);
  sample.terms = new_leader()->status().term - old_term;
  if (cluster.run_until(
          [&] {
            BenchNode* l = new_leader();
            return l != nullptr && l->committed_in_own_term();
          },
          crashed_at + bound))
    sample.commit_ms = to_ms(queue.now() - crashed_at);
  return sample;
}

// One row of raft_failover.csv.
struct FailoverRow {
  std::size_t nodes = 0;
  int election_ticks = 0;
  double tick_ms = 0;
  bool pre_vote = false;
  std::size_t seeds = 0;
  std::size_t no_leader = 0;  // seeds with no new leader within the bound
  double elect[4] = {};       // p50 p90 p99 max
  double commit[4] = {};
  double mean_terms = 0;
  double split_share = 0;  // share of seeds that needed more than one term
};

FailoverRow measure_failover(const ClusterModel& model, std::uint64_t first_seed,
                             std::size_t seeds) {
  FailoverRow row{.nodes = model.nodes,
                  .election_ticks = model.election_ticks,
                  .tick_ms = to_ms(model.tick),
                  .pre_vote = model.pre_vote,
                  .seeds = seeds};
  const SimTime bound = 100 * model.election_ticks * model.tick;
  std::vector<double> elect, commit;
  double terms = 0;
  std::size_t split = 0;
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    const FailoverSample s = run_failover(seed, model, bound);
    if (!s.elect_ms) {
      ++row.no_leader;
      continue;
    }
    elect.push_back(*s.elect_ms);
    if (s.commit_ms) commit.push_back(*s.commit_ms);
    terms += static_cast<double>(s.terms);
    split += s.terms > 1;
  }
  const double ps[4] = {50, 90, 99, 100};
  for (int i = 0; i < 4; ++i) {
    row.elect[i] = percentile(elect, ps[i]);
    row.commit[i] = percentile(commit, ps[i]);
  }
  const double n = static_cast<double>(std::max<std::size_t>(elect.size(), 1));
  row.mean_terms = terms / n;
  row.split_share = static_cast<double>(split) / n;
  return row;
}

// ---- command line -----------------------------------------------------------------------------

struct Flags {
  std::string experiment = "all";
  std::size_t seeds = 200;
  std::uint64_t first_seed = 1;
  std::size_t commit_seeds = 2;
  double commit_seconds = 2;
  std::vector<std::size_t> nodes{3, 5};
  std::vector<std::size_t> batches{1, 4, 16, 64, 256};
  std::vector<std::string> modes{"entries", "packed"};
  std::vector<int> election_ticks{5, 10, 20};
  std::vector<std::size_t> clients{1, 8};
  double tick_ms = 10;
  int heartbeat_ticks = 2;
  double fsync_us = 500;
  double delay_min_us = 1000;
  double delay_max_us = 2000;
  std::string network = "fifo";
  std::size_t max_inflight = 64;
  std::string out;
};

ClusterModel base_model(const Flags& f) {
  ClusterModel m;
  m.tick = static_cast<SimTime>(f.tick_ms * kMillisecond);
  m.heartbeat_ticks = f.heartbeat_ticks;
  m.fsync = static_cast<SimTime>(f.fsync_us * kMicrosecond);
  m.delay_min = static_cast<SimTime>(f.delay_min_us * kMicrosecond);
  m.delay_max = static_cast<SimTime>(f.delay_max_us * kMicrosecond);
  m.fifo_links = f.network == "fifo";
  m.max_inflight = f.max_inflight;
  return m;
}

std::string settings(const Flags& f) {
  return fmt::format(
      "tick {} ms, heartbeat {} ticks, link delay {}..{} us ({} links), fsync {} us, "
      "max {} appends in flight",
      f.tick_ms, f.heartbeat_ticks, f.delay_min_us, f.delay_max_us, f.network, f.fsync_us,
      f.max_inflight);
}

std::FILE* open_csv(const Flags& f, const char* name) {
  if (f.out.empty()) return nullptr;
  std::filesystem::create_directories(f.out);
  const std::string path = (std::filesystem::path(f.out) / name).string();
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (!file) throw std::runtime_error(fmt::format("cannot write {}", path));
  return file;
}

void run_commit_experiment(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "raft_commit.csv");
  if (csv)
    fmt::print(csv,
               "network,nodes,clients,mode,batch,seeds,sim_seconds,throughput_cmds_per_s,"
               "latency_p50_ms,latency_p99_ms,latency_max_ms,leader_fsyncs_per_s,"
               "messages_per_command,unfinished,leader_changes\n");
  fmt::print(
      "## commit latency / throughput vs batch size (closed loop, {} seed(s) x {} s each)\n"
      "{}\n\n",
      f.commit_seeds, f.commit_seconds, settings(f));
  fmt::print(
      "| nodes | clients | mode | batch | commands/s | p50 ms | p99 ms | max ms | "
      "leader fsyncs/s | msgs/command |\n|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (std::size_t nodes : f.nodes)
    for (std::size_t clients : f.clients)
      for (const std::string& mode : f.modes)
        for (std::size_t batch : f.batches) {
          CommitConfig cfg;
          cfg.model = base_model(f);
          cfg.model.nodes = nodes;
          cfg.mode = mode == "packed" ? BatchMode::Packed : BatchMode::Entries;
          cfg.batch = batch;
          cfg.clients = clients;
          cfg.measure = static_cast<SimTime>(f.commit_seconds * kSecond);
          const CommitRow r = measure_commit(cfg, f.first_seed, f.commit_seeds);
          fmt::print(
              "| {} | {} | {} | {} | {:.0f} | {:.2f} | {:.2f} | {:.2f} | {:.0f} | {:.2f} |{}\n",
              nodes, clients, mode, batch, r.throughput, r.p50, r.p99, r.max, r.fsyncs_per_s,
              r.messages_per_command,
              r.unfinished || r.leader_changes
                  ? fmt::format(" STALLED: {} unfinished, {} leader changes", r.unfinished,
                                r.leader_changes)
                  : "");
          std::fflush(stdout);
          if (csv)
            fmt::print(csv,
                       "{},{},{},{},{},{},{},{:.1f},{:.3f},{:.3f},{:.3f},{:.1f},{:.3f},{},{}\n",
                       f.network, nodes, clients, mode, batch, r.seeds, r.seconds, r.throughput,
                       r.p50, r.p99, r.max, r.fsyncs_per_s, r.messages_per_command, r.unfinished,
                       r.leader_changes);
          for (double v : {r.throughput, r.p50, r.p99, r.max, r.messages_per_command}) hash.add(v);
        }
  if (csv) std::fclose(csv);
  fmt::print("\n");
}

void run_failover_experiment(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "raft_failover.csv");
  if (csv)
    fmt::print(csv,
               "network,nodes,pre_vote,election_ticks,tick_ms,seeds,no_leader,elect_p50_ms,"
               "elect_p90_ms,elect_p99_ms,elect_max_ms,commit_p50_ms,commit_p90_ms,"
               "commit_p99_ms,commit_max_ms,mean_terms,split_share\n");
  fmt::print(
      "## leader crash -> new leader elected / first commit in its term ({} seeds each)\n"
      "{}\n\n",
      f.seeds, settings(f));
  fmt::print(
      "| nodes | pre-vote | election timeout | elect p50 | p90 | p99 | max | commit p50 | "
      "p90 | p99 | max | terms | >1 term |\n"
      "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (std::size_t nodes : f.nodes) {
    for (bool pre_vote : {true, false}) {
      for (int ticks : f.election_ticks) {
        ClusterModel m = base_model(f);
        m.nodes = nodes;
        m.pre_vote = pre_vote;
        m.election_ticks = ticks;
        const FailoverRow r = measure_failover(m, f.first_seed, f.seeds);
        fmt::print(
            "| {} | {} | {} ticks = {:.0f} ms | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | "
            "{:.1f} | {:.1f} | {:.1f} | {:.2f} | {:.1f}% |{}\n",
            nodes, pre_vote ? "on" : "off", ticks, ticks * r.tick_ms, r.elect[0], r.elect[1],
            r.elect[2], r.elect[3], r.commit[0], r.commit[1], r.commit[2], r.commit[3],
            r.mean_terms, 100 * r.split_share,
            r.no_leader ? fmt::format(" NO LEADER in {} seeds", r.no_leader) : "");
        std::fflush(stdout);
        if (csv) {
          fmt::print(csv, "{},{},{},{},{},{},{}", f.network, nodes, pre_vote ? 1 : 0, ticks,
                     r.tick_ms, r.seeds, r.no_leader);
          for (double v : r.elect) fmt::print(csv, ",{:.3f}", v);
          for (double v : r.commit) fmt::print(csv, ",{:.3f}", v);
          fmt::print(csv, ",{:.3f},{:.4f}\n", r.mean_terms, r.split_share);
        }
        for (double v : r.elect) hash.add(v);
        for (double v : r.commit) hash.add(v);
      }
    }
  }
  if (csv) std::fclose(csv);
  fmt::print("\n");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "raft measured in simulated time: commit latency/throughput vs batch size, failover time "
      "vs election timeout"};
  Flags f;
  app.add_option("--experiment", f.experiment, "commit, failover or all")
      ->check(CLI::IsMember({"commit", "failover", "all"}));
  app.add_option("--seeds", f.seeds, "failover: seeds per configuration")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--first-seed", f.first_seed, "first seed of every configuration");
  app.add_option("--commit-seeds", f.commit_seeds, "commit: seeds per configuration")
      ->check(CLI::Range(1, 10000));
  app.add_option("--commit-seconds", f.commit_seconds,
                 "commit: simulated seconds measured per seed")
      ->check(CLI::Range(0.01, 3600.0));
  app.add_option("--nodes", f.nodes, "cluster sizes")->check(CLI::Range(1, 9));
  app.add_option("--batches", f.batches, "commit: commands per client step")
      ->check(CLI::Range(1, 100000));
  app.add_option("--modes", f.modes, "commit: entries (one entry per command) and/or packed")
      ->check(CLI::IsMember({"entries", "packed"}));
  app.add_option("--clients", f.clients, "commit: numbers of concurrent closed-loop clients")
      ->check(CLI::Range(1, 1000));
  app.add_option("--election-ticks", f.election_ticks, "failover: election timeouts in ticks")
      ->check(CLI::Range(2, 1000));
  app.add_option("--tick-ms", f.tick_ms, "raft tick")->check(CLI::Range(0.1, 1000.0));
  app.add_option("--heartbeat-ticks", f.heartbeat_ticks, "raft: leader heartbeat interval")
      ->check(CLI::Range(1, 100));
  app.add_option("--fsync-us", f.fsync_us, "simulated duration of one durable write")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--delay-min-us", f.delay_min_us, "one-way link delay, minimum")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--delay-max-us", f.delay_max_us, "one-way link delay, cap of the tail")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--network", f.network, "fifo (TCP-like links) or sim (sim::Network, reorders)")
      ->check(CLI::IsMember({"fifo", "sim"}));
  app.add_option("--max-inflight", f.max_inflight, "raft: appends in flight per follower")
      ->check(CLI::Range(1, 100000));
  app.add_option("--out", f.out, "directory for raft_commit.csv / raft_failover.csv");
  CLI11_PARSE(app, argc, argv);
  if (f.delay_max_us < f.delay_min_us) {
    fmt::print(stderr, "--delay-max-us must be >= --delay-min-us\n");
    return 2;
  }
  try {
    ResultHash hash;
    if (f.experiment != "failover") run_commit_experiment(f, hash);
    if (f.experiment != "commit") run_failover_experiment(f, hash);
    fmt::print("result-hash={:016x}\n", hash.value());
  } catch (const std::exception& e) {
    fmt::print(stderr, "raft-in-sim: {}\n", e.what());
    return 1;
  }
  return 0;
}
