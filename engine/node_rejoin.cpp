// engine::Node's cluster identity: the data directory's identity file, the REJOIN a node without
// one proposes, and what it does once R decided (import its zone file, or copy a peer's
// datastore and never import). See engine/cluster_identity.h.

#include <fmt/core.h>

#include "engine/node.h"

namespace engine {

void Node::load_identity() {
  if (std::optional<DataDirIdentity> found = read_identity(disk_)) {
    check_identity(*found, options_.id, 0, options_.data_dir_name);
    identity_ = *found;
    awaiting_decision_ = identity_.cluster_id == 0;
    return;
  }
  // No identity file: a new data directory (or one from before identity files). Whether this
  // node may import its zone file is for R to decide, once its REJOIN commits; the nonce is
  // durable first, so a crash before the decision asks again with the same nonce.
  identity_ = {0, options_.id, 0};
  while (identity_.rejoin_nonce == 0) identity_.rejoin_nonce = random_.next_u64();
  write_identity(disk_, identity_);
  awaiting_decision_ = true;
}

void Node::check_cluster_identity() {
  const std::uint64_t cluster = state_.identity().cluster_id;
  if (cluster == 0 || identity_.cluster_id == 0 || cluster == identity_.cluster_id) return;
  const std::string where = options_.data_dir_name;
  if (!raft_) check_identity(identity_, options_.id, cluster, where);  // throws: refuse to start
  try {
    check_identity(identity_, options_.id, cluster, where);
  } catch (const IdentityError& e) {
    log(LogLevel::Error, fmt::format("{}; this node stops", e.what()));
    stop();
  }
}

void Node::propose_rejoin() {
  next_rejoin_ = clock_.now() + options_.retry_interval;
  if (disk_fault_ || stopped_) return;
  std::uint64_t candidate = 0;
  while (candidate == 0) candidate = random_.next_u64();
  raft_->propose(encode_command(Rejoin{options_.id, identity_.rejoin_nonce, candidate}));
  process_soon();
}

void Node::check_rejoin_decision() {
  if (!awaiting_decision_) return;
  const IdentityState state = state_.identity();
  auto it = state.rejoins.find(options_.id);
  if (it == state.rejoins.end() || it->second.nonce != identity_.rejoin_nonce) return;
  awaiting_decision_ = false;
  identity_.cluster_id = state.cluster_id;
  try {
    identity_due_ = true;
    write_identity(disk_, identity_);
    identity_due_ = false;
  } catch (const DiskError& e) {
    on_disk_error(e);
  }
  const bool import = it->second.import || options_.bugs.reimport_after_wipe;
  log(LogLevel::Info,
      fmt::format("cluster {:016x}: {}", state.cluster_id,
                  import      ? "this node is new to the cluster and imports its zone file"
                  : imported_ ? "this node's data directory is known to the cluster"
                              : "the cluster already knew this node (its data directory was "
                                "wiped or replaced): its zone file is not imported again; it "
                                "takes the cluster's data"));
  if (!imported_) {
    if (import) {
      start_import(std::move(zone_records_));
    } else {
      try {
        mark_imported();
      } catch (const DiskError& e) {
        on_disk_error(e);
      }
    }
  }
  zone_records_.clear();
  serve_pending_after(served_);
}

std::string Node::holding_reason() const {
  if (awaiting_decision_)
    return "joining the cluster (waiting for its REJOIN to commit; no leader reachable yet?)";
  const TransferProgress& p = sink_.progress();
  if (!sink_.active()) return "about to copy the datastore from a peer (no peer reachable yet)";
  return fmt::format(
      "copying the datastore from node {} (index {}, {} chunks, {} records, {} bytes so far)",
      p.peer, p.index, p.chunks, p.records, p.bytes);
}

}  // namespace engine
