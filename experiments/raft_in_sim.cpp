// build/raft-in-sim: raft measured in simulated time on a harness::SimCluster:
//   commit   - commit latency and throughput vs client batch size, closed loop, no faults;
//   failover - time to elect a new leader (and to commit in its term) after the leader crashes,
//              vs election timeout, with and without pre-vote, over many seeds;
//   flapping - no crashes, links that go down and up again: spurious elections, time without a
//              leader and client-visible gaps, with and without pre-vote.
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

#include "experiments/raft_in_sim_flapping.h"
#include "experiments/raft_in_sim_model.h"
#include "experiments/sim_measure.h"

namespace {

using namespace raft_in_sim;
using sim_measure::percentile;
using sim_measure::ResultHash;

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

  BenchCluster cluster(seed, cluster_options(cfg.model), node_options(cfg.model));
  cluster.hooks().applied = [&](NodeId node, const raft::Entry& entry) {
    if (node != leader || entry.kind != raft::EntryKind::Normal) return;
    const auto [first, count] = decode_commands(entry.data);
    const SimTime now = cluster.world().now();
    for (std::uint64_t id = first; id < first + count && id < proposed_at.size(); ++id) {
      if (proposed_at[id] >= window_start && proposed_at[id] < window_end)
        sample.latency_ms.push_back(to_ms(now - proposed_at[id]));
      if (now >= window_start && now < window_end) ++sample.applied;
      const std::uint32_t c = client_of[id];
      // Next step from the event queue: the node is in the middle of handling a Ready.
      if (--outstanding[c] == 0) cluster.world().queue().schedule_after(0, [&step, c] { step(c); });
    }
  };
  cluster.start_all();
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
  Term terms = 0;  // terms the election took (> 1: split votes); without a leader: terms begun
};

// A settled cluster (leader committed, then one second of heartbeats); the leader crashes at a
// random instant, unaligned with ticks and heartbeats.
FailoverSample run_failover(std::uint64_t seed, const ClusterModel& model, SimTime bound) {
  FailoverSample sample;
  BenchCluster cluster(seed, cluster_options(model), node_options(model));
  cluster.start_all();
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
  if (!cluster.run_until([&] { return new_leader() != nullptr; }, crashed_at + bound)) {
    for (NodeId n = 1; n <= model.nodes; ++n)
      if (n != old)
        sample.terms = std::max(sample.terms, cluster.node(n)->status().term - old_term);
    return sample;
  }
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

// `samples`, when given, receives every seed's sample in seed order.
FailoverRow measure_failover(const ClusterModel& model, std::uint64_t first_seed, std::size_t seeds,
                             std::vector<FailoverSample>* samples) {
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
    if (samples) samples->push_back(s);
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
  std::size_t flap_seeds = 50;
  double flap_seconds = 60;
  std::optional<double> flap_down_ms;  // default: 3 election timeouts
  std::optional<double> flap_up_ms;    // default: 2 election timeouts
  std::vector<std::string> flap_variants{"isolated-follower", "leader-link"};
  std::size_t flap_nodes = 3;
  int flap_election_ticks = ClusterModel{}.election_ticks;
  bool flap_check_quorum = raft::Config{}.check_quorum;
  bool flap_client = true;
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

// An optional measurement: empty in the CSV when absent.
std::string csv_ms(const std::optional<double>& ms) {
  return ms ? fmt::format("{:.3f}", *ms) : std::string();
}

void run_failover_experiment(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "raft_failover.csv");
  if (csv)
    fmt::print(csv,
               "network,nodes,pre_vote,election_ticks,tick_ms,seeds,no_leader,elect_p50_ms,"
               "elect_p90_ms,elect_p99_ms,elect_max_ms,commit_p50_ms,commit_p90_ms,"
               "commit_p99_ms,commit_max_ms,mean_terms,split_share\n");
  // One row per (configuration, seed): the distributions behind the summary rows above.
  std::FILE* samples_csv = open_csv(f, "raft_failover_samples.csv");
  if (samples_csv)
    fmt::print(samples_csv,
               "network,nodes,pre_vote,election_ticks,tick_ms,seed,elect_ms,commit_ms,terms\n");
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
        std::vector<FailoverSample> samples;
        const FailoverRow r = measure_failover(m, f.first_seed, f.seeds, &samples);
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
        for (std::size_t i = 0; i < samples.size(); ++i) {
          const FailoverSample& s = samples[i];
          if (samples_csv)
            fmt::print(samples_csv, "{},{},{},{},{},{},{},{},{}\n", f.network, nodes,
                       pre_vote ? 1 : 0, ticks, r.tick_ms, f.first_seed + i, csv_ms(s.elect_ms),
                       csv_ms(s.commit_ms), s.terms);
          for (double v :
               {s.elect_ms.value_or(-1), s.commit_ms.value_or(-1), static_cast<double>(s.terms)})
            hash.add(v);
        }
      }
    }
  }
  if (csv) std::fclose(csv);
  if (samples_csv) std::fclose(samples_csv);
  fmt::print("\n");
}

