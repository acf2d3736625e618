#pragma once
// Fault schedules: what goes wrong, when, and for how long. Scenarios draw a schedule from the
// seed; property tests generate one directly so that a failure shrinks to a minimal schedule.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/event_queue.h"
#include "sim/prng.h"

namespace harness {

enum class FaultKind : std::uint8_t {
  Crash,            // node a loses power, comes back after `duration`
  CrashLeader,      // whoever leads at that moment (or node a if none) crashes
  Isolate,          // node a cut off both ways
  IsolateFollower,  // a node that is not the leader (chosen then) cut off both ways
  Partition,        // nodes in bitmask a on one side, the rest on the other
  OneWay,           // messages a -> b are dropped
  Clog,             // messages a -> b are held until the fault ends
  DiskFull,         // node a's disk has no space: writes fail (ENOSPC, retry-safe)
  FsyncFail,        // node a's fsyncs fail (EIO, not retry-safe: the node needs a restart)
  IsolateLeader,    // whoever leads at that moment (or node a if none) cut off both ways
  Delay,            // messages a -> b wait delay_ms plus a uniform draw up to jitter_ms
  Loss,             // each message a -> b is lost with chance `loss` (the proxy: a cut stream)
};

const char* to_string(FaultKind kind);

// True for the kinds that hit a node's disk rather than its process or links.
bool is_disk_fault(FaultKind kind);

// One fault. Node numbers are 1..N; for Partition, `a` is a bitmask (bit n = node n). Delay and
// Loss with duration 0 last until the heal (in both worlds); the other kinds are undone after
// `duration` whatever it is.
struct Fault {
  sim::SimTime at = 0;
  FaultKind kind = FaultKind::Crash;
  std::uint64_t a = 1;
  std::uint64_t b = 2;
  sim::SimTime duration = sim::kSecond;
  std::uint32_t delay_ms = 0;   // Delay only
  std::uint32_t jitter_ms = 0;  // Delay only
  double loss = 0;              // Loss only, in [0, 1]
};

// True for the kinds that shape one directed link (Delay, Loss) rather than cut or hold it.
bool is_link_shaping(FaultKind kind);

std::string describe(const Fault& fault);
std::string describe(const std::vector<Fault>& schedule);

// A schedule as one command-line word: "kind@AT_MS/A/B/DURATION_MS,..." (sim-runner --faults,
// the fault proxy's --faults and `fault` command). Delay and Loss take more fields:
// "delay@AT_MS/A/B/DURATION_MS/DELAY_MS[/JITTER_MS]" and "loss@AT_MS/A/B/DURATION_MS/P".
std::string format_schedule(const std::vector<Fault>& schedule);
// Throws std::invalid_argument naming the bad item and field.
std::vector<Fault> parse_schedule(const std::string& text);

// How often each kind of fault happens (per second of the fault phase) and how long it lasts.
struct FaultRates {
  double crash = 0;             // random node crashes
  double crash_leader = 0;      // crash of the current leader
  double isolate = 0;           // random node isolated
  double isolate_follower = 0;  // a follower isolated (rejoin storms)
  double partition = 0;         // symmetric split
  double one_way = 0;           // one direction of one link
  double clog = 0;              // one link held
  double disk_full = 0;         // a node's disk full (DNS runs only)
  double fsync_fail = 0;        // a node's fsyncs failing (DNS runs only)
  sim::SimTime min_duration = 200 * sim::kMillisecond;
  sim::SimTime max_duration = 3 * sim::kSecond;
};

// A Poisson schedule of faults over [start, end) for a cluster of `nodes`.
std::vector<Fault> random_schedule(sim::Prng& prng, const FaultRates& rates, std::size_t nodes,
                                   sim::SimTime start, sim::SimTime end);

}  // namespace harness
