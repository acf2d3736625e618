// DnsClusterRun's cluster-lifetime steps for the plans of dns_lifecycle_plans.h: spare slots
// added by ADD-NODE and started with NodeOptions::join, REMOVE-NODE, and disk wipes (a node
// whose data directory is erased comes back with the same id and must rejoin by transfer).

#include <fmt/core.h>

#include "harness/dns_cluster_run.h"

namespace harness {

bool DnsClusterRun::is_spare(engine::NodeId node) const {
  return node + scenario_.spares > nodes();
}

bool DnsClusterRun::in_play(engine::NodeId node) const {
  if (removed_.contains(node)) return false;
  return !is_spare(node) || joined_.contains(node);
}

bool DnsClusterRun::is_voter(engine::NodeId node) {
  const engine::Node* most = nullptr;
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (driver(n) && (!most || driver(n)->node().state().applied() > most->state().applied()))
      most = &driver(n)->node();
  return most && most->state().members().membership.is_voter(node);
}

void DnsClusterRun::propose_add(engine::NodeId node) {
  const engine::NodeId leader = cluster_.leader();
  if (leader == 0 || !driver(leader)) return;
  // The simulator needs no addresses: the context (dns-node's address book) stays empty.
  driver(leader)->node().add_node(node, {}, [](const engine::WriteResult&) {});
}

void DnsClusterRun::propose_remove(engine::NodeId node) {
  const engine::NodeId leader = cluster_.leader();
  if (leader == 0 || !driver(leader)) return;
  driver(leader)->node().remove_node(node, [](const engine::WriteResult&) {});
}

void DnsClusterRun::start_joiner(engine::NodeId node) {
  if (!joined_.insert(node).second) return;
  cluster_.node_options().joiners.insert(node);
  if (history_) history_->added({0, node, world().now()});
  start_or_retry(node);
}

void DnsClusterRun::wipe(engine::NodeId node) {
  crash(node);
  world().disk(node) = sim::SimDisk{};
  ++wipes_;
  world().trace().record({world().now(), sim::EventKind::Note, node, kDnsWipeNote, 0, 0});
  raft_checks_.on_wiped(node);
  dns_checks_.on_wiped(node);
}

}  // namespace harness
