#include "engine/cluster_identity.h"

#include <algorithm>

#include <fmt/core.h>

#include "engine/durable_framing.h"
#include "raft/codec.h"

namespace engine {
namespace {
constexpr std::uint8_t kSectionVersion = 1;
// Version 2 adds the voters still to demote; version 1 sections (from before) are read too.
constexpr std::uint8_t kSectionVersionDemote = 2;
constexpr std::uint8_t kIdentityFileVersion = 1;
constexpr std::uint32_t kMaxNodes = 4096;
}  // namespace

Bytes encode_identity_state(const IdentityState& state) {
  Bytes out;
  raft::ByteWriter w(out);
  // A version 1 section while nobody is to be demoted: the same bytes as before this field.
  w.u8(state.to_demote.empty() ? kSectionVersion : kSectionVersionDemote);
  w.u64(state.cluster_id);
  w.u64(state.dropped_through);
  w.u32(static_cast<std::uint32_t>(state.rejoins.size()));
  for (const auto& [node, decision] : state.rejoins) {
    w.u64(node);
    w.u64(decision.nonce);
    w.u8(decision.import ? 1 : 0);
  }
  w.u32(static_cast<std::uint32_t>(state.imported.size()));
  for (NodeId node : state.imported) w.u64(node);
  if (!state.to_demote.empty()) {
    w.u32(static_cast<std::uint32_t>(state.to_demote.size()));
    for (NodeId node : state.to_demote) w.u64(node);
  }
  return out;
}

IdentityState decode_identity_state(ByteView bytes) {
  raft::ByteReader r(bytes);
  const std::uint8_t version = r.u8("identity section version");
  if (version != kSectionVersion && version != kSectionVersionDemote)
    throw raft::DecodeError(
        fmt::format("identity section version: {} is not a known format", version));
  IdentityState state;
  state.cluster_id = r.u64("identity cluster id");
  state.dropped_through = r.u64("identity dropped through");
  NodeId previous = 0;
  for (std::uint32_t i = 0, n = r.count("identity rejoins", kMaxNodes, 17); i < n; ++i) {
    const NodeId node = r.u64("rejoin node");
    if (i > 0 && node <= previous)
      throw raft::DecodeError(fmt::format("rejoin node: {} out of order after {}", node, previous));
    previous = node;
    RejoinDecision decision;
    decision.nonce = r.u64("rejoin nonce");
    const std::uint8_t import = r.u8("rejoin import");
    if (import > 1) throw raft::DecodeError(fmt::format("rejoin import: {} is not 0 or 1", import));
    decision.import = import == 1;
    state.rejoins[node] = decision;
  }
  for (std::uint32_t i = 0, n = r.count("identity imported", kMaxNodes, 8); i < n; ++i) {
    const NodeId node = r.u64("imported node");
    if (!state.imported.insert(node).second || node != *state.imported.rbegin())
      throw raft::DecodeError(fmt::format("imported node: {} out of order or repeated", node));
  }
  for (std::uint32_t i = 0, n = version == kSectionVersionDemote
                                    ? r.count("identity to demote", kMaxNodes, 8)
                                    : 0;
       i < n; ++i) {
    const NodeId node = r.u64("to-demote node");
    if (!state.to_demote.insert(node).second || node != *state.to_demote.rbegin())
      throw raft::DecodeError(fmt::format("to-demote node: {} out of order or repeated", node));
  }
  r.expect_end("identity section");
  return state;
}

bool apply_rejoin(IdentityState& state, const Rejoin& rejoin, raft::Index acked) {
  auto it = state.rejoins.find(rejoin.node);
  if (it != state.rejoins.end() && it->second.nonce == rejoin.nonce) return false;
  // A node R already decided for, saw import or saw acknowledge has had data in this cluster:
  // importing again would bring back what was removed since. It copies a peer's datastore.
  const bool import =
      it == state.rejoins.end() && !state.imported.contains(rejoin.node) && acked == 0;
  if (state.cluster_id == 0) state.cluster_id = rejoin.cluster_id;
  state.rejoins[rejoin.node] = {rejoin.nonce, import};
  return true;
}

VoterStanding standing_of(const IdentityState& state, NodeId node, raft::Index acked) {
  if (const auto it = state.rejoins.find(node); it != state.rejoins.end())
    return {VoterStanding::Kind::Rejoined, it->second.nonce, it->second.import};
  if (state.imported.contains(node) || acked != 0) return {VoterStanding::Kind::Known, 0, false};
  return {};
}

VoterStanding standing_after(IdentityState state, raft::Index acked, NodeId node,
                             std::span<const raft::Entry> entries) {
  for (const raft::Entry& entry : entries) {
    if (entry.kind != raft::EntryKind::Normal || !is_identity_command(entry.data)) continue;
    Command command;
    try {
      command = decode_command(entry.data);
    } catch (const raft::DecodeError&) {
      continue;  // R skips it too
    }
    if (const auto* rejoin = std::get_if<Rejoin>(&command); rejoin && rejoin->node == node)
      apply_rejoin(state, *rejoin, acked);
    else if (const auto* ack = std::get_if<Ack>(&command); ack && ack->node == node)
      acked = std::max(acked, ack->index);
    else if (const auto* imported = std::get_if<Imported>(&command);
             imported && imported->node == node)
      state.imported.insert(node);
  }
  return standing_of(state, node, acked);
}

std::optional<DataDirIdentity> read_identity(const Disk& disk) {
  const std::optional<Bytes> file = disk.read(kIdentityFile);
  if (!file) return std::nullopt;
  const UnframedFile unframed = unframe_file(kIdentityFileVersion, *file);
  if (!unframed.payload)
    throw IdentityError(
        fmt::format("{}: damaged identity file: {}", kIdentityFile, unframed.problem));
  try {
    raft::ByteReader r(*unframed.payload);
    DataDirIdentity identity;
    identity.cluster_id = r.u64("identity cluster id");
    identity.node = r.u64("identity node id");
    identity.rejoin_nonce = r.u64("identity rejoin nonce");
    if (r.remaining() == 0) {
      // Written before vote gates existed: undecided means a fresh start, decided a whole record.
      identity.votes.kind =
          identity.cluster_id == 0 ? VoteGate::Kind::Undecided : VoteGate::Kind::Open;
    } else {
      const std::uint8_t kind = r.u8("identity vote gate");
      if (kind > kMaxVoteGateKind)
        throw raft::DecodeError(fmt::format("identity vote gate: {} is unknown", kind));
      identity.votes.kind = static_cast<VoteGate::Kind>(kind);
      identity.votes.term = r.u64("identity vote gate term");
    }
    r.expect_end("identity");
    return identity;
  } catch (const raft::DecodeError& e) {
    throw IdentityError(fmt::format("{}: damaged identity file: {}", kIdentityFile, e.what()));
  }
}

void write_identity(Disk& disk, const DataDirIdentity& identity) {
  Bytes payload;
  raft::ByteWriter w(payload);
  w.u64(identity.cluster_id);
  w.u64(identity.node);
  w.u64(identity.rejoin_nonce);
  w.u8(static_cast<std::uint8_t>(identity.votes.kind));
  w.u64(identity.votes.term);
  disk.replace(kIdentityFile, frame_file(kIdentityFileVersion, payload));
}

void check_identity(const DataDirIdentity& found, NodeId self, std::uint64_t cluster_id,
                    const std::string& where) {
  if (found.node != self)
    throw IdentityError(fmt::format(
        "data directory {} belongs to node {}, not node {} (its identity file says so): refusing "
        "to start; give node {} its own data directory",
        where, found.node, self, self));
  if (cluster_id != 0 && found.cluster_id != 0 && found.cluster_id != cluster_id)
    throw IdentityError(fmt::format(
        "data directory {} belongs to cluster {:016x}, but this cluster is {:016x}: refusing to "
        "mix two clusters' data; give node {} an empty data directory to join this cluster",
        where, found.cluster_id, cluster_id, self));
}

}  // namespace engine
