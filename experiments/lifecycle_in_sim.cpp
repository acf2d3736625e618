// build/lifecycle-in-sim: a cluster's lifetime operations measured in simulated time on a
// harness::SimCluster of DNS nodes with dns-node's default timings (tick = heartbeat 100 ms,
// election timeout 10 ticks, checkpoint 1 s), the simulated side of experiments/lifecycle:
//   transfer - a 3-node cluster whose node 1 imported a zone of N records; a 4th node added with
//              ADD-NODE and started with join: time until it serves every record (and is a
//              voter), bytes of the datastore copy it installed;
//   pending  - a follower down for D s under a steady write load: the leader's pending bytes and
//              raft log bytes sampled every 500 ms, once per max_pending_bytes given;
//   replace  - under a steady write load a follower dies for good; ADD-NODE of a spare, started
//              with join, promoted; REMOVE-NODE of the dead one: the time of each step, until
//              the spare serves everything committed before it started, and the writes/s.
// Every number is simulated time or bytes, a pure function of the flags (the run prints a
// result-hash; same flags, same hash). Writes <experiment>.csv to --out.

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
#include <vector>

#include "dns/zone_db.h"
#include "dns/zone_parser.h"
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
using sim_measure::ResultHash;
using sim_measure::to_s;

using Cluster = harness::SimCluster<harness::DnsNodeDriver>;

constexpr const char* kWriteStream = "lifecycle-writes";
constexpr NodeId kSpare = 4;  // world node 4: not a member until ADD-NODE

struct Flags {
  std::string experiment = "all";
  std::uint64_t seed = 1;
  std::string out;
  std::vector<std::size_t> records{10'000, 100'000, 1'000'000};
  double rate = 50;     // pending, replace: writes per simulated second
  double down_s = 60;   // pending: how long the follower is down
  double after_s = 20;  // pending: sampled this long after the restart
  std::vector<std::uint64_t> bounds{std::uint64_t{64} << 10, std::uint64_t{1} << 40};
  double link_ms = 1;  // one-way link delay
};

// Node 1's zone file: the harness's first zone plus `extra` names r<i> with one A record each
// (the other nodes keep the harness's zones 2 and 3, which the write stream also writes to).
std::vector<dns::Record> big_zone(std::size_t extra) {
  std::vector<dns::Record> records = harness::dns_zone_file(1);
  std::string text;
  text.reserve(extra * 40);
  const std::string apex = harness::dns_zone_apex(0);
  for (std::size_t i = 0; i < extra; ++i)
    text += fmt::format("r{}.{} 300 IN A 10.{}.{}.{}\n", i, apex, (i >> 16) & 255, (i >> 8) & 255,
                        i & 255);
  std::vector<dns::Record> more = dns::parse_master_file(text, "big-zone", {}).records;
  records.insert(records.end(), std::make_move_iterator(more.begin()),
                 std::make_move_iterator(more.end()));
  return records;
}

// A 3-member cluster on 4 simulated machines (the 4th is the spare, started only with join).
struct Setup {
  Cluster cluster;
  explicit Setup(const Flags& f, std::uint64_t max_pending, const std::vector<dns::Record>* zone1)
      : cluster(f.seed, options(f), node_options(max_pending, zone1)) {}

  static harness::ClusterOptions options(const Flags& f) {
    harness::ClusterOptions o;
    o.world.nodes = 4;
    o.links.kind = harness::LinkKind::Fifo;
    o.links.fifo_delay = sim_measure::from_ms(f.link_ms);
    o.links.fifo_tail_cap = static_cast<double>(o.links.fifo_delay) * 0.5;
    o.links.lose_in_flight_from_crashed = true;
    o.links.fifo_stream = "lifecycle-links";
    return o;
  }
  static harness::DnsDriverOptions node_options(std::uint64_t max_pending,
                                                const std::vector<dns::Record>* zone1) {
    harness::DnsDriverOptions o;
    o.engine.members = {1, 2, 3};
    o.engine.max_pending_bytes = max_pending;
    o.trace = false;
    o.random_stream = "lifecycle-node-n{node}-{incarnation}";
    o.joiners = {kSpare};
    if (zone1)
      o.zone_file = [zone1](NodeId n) -> const std::vector<dns::Record>& {
        return n == 1 ? *zone1 : harness::dns_zone_file(n);
      };
    return o;
  }
};

