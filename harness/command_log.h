#pragma once
// The replicated application the harness runs on raft: a log of numbered client commands.
// Its state is a chained hash of every applied entry (index, term, kind, data) plus the set of
// command numbers applied; two replicas that applied the same entries have equal states, and
// the chain hash at index i doubles as a fingerprint of the whole log prefix up to i.

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/entry_chain.h"
#include "raft/types.h"

namespace harness {

using CommandId = std::uint64_t;

// A client command as carried in a raft entry.
struct Command {
  CommandId id = 0;
  raft::NodeId proposer = 0;
};

raft::Bytes encode_command(const Command& command);
// nullopt for entries that are not commands (Noop, or bytes of the wrong size).
std::optional<Command> decode_command(const raft::Bytes& data);

using engine::chain_hash;
using engine::kEmptyChain;

// The state machine of one replica.
class CommandLog {
 public:
  // `hashed` false: apply() skips the chain hash (hash() stays that of the last restored
  // snapshot), for benchmarks that compare no replicas and check no invariants.
  explicit CommandLog(bool hashed = true) : hashed_(hashed) {}

  // Applies the next entry; throws std::logic_error if it is not the next index.
  void apply(const raft::Entry& entry);
  raft::Bytes snapshot() const;
  // Replaces the state with a snapshot's; throws std::runtime_error on malformed data.
  void restore(const raft::Bytes& data);

  raft::Index applied() const { return applied_; }
  std::uint64_t hash() const { return hash_; }
  // Linear: meant for end-of-run checks, not the hot path.
  bool contains(CommandId id) const;
  std::size_t size() const { return commands_.size(); }
  // Every command applied, in log order (a command may appear twice if proposed twice).
  const std::vector<CommandId>& commands() const { return commands_; }

  // Only the chain-hash of a snapshot (used to seed a replica's log fingerprints).
  static std::uint64_t snapshot_hash(const raft::Bytes& data);

 private:
  bool hashed_ = true;
  raft::Index applied_ = 0;
  std::uint64_t hash_ = kEmptyChain;
  std::vector<CommandId> commands_;  // in apply order: snapshots are one copy, not a tree walk
};

}  // namespace harness
