#pragma once
// Chained fingerprints of raft log prefixes: the fingerprint of entry i covers (index, term,
// kind, data) of every entry 1..i. Replicas that applied the same prefix have the same
// fingerprint, which is how the simulator checks state-machine safety in O(1) per entry.

#include <cstdint>

#include "raft/types.h"

namespace engine {

inline constexpr std::uint64_t kEmptyChain = 0x5EED5EED5EED5EEDULL;

// Fingerprint of the log prefix ending with `entry`, given the fingerprint before it.
std::uint64_t chain_hash(std::uint64_t previous, const raft::Entry& entry);

}  // namespace engine
