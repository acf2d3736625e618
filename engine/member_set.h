#pragma once
// R's view of who is in the cluster: the configuration as of the last applied ConfChange entry,
// with the index at which each member was added and the context it came with (its addresses).
// Kept in R's snapshot section StateSection::Membership once it differs from the bootstrap, so a
// node that joins by snapshot learns the members without knowing the bootstrap list.

#include <map>
#include <string>

#include "engine/io.h"
#include "raft/membership.h"
#include "raft/types.h"

namespace engine {

// The committed membership as R applied it (see the top of this file).
struct MemberSet {
  raft::Membership membership{};
  // Members added by a ConfChange: the index of the entry that added them (or demoted them to
  // learner: a wiped voter). Bootstrap members are absent (they hold every entry from the start).
  std::map<NodeId, raft::Index> added_at{};
  // The ConfChange context each added member came with (dns-node: its raft and DNS addresses).
  std::map<NodeId, Bytes> context{};
  friend bool operator==(const MemberSet&, const MemberSet&) = default;
};

// Applies a committed ConfChange entry at `index`; returns why it was skipped ("" if applied).
// Every replica skips the same invalid change (raft does the same with its configuration).
std::string apply_member_change(MemberSet& set, const raft::ConfChange& change, raft::Index index);

// Section payload: u8 format, voters, learners, then per added member id, index, context.
Bytes encode_member_set(const MemberSet& set);
// Throws raft::DecodeError naming the field on anything malformed or inconsistent.
MemberSet decode_member_set(ByteView bytes);

}  // namespace engine
