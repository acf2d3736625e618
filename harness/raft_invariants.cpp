#include "harness/raft_invariants.h"

#include <fmt/core.h>

#include <limits>

namespace harness {

namespace {
constexpr raft::Term kUnknownTerm = std::numeric_limits<raft::Term>::max();
}

RaftInvariants::RaftInvariants(std::size_t nodes) : nodes_(nodes + 1) {}

std::uint64_t RaftInvariants::committed_fingerprint(raft::Index index) const {
  return index < chain_.size() ? chain_[index] : 0;
}

void RaftInvariants::on_persisted_entry(raft::NodeId node, const raft::Entry& entry,
                                        std::uint64_t fingerprint) {
  auto [it, inserted] = seen_.try_emplace({entry.index, entry.term}, fingerprint);
  if (!inserted && it->second != fingerprint)
    throw InvariantViolation(
        "log matching",
        fmt::format("n{} persisted entry index {} term {} whose log prefix differs from another "
                    "node's entry with the same index and term",
                    node, entry.index, entry.term));
}

void RaftInvariants::on_persisted_hard_state(raft::NodeId node, const raft::HardState& hs) {
  NodeView& v = nodes_.at(node);
  if (hs.term < v.persisted.term)
    throw InvariantViolation("term never decreases", fmt::format("n{} persisted term {} after {}",
                                                                 node, hs.term, v.persisted.term));
  if (hs.commit < v.persisted.commit)
    throw InvariantViolation(
        "commit never decreases",
        fmt::format("n{} persisted commit {} after {}", node, hs.commit, v.persisted.commit));
  v.persisted = hs;
}

void RaftInvariants::on_restart(raft::NodeId node, const raft::HardState& restored) {
  NodeView& v = nodes_.at(node);
  if (restored.term < v.persisted.term || restored.commit < v.persisted.commit)
    throw InvariantViolation(
        "durable hard state",
        fmt::format("n{} restarted with term {} commit {} but had fsynced term {} commit {}", node,
                    restored.term, restored.commit, v.persisted.term, v.persisted.commit));
  // The process's memory is gone: monotonicity restarts from what the disk says.
  v.term = restored.term;
  v.commit = 0;
  v.recorded_commit = 0;
  v.leader_term = 0;
}

void RaftInvariants::on_wiped(raft::NodeId node) {
  nodes_.at(node) = NodeView{};
}

void RaftInvariants::on_vote_granted(raft::NodeId voter, raft::Term term, raft::NodeId candidate) {
  auto [it, inserted] = votes_.try_emplace({term, voter}, candidate);
  if (!inserted && it->second != candidate)
    throw InvariantViolation("one vote per term",
                             fmt::format("n{} voted for n{} and then for n{} in term {}", voter,
                                         it->second, candidate, term));
}

void RaftInvariants::on_applied(raft::NodeId node, raft::Index index, std::uint64_t fingerprint) {
  if (index >= chain_.size()) {
    chain_.resize(index + 1, 0);
    commit_term_.resize(index + 1, kUnknownTerm);
  }
  if (chain_[index] == 0) {
    chain_[index] = fingerprint;
  } else if (chain_[index] != fingerprint) {
    throw InvariantViolation(
        "state machine safety",
        fmt::format("n{} applied a different entry (or history) at index {} than another node",
                    node, index));
  }
}

void RaftInvariants::record_committed(raft::NodeId node, raft::Index index,
                                      std::uint64_t fingerprint, raft::Term term) {
  if (index >= chain_.size()) {
    chain_.resize(index + 1, 0);
    commit_term_.resize(index + 1, kUnknownTerm);
  }
  if (chain_[index] != 0 && chain_[index] != fingerprint)
    throw InvariantViolation(
        "committed entries never change",
        fmt::format("n{} has index {} committed with a different log prefix than another node",
                    node, index));
  chain_[index] = fingerprint;
  commit_term_[index] = std::min(commit_term_[index], term);
}

void RaftInvariants::check_leader_completeness(raft::NodeId node, raft::Term term,
                                               const LogFingerprints& log) {
  // The highest index known committed in an earlier term: its fingerprint covers all before it.
  for (raft::Index i = chain_.size() - 1; i > 0; --i) {
    if (chain_[i] == 0 || commit_term_[i] >= term) continue;
    if (i > log.last())
      throw InvariantViolation(
          "leader completeness",
          fmt::format("n{} became leader of term {} with last index {} but index {} was "
                      "committed in term {}",
                      node, term, log.last(), i, commit_term_[i]));
    if (i < log.base()) return;  // inside its snapshot; the snapshot was checked when applied
    if (*log.at(i) != chain_[i])
      throw InvariantViolation(
          "leader completeness",
          fmt::format("n{} became leader of term {} with a log that differs at committed index "
                      "{} (committed in term {})",
                      node, term, i, commit_term_[i]));
    return;
  }
}

void RaftInvariants::observe(raft::NodeId node, const raft::Status& s, const LogFingerprints& log,
                             std::int64_t now_ns) {
  NodeView& v = nodes_.at(node);
  if (s.term < v.term)
    throw InvariantViolation("term never decreases",
                             fmt::format("n{} went from term {} to {}", node, v.term, s.term));
  if (s.commit < v.commit)
    throw InvariantViolation("commit never decreases", fmt::format("n{} went from commit {} to {}",
                                                                   node, v.commit, s.commit));
  if (s.snapshot_index > s.commit)
    throw InvariantViolation(
        "snapshot index <= commit",
        fmt::format("n{} has snapshot index {} but commit {}", node, s.snapshot_index, s.commit));
  v.term = s.term;
  v.commit = s.commit;
  if (s.term > highest_term_) highest_term_ = s.term;

  if (s.role == raft::Role::Leader && v.leader_term != s.term) {
    auto [it, inserted] = leaders_.try_emplace(s.term, node);
    if (!inserted && it->second != node)
      throw InvariantViolation(
          "at most one leader per term",
          fmt::format("n{} and n{} both lead term {}", it->second, node, s.term));
    v.leader_term = s.term;
    check_leader_completeness(node, s.term, log);
  }
  if (s.role == raft::Role::Leader && stable_after_ >= 0 && stable_term_ == 0 &&
      now_ns >= stable_after_)
    stable_term_ = s.term;

  if (s.commit > v.recorded_commit) {
    for (raft::Index i = std::max(v.recorded_commit + 1, log.base()); i <= s.commit; ++i)
      if (auto fp = log.at(i)) record_committed(node, i, *fp, s.term);
    v.recorded_commit = s.commit;
  }

  if (stable_term_ != 0 && s.term > stable_term_)
    throw InvariantViolation(
        "stable leader",
        fmt::format("n{} reached term {} although the leader of term {} was never cut off from "
                    "a majority (pre-vote/check-quorum should stop rejoining nodes disrupting it)",
                    node, s.term, stable_term_));
}

}  // namespace harness
