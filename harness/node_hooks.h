#pragma once
// What a simulated node driver is built with: the world it runs in, the links it sends on, the
// invariant checkers it feeds (null: unchecked, as in the benchmarks) and the hooks through which
// runs and experiments watch node events. Every hook is optional.

#include <cstdint>
#include <functional>

#include "dns/zone_db.h"
#include "engine/command.h"
#include "harness/command_log.h"
#include "raft/raft.h"
#include "sim/world.h"

namespace harness {

class DnsInvariants;
class RaftInvariants;
class SimLinks;

// Node events a run or an experiment can watch; set them on SimCluster::hooks().
struct NodeHooks {
  // A Ready was persisted (raft nodes with a disk latency: once that write completed).
  std::function<void(raft::NodeId node, const raft::Ready& ready)> persisted;
  // Raft nodes: the node's role, term or known leader changed, right after the tick or message
  // that changed it (so a candidacy that ends within one step is still seen).
  std::function<void(raft::NodeId node, raft::Role role, raft::Term term, raft::NodeId leader)>
      changed;
  // Raft nodes: an entry (of any kind) was applied.
  std::function<void(raft::NodeId node, const raft::Entry& entry)> applied;
  // Raft nodes: a command this node proposed was applied here (the client's acknowledgement).
  std::function<void(raft::NodeId node, CommandId command)> acknowledged;
  // DNS nodes: a committed batch reached the node's serving database.
  std::function<void(raft::NodeId node, raft::Index index, const engine::ChangeBatch& batch,
                     const dns::Database& serving)>
      served;
  // DNS nodes: the node's replicated state dropped pending batches <= index.
  std::function<void(raft::NodeId node, raft::Index index)> pending_dropped;
  // DNS nodes: the node is disk-faulted in a way only a restart recovers from
  // (DiskFaultStatus::restart_needed); called once per process. An operator would restart it.
  std::function<void(raft::NodeId node)> restart_needed;
  // DNS nodes: the node installed a copy of a peer's datastore of `bytes` payload bytes.
  std::function<void(raft::NodeId node, std::uint64_t bytes)> transfer_installed;
  // DNS nodes: the node took up a copy it had staged before a restart.
  std::function<void(raft::NodeId node)> transfer_resumed;
};

// The surroundings of one node process (see above).
struct NodeEnv {
  sim::World& world;
  SimLinks& links;
  const NodeHooks& hooks;
  RaftInvariants* raft_checks = nullptr;
  DnsInvariants* dns_checks = nullptr;
};

}  // namespace harness
