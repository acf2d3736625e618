#pragma once
// A cluster configuration (voters and learners) and the rules of single-server changes to it
// (Raft thesis §4.1): one node added as a learner, promoted to voter, or removed at a time, so
// any majority of the old voters overlaps any majority of the new ones.

#include <optional>
#include <string>
#include <vector>

#include "raft/types.h"

namespace raft {

// Who is in the cluster: voters elect leaders and form commit quorums; learners only replicate.
struct Membership {
  std::vector<NodeId> voters{};    // sorted, unique
  std::vector<NodeId> learners{};  // sorted, unique, disjoint from voters

  bool is_voter(NodeId id) const;
  bool is_learner(NodeId id) const;
  bool contains(NodeId id) const { return is_voter(id) || is_learner(id); }
  size_t quorum() const { return voters.size() / 2 + 1; }
  friend bool operator==(const Membership&, const Membership&) = default;
};

// Sorts and deduplicates both lists; nullopt if they overlap, if there is no voter, or if
// kNoNode is listed: such a configuration cannot have come from a real cluster.
std::optional<Membership> make_membership(std::vector<NodeId> voters, std::vector<NodeId> learners);
std::optional<Membership> membership_of(const SnapshotMeta& meta);

// Why `change` cannot be applied to `current` ("node 4 is already a learner"), or "" if it can.
// Adding a member, promoting a non-learner, demoting a non-voter, removing a stranger and
// removing or demoting the last voter are refused.
std::string conf_change_problem(const Membership& current, const ConfChange& change);
// `current` with `change` applied; `current` unchanged if conf_change_problem() objects (every
// node skips the same invalid entry, since each sees the same log).
Membership apply_conf_change(const Membership& current, const ConfChange& change);

std::string describe(const Membership& membership);  // "voters=[1,2,3] learners=[4]"
std::string describe(const ConfChange& change);      // "add-learner 4"

}  // namespace raft
