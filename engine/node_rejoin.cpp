// engine::Node's cluster identity: the data directory's identity file, the REJOIN a node without
// one proposes, and what it does once R decided (import its zone file, or copy a peer's
// datastore and never import). See engine/cluster_identity.h.

#include <algorithm>
#include <span>

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
  // Its raft vote record is new too: the votes it gave before a wipe are forgotten. Until R
  // decided, it votes only for candidates that know of no earlier life of it (vote_gate.h).
  identity_ = {0, options_.id, 0, {VoteGate::Kind::Undecided, 0}};
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
  // New to the cluster: it never voted before this data directory. Known: it may have voted in
  // terms it forgot; it votes again only after it is promoted back (on_own_promotion).
  if (identity_.votes.kind == VoteGate::Kind::Undecided)
    identity_.votes.kind = it->second.import ? VoteGate::Kind::Open : VoteGate::Kind::Closed;
  apply_vote_gate();
  save_identity();
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
  // A wiped origin of an import by copy R still holds may be the only one able to serve it: its
  // zone file stands in for the lost import file if the digest says it holds the same records.
  if (!import && own_import_copy_above(served_)) zone_fallback_ = std::move(zone_records_);
  zone_records_.clear();
  serve_pending_after(served_);
}

void Node::save_identity() {
  // A disk fault leaves it due: the file is written again once the disk works (node.cpp).
  try {
    identity_due_ = true;
    write_identity(disk_, identity_);
    identity_due_ = false;
  } catch (const DiskError& e) {
    on_disk_error(e);
  }
}

void Node::apply_vote_gate() {
  if (!raft_) return;
  // Set whatever the gate: as a candidate every node tells each voter what it knows of it. The
  // bug switch drops both sides (raft's rules alone, as before vote gates).
  raft_->set_vote_policy(options_.bugs.wiped_node_votes ? nullptr : this);
  if (identity_.votes == logged_gate_) return;
  logged_gate_ = identity_.votes;
  log(LogLevel::Info, fmt::format("votes: {}{}", describe(identity_.votes),
                                  options_.bugs.wiped_node_votes ? " (ignored: bug switch)" : ""));
}

VoterStanding Node::standing_in_log(NodeId node) const {
  // R as applied, then every entry this node holds beyond that: a node that just restarted has
  // applied only up to the commit index it had persisted.
  const std::vector<raft::Entry>& entries = raft_->log_entries();
  auto from =
      std::lower_bound(entries.begin(), entries.end(), state_.applied() + 1,
                       [](const raft::Entry& e, raft::Index index) { return e.index < index; });
  return standing_after(state_.identity(), state_.acked(node), node,
                        std::span<const raft::Entry>(from, entries.end()));
}

Bytes Node::vote_context(NodeId voter) const {
  return encode_standing(standing_in_log(voter));
}

bool Node::may_vote(raft::Term term, const Bytes& context) const {
  return gate_allows(identity_.votes, identity_.rejoin_nonce, standing_in_log(options_.id), term,
                     context);
}

void Node::on_own_promotion(raft::Term term) {
  if (identity_.votes.kind != VoteGate::Kind::Closed) return;
  // Any election this node's lost votes helped win had a term <= `term`: its demotion committed
  // on a quorum without this node, which shares a voter with that election's quorum; that voter
  // saw the old term before it took the demotion (design.md, "Why that is safe").
  identity_.votes = {VoteGate::Kind::AboveTerm, term};
  apply_vote_gate();
  save_identity();
}

std::string Node::holding_reason() const {
  if (awaiting_decision_)
    return "joining the cluster (waiting for its REJOIN to commit; no leader reachable yet?)";
  const TransferProgress& p = sink_.progress();
  if (!sink_.active() && copy_needed_ != 0)
    return fmt::format(
        "about to copy the datastore of a node that served the import by copy at "
        "index {} (none reachable yet)",
        copy_needed_);
  if (!sink_.active()) return "about to copy the datastore from a peer (no peer reachable yet)";
  return fmt::format(
      "copying the datastore from node {} (index {}, {} chunks, {} records, {} bytes so far)",
      p.peer, p.index, p.chunks, p.records, p.bytes);
}

}  // namespace engine
