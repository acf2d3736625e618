// build/engine-in-sim: the DNS engine (engine::Node) measured in simulated time on a
// harness::SimCluster, 3 nodes with the engine's real defaults (tick = heartbeat 100 ms, election
// timeout 10 ticks, checkpoint 1 s, write timeout 2 s) unless a flag says otherwise:
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
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dns/zone_db.h"
#include "engine/node.h"
#include "experiments/sim_measure.h"
#include "harness/dns_node_driver.h"
#include "harness/dns_workload.h"
#include "harness/dns_write_stream.h"
#include "harness/sim_cluster.h"

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

// ---- the simulated cluster (harness::SimCluster, configured) ---------------------------------

using Cluster = harness::SimCluster<harness::DnsNodeDriver>;

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
// pair (what the real peer transport gives); messages from or to a node that crashed after they
// were sent are lost, as the connection would be.
harness::ClusterOptions cluster_options(const ClusterModel& m) {
  harness::ClusterOptions o;
  o.world.nodes = m.nodes;
  o.links.kind = harness::LinkKind::Fifo;
  o.links.fifo_delay = m.delay;
  o.links.fifo_tail_cap = static_cast<double>(m.delay) * m.jitter;
  o.links.lose_in_flight_from_crashed = true;
  o.links.fifo_stream = "engine-links";
  return o;
}

harness::DnsDriverOptions node_options(const ClusterModel& m) {
  harness::DnsDriverOptions o;
  o.engine = m.node;
  o.fsync = m.fsync;
  o.trace = false;  // nothing here checks determinism
  o.random_stream = "engine-node-n{node}-{incarnation}";
  return o;
}

// Schedules every node's first boot (see ClusterModel::boot_spread).
void boot(Cluster& cluster, const ClusterModel& m) {
  cluster.boot_all(m.boot_spread >= 0 ? m.boot_spread : m.node.checkpoint_interval.count(),
                   "engine-boot");
}

// Waits until a leader exists and every node has imported its zone file and serves what the
// leader committed, with nothing pending; throws naming the seed otherwise.
void settle(Cluster& cluster, SimTime bound) {
  const bool ok = cluster.run_until(
      [&] {
        const NodeId l = cluster.leader();
        if (l == 0) return false;
        const Index commit = cluster.node(l)->node().raft().status().commit;
        for (NodeId n = 1; n <= cluster.size(); ++n) {
          if (!cluster.up(n)) return false;
          const engine::NodeStatus s = cluster.node(n)->node().status();
          if (!s.imported || s.applied < commit || s.pending_batches > 0) return false;
        }
        return true;
      },
      cluster.now() + bound);
  if (!ok)
    throw std::runtime_error(fmt::format("seed {}: cluster not settled after {:.1f} s",
                                         cluster.world().seed(), to_s(bound)));
}

// Open-loop Poisson writes (harness::DnsWriteStream) from this benchmark's PRNG stream.
constexpr const char* kWriteStream = "engine-writes";

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
        Cluster cluster(seed, cluster_options(m), node_options(m));
        boot(cluster, m);
        cluster.hooks().served = [&](NodeId node, Index, const engine::ChangeBatch& batch,
                                     const dns::Database&) {
          for (const dns::Change& c : batch.changes) {
            auto it = by_owner.find(c.record.owner.to_text());
            if (it == by_owner.end()) continue;
            WriteTrace& w = writes[it->second];
            if (w.served[node] >= 0) continue;
            w.served[node] = cluster.now();
            if (++w.served_count == m.nodes) w.all_served = cluster.now(), w.last_node = node;
          }
        };
        settle(cluster, kSettleBound);
        harness::DnsWriteStream stream(
            cluster, f.prop_rate, kWriteStream,
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
      Cluster cluster(seed, cluster_options(m), node_options(m));
      boot(cluster, m);
      cluster.hooks().pending_dropped = [&](NodeId, Index index) {
        if (restarted >= 0 && drained < 0 && index >= backlog) drained = cluster.now();
      };
      settle(cluster, kSettleBound);
      const SimTime t0 = cluster.now();
      const SimTime end = t0 + static_cast<SimTime>(f.ckpt_seconds * kSecond);
      harness::DnsWriteStream stream(cluster, f.ckpt_rate, kWriteStream);
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
                cluster.start(victim);
                restarted = cluster.now();
              });
        });
      }
      for (SimTime t = t0; t <= end; t += 100 * kMillisecond) {
        cluster.run_until([] { return false; }, t);
        for (NodeId n = 1; n <= cluster.size(); ++n) {
          harness::DnsNodeDriver* node = cluster.node(n);
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
  Cluster cluster(seed, cluster_options(m), node_options(m));
  boot(cluster, m);
  cluster.hooks().served = [&](NodeId node, Index index, const engine::ChangeBatch&,
                               const dns::Database& db) {
    counts[node][index] = db.latest()->record_count();
    if (restarted < 0) return;
    if (node == r.victim && index >= r.target && std::isnan(r.catchup_s)) {
      r.catchup_s = to_s(cluster.now() - restarted);
      // Same index, same record set (raft's state-machine safety); check the record count
      // against every peer that served this index before.
      bool seen = false, same = true;
      for (NodeId n = 1; n <= m.nodes; ++n) {
        if (n == node) continue;
        auto it = counts[n].find(index);
        if (it == counts[n].end()) continue;
        seen = true;
        same = same && it->second == db.latest()->record_count();
      }
      r.records_match = seen && same;
    }
  };
  cluster.hooks().pending_dropped = [&](NodeId, Index index) {
    if (restarted >= 0 && std::isnan(r.drain_s) && index >= r.backlog)
      r.drain_s = to_s(cluster.now() - restarted);
  };
  cluster.hooks().persisted = [&](NodeId node, const raft::Ready& ready) {
    if (ready.snapshot && node == r.victim && restarted >= 0) r.snapshot = true;
  };
  settle(cluster, kSettleBound);
  harness::DnsWriteStream stream(cluster, f.catchup_rate, kWriteStream);
  stream.start(std::numeric_limits<SimTime>::max());
  cluster.run_for(2 * kSecond);  // steady state first
  for (NodeId n = cluster.size(); n >= 1 && r.victim == 0; --n)
    if (n != cluster.leader()) r.victim = n;
  cluster.crash(r.victim);
  cluster.run_for(static_cast<SimTime>(down_s * kSecond));
  for (NodeId n = 1; n <= cluster.size(); ++n) {
    harness::DnsNodeDriver* node = cluster.node(n);
    if (!node) continue;
    const engine::NodeStatus s = node->node().status();
    r.target = std::max(r.target, s.served);
    const auto& pending = node->node().state().pending();
    if (!pending.empty()) r.backlog = std::max(r.backlog, pending.rbegin()->first);
    if (n == cluster.leader())
      r.pending_batches = s.pending_batches, r.pending_changes = s.pending_changes;
  }
  restarted = cluster.now();
  cluster.start(r.victim);
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