// Spurious elections and unavailability under a flapping link (no crashes), pre-vote on/off.
void run_flapping_experiment(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "raft_flapping.csv");
  if (csv)
    fmt::print(csv,
               "network,nodes,variant,pre_vote,check_quorum,election_ticks,tick_ms,down_ms,up_ms,"
               "sim_seconds,seed,flaps,leader_changes,term_increments,spurious_elections,"
               "leaderless_ms,commits,max_commit_gap_ms\n");
  ClusterModel base = base_model(f);
  base.nodes = f.flap_nodes;
  base.election_ticks = f.flap_election_ticks;
  base.check_quorum = f.flap_check_quorum;
  const double timeout_ms = to_ms(base.election_ticks * base.tick);
  const double down_ms = f.flap_down_ms.value_or(3 * timeout_ms);
  const double up_ms = f.flap_up_ms.value_or(2 * timeout_ms);
  fmt::print(
      "## flapping links, no crashes: links down {} ms / up {} ms, {} nodes, election timeout {} "
      "ticks = {} ms, check-quorum {}, {} ({} seeds x {} s each)\n{}\n\n",
      down_ms, up_ms, base.nodes, base.election_ticks, timeout_ms, base.check_quorum ? "on" : "off",
      f.flap_client ? "1 closed-loop client" : "no client (idle)", f.flap_seeds, f.flap_seconds,
      settings(f));
  fmt::print(
      "| variant | pre-vote | flaps/min | spurious elections/min | leader changes/min | "
      "term increments/min | leaderless % | commits/s | per-seed max commit gap: p50 ms | max ms "
      "|\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const std::string& variant_name : f.flap_variants) {
    for (bool pre_vote : {true, false}) {
      FlapConfig cfg;
      cfg.model = base;
      cfg.model.pre_vote = pre_vote;
      cfg.variant = parse_flap_variant(variant_name);
      cfg.down = sim_measure::from_ms(down_ms);
      cfg.up = sim_measure::from_ms(up_ms);
      cfg.client = f.flap_client;
      cfg.measure = static_cast<SimTime>(f.flap_seconds * kSecond);
      FlapSample total;
      std::vector<double> gaps;
      for (std::uint64_t seed = f.first_seed; seed < f.first_seed + f.flap_seeds; ++seed) {
        const FlapSample s = run_flapping(seed, cfg);
        total.flaps += s.flaps;
        total.leader_changes += s.leader_changes;
        total.term_increments += s.term_increments;
        total.spurious_elections += s.spurious_elections;
        total.leaderless += s.leaderless;
        total.commits += s.commits;
        gaps.push_back(to_ms(s.max_commit_gap));
        if (csv)
          fmt::print(csv, "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.3f},{},{:.3f}\n",
                     f.network, base.nodes, variant_name, pre_vote ? 1 : 0,
                     base.check_quorum ? 1 : 0, base.election_ticks, to_ms(base.tick),
                     to_ms(cfg.down), to_ms(cfg.up), sim_measure::to_s(cfg.measure), seed, s.flaps,
                     s.leader_changes, s.term_increments, s.spurious_elections, to_ms(s.leaderless),
                     s.commits, to_ms(s.max_commit_gap));
        for (double v :
             {static_cast<double>(s.flaps), static_cast<double>(s.leader_changes),
              static_cast<double>(s.term_increments), static_cast<double>(s.spurious_elections),
              to_ms(s.leaderless), static_cast<double>(s.commits), to_ms(s.max_commit_gap)})
          hash.add(v);
      }
      const double seconds = static_cast<double>(f.flap_seeds) * sim_measure::to_s(cfg.measure);
      const double minutes = seconds / 60;
      fmt::print(
          "| {} | {} | {:.1f} | {:.2f} | {:.2f} | {:.2f} | {:.2f}% | {:.0f} | {:.1f} | {:.1f} |\n",
          variant_name, pre_vote ? "on" : "off", static_cast<double>(total.flaps) / minutes,
          static_cast<double>(total.spurious_elections) / minutes,
          static_cast<double>(total.leader_changes) / minutes,
          static_cast<double>(total.term_increments) / minutes,
          100 * sim_measure::to_s(total.leaderless) / seconds,
          static_cast<double>(total.commits) / seconds, percentile(gaps, 50),
          percentile(gaps, 100));
      std::fflush(stdout);
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
  app.add_option("--experiment", f.experiment, "commit, failover, flapping or all")
      ->check(CLI::IsMember({"commit", "failover", "flapping", "all"}));
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
  app.add_option("--flap-seeds", f.flap_seeds, "flapping: seeds per (variant, pre-vote)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--flap-seconds", f.flap_seconds, "flapping: simulated seconds measured per seed")
      ->check(CLI::Range(0.1, 36000.0));
  app.add_option("--flap-down-ms", f.flap_down_ms,
                 "flapping: how long links stay down per flap (default 3 election timeouts)")
      ->check(CLI::Range(0.01, 1e7));
  app.add_option("--flap-up-ms", f.flap_up_ms,
                 "flapping: how long links stay up between flaps (default 2 election timeouts)")
      ->check(CLI::Range(0.01, 1e7));
  app.add_option("--flap-variants", f.flap_variants,
                 "flapping: isolated-follower (all links of one follower) and/or leader-link "
                 "(only leader <-> one follower)")
      ->check(CLI::IsMember({"isolated-follower", "leader-link"}));
  app.add_option("--flap-nodes", f.flap_nodes, "flapping: cluster size")->check(CLI::Range(2, 9));
  app.add_option("--flap-election-ticks", f.flap_election_ticks,
                 "flapping: election timeout in ticks")
      ->check(CLI::Range(2, 1000));
  app.add_option("--flap-check-quorum", f.flap_check_quorum,
                 "flapping: raft check-quorum and leader lease (default: raft::Config's)");
  app.add_option("--flap-client", f.flap_client,
                 "flapping: 1 = one closed-loop client writes throughout, 0 = idle cluster");
  app.add_option("--out", f.out,
                 "directory for raft_commit.csv, raft_failover.csv, raft_failover_samples.csv, "
                 "raft_flapping.csv");
  CLI11_PARSE(app, argc, argv);
  if (f.delay_max_us < f.delay_min_us) {
    fmt::print(stderr, "--delay-max-us must be >= --delay-min-us\n");
    return 2;
  }
  try {
    ResultHash hash;
    const bool all = f.experiment == "all";
    if (all || f.experiment == "commit") run_commit_experiment(f, hash);
    if (all || f.experiment == "failover") run_failover_experiment(f, hash);
    if (all || f.experiment == "flapping") run_flapping_experiment(f, hash);
    fmt::print("result-hash={:016x}\n", hash.value());
  } catch (const std::exception& e) {
    fmt::print(stderr, "raft-in-sim: {}\n", e.what());
    return 1;
  }
  return 0;
}
