#include "engine/member_set.h"

#include <fmt/core.h>

#include "raft/codec.h"

namespace engine {
namespace {
constexpr std::uint8_t kMemberSetFormat = 1;
constexpr std::uint32_t kMaxMembers = 4096;

void put_ids(raft::ByteWriter& w, const std::vector<NodeId>& ids) {
  w.u32(static_cast<std::uint32_t>(ids.size()));
  for (NodeId id : ids) w.u64(id);
}

std::vector<NodeId> get_ids(raft::ByteReader& r, std::string_view field) {
  std::vector<NodeId> ids;
  for (std::uint32_t i = 0, n = r.count(field, kMaxMembers, 8); i < n; ++i)
    ids.push_back(r.u64(field));
  return ids;
}
}  // namespace

std::string apply_member_change(MemberSet& set, const raft::ConfChange& change, raft::Index index) {
  std::string problem = raft::conf_change_problem(set.membership, change);
  if (!problem.empty()) return problem;
  set.membership = raft::apply_conf_change(set.membership, change);
  switch (change.kind) {
    case raft::ConfChange::Kind::AddLearner:
      set.added_at[change.node] = index;
      set.context[change.node] = change.context;
      break;
    case raft::ConfChange::Kind::RemoveNode:
      set.added_at.erase(change.node);
      set.context.erase(change.node);
      break;
    case raft::ConfChange::Kind::DemoteVoter:
      // Promoted again once its ack reaches this index, as a new learner is: the demoted node
      // lost its data directory and holds nothing until it copied a peer's datastore.
      set.added_at[change.node] = index;
      set.context.try_emplace(change.node);  // as a snapshot's decode has it: empty if none
      break;
    case raft::ConfChange::Kind::PromoteLearner:
      break;
  }
  return {};
}

Bytes encode_member_set(const MemberSet& set) {
  Bytes out;
  raft::ByteWriter w(out);
  w.u8(kMemberSetFormat);
  put_ids(w, set.membership.voters);
  put_ids(w, set.membership.learners);
  w.u32(static_cast<std::uint32_t>(set.added_at.size()));
  for (const auto& [id, index] : set.added_at) {
    w.u64(id);
    w.u64(index);
    auto it = set.context.find(id);
    w.bytes(it == set.context.end() ? Bytes{} : it->second);
  }
  return out;
}

MemberSet decode_member_set(ByteView bytes) {
  raft::ByteReader r(bytes);
  const std::uint8_t format = r.u8("member set format");
  if (format != kMemberSetFormat)
    throw raft::DecodeError(fmt::format("member set format: {} is not a known format", format));
  std::vector<NodeId> voters = get_ids(r, "member set voters");
  std::vector<NodeId> learners = get_ids(r, "member set learners");
  auto membership = raft::make_membership(voters, learners);
  if (!membership || membership->voters.size() != voters.size() ||
      membership->learners.size() != learners.size())
    throw raft::DecodeError(
        "member set voters: not a valid configuration (empty, overlapping or repeated ids)");
  MemberSet set;
  set.membership = std::move(*membership);
  for (std::uint32_t i = 0, n = r.count("member set added", kMaxMembers, 20); i < n; ++i) {
    const NodeId id = r.u64("member set added id");
    const raft::Index index = r.u64("member set added index");
    Bytes context = r.bytes("member set context", raft::kMaxConfChangeContextBytes);
    if (!set.membership.contains(id))
      throw raft::DecodeError(
          fmt::format("member set added id: node {} is neither a voter nor a learner", id));
    if (!set.added_at.emplace(id, index).second)
      throw raft::DecodeError(fmt::format("member set added id: node {} listed twice", id));
    set.context[id] = std::move(context);
  }
  r.expect_end("member set");
  return set;
}

}  // namespace engine
