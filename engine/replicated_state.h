#pragma once
// Raft's state machine R, identical on every node: the committed change batches not yet copied
// into every node's local datastore (`pending`, by log index) and, per node, the highest index
// it has durably copied (`acked`). When min(acked) reaches i, every replica drops pending <= i
// in the same apply step, so R (and the raft snapshots that are R) stays small.

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "engine/cluster_identity.h"
#include "engine/command.h"
#include "engine/state_sections.h"
#include "raft/message.h"
#include "raft/types.h"

namespace engine {

// What applying one committed entry did.
struct ApplyOutcome {
  enum Kind {
    Batch,           // a new change batch: now in pending at this index
    DuplicateBatch,  // a re-proposed batch already applied: ignored
    Ack,             // raised (or repeated) a node's acked index
    Noop,            // a leader's noop entry
    Identity,        // a REJOIN or IMPORTED (engine/cluster_identity.h)
    Invalid,         // bytes that are not a command, or an ACK from a non-member: ignored
  };
  Kind kind = Noop;
  const ChangeBatch* batch = nullptr;  // Batch: the stored batch (valid until the next apply)
  raft::Index dropped_through = 0;     // pending <= this was dropped by this step (0: none)
  std::string error;                   // Invalid: why
};

class ReplicatedState {
 public:
  // `members`: every node whose ack is needed before an entry may leave pending.
  explicit ReplicatedState(std::vector<NodeId> members);

  // Applies the next committed entry (index must be applied() + 1).
  ApplyOutcome apply(const raft::Entry& entry);
  // Encodes R as of applied(), for raft snapshots.
  Bytes snapshot() const;
  // Replaces R with a snapshot taken at `index` (throws raft::DecodeError when malformed).
  void restore(ByteView data, raft::Index index);

  const std::map<raft::Index, ChangeBatch>& pending() const { return pending_; }
  raft::Index acked(NodeId node) const;
  const std::map<NodeId, raft::Index>& acked() const { return acked_; }
  raft::Index min_acked() const;
  raft::Index applied() const { return applied_; }
  // Chained fingerprint of every entry applied (see entry_chain.h); part of the snapshot.
  std::uint64_t hash() const { return hash_; }
  std::size_t pending_changes() const { return pending_changes_; }
  // The pending batches' changes in their encoded size (engine/record_codec.h).
  std::size_t pending_bytes() const { return pending_bytes_; }

  // Extra state each feature keeps in R under its own tag (engine/state_sections.h); kept in
  // the snapshot, replaced on restore. A feature reads and writes only its own section.
  const StateSections& sections() const { return sections_; }
  void set_section(StateSection tag, Bytes payload);
  void clear_section(StateSection tag) { sections_.erase(tag); }

  // R's ClusterIdentity section (cluster id, import decisions, dropped_through), decoded; an
  // empty state when the section is absent.
  IdentityState identity() const;
  // Highest index ever dropped from pending: a local datastore below it lacks changes that only
  // a peer's datastore still has.
  raft::Index dropped_through() const { return identity().dropped_through; }

  // Test-only broken variant: drop pending once a majority (not all) acked.
  void set_drop_on_majority(bool on) { drop_on_majority_ = on; }

 private:
  raft::Index drop_threshold() const;
  void remember_request(NodeId origin, std::uint64_t request_id);
  void drop_acked(ApplyOutcome& outcome);

  std::vector<NodeId> members_;
  std::map<raft::Index, ChangeBatch> pending_;
  std::map<NodeId, raft::Index> acked_;
  raft::Index applied_ = 0;
  std::uint64_t hash_;
  std::size_t pending_changes_ = 0;
  std::size_t pending_bytes_ = 0;
  // Recently applied (origin, request id), oldest first, to skip re-proposed duplicates.
  std::deque<std::pair<NodeId, std::uint64_t>> recent_order_;
  std::set<std::pair<NodeId, std::uint64_t>> recent_;
  StateSections sections_;
  bool drop_on_majority_ = false;
};

// How many recent requests R remembers for duplicate detection (well above what one write
// timeout's worth of retries can produce).
inline constexpr std::size_t kRecentRequests = 16384;

}  // namespace engine
