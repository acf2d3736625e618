#pragma once
// R's bound on `pending` (issue 11 item 4): the bound every replica enforces and the members R
// has stopped holding changes for ("laggards"). A member that has not acked while pending grew
// past the bound would make R (and raft's snapshot, which is R) grow without limit; instead R
// drops what only that member still needed, and the member copies a peer's datastore when it
// returns (engine/datastore_transfer.h). Its acks count again once it acks an index at or past
// what R has dropped.

#include <cstdint>
#include <map>
#include <vector>

#include "engine/io.h"
#include "raft/types.h"

namespace engine {

// Default of the cluster config's max_pending_bytes (and R's bound until a SetPendingBound
// commits).
inline constexpr std::uint64_t kDefaultMaxPendingBytes = std::uint64_t{64} << 20;

// The PendingBound section's content.
struct PendingBoundState {
  std::uint64_t max_pending_bytes = kDefaultMaxPendingBytes;
  // Member -> the index of the entry whose apply stopped holding changes for it.
  std::map<NodeId, raft::Index> laggards;
  bool operator==(const PendingBoundState&) const = default;
  // The state R has before any decision: no section is written for it.
  bool is_default() const {
    return max_pending_bytes == kDefaultMaxPendingBytes && laggards.empty();
  }
};

// u64 max_pending_bytes, u32 count, then per laggard u64 node and u64 index, ascending by node.
Bytes encode_pending_bound(const PendingBoundState& state);
// Throws raft::DecodeError naming the field: a bound below kMinPendingBound, laggards out of
// order or repeated, trailing bytes, or the default state (which is never written).
PendingBoundState decode_pending_bound(ByteView bytes);

// The members whose acks R stops counting when pending is over the bound: the counted members
// (not yet laggards) tied at the lowest ack, provided someone counted is ahead of them (else
// nothing would leave pending) and a majority of `voters` stays counted (the bound never costs
// the cluster the copies of a quorum). Empty when none may go.
std::vector<NodeId> laggards_to_drop(const std::map<NodeId, raft::Index>& acked,
                                     const std::map<NodeId, raft::Index>& laggards,
                                     const std::vector<NodeId>& voters);

}  // namespace engine
