#pragma once
// Optional tagged sections after the base layout of R's snapshot: each feature that keeps state
// in R beyond pending/acked (membership, cluster identity, pending UPDATEs, ...) owns one tag, so
// a snapshot without that state keeps the base layout byte for byte (and old trace hashes).

#include <cstdint>
#include <map>

#include "engine/io.h"
#include "raft/codec.h"

namespace engine {

// The tags of R's snapshot sections; a tag is never reused for another meaning.
enum class StateSection : std::uint8_t {
  Membership = 1,       // R's member set and peer addresses (engine/node_membership)
  ClusterIdentity = 2,  // cluster id, import and transfer state (engine/datastore_transfer)
  PendingUpdates = 3,   // DNS UPDATE requests awaiting their reply (engine/update_codec)
  PendingBound = 4,     // the bound on pending and the laggards (engine/pending_bound)
  ImportBatches = 5,    // which pending batches are first-boot imports (engine/import_batch)
  ImportCopies = 6,     // which of those are imports by copy, with digests (engine/import_copy)
};

inline constexpr std::uint8_t kMaxStateSection = 6;

// Section payloads by tag, in tag order (the encoding is canonical: one order, no duplicates).
using StateSections = std::map<StateSection, Bytes>;

// Writes the sections after the base layout: u32 count, then per section u8 tag, u32 length,
// payload. Nothing is written for an empty map (the caller then keeps format version 1).
void put_state_sections(raft::ByteWriter& w, const StateSections& sections);
// Reads what put_state_sections wrote; throws raft::DecodeError on an unknown tag, a tag out of
// order or repeated, a length past the end, or an empty section list.
StateSections get_state_sections(raft::ByteReader& r);

}  // namespace engine
