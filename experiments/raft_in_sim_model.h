#pragma once
// What raft-in-sim's experiments configure: the cluster its flags describe, as a
// harness::SimCluster of raft nodes (FIFO or reordering links, a disk modelled by its latency
// only), and the command encoding its closed-loop clients use.

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "experiments/sim_measure.h"
#include "harness/raft_node_driver.h"
#include "harness/sim_cluster.h"
#include "raft/codec.h"
#include "raft/raft.h"

namespace raft_in_sim {

using raft::Index;
using raft::NodeId;
using raft::Term;
using sim::kMillisecond;
using sim::kSecond;
using sim::SimTime;
using sim_measure::to_ms;

constexpr SimTime kMicrosecond = 1'000;

using BenchNode = harness::RaftNodeDriver;
using BenchCluster = harness::SimCluster<BenchNode>;

// Raft and physical settings of one simulated cluster. The simulator itself gives disk writes
// and computation zero duration; `fsync` is what this benchmark adds so that batching has the
// cost it has on a real machine (one durable write per Ready, however many entries it holds).
struct ClusterModel {
  std::size_t nodes = 3;
  SimTime tick = 10 * kMillisecond;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  bool pre_vote = true;
  bool check_quorum = raft::Config{}.check_quorum;
  SimTime fsync = 500 * kMicrosecond;
  SimTime delay_min = 1 * kMillisecond;  // one-way link delay: min + exponential tail, capped
  SimTime delay_max = 2 * kMillisecond;
  bool fifo_links = true;  // false: sim::Network as sim-runner uses it (messages may overtake)
  std::size_t max_inflight = 64;
  Index compact_every = 4096;
};

// The machines and wires: FIFO links (TCP-like streams) or sim::Network's reordering ones, with
// the model's delay law either way.
inline harness::ClusterOptions cluster_options(const ClusterModel& m) {
  harness::ClusterOptions o;
  o.world.nodes = m.nodes;
  o.world.network.min_delay = m.delay_min;
  o.world.network.max_delay = m.delay_max;
  o.links.kind = m.fifo_links ? harness::LinkKind::Fifo : harness::LinkKind::Reordering;
  o.links.fifo_delay = m.delay_min;
  o.links.fifo_tail_cap = static_cast<double>(std::max<SimTime>(0, m.delay_max - m.delay_min));
  o.links.fifo_stream = "fifo-links";
  return o;
}

// The raft nodes. They never restart here, so the log is not written anywhere (sim-runner
// covers persistence; SimDisk::sync copies the whole file, which made long logs quadratic): the
// disk is modelled by its latency only. Nodes boot at different instants, so their ticks are not
// in lockstep.
inline harness::RaftDriverOptions node_options(const ClusterModel& m) {
  harness::RaftDriverOptions o;
  o.tick = m.tick;
  o.election_ticks = m.election_ticks;
  o.heartbeat_ticks = m.heartbeat_ticks;
  o.pre_vote = m.pre_vote;
  o.check_quorum = m.check_quorum;
  o.max_inflight_appends = m.max_inflight;
  o.compact_every = m.compact_every;
  o.persist = false;
  o.fsync = m.fsync;
  o.random_tick_phase = true;
  o.trace = false;  // nothing here checks determinism or compares replicas by hash
  o.hash_applied = false;
  o.random_stream = "bench-n{node}";
  return o;
}

// Waits for the first leader to commit in its own term; throws naming the seed if it does not.
inline NodeId settle(BenchCluster& cluster, std::uint64_t seed, SimTime bound) {
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

// Command layout in an entry: [u64 first id][u32 count][count x 16 payload bytes].
constexpr std::size_t kCommandBytes = 16;

inline raft::Bytes encode_commands(std::uint64_t first, std::uint32_t count) {
  raft::Bytes out;
  out.reserve(12 + count * kCommandBytes);
  raft::ByteWriter w(out);
  w.u64(first);
  w.u32(count);
  out.resize(12 + count * kCommandBytes, 0);
  return out;
}

inline std::pair<std::uint64_t, std::uint32_t> decode_commands(const raft::Bytes& data) {
  if (data.size() < 12) return {0, 0};
  raft::ByteReader r(data);
  const std::uint64_t first = r.u64("first command id");
  return {first, r.u32("command count")};
}

}  // namespace raft_in_sim
