#include "harness/scenario.h"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>

#include "harness/dns_scenarios.h"

namespace harness {

namespace {

// A raft-only scenario (raft_cluster_run.h) accepting the raft bugs.
Scenario raft_scenario(const char* name, const char* summary) {
  Scenario x;
  x.name = name;
  x.summary = summary;
  x.bugs = {"commit-without-majority", "forget-vote", "no-pre-vote"};
  return x;
}

std::vector<Scenario> raft_scenarios() {
  std::vector<Scenario> s;
  {
    Scenario x = raft_scenario("random",
                               "every fault kind: loss, duplication, delays, crashes (torn), "
                               "partitions, one-way links, clogs, clock drift");
    x.defaults.loss = 0.02;
    x.defaults.dup = 0.02;
    x.defaults.delay_min_ms = 1;
    x.defaults.delay_max_ms = 30;
    x.defaults.crash_rate = 0.3;
    x.defaults.partition_rate = 0.5;
    x.defaults.clock_drift_ppm = 500;
    x.defaults.torn = true;
    x.w_partition = 2, x.w_one_way = 1, x.w_isolate = 1, x.w_clog = 1;
    x.w_crash = 3, x.w_crash_leader = 1;
    s.push_back(x);
  }
  {
    Scenario x = raft_scenario("partition", "symmetric partitions into two random sides");
    x.defaults.delay_min_ms = 1;
    x.defaults.delay_max_ms = 10;
    x.defaults.partition_rate = 0.6;
    x.w_partition = 1;
    s.push_back(x);
  }
  {
    Scenario x = raft_scenario("leader-crash", "the current leader crashes again and again");
    x.defaults.loss = 0.01;
    x.defaults.delay_min_ms = 1;
    x.defaults.delay_max_ms = 10;
    x.defaults.crash_rate = 0.5;
    x.defaults.clock_drift_ppm = 100;
    x.w_crash = 0, x.w_crash_leader = 1;
    x.min_fault = 100 * sim::kMillisecond, x.max_fault = 2 * sim::kSecond;
    s.push_back(x);
  }
  {
    Scenario x =
        raft_scenario("asymmetric", "one-way link failures (a hears b, b does not hear a)");
    x.defaults.delay_min_ms = 1;
    x.defaults.delay_max_ms = 10;
    x.defaults.partition_rate = 1.0;
    x.w_one_way = 1;
    s.push_back(x);
  }
  {
    Scenario x =
        raft_scenario("disk-loss", "frequent crashes losing unsynced writes, torn log tails");
    x.defaults.delay_min_ms = 1;
    x.defaults.delay_max_ms = 10;
    x.defaults.crash_rate = 1.0;
    x.defaults.torn = true;
    x.w_crash = 2, x.w_crash_leader = 1;
    x.min_fault = 10 * sim::kMillisecond, x.max_fault = 500 * sim::kMillisecond;
    s.push_back(x);
  }
  {
    Scenario x = raft_scenario(
        "rejoin-storm",
        "followers repeatedly isolated and rejoining: pre-vote and check-quorum must keep the "
        "healthy leader in office (its term never changes)");
    x.defaults.delay_min_ms = 1;
    x.defaults.delay_max_ms = 5;
    x.defaults.partition_rate = 2.0;
    x.w_isolate_follower = 1;
    x.min_fault = 300 * sim::kMillisecond, x.max_fault = 2 * sim::kSecond;
    x.stable_leader = true;
    s.push_back(x);
  }
  return s;
}

}  // namespace

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> s = raft_scenarios();
    add_dns_scenarios(s);
    return s;
  }();
  return all;
}

const Scenario& find_scenario(const std::string& name) {
  std::string known;
  for (const Scenario& s : scenarios()) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + s.name;
  }
  throw std::invalid_argument(fmt::format("unknown scenario '{}' (known: {})", name, known));
}

RunOptions default_options(std::uint64_t seed, const std::string& scenario) {
  RunOptions options;
  options.seed = seed;
  options.scenario = scenario;
  options.knobs = find_scenario(scenario).defaults;
  return options;
}

