#pragma once
// The raft safety invariants, checked incrementally after every simulated event: at most one
// leader per term, one vote per term, log matching, leader completeness, state-machine safety,
// terms and commit indexes that never go back (also across restarts), snapshot <= commit, and,
// for the rejoin-storm scenario, a healthy leader that is never deposed.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "harness/invariant_violation.h"
#include "harness/log_fingerprints.h"
#include "raft/raft.h"

namespace harness {

// Cluster-wide knowledge accumulated from every node's observable state.
class RaftInvariants {
 public:
  explicit RaftInvariants(std::size_t nodes);

  // rejoin-storm: from `after` on, the first leader's term must stay the highest term.
  void require_stable_leader(std::int64_t after_ns) { stable_after_ = after_ns; }
  // The heal phase restarts every node, the leader included: a new term is then legitimate.
  void stop_requiring_stable_leader() { stable_after_ = -1, stable_term_ = 0; }

  // A node persisted (fsynced) an entry whose prefix fingerprint is `fingerprint`.
  void on_persisted_entry(raft::NodeId node, const raft::Entry& entry, std::uint64_t fingerprint);
  void on_persisted_hard_state(raft::NodeId node, const raft::HardState& hs);
  // A node restarted with this hard state read back from its disk.
  void on_restart(raft::NodeId node, const raft::HardState& restored);
  // A node's disk was wiped (lifecycle scenarios): its durable hard state is gone, so the
  // durable-state checks start over from nothing. Votes it granted before still count: voting
  // again in such a term is a double vote.
  void on_wiped(raft::NodeId node);
  // A node granted its vote (VoteResponse without reject) in `term`.
  void on_vote_granted(raft::NodeId voter, raft::Term term, raft::NodeId candidate);
  // A node's state machine reached `index` with chain hash `fingerprint` (apply or snapshot).
  void on_applied(raft::NodeId node, raft::Index index, std::uint64_t fingerprint);
  // After every event that touched `node`: role, term, commit and the log it persisted.
  void observe(raft::NodeId node, const raft::Status& status, const LogFingerprints& log,
               std::int64_t now_ns);

  // The highest committed index anyone has reported, and its fingerprint.
  raft::Index max_committed() const { return chain_.size() - 1; }
  std::uint64_t committed_fingerprint(raft::Index index) const;
  raft::Term highest_term() const { return highest_term_; }
  std::size_t elections() const { return leaders_.size(); }

 private:
  void record_committed(raft::NodeId node, raft::Index index, std::uint64_t fingerprint,
                        raft::Term term);
  void check_leader_completeness(raft::NodeId node, raft::Term term, const LogFingerprints& log);

  // Per node, what it showed last (reset on restart where the process's memory is gone).
  struct NodeView {
    raft::Term term = 0;
    raft::Index commit = 0;
    raft::Index recorded_commit = 0;  // commits up to here are in chain_
    raft::Term leader_term = 0;       // last term in which it was seen leading
    raft::HardState persisted;        // the last hard state it fsynced
  };
  std::vector<NodeView> nodes_;
  std::map<raft::Term, raft::NodeId> leaders_;
  std::map<std::pair<raft::Term, raft::NodeId>, raft::NodeId> votes_;  // (term, voter) -> cand.
  // (index, term) -> prefix fingerprint, for log matching.
  struct IndexTermHash {
    std::size_t operator()(const std::pair<raft::Index, raft::Term>& k) const {
      return std::hash<std::uint64_t>()(k.first * 0x9E3779B97F4A7C15ULL ^ k.second);
    }
  };
  std::unordered_map<std::pair<raft::Index, raft::Term>, std::uint64_t, IndexTermHash> seen_;
  // Committed prefix: chain_[i] = fingerprint at i (0 = not known, e.g. inside a snapshot),
  // commit_term_[i] = lowest term in which anyone reported i committed.
  std::vector<std::uint64_t> chain_{kEmptyChain};
  std::vector<raft::Term> commit_term_{0};
  raft::Term highest_term_ = 0;
  std::int64_t stable_after_ = -1;
  raft::Term stable_term_ = 0;
};

}  // namespace harness