// Boots nodes 1-3 and waits until every one has imported and serves what the leader committed,
// with nothing pending.
void settle(Cluster& c, SimTime bound) {
  for (NodeId n = 1; n <= 3; ++n)
    c.world().queue().schedule_at(static_cast<SimTime>(n) * 137 * kMillisecond,
                                  [&c, n] { c.start(n); });
  const bool ok = c.run_until(
      [&] {
        const NodeId l = c.leader();
        if (l == 0) return false;
        const Index commit = c.node(l)->node().raft().status().commit;
        for (NodeId n = 1; n <= 3; ++n) {
          if (!c.up(n)) return false;
          const engine::NodeStatus s = c.node(n)->node().status();
          if (!s.imported || s.applied < commit || s.pending_batches > 0) return false;
        }
        return true;
      },
      c.now() + bound);
  if (!ok) throw std::runtime_error(fmt::format("cluster not settled after {:.0f} s", to_s(bound)));
}

bool is_voter(Cluster& c, NodeId node) {
  const NodeId l = c.leader();
  return l != 0 && c.node(l)->node().state().members().membership.is_voter(node);
}

// ADD-NODE of the spare on the leader, retried every 500 ms until it commits; then starts it
// with join. Returns the simulated time the ADD-NODE committed.
SimTime add_spare(Cluster& c, SimTime bound) {
  bool added = false;
  const SimTime deadline = c.now() + bound;
  while (!added && c.now() < deadline) {
    const NodeId l = c.leader();
    if (l != 0)
      c.node(l)->node().add_node(kSpare, {}, [&](const engine::WriteResult& r) {
        added = added || r.kind == engine::WriteResult::Ok || r.kind == engine::WriteResult::Noop;
      });
    c.run_until([&] { return added; }, c.now() + 500 * kMillisecond);
  }
  if (!added) throw std::runtime_error("ADD-NODE did not commit");
  const SimTime at = c.now();
  c.start(kSpare);
  return at;
}

std::FILE* open_csv(const Flags& f, const std::string& name) {
  if (f.out.empty()) return nullptr;
  std::filesystem::create_directories(f.out);
  const std::string path = (std::filesystem::path(f.out) / name).string();
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (!file) throw std::runtime_error(fmt::format("cannot write {}", path));
  return file;
}

std::size_t records_served(Cluster& c, NodeId n) {
  return c.node(n)->serving().current()->record_count();
}

// ---- transfer: a joiner's copy against the datastore size --------------------------------------

