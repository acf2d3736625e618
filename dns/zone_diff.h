#pragma once
// What one applied change batch did to each zone, as IXFR (RFC 1995) tells it: the SOA before
// and after, the records removed and the records added. Computed by comparing the database
// versions before and after the batch, only at the names and types the batch touched.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/zone_db.h"

namespace dns {

// One zone's change from one serial to the next. The SOA is not among removed/added.
struct ZoneDiff {
  uint64_t index = 0;  // the raft index of the batch that made it (set by the engine)
  Name apex;
  Record old_soa, new_soa;
  std::vector<Record> removed, added;
  uint32_t from() const;  // old_soa's serial
  uint32_t to() const;    // new_soa's serial
  // Octets this diff takes (owners, rdata, fixed fields): what the journal's bound counts.
  size_t bytes() const;
  bool operator==(const ZoneDiff&) const = default;
};

// What diff_versions() found: a diff per zone that changed, and the zones whose history a diff
// cannot tell (created, deleted, records moved between zones, data changed without a new
// serial, or a batch larger than `max_bytes`): an IXFR of those must fall back to AXFR.
struct VersionDiff {
  std::vector<ZoneDiff> diffs;
  std::vector<Name> reset;
};

// What a diff needs of the version before a batch, copied out of it: the writer applies a burst
// of batches to one private version in place (Database::begin_batch), so the version before a
// batch does not outlive it. Only the zones and RRsets the batch's changes name are copied.
struct DiffBase {
  struct ZoneState {
    Name apex;
    std::optional<Record> soa;
  };
  struct RRsetState {
    Name owner;
    uint32_t ttl = 0;
    std::vector<std::vector<uint8_t>> rdatas;
  };
  std::vector<std::string> apex_of;        // per change: its zone's apex key, or ""
  std::map<std::string, ZoneState> zones;  // by apex key
  std::map<std::pair<std::string, uint16_t>, RRsetState> rrsets;  // (owner key, type) present
};

// Copies from `before` what diffing `changes` needs.
DiffBase diff_base(const DatabaseVersion& before, std::span<const Change> changes);

// The effect of `changes` (applied to the version `base` was taken from, giving `after`) on every
// zone. Batches whose records take more than `max_bytes` are not diffed (their zones are reset),
// so a large import costs no more than the apply.
VersionDiff diff_from(const DiffBase& base, const DatabaseVersion& after,
                      std::span<const Change> changes, size_t max_bytes);

// The zones whose contents `changes` (applied, giving `after`) touched, each once, apex first
// seen first: the zone holding each changed name, and for a SOA that made a new apex also the
// zone around it (names moved out of that one). For batches whose history is not kept as a diff
// (a first-boot import adds records without a serial change): these zones' journals are reset.
std::vector<Name> touched_zones(const DatabaseVersion& after, std::span<const Change> changes);

// diff_from(diff_base(before, changes), after, changes, max_bytes).
VersionDiff diff_versions(const DatabaseVersion& before, const DatabaseVersion& after,
                          std::span<const Change> changes, size_t max_bytes);

}  // namespace dns
