#pragma once
// How a simulated DNS run's client operations become history records (history.h): a write's
// changes and answer, and a read made through a node's query path (the wire answer it would send,
// decoded as a client would, plus a SOA query for the zone's serial in the same instant).

#include <cstdint>
#include <vector>

#include "dns/record.h"
#include "dns/zone_db.h"
#include "engine/node.h"
#include "harness/history.h"

namespace harness {

std::vector<HistoryChange> history_changes(const std::vector<dns::Change>& changes);

// What a client learns from an answer of this kind.
WriteOutcome history_outcome(engine::WriteResult::Kind kind);

// Query `query_index` (dns_workload.h's dns_query) answered from `serving`: the question, rcode,
// answer rdata and the zone's serial; client, node, process, time, index and final are the
// caller's.
HistoryRead history_read(const dns::Database& serving, std::size_t query_index);

}  // namespace harness
