#pragma once
// Raft's state machine R, identical on every node: the committed change batches not yet copied
// into every node's local datastore (`pending`, by log index) and, per node, the highest index
// it has durably copied (`acked`). When min(acked) reaches i, every replica drops pending <= i
// in the same apply step, so R (and the raft snapshots that are R) stays small. When pending
// outgrows its bound (engine/pending_bound.h), R stops counting the acks of the member furthest
// behind, which then needs a datastore transfer, until it acks past what R dropped.

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/cluster_identity.h"
#include "engine/command.h"
#include "engine/member_set.h"
#include "engine/pending_bound.h"
#include "engine/state_sections.h"
#include "engine/update_codec.h"
#include "raft/message.h"
#include "raft/types.h"

namespace engine {

// What applying one committed entry did.
struct ApplyOutcome {
  enum Kind {
    Batch,           // a new change batch (or UPDATE, see `update`): now in pending here
    DuplicateBatch,  // a re-proposed batch already applied: ignored
    Ack,             // raised (or repeated) a node's acked index
    Noop,            // a leader's noop entry
    MemberChange,    // a ConfChange entry changed the member set (acks follow it)
    Identity,        // a REJOIN or IMPORTED (engine/cluster_identity.h)
    Bound,           // a SetPendingBound: R's bound on pending changed
    Invalid,         // bytes that are not a command, or an ACK from a non-member: ignored
  };
  Kind kind = Noop;
  const ChangeBatch* batch = nullptr;  // Batch: the stored batch (valid until the next apply)
  // DuplicateBatch: whose request it repeats.
  NodeId origin = raft::kNoNode;
  std::uint64_t request_id = 0;
  // Batch of an UPDATE: the request, whose changes are only known once evaluated against the
  // state as of this index (the batch itself then holds no changes).
  const PendingUpdate* update = nullptr;
  raft::Index dropped_through = 0;  // pending <= this was dropped by this step (0: none)
  // Members this step stopped holding changes for (pending was over its bound).
  std::vector<NodeId> new_laggards;
  // A laggard whose ack counts again (it acked past what R dropped), or kNoNode.
  NodeId caught_up = raft::kNoNode;
  std::string error;  // Invalid: why
};

class ReplicatedState {
 public:
  // `members`: the bootstrap voters, every node whose ack is needed before an entry may leave
  // pending until ConfChange entries change the member set (then acked follows the committed
  // voters and learners: an added member starts at the index up to which pending was dropped,
  // since it needs what is still pending; a removed member's ack is dropped at once).
  explicit ReplicatedState(std::vector<NodeId> members);

  // Applies the next committed entry (index must be applied() + 1).
  ApplyOutcome apply(const raft::Entry& entry);
  // Encodes R as of applied(), for raft snapshots.
  Bytes snapshot() const;
  // Replaces R with a snapshot taken at `index` (throws raft::DecodeError when malformed).
  void restore(ByteView data, raft::Index index);

  const std::map<raft::Index, ChangeBatch>& pending() const { return pending_; }
  // The UPDATE requests among the pending entries (each also has an empty batch in pending()),
  // kept in the snapshot's PendingUpdates section while there are any.
  const std::map<raft::Index, PendingUpdate>& pending_updates() const { return pending_updates_; }
  const PendingUpdate* pending_update(raft::Index index) const;
  raft::Index acked(NodeId node) const;
  // Every member's ack, laggards' included (theirs no longer hold anything in pending).
  const std::map<NodeId, raft::Index>& acked() const { return acked_; }
  // The lowest ack that holds pending: over the members that are not laggards.
  raft::Index min_acked() const;
  raft::Index applied() const { return applied_; }
  // Chained fingerprint of every entry applied (see entry_chain.h); part of the snapshot.
  std::uint64_t hash() const { return hash_; }
  std::size_t pending_changes() const { return pending_changes_; }
  // What pending holds, in encoded bytes: the batches' changes (engine/record_codec.h) plus the
  // pending UPDATE requests. Kept within pending_bound().max_pending_bytes after every apply
  // unless no member may be dropped (see laggards_to_drop).
  std::size_t pending_bytes() const { return pending_bytes_; }
  // The bound every replica enforces (from the last SetPendingBound, else the default) and the
  // members R holds nothing for until they copy a peer's datastore and ack again.
  const PendingBoundState& pending_bound() const { return bound_; }
  bool needs_transfer(NodeId node) const { return bound_.laggards.contains(node); }

  // Extra state each feature keeps in R under its own tag (engine/state_sections.h); kept in
  // the snapshot, replaced on restore. A feature reads and writes only its own section.
  // The committed members as of applied(): voters, learners, when and how each was added.
  const MemberSet& members() const { return members_; }

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
  // Test-only broken variant: a removed member's ack stays, so pending never drops without it.
  void set_keep_removed_acks(bool on) { keep_removed_acks_ = on; }
  // Test-only broken variant: pending is never bounded (no member is ever dropped).
  void set_ignore_pending_bound(bool on) { ignore_pending_bound_ = on; }

 private:
  raft::Index drop_threshold() const;
  void remember_request(NodeId origin, std::uint64_t request_id);
  void drop_acked(ApplyOutcome& outcome);
  void apply_conf_change(const raft::Entry& entry, ApplyOutcome& outcome);
  void enforce_bound(ApplyOutcome& outcome);
  void apply_ack(const raft::Entry& entry, const Ack& ack, ApplyOutcome& outcome);

  MemberSet members_;
  std::map<raft::Index, ChangeBatch> pending_;
  std::map<raft::Index, PendingUpdate> pending_updates_;
  std::map<NodeId, raft::Index> acked_;
  raft::Index applied_ = 0;
  std::uint64_t hash_;
  std::size_t pending_changes_ = 0;
  std::size_t pending_bytes_ = 0;
  // Recently applied (origin, request id), oldest first, to skip re-proposed duplicates. The
  // lookup set is a hash set (a tree cost 4% of a node's CPU under a write load); nothing
  // iterates it, so its order cannot reach R's encoding or hash.
  struct RequestHash {
    std::size_t operator()(const std::pair<NodeId, std::uint64_t>& r) const {
      return std::hash<std::uint64_t>{}(r.second ^ (r.first * 0x9E3779B97F4A7C15ULL));
    }
  };
  std::deque<std::pair<NodeId, std::uint64_t>> recent_order_;
  std::unordered_set<std::pair<NodeId, std::uint64_t>, RequestHash> recent_;
  StateSections sections_;
  PendingBoundState bound_;  // snapshot section PendingBound unless it is the default
  bool drop_on_majority_ = false;
  bool keep_removed_acks_ = false;
  bool ignore_pending_bound_ = false;
};

// How many recent requests R remembers for duplicate detection (well above what one write
// timeout's worth of retries can produce).
inline constexpr std::size_t kRecentRequests = 16384;

}  // namespace engine
