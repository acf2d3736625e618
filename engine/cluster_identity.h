#pragma once
// Cluster identity: the id a cluster gets when it is created, the import decisions R made for
// nodes that started without an identity file, and the highest index R ever dropped from
// pending. Kept in R (snapshot section StateSection::ClusterIdentity, identical on every
// replica) and, per node, in the data directory's `identity` file (cluster id + node id), so a
// data directory is never used by another node or in another cluster, and a node whose data
// directory was wiped never imports its zone file again.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>

#include "engine/command.h"
#include "engine/io.h"
#include "engine/vote_gate.h"
#include "raft/types.h"

namespace engine {

// What R decided for one node's latest REJOIN.
struct RejoinDecision {
  std::uint64_t nonce = 0;
  bool import = false;  // the node may import its zone file (the cluster never heard of it)
  friend bool operator==(const RejoinDecision&, const RejoinDecision&) = default;
};

// R's ClusterIdentity section.
struct IdentityState {
  std::uint64_t cluster_id = 0;     // 0: no REJOIN committed yet
  raft::Index dropped_through = 0;  // highest index ever dropped from pending
  std::map<NodeId, RejoinDecision> rejoins;
  std::set<NodeId> imported;  // IMPORTED committed
  // Voters whose REJOIN R decided as known (a wiped data directory: the node forgot the votes it
  // gave) and that are not demoted to learner yet: the leader demotes them (DemoteVoter).
  std::set<NodeId> to_demote;
  friend bool operator==(const IdentityState&, const IdentityState&) = default;
};

Bytes encode_identity_state(const IdentityState& state);
// Throws raft::DecodeError naming the field.
IdentityState decode_identity_state(ByteView bytes);

// The deterministic decision for a committed REJOIN: a node may import only if R has never
// decided for it, never seen it import and never seen it acknowledge anything (`acked`: its
// ACK index in R); a repeated REJOIN (same nonce) changes nothing. The first REJOIN sets the
// cluster id. Returns whether the state changed.
bool apply_rejoin(IdentityState& state, const Rejoin& rejoin, raft::Index acked);

// What `state` says of `node` to a voter deciding on a vote (VoterStanding); `acked`: its ACK
// index in R.
VoterStanding standing_of(const IdentityState& state, NodeId node, raft::Index acked);
// The same once `entries` (in log order, committed or not) were applied: what a node's whole raft
// log says of `node`. A restarted node applies its log only up to the commit index it persisted,
// which may lag far behind the entries it holds.
VoterStanding standing_after(IdentityState state, raft::Index acked, NodeId node,
                             std::span<const raft::Entry> entries);

// The data directory's identity file.
// Written before the node's first REJOIN (cluster id 0, its nonce), so a crash before the
// decision asks again with the same nonce and gets the same answer; rewritten with the cluster
// id once R decided.
struct DataDirIdentity {
  std::uint64_t cluster_id = 0;  // 0: R has not decided on this node's REJOIN yet
  NodeId node = 0;
  std::uint64_t rejoin_nonce = 0;
  // Which votes this node may give (docs/design.md, "Safe rejoin: votes"). It lives here, beside
  // the raft log, because it is about the data directory: a directory started without an
  // identity file has a vote record that may be missing votes given before.
  VoteGate votes{};
  friend bool operator==(const DataDirIdentity&, const DataDirIdentity&) = default;
};

// A data directory that belongs to another node or cluster, or an unreadable identity file: the
// node refuses to start (or stops) rather than mix two clusters' data.
class IdentityError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr const char* kIdentityFile = "identity";

// The identity file, or nullopt when there is none. Throws IdentityError on a damaged file.
std::optional<DataDirIdentity> read_identity(const Disk& disk);
// Writes it atomically and durably (Disk::replace).
void write_identity(Disk& disk, const DataDirIdentity& identity);
// Throws IdentityError when `found` (the file) is not this node's or not this cluster's
// (`cluster_id` 0: not known yet, not checked). `where` names the data directory.
void check_identity(const DataDirIdentity& found, NodeId self, std::uint64_t cluster_id,
                    const std::string& where);

}  // namespace engine