void run_transfer(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "lifecycle_transfer.csv");
  if (csv)
    fmt::print(csv,
               "records,seed,import_s,records_served,add_committed_s,serves_all_s,voter_s,"
               "transfer_bytes,transfers\n");
  fmt::print(
      "## transfer: ADD-NODE + join of a 4th node after a zone of N records\n\n"
      "| records | import s | serves all s | voter s | transfer bytes |\n"
      "|---:|---:|---:|---:|---:|\n");
  for (std::size_t n : f.records) {
    const std::vector<dns::Record> zone = big_zone(n);
    Setup s(f, engine::kDefaultMaxPendingBytes, &zone);
    Cluster& c = s.cluster;
    std::uint64_t bytes = 0, transfers = 0;
    c.hooks().transfer_installed = [&](NodeId node, std::uint64_t b) {
      if (node == kSpare) bytes += b, ++transfers;
    };
    settle(c, 600 * kSecond);
    const double import_s = to_s(c.now());
    const NodeId leader = c.leader();
    const std::size_t want = records_served(c, leader);
    const Index want_index = c.node(leader)->node().status().served;
    const SimTime t0 = c.now();
    add_spare(c, 30 * kSecond);
    const SimTime started = c.now();
    SimTime serves_all = -1, voter = -1;
    c.run_until(
        [&] {
          if (serves_all < 0 && c.node(kSpare)->node().status().served >= want_index &&
              records_served(c, kSpare) >= want)
            serves_all = c.now();
          if (voter < 0 && is_voter(c, kSpare)) voter = c.now();
          return serves_all >= 0 && voter >= 0;
        },
        started + 600 * kSecond);
    const double add_s = to_s(started - t0);
    const double all_s = serves_all >= 0 ? to_s(serves_all - t0) : NAN;
    const double voter_s = voter >= 0 ? to_s(voter - t0) : NAN;
    if (csv)
      fmt::print(csv, "{},{},{:.3f},{},{:.3f},{:.3f},{:.3f},{},{}\n", n, f.seed, import_s, want,
                 add_s, all_s, voter_s, bytes, transfers);
    fmt::print("| {} | {:.2f} | {:.3f} | {:.3f} | {} |\n", n, import_s, all_s, voter_s, bytes);
    std::fflush(stdout);
    for (double v : {import_s, all_s, voter_s, static_cast<double>(bytes)}) hash.add(v);
  }
  if (csv) std::fclose(csv);
}

// ---- pending: a follower down under a steady load, with and without the bound -----------------

void run_pending(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "lifecycle_pending.csv");
  if (csv)
    fmt::print(csv,
               "max_pending_bytes,seed,t_s,victim_down,leader,pending_batches,pending_bytes,"
               "raft_log_bytes,needs_transfer\n");
  fmt::print(
      "## pending: a follower down {} s under {} writes/s, leader sampled every 500 ms\n\n"
      "| max_pending_bytes | max pending bytes | max raft log bytes | laggard dropped | "
      "back to steady after restart s |\n|---:|---:|---:|---|---:|\n",
      f.down_s, f.rate);
  for (std::uint64_t bound : f.bounds) {
    Setup s(f, bound, nullptr);
    Cluster& c = s.cluster;
    settle(c, 60 * kSecond);
    harness::DnsWriteStream stream(c, f.rate, kWriteStream);
    stream.start(std::numeric_limits<SimTime>::max());
    const SimTime t0 = c.now();
    const SimTime down_at = t0 + 5 * kSecond,
                  up_at = down_at + sim_measure::from_ms(f.down_s * 1000);
    const SimTime end = up_at + sim_measure::from_ms(f.after_s * 1000);
    NodeId victim = 0;
    double max_bytes = 0, max_log = 0, drained = NAN;
    // Pending's level under the load before the kill: the restarted cluster is back to steady
    // once pending is at most twice that and no member is dropped.
    double steady = 1;
    bool dropped = false;
    for (SimTime t = t0; t <= end; t += 500 * kMillisecond) {
      c.run_until([] { return false; }, t);
      if (victim == 0 && t >= down_at) {
        for (NodeId n = 3; n >= 1 && victim == 0; --n)
          if (n != c.leader()) victim = n;
        c.crash(victim);
      }
      if (victim != 0 && t >= up_at && !c.up(victim)) c.start(victim);
      const NodeId l = c.leader();
      if (l == 0) continue;
      const engine::NodeStatus st = c.node(l)->node().status();
      const bool down = victim != 0 && !c.up(victim);
      if (csv)
        fmt::print(csv, "{},{},{:.1f},{},{},{},{},{},{}\n", bound, f.seed, to_s(t - t0),
                   down ? 1 : 0, l, st.pending_batches, st.pending_bytes, st.raft_log_bytes,
                   st.needs_transfer.size());
      max_bytes = std::max(max_bytes, static_cast<double>(st.pending_bytes));
      max_log = std::max(max_log, static_cast<double>(st.raft_log_bytes));
      dropped = dropped || !st.needs_transfer.empty();
      if (victim == 0) steady = std::max(steady, static_cast<double>(st.pending_bytes));
      if (t > up_at && std::isnan(drained) && static_cast<double>(st.pending_bytes) <= 2 * steady &&
          st.needs_transfer.empty())
        drained = to_s(t - up_at);
    }
    stream.stop();
    fmt::print("| {} | {:.0f} | {:.0f} | {} | {:.1f} |\n", bound, max_bytes, max_log,
               dropped ? "yes" : "no", drained);
    std::fflush(stdout);
    for (double v : {max_bytes, max_log, drained}) hash.add(v);
  }
  if (csv) std::fclose(csv);
}

