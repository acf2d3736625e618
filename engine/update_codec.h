#pragma once
// Binary encoding of DNS UPDATE requests (dns::update::Request) inside raft commands and in R's
// PendingUpdates snapshot section. Bounds-checked like record_codec: damaged or hostile bytes
// throw raft::DecodeError naming the field.

#include <cstddef>
#include <map>

#include "dns/update.h"
#include "engine/command.h"
#include "engine/io.h"
#include "raft/codec.h"
#include "raft/types.h"

namespace engine {

// Most prerequisite or update records one request may carry (a DNS message holds < 65536).
inline constexpr std::uint32_t kMaxUpdateRecords = 65535;

void put_update_request(raft::ByteWriter& w, const dns::update::Request& request);
// The bytes put_update_request writes, without writing them (R counts every pending UPDATE's
// size; encoding the command again to learn it was a few percent of an UPDATE load's CPU).
std::size_t update_request_size(const dns::update::Request& request);
dns::update::Request get_update_request(raft::ByteReader& r);

// One committed UPDATE waiting in R's pending: who asked (origin, request id) and what.
using PendingUpdate = UpdateCommand;

// The PendingUpdates section payload: u32 count, then per update u64 index, origin, request
// id and the request. Canonical: ascending index, no duplicates.
Bytes encode_pending_updates(const std::map<raft::Index, PendingUpdate>& updates);
std::map<raft::Index, PendingUpdate> decode_pending_updates(ByteView bytes);

}  // namespace engine
