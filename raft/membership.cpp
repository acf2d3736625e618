#include "raft/membership.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace raft {

namespace {

void sort_unique(std::vector<NodeId>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

bool contains_sorted(const std::vector<NodeId>& ids, NodeId id) {
  return std::binary_search(ids.begin(), ids.end(), id);
}

void insert_sorted(std::vector<NodeId>& ids, NodeId id) {
  ids.insert(std::lower_bound(ids.begin(), ids.end(), id), id);
}

void erase_sorted(std::vector<NodeId>& ids, NodeId id) {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it != ids.end() && *it == id) ids.erase(it);
}

}  // namespace

bool Membership::is_voter(NodeId id) const {
  return contains_sorted(voters, id);
}

bool Membership::is_learner(NodeId id) const {
  return contains_sorted(learners, id);
}

std::optional<Membership> make_membership(std::vector<NodeId> voters,
                                          std::vector<NodeId> learners) {
  sort_unique(voters);
  sort_unique(learners);
  if (voters.empty() || contains_sorted(voters, kNoNode) || contains_sorted(learners, kNoNode)) {
    return std::nullopt;
  }
  for (NodeId l : learners) {
    if (contains_sorted(voters, l)) return std::nullopt;
  }
  return Membership{std::move(voters), std::move(learners)};
}

std::optional<Membership> membership_of(const SnapshotMeta& meta) {
  return make_membership(meta.voters, meta.learners);
}

std::string conf_change_problem(const Membership& current, const ConfChange& change) {
  const NodeId id = change.node;
  if (id == kNoNode) return "the node id is not set";
  switch (change.kind) {
    case ConfChange::Kind::AddLearner:
      if (current.is_voter(id)) return fmt::format("node {} is already a voter", id);
      if (current.is_learner(id)) return fmt::format("node {} is already a learner", id);
      return "";
    case ConfChange::Kind::PromoteLearner:
      if (current.is_voter(id)) return fmt::format("node {} is already a voter", id);
      if (!current.is_learner(id)) return fmt::format("node {} is not a learner", id);
      return "";
    case ConfChange::Kind::DemoteVoter:
      if (current.is_learner(id)) return fmt::format("node {} is already a learner", id);
      if (!current.is_voter(id)) return fmt::format("node {} is not a voter", id);
      if (current.voters.size() == 1) return fmt::format("node {} is the last voter", id);
      return "";
    case ConfChange::Kind::RemoveNode:
      if (!current.contains(id)) return fmt::format("node {} is not a member", id);
      if (current.voters.size() == 1 && current.is_voter(id)) {
        return fmt::format("node {} is the last voter", id);
      }
      return "";
  }
  return fmt::format("conf change kind {} is unknown", static_cast<int>(change.kind));
}

Membership apply_conf_change(const Membership& current, const ConfChange& change) {
  if (!conf_change_problem(current, change).empty()) return current;
  Membership next = current;
  switch (change.kind) {
    case ConfChange::Kind::AddLearner:
      insert_sorted(next.learners, change.node);
      break;
    case ConfChange::Kind::PromoteLearner:
      erase_sorted(next.learners, change.node);
      insert_sorted(next.voters, change.node);
      break;
    case ConfChange::Kind::RemoveNode:
      erase_sorted(next.learners, change.node);
      erase_sorted(next.voters, change.node);
      break;
    case ConfChange::Kind::DemoteVoter:
      erase_sorted(next.voters, change.node);
      insert_sorted(next.learners, change.node);
      break;
  }
  return next;
}

std::string describe(const Membership& m) {
  return fmt::format("voters=[{}] learners=[{}]", fmt::join(m.voters, ","),
                     fmt::join(m.learners, ","));
}

std::string describe(const ConfChange& change) {
  const char* kind = "?";
  switch (change.kind) {
    case ConfChange::Kind::AddLearner:
      kind = "add-learner";
      break;
    case ConfChange::Kind::PromoteLearner:
      kind = "promote";
      break;
    case ConfChange::Kind::RemoveNode:
      kind = "remove";
      break;
    case ConfChange::Kind::DemoteVoter:
      kind = "demote";
      break;
  }
  return fmt::format("{} {}", kind, change.node);
}

}  // namespace raft
