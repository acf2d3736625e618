#pragma once
// The scenario table: named scenarios (random, partition, leader-crash, ..., the DNS ones) as
// sets of plainly named fault knobs, each with the bug switches it accepts and, for DNS
// scenarios, its scripted plan; and the run options that a scenario plus command-line overrides
// produce.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "harness/faults.h"
#include "sim/event_queue.h"
#include "sim/trace.h"
#include "sim/world.h"

namespace harness {

class DnsClusterRun;

// The phases of every scenario run: faults start after the warm-up (a first leader), the heal
// phase must converge within the bound, and convergence is polled at this interval.
inline constexpr sim::SimTime kWarmup = 1 * sim::kSecond;
inline constexpr sim::SimTime kHealBound = 30 * sim::kSecond;
inline constexpr sim::SimTime kPoll = 100 * sim::kMillisecond;

// Scripted events of a DNS scenario on top of its drawn fault schedule (dns_plans.h); called
// once the nodes are up, before the run starts.
using DnsPlan = void (*)(DnsClusterRun& run);

// Every knob of one run. A scenario fills in defaults; the command line may override each.
struct Knobs {
  std::size_t nodes = 3;
  double time_s = 10;  // length of the fault phase; the heal phase follows
  double loss = 0;
  double dup = 0;
  std::int64_t delay_min_ms = 1;
  std::int64_t delay_max_ms = 10;
  double crash_rate = 0;       // crashes per second of the fault phase
  double partition_rate = 0;   // link faults per second of the fault phase
  double disk_fault_rate = 0;  // DNS scenarios: disk faults per second of the fault phase
  std::int64_t clock_drift_ppm = 0;
  bool torn = false;
  std::int64_t checkpoint_ms = 300;  // DNS scenarios: the nodes' checkpoint interval
  // Raft sends snapshots larger than this in chunks; 0: raft's default (4 MiB, so the small
  // snapshots of a simulated run go whole). A few hundred bytes exercises chunked transfer.
  std::size_t snapshot_chunk_bytes = 0;
  // DNS scenarios: the chunk size of a datastore transfer's source (transfer_chunk_bytes); 0:
  // the engine's 1 MiB, so a simulated datastore goes in one chunk. The lifetime scenarios use
  // a few hundred bytes (wipe-rejoin, add-under-load), so a copy takes many chunks and a crash
  // can cut it short.
  std::size_t transfer_chunk_bytes = 0;
  // DNS scenarios: the nodes' max_pending_bytes (engine/pending_bound.h); 0: the default 64 MiB.
  std::uint64_t max_pending_bytes = 0;
  std::string bug;  // "" or one of the scenario's bugs (bug_switches.h)
  // Multi-site placement (harness/sites.h spec, "" for one site): per-link delays for the run.
  std::string sites;
  // DNS scenarios: the nodes' election timeout and heartbeat in ms (multiples of the 10 ms
  // tick); 0 keeps the defaults (100 ms and 20 ms).
  std::int64_t election_ms = 0;
  std::int64_t heartbeat_ms = 0;
  // DNS scenarios: the nodes run the raft log's fsync off their thread (NodeOptions::log_syncer),
  // finishing this many microseconds after it starts; 0: the fsync is inline.
  std::int64_t log_sync_us = 0;
  // DNS scenarios: the nodes write local-datastore snapshots (and checkpoints by snapshot) off
  // their thread (NodeOptions::worker), each finishing this many microseconds after it starts;
  // 0: inline.
  std::int64_t store_snapshot_us = 0;
  // DNS scenarios: a zone file of at least this many records is imported by copy
  // (NodeOptions::import_copy_records; engine/import_copy.h); 0: every import goes through raft.
  std::int64_t import_copy_records = 0;
  friend bool operator==(const Knobs&, const Knobs&) = default;
};

// What a scenario means beyond the knob values: which faults the rates turn into.
struct Scenario {
  std::string name;
  std::string summary;
  Knobs defaults;
  // Relative weights of the link-fault kinds partition_rate is spread over.
  double w_partition = 0, w_one_way = 0, w_isolate = 0, w_isolate_follower = 0, w_clog = 0;
  // Relative weights of the crash kinds crash_rate is spread over.
  double w_crash = 1, w_crash_leader = 0;
  // Relative weights of the disk-fault kinds disk_fault_rate is spread over.
  double w_disk_full = 0, w_fsync_fail = 0;
  sim::SimTime min_fault = 200 * sim::kMillisecond, max_fault = 3 * sim::kSecond;
  bool stable_leader = false;  // a healthy leader must never be deposed (rejoin-storm)
  double proposals_per_second = 20;
  // A DNS scenario (dns_cluster_run.h): whole engine::Node clusters, with `plan` (if any) on
  // top of the drawn fault schedule.
  bool dns = false;
  DnsPlan plan = nullptr;
  std::vector<std::string> bugs;  // the bug switches (bug_switches.h) --bug accepts here
  // Cluster lifetime scenarios (dns_lifecycle_plans.h): the last `spares` of the --nodes slots
  // are no members at first and stay down until the plan adds one (ADD-NODE) and starts it with
  // NodeOptions::join; and faults skip a node outside the cluster (a spare not yet added, a
  // member whose removal committed).
  std::size_t spares = 0;
  bool faults_skip_outsiders = false;
};

const std::vector<Scenario>& scenarios();
// Throws std::invalid_argument listing the known names.
const Scenario& find_scenario(const std::string& name);

// Everything needed to reproduce one run.
struct RunOptions {
  std::uint64_t seed = 1;
  std::string scenario = "random";
  Knobs knobs;
  // When set, replaces the schedule the scenario would draw (property tests).
  std::optional<std::vector<Fault>> schedule;
  bool trace = false;  // print every event to stderr
  // DNS scenarios: skip the direct checks of acks and pending drops against durable progress,
  // leaving only the outcome checks (restart loads, acknowledged writes, convergence) - to
  // measure how soon a broken engine loses data visibly.
  bool outcome_checks_only = false;
  // DNS scenarios: the client-observed history (history.h) is written here, one line per
  // operation; null: none (the run is the same either way: its trace hash does not change).
  std::ostream* history = nullptr;
  // DNS scenarios: no invariant is checked while the run goes on (only convergence is waited
  // for), so that a history shows what clients of a broken cluster see to the end.
  bool no_invariants = false;
  std::function<std::string(const sim::TraceEvent&)> trace_formatter;  // for `trace`
};

// Options for `scenario` with its defaults (throws on an unknown name).
RunOptions default_options(std::uint64_t seed, const std::string& scenario);
// The fault rates the knobs and scenario weights amount to.
FaultRates fault_rates(const Scenario& scenario, const Knobs& knobs);
// The simulated world the knobs describe (network delays, loss, duplication, drift, torn writes).
sim::WorldOptions world_options(const Knobs& knobs);
// "build/sim-runner --seed S --scenario X" plus every knob that differs from the scenario's.
std::string reproduce_command(const RunOptions& options);

}  // namespace harness
