#pragma once
// One replica's persisted raft log reduced to chained fingerprints (see command_log.h): entry i's
// fingerprint identifies the whole prefix 1..i, so comparing two logs at one index compares
// everything before it too. That keeps log-matching checks O(1) per entry.

#include <cstdint>
#include <optional>
#include <vector>

#include "harness/command_log.h"
#include "raft/types.h"

namespace harness {

// Fingerprints of the entries from a base (snapshot) index to the last persisted entry.
class LogFingerprints {
 public:
  // Forgets everything and starts after a snapshot at `index` whose chain hash is `hash`.
  void reset(raft::Index index, std::uint64_t hash);
  // Appends (or overwrites from entry.index on) one entry; returns its fingerprint. False-y
  // nullopt when the entry does not attach to the known log (gap or before the base).
  std::optional<std::uint64_t> put(const raft::Entry& entry);
  // Forgets fingerprints below `index` (after compaction); keeps `index` as the new base.
  void compact(raft::Index index);

  std::optional<std::uint64_t> at(raft::Index index) const;
  raft::Index base() const { return base_; }
  raft::Index last() const { return base_ + hashes_.size() - 1; }

 private:
  raft::Index base_ = 0;
  std::vector<std::uint64_t> hashes_{kEmptyChain};  // hashes_[k] = fingerprint of base_ + k
};

}  // namespace harness
