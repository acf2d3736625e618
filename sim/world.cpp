#include "sim/world.h"

#include <fmt/core.h>

#include <stdexcept>

namespace sim {

World::World(std::uint64_t seed, WorldOptions options)
    : seed_(seed),
      options_(options),
      disk_prng_(Prng::stream(seed, "disk")),
      clocks_(options.nodes + 1),
      disks_(options.nodes + 1),
      crashed_(options.nodes + 1, false) {
  if (options.nodes == 0) throw std::invalid_argument("sim world: need at least one node");
  network_ = std::make_unique<Network>(queue_, trace_, Prng::stream(seed, "network"), options.nodes,
                                       options.network);
  Prng clock_prng = Prng::stream(seed, "clocks");
  for (engine::NodeId node = 1; node <= options.nodes; ++node) {
    const std::int64_t ppm = options.clock_drift_ppm;
    const std::int64_t drift =
        ppm > 0 ? static_cast<std::int64_t>(clock_prng.below(2 * ppm + 1)) - ppm : 0;
    // Clocks start at unrelated values: nothing may assume nodes agree on the time.
    const SimTime offset = static_cast<SimTime>(clock_prng.below(1000)) * kSecond;
    clocks_[node] = std::make_unique<SimClock>(queue_, clock_prng.fork(fmt::format("n{}", node)),
                                               drift, options.timer_jitter, offset);
    disks_[node] = std::make_unique<SimDisk>();
  }
}

void World::crash(engine::NodeId node) {
  if (crashed_.at(node)) return;
  crashed_[node] = true;
  clocks_[node]->drop_timers();
  network_->set_down(node, true);
  disks_[node]->crash(options_.torn_writes, disk_prng_);
  trace_.record({queue_.now(), EventKind::Crash, node, 0, 0, 0});
}

void World::restart(engine::NodeId node) {
  if (!crashed_.at(node)) return;
  crashed_[node] = false;
  network_->set_down(node, false);
  trace_.record({queue_.now(), EventKind::Restart, node, 0, 0, 0});
}

}  // namespace sim
