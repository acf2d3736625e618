#pragma once
// Everything one simulated run shares: the event queue, the trace, the network, and per node a
// clock and a disk. Built from one seed; each part draws from its own named PRNG stream.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sim/event_queue.h"
#include "sim/network.h"
#include "sim/prng.h"
#include "sim/sim_clock.h"
#include "sim/sim_disk.h"
#include "sim/trace.h"

namespace sim {

// Knobs of the physical world (network, clocks, disks); the workload and faults live above.
struct WorldOptions {
  std::size_t nodes = 3;
  NetworkOptions network;
  std::int64_t clock_drift_ppm = 0;  // each node's drift is uniform in [-ppm, +ppm]
  SimTime timer_jitter = 0;          // each timer fires up to this much late
  bool torn_writes = false;          // crashes keep a random prefix of unsynced appends
};

// The simulated machines and wires of one run (nodes are numbered 1..N).
class World {
 public:
  World(std::uint64_t seed, WorldOptions options);

  EventQueue& queue() { return queue_; }
  Trace& trace() { return trace_; }
  Network& network() { return *network_; }
  SimClock& clock(engine::NodeId node) { return *clocks_.at(node); }
  SimDisk& disk(engine::NodeId node) { return *disks_.at(node); }
  // A PRNG stream for a named purpose ("workload", "faults", ...), independent of the others.
  Prng stream(std::string_view name) const { return Prng::stream(seed_, name); }
  SimTime now() const { return queue_.now(); }
  std::uint64_t seed() const { return seed_; }
  const WorldOptions& options() const { return options_; }
  std::size_t nodes() const { return options_.nodes; }
  bool alive(engine::NodeId node) const { return !crashed_.at(node); }

  // Power cut on `node`: timers and in-flight messages to it vanish, unsynced disk data is lost.
  void crash(engine::NodeId node);
  // The machine is back (the caller rebuilds the process from disk()).
  void restart(engine::NodeId node);

 private:
  std::uint64_t seed_;
  WorldOptions options_;
  EventQueue queue_;
  Trace trace_;
  Prng disk_prng_;
  std::unique_ptr<Network> network_;
  std::vector<std::unique_ptr<SimClock>> clocks_;  // index 0 unused
  std::vector<std::unique_ptr<SimDisk>> disks_;    // index 0 unused
  std::vector<bool> crashed_;
};

}  // namespace sim