FaultRates fault_rates(const Scenario& s, const Knobs& k) {
  FaultRates r;
  const double link_total =
      s.w_partition + s.w_one_way + s.w_isolate + s.w_isolate_follower + s.w_clog;
  if (link_total > 0) {
    r.partition = k.partition_rate * s.w_partition / link_total;
    r.one_way = k.partition_rate * s.w_one_way / link_total;
    r.isolate = k.partition_rate * s.w_isolate / link_total;
    r.isolate_follower = k.partition_rate * s.w_isolate_follower / link_total;
    r.clog = k.partition_rate * s.w_clog / link_total;
  }
  const double crash_total = s.w_crash + s.w_crash_leader;
  if (crash_total > 0) {
    r.crash = k.crash_rate * s.w_crash / crash_total;
    r.crash_leader = k.crash_rate * s.w_crash_leader / crash_total;
  }
  // A scenario without disk weights of its own spreads --disk-fault-rate like disk-full does.
  const bool own_weights = s.w_disk_full + s.w_fsync_fail > 0;
  const double w_full = own_weights ? s.w_disk_full : 2, w_fsync = own_weights ? s.w_fsync_fail : 1;
  r.disk_full = k.disk_fault_rate * w_full / (w_full + w_fsync);
  r.fsync_fail = k.disk_fault_rate * w_fsync / (w_full + w_fsync);
  r.min_duration = s.min_fault;
  r.max_duration = s.max_fault;
  return r;
}

std::string reproduce_command(const RunOptions& o) {
  const Knobs& d = find_scenario(o.scenario).defaults;
  const Knobs& k = o.knobs;
  std::string cmd = fmt::format("build/sim-runner --seed {} --scenario {}", o.seed, o.scenario);
  if (k.nodes != d.nodes) cmd += fmt::format(" --nodes {}", k.nodes);
  if (k.time_s != d.time_s) cmd += fmt::format(" --time {}", k.time_s);
  if (k.loss != d.loss) cmd += fmt::format(" --loss {}", k.loss);
  if (k.dup != d.dup) cmd += fmt::format(" --dup {}", k.dup);
  if (k.delay_min_ms != d.delay_min_ms || k.delay_max_ms != d.delay_max_ms)
    cmd += fmt::format(" --delay-ms {}..{}", k.delay_min_ms, k.delay_max_ms);
  if (k.crash_rate != d.crash_rate) cmd += fmt::format(" --crash-rate {}", k.crash_rate);
  if (k.partition_rate != d.partition_rate)
    cmd += fmt::format(" --partition-rate {}", k.partition_rate);
  if (k.disk_fault_rate != d.disk_fault_rate)
    cmd += fmt::format(" --disk-fault-rate {}", k.disk_fault_rate);
  if (k.clock_drift_ppm != d.clock_drift_ppm)
    cmd += fmt::format(" --clock-drift {}", k.clock_drift_ppm);
  if (k.torn != d.torn) cmd += k.torn ? " --torn" : " --no-torn";
  if (k.checkpoint_ms != d.checkpoint_ms)
    cmd += fmt::format(" --checkpoint-ms {}", k.checkpoint_ms);
  if (k.snapshot_chunk_bytes != d.snapshot_chunk_bytes)
    cmd += fmt::format(" --snapshot-chunk-bytes {}", k.snapshot_chunk_bytes);
  if (k.transfer_chunk_bytes != d.transfer_chunk_bytes)
    cmd += fmt::format(" --transfer-chunk-bytes {}", k.transfer_chunk_bytes);
  if (k.max_pending_bytes != d.max_pending_bytes)
    cmd += fmt::format(" --max-pending-bytes {}", k.max_pending_bytes);
  if (!k.bug.empty()) cmd += fmt::format(" --bug {}", k.bug);
  if (k.sites != d.sites) cmd += fmt::format(" --sites {}", k.sites);
  if (k.election_ms != d.election_ms) cmd += fmt::format(" --election-ms {}", k.election_ms);
  if (k.heartbeat_ms != d.heartbeat_ms) cmd += fmt::format(" --heartbeat-ms {}", k.heartbeat_ms);
  if (k.log_sync_us != d.log_sync_us) cmd += fmt::format(" --log-sync-us {}", k.log_sync_us);
  if (k.store_snapshot_us != d.store_snapshot_us)
    cmd += fmt::format(" --store-snapshot-us {}", k.store_snapshot_us);
  if (k.import_copy_records != d.import_copy_records)
    cmd += fmt::format(" --import-copy-records {}", k.import_copy_records);
  if (o.outcome_checks_only) cmd += " --outcome-only";
  if (o.no_invariants) cmd += " --no-invariants";
  if (o.schedule) cmd += fmt::format(" --faults '{}'", format_schedule(*o.schedule));
  return cmd;
}

sim::WorldOptions world_options(const Knobs& k) {
  sim::WorldOptions w;
  w.nodes = k.nodes;
  w.network.min_delay = k.delay_min_ms * sim::kMillisecond;
  w.network.max_delay = std::max(k.delay_min_ms, k.delay_max_ms) * sim::kMillisecond;
  w.network.loss = k.loss;
  w.network.duplicate = k.dup;
  w.clock_drift_ppm = k.clock_drift_ppm;
  w.timer_jitter = k.clock_drift_ppm > 0 ? sim::kMillisecond : 0;
  w.torn_writes = k.torn;
  return w;
}

}  // namespace harness