// ---- replace: a dead follower replaced under a steady load -------------------------------------

void run_replace(const Flags& f, ResultHash& hash) {
  std::FILE* csv = open_csv(f, "lifecycle_replace.csv");
  if (csv)
    fmt::print(csv,
               "seed,writes_per_s,add_committed_s,caught_up_s,voter_s,remove_committed_s,"
               "writes_ok,writes_failed,writes_refused_copying,ok_per_s_during,ok_per_s_before\n");
  Setup s(f, engine::kDefaultMaxPendingBytes, nullptr);
  Cluster& c = s.cluster;
  settle(c, 60 * kSecond);
  std::map<std::int64_t, std::uint64_t> ok_per_second;  // second since the load began -> OKs
  // Writes refused: `copying` by the new node while it copies a datastore (the write stream
  // picks any running node, so some land on it), `failed` for any other reason.
  std::uint64_t failed = 0, copying = 0;
  SimTime load_start = 0;
  std::map<std::uint64_t, NodeId> submitted_to;  // write -> the node it was given to
  std::map<NodeId, std::uint64_t> failed_by_node;
  harness::DnsWriteStream stream(
      c, f.rate, kWriteStream,
      [&](std::uint64_t k, NodeId node, const dns::Record&) { submitted_to[k] = node; },
      [&](std::uint64_t k, const engine::WriteResult& r) {
        if (r.kind == engine::WriteResult::Ok)
          ++ok_per_second[(c.now() - load_start) / kSecond];
        else if (r.kind == engine::WriteResult::Copying)
          ++copying;
        else
          ++failed, ++failed_by_node[submitted_to[k]];
      });
  load_start = c.now();
  stream.start(std::numeric_limits<SimTime>::max());
  c.run_for(5 * kSecond);
  NodeId dead = 0;
  for (NodeId n = 3; n >= 1 && dead == 0; --n)
    if (n != c.leader()) dead = n;
  c.crash(dead);
  const SimTime t0 = c.now();
  add_spare(c, 30 * kSecond);
  const SimTime added = c.now();
  const NodeId leader = c.leader();
  const Index target = leader ? c.node(leader)->node().status().served : 0;
  SimTime caught = -1, voter = -1;
  c.run_until(
      [&] {
        if (caught < 0 && c.node(kSpare)->node().status().served >= target) caught = c.now();
        if (voter < 0 && is_voter(c, kSpare)) voter = c.now();
        return caught >= 0 && voter >= 0;
      },
      added + 120 * kSecond);
  bool removed = false;
  while (!removed && c.now() < added + 180 * kSecond) {
    const NodeId l = c.leader();
    if (l != 0)
      c.node(l)->node().remove_node(dead, [&](const engine::WriteResult& r) {
        removed =
            removed || r.kind == engine::WriteResult::Ok || r.kind == engine::WriteResult::Noop;
      });
    c.run_until([&] { return removed; }, c.now() + 500 * kMillisecond);
  }
  const SimTime removed_at = c.now();
  c.run_for(3 * kSecond);
  stream.stop();
  c.run_for(3 * kSecond);
  auto rate_between = [&](SimTime a, SimTime b) {
    const std::int64_t from = (a - load_start) / kSecond, to = (b - load_start) / kSecond;
    std::uint64_t sum = 0;
    for (std::int64_t k = from; k <= to; ++k) sum += ok_per_second.count(k) ? ok_per_second[k] : 0;
    return static_cast<double>(sum) / static_cast<double>(to - from + 1);
  };
  std::uint64_t ok = 0;
  for (const auto& [k, v] : ok_per_second) ok += v;
  const double during = rate_between(t0, removed_at), before = rate_between(load_start, t0 - 1);
  const double add_s = to_s(added - t0), caught_s = caught >= 0 ? to_s(caught - t0) : NAN,
               voter_s = voter >= 0 ? to_s(voter - t0) : NAN,
               removed_s = removed ? to_s(removed_at - t0) : NAN;
  if (csv)
    fmt::print(csv, "{},{},{:.3f},{:.3f},{:.3f},{:.3f},{},{},{},{:.1f},{:.1f}\n", f.seed, f.rate,
               add_s, caught_s, voter_s, removed_s, ok, failed, copying, during, before);
  fmt::print(
      "## replace: follower n{} dead under {} writes/s; from its death (s)\n\n"
      "| ADD-NODE committed | spare serves all | spare voter | REMOVE-NODE committed | "
      "OK/s during | OK/s before | failed writes |\n|---:|---:|---:|---:|---:|---:|---:|\n"
      "| {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.1f} | {:.1f} | {} |\n",
      dead, f.rate, add_s, caught_s, voter_s, removed_s, during, before, failed);
  for (const auto& [node, n] : failed_by_node)
    fmt::print("writes given to n{} that failed: {}\n", node, n);
  if (csv) {
    std::FILE* rates = open_csv(f, "lifecycle_replace_rate.csv");
    fmt::print(rates, "second,ok\n");
    for (const auto& [k, v] : ok_per_second)
      fmt::print(rates, "{},{}\n", k - (t0 - load_start) / kSecond, v);
    std::fclose(rates);
    std::fclose(csv);
  }
  for (double v : {add_s, caught_s, voter_s, removed_s, during}) hash.add(v);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Cluster lifetime operations in simulated time: a joiner's datastore copy against "
      "the datastore size, pending with a node down, replacing a node under load"};
  Flags f;
  app.add_option("--experiment", f.experiment, "transfer, pending, replace or all")
      ->check(CLI::IsMember({"transfer", "pending", "replace", "all"}));
  app.add_option("--seed", f.seed, "the simulation's seed");
  app.add_option("--out", f.out, "directory for lifecycle_<experiment>.csv");
  app.add_option("--records", f.records, "transfer: zone sizes (records added to node 1's zone)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{5'000'000}));
  app.add_option("--rate", f.rate, "pending, replace: writes per simulated second")
      ->check(CLI::Range(1.0, 2000.0));
  app.add_option("--down-s", f.down_s, "pending: seconds the follower is down")
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--after-s", f.after_s, "pending: seconds sampled after its restart")
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--bounds", f.bounds, "pending: max_pending_bytes values, one run each")
      ->check(CLI::Range(engine::kMinPendingBound, std::uint64_t{1} << 40));
  app.add_option("--link-ms", f.link_ms, "one-way link delay")->check(CLI::Range(0.0, 1000.0));
  CLI11_PARSE(app, argc, argv);
  try {
    ResultHash hash;
    if (f.experiment == "transfer" || f.experiment == "all") run_transfer(f, hash);
    if (f.experiment == "pending" || f.experiment == "all") run_pending(f, hash);
    if (f.experiment == "replace" || f.experiment == "all") run_replace(f, hash);
    fmt::print("\nresult-hash {:016x}\n", hash.value());
  } catch (const std::exception& e) {
    fmt::print(stderr, "lifecycle-in-sim: {}\n", e.what());
    return 1;
  }
  return 0;
}
