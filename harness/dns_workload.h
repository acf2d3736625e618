#pragma once
// The DNS cluster's simulated clients: the zone file each node imports at first boot, a fixed
// pool of records that writes ADD and REMOVE, and queries answered straight from a node's
// serving database (what its UDP server would send).

#include <cstdint>
#include <string>
#include <vector>

#include "dns/record.h"
#include "dns/zone_db.h"
#include "sim/prng.h"

namespace harness {

// How many distinct zones the cluster serves (node k imports zone k; nodes above this import
// nothing, so the zones stay small and every node's file differs, as in the prototype).
inline constexpr std::size_t kDnsZones = 3;

// The zone file node `node` (1-based) imports on first boot; empty above kDnsZones.
const std::vector<dns::Record>& dns_zone_file(std::uint64_t node);
// The apex of zone `zone` (0-based), e.g. "z1.test.".
std::string dns_zone_apex(std::size_t zone);
// Every record a write may touch (A records under the zones, none present at first boot).
const std::vector<dns::Record>& dns_record_pool();

// One client write: 1..3 random ADD/REMOVE changes of pool records.
std::vector<dns::Change> random_dns_write(sim::Prng& prng);

// A fixed query (id, name, type) in wire form; `index` picks among the pool's names and the
// apexes (SOA, NS), so the same index always means the same packet.
std::vector<std::uint8_t> dns_query(std::size_t index);
std::size_t dns_query_count();

// What the node's server would answer right now (empty when it would send nothing).
std::vector<std::uint8_t> answer_from(const dns::Database& db,
                                      const std::vector<std::uint8_t>& query);

// A record set as sorted presentation lines, for order-independent comparison and reports.
std::vector<std::string> canonical(const std::vector<dns::Record>& records);

}  // namespace harness
