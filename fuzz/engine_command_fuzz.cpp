// libFuzzer target for what the engine decodes from raft entries and raft snapshots: arbitrary
// bytes either decode into a command that re-encodes to the same bytes, or throw
// raft::DecodeError. The same bytes are applied as a committed entry and restored as a snapshot
// of the replicated state, which must never crash and must keep its invariants, and decoded as
// R's PendingBound section (engine/pending_bound.h), which must re-encode to the same bytes.

#include <cstdint>
#include <cstdlib>

#include "engine/command.h"
#include "engine/pending_bound.h"
#include "engine/replicated_state.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const engine::ByteView bytes(data, size);
  try {
    const engine::Command command = engine::decode_command(bytes);
    if (engine::encode_command(command) != engine::Bytes(data, data + size)) std::abort();
  } catch (const raft::DecodeError&) {
  }

  try {
    const engine::PendingBoundState bound = engine::decode_pending_bound(bytes);
    if (engine::encode_pending_bound(bound) != engine::Bytes(data, data + size)) std::abort();
  } catch (const raft::DecodeError&) {
  }

  engine::ReplicatedState state({1, 2, 3});
  const engine::ApplyOutcome outcome =
      state.apply(raft::Entry{1, 1, raft::EntryKind::Normal, engine::Bytes(data, data + size)});
  if (outcome.kind == engine::ApplyOutcome::Batch && state.pending().size() != 1) std::abort();
  if (state.applied() != 1) std::abort();

  engine::ReplicatedState restored({1, 2, 3});
  try {
    restored.restore(bytes, 5);
  } catch (const raft::DecodeError&) {
    return 0;
  }
  // Whatever was accepted must snapshot again to something that restores identically.
  engine::ReplicatedState again({1, 2, 3});
  again.restore(restored.snapshot(), 5);
  if (again.snapshot() != restored.snapshot()) std::abort();
  for (const auto& [index, batch] : restored.pending())
    if (index > 5) std::abort();
  return 0;
}
