#pragma once
// Cuts a list of record changes into raft-sized batches: every change batch is one raft entry,
// and an entry must stay far below the peer message limit so that any Append carrying it can be
// sent (a RELOAD or a first-boot import of a large zone would otherwise be one huge entry that
// blocks replication for good).

#include <cstddef>
#include <vector>

#include "dns/zone_db.h"

namespace engine {

// Bytes `change` takes in an encoded change batch (engine/record_codec.h).
std::size_t encoded_change_size(const dns::Change& change);
// Bytes of every change in `changes`, encoded.
std::size_t encoded_changes_size(const std::vector<dns::Change>& changes);

// Splits `changes`, in order, into batches of at most `max_changes` changes whose encoded
// changes take at most `max_bytes` (a single change larger than that gets a batch of its own).
std::vector<std::vector<dns::Change>> split_changes(std::vector<dns::Change> changes,
                                                    std::size_t max_changes, std::size_t max_bytes);

}  // namespace engine
