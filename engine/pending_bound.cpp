#include "engine/pending_bound.h"

#include <fmt/core.h>

#include <algorithm>

#include "engine/command.h"
#include "raft/codec.h"

namespace engine {
namespace {
constexpr std::uint32_t kMaxLaggards = 4096;
}  // namespace

Bytes encode_pending_bound(const PendingBoundState& state) {
  Bytes out;
  raft::ByteWriter w(out);
  w.u64(state.max_pending_bytes);
  w.u32(static_cast<std::uint32_t>(state.laggards.size()));
  for (const auto& [node, index] : state.laggards) {
    w.u64(node);
    w.u64(index);
  }
  return out;
}

PendingBoundState decode_pending_bound(ByteView bytes) {
  raft::ByteReader r(bytes);
  PendingBoundState state;
  state.max_pending_bytes = r.u64("pending bound bytes");
  if (state.max_pending_bytes < kMinPendingBound)
    throw raft::DecodeError(fmt::format("pending bound bytes: {} is below the minimum of {}",
                                        state.max_pending_bytes, kMinPendingBound));
  for (std::uint32_t i = 0, n = r.count("pending bound laggards", kMaxLaggards, 16); i < n; ++i) {
    const NodeId node = r.u64("laggard node");
    const raft::Index index = r.u64("laggard index");
    if (!state.laggards.empty() && node <= state.laggards.rbegin()->first)
      throw raft::DecodeError(fmt::format("laggard node: {} out of order or repeated", node));
    state.laggards.emplace(node, index);
  }
  r.expect_end("pending bound");
  if (state.is_default())
    throw raft::DecodeError("pending bound: the default state is written as no section");
  return state;
}

std::vector<NodeId> laggards_to_drop(const std::map<NodeId, raft::Index>& acked,
                                     const std::map<NodeId, raft::Index>& laggards,
                                     const std::vector<NodeId>& voters) {
  bool any = false;
  raft::Index low = 0;
  for (const auto& [node, index] : acked)
    if (!laggards.contains(node) && (!any || index < low)) low = index, any = true;
  if (!any) return {};
  std::vector<NodeId> group;
  bool someone_ahead = false;
  std::size_t voters_left = 0;
  for (const auto& [node, index] : acked) {
    if (laggards.contains(node)) continue;
    const bool is_voter = std::find(voters.begin(), voters.end(), node) != voters.end();
    if (index == low) {
      group.push_back(node);
    } else {
      someone_ahead = true;
      if (is_voter) ++voters_left;
    }
  }
  if (!someone_ahead || voters_left < voters.size() / 2 + 1) return {};
  return group;
}

}  // namespace engine
