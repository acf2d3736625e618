#pragma once
// Binary encoding of DNS records and record changes, shared by the raft commands and the local
// datastore's files. Bounds-checked: a damaged or hostile input throws raft::DecodeError naming
// the field, never reads past the end.

#include "dns/record.h"
#include "dns/zone_db.h"
#include "raft/codec.h"

namespace engine {

// Upper limits a decoder accepts (a DNS name is at most 255 bytes, rdata at most 65535).
inline constexpr std::uint32_t kMaxChangesPerBatch = 1u << 20;
// ... in one batch of the local datastore's WAL, which may hold an import by copy (a whole zone
// file, engine/import_copy.h); the count is also checked against the bytes that follow.
inline constexpr std::uint32_t kMaxStoredChanges = 1u << 30;

void put_record(raft::ByteWriter& w, const dns::Record& record);
// Every record of `version` (its zones, then the records outside every zone), as put_record()
// writes them, straight from the zone nodes: no Record is built and nothing is sorted, so a
// large zone costs one pass. Returns how many records were written.
std::size_t put_version_records(raft::ByteWriter& w, const dns::DatabaseVersion& version);
dns::Record get_record(raft::ByteReader& r);
void put_change(raft::ByteWriter& w, const dns::Change& change);
dns::Change get_change(raft::ByteReader& r);
void put_changes(raft::ByteWriter& w, const std::vector<dns::Change>& changes);
std::vector<dns::Change> get_changes(raft::ByteReader& r,
                                     std::uint32_t max_changes = kMaxChangesPerBatch);
// How many bytes put_changes() writes for `changes`, without writing them.
std::size_t encoded_size(const std::vector<dns::Change>& changes);

}  // namespace engine
