#include "dns/zone_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "dns/types.h"
#include "dns/zone.h"

namespace dns {

namespace {

// Per-record overhead counted by bytes(): type, class, TTL, rdata length, and bookkeeping.
constexpr size_t kRecordOverhead = 16;

size_t record_bytes(const Record& r) {
  return r.owner.wire().size() + r.rdata.size() + kRecordOverhead;
}

// The zone with exactly this apex key in `v`, or null.
const Zone* zone_at(const DatabaseVersion& v, const std::string& apex_key) {
  const Zone* z = v.find_zone(apex_key);
  return z != nullptr && z->apex_key() == apex_key ? z : nullptr;
}

std::string apex_of(const DatabaseVersion& v, std::string_view key) {
  const Zone* z = v.find_zone(key);
  return z != nullptr ? z->apex_key() : std::string();
}

Record soa_record(const Zone& zone) {
  const RRset& s = *zone.soa();
  const auto rd = s.rdatas.front();
  return Record{zone.apex_node()->owner(), type::SOA, rclass::IN, s.ttl, {rd.begin(), rd.end()}};
}

bool contains(const RRset& set, std::span<const uint8_t> rdata) {
  for (const auto rd : set.rdatas)
    if (rdata_equal(set.type, rd, rdata)) return true;
  return false;
}

void append_all(const ZoneNode& node, const RRset& set, std::vector<Record>& out) {
  const Name owner = node.owner();
  for (const auto rd : set.rdatas)
    out.push_back(Record{owner, set.type, rclass::IN, set.ttl, {rd.begin(), rd.end()}});
}

// Adds to `d` how the RRset (key, type) differs between the two zones.
void diff_rrset(const Zone& z0, const Zone& z1, const std::string& key, uint16_t rrtype,
                ZoneDiff& d) {
  const ZoneNode* n0 = z0.find(key);
  const ZoneNode* n1 = z1.find(key);
  const RRset* s0 = n0 ? n0->find(rrtype) : nullptr;
  const RRset* s1 = n1 ? n1->find(rrtype) : nullptr;
  if (s0 == s1) return;  // shared, untouched structure (or absent from both)
  if (s0 && s1 && s0->ttl != s1->ttl) {
    // A new TTL applies to the whole RRset: every record is removed and added again.
    append_all(*n0, *s0, d.removed);
    append_all(*n1, *s1, d.added);
    return;
  }
  if (s0) {
    const Name owner = n0->owner();
    for (const auto rd : s0->rdatas)
      if (!s1 || !contains(*s1, rd))
        d.removed.push_back(Record{owner, rrtype, rclass::IN, s0->ttl, {rd.begin(), rd.end()}});
  }
  if (s1) {
    const Name owner = n1->owner();
    for (const auto rd : s1->rdatas)
      if (!s0 || !contains(*s0, rd))
        d.added.push_back(Record{owner, rrtype, rclass::IN, s1->ttl, {rd.begin(), rd.end()}});
  }
}

}  // namespace

uint32_t ZoneDiff::from() const {
  return soa_serial(old_soa.rdata);
}

uint32_t ZoneDiff::to() const {
  return soa_serial(new_soa.rdata);
}

size_t ZoneDiff::bytes() const {
  size_t n = apex.wire().size() + record_bytes(old_soa) + record_bytes(new_soa);
  for (const Record& r : removed) n += record_bytes(r);
  for (const Record& r : added) n += record_bytes(r);
  return n;
}

VersionDiff diff_versions(const DatabaseVersion& before, const DatabaseVersion& after,
                          std::span<const Change> changes, size_t max_bytes) {
  VersionDiff out;
  // Which zones the batch touched, and at which (name, type) in each.
  std::map<std::string, std::set<std::pair<std::string, uint16_t>>> touched;
  std::set<std::string> broken;  // apexes whose history is not a diff
  size_t batch_bytes = 0;
  for (const Change& c : changes) {
    if (c.record.rclass != rclass::IN) continue;  // ignored by the database
    batch_bytes += record_bytes(c.record);
    const std::string key = name_key(c.record.owner);
    const std::string a0 = apex_of(before, key), a1 = apex_of(after, key);
    if (a0 != a1) {
      // The name changed zones (a SOA created or deleted a zone): neither zone's history is
      // a diff any more.
      if (!a0.empty()) broken.insert(a0);
      if (!a1.empty()) broken.insert(a1);
      continue;
    }
    if (a1.empty()) continue;  // outside every zone: never served
    if (c.record.type != type::SOA || key != a1)
      touched[a1].insert({key, c.record.type});
    else
      touched[a1];  // the SOA itself is the diff's header
  }
  for (auto& [apex_key, at] : touched) {
    if (broken.contains(apex_key)) continue;
    const Zone* z0 = zone_at(before, apex_key);
    const Zone* z1 = zone_at(after, apex_key);
    if (!z0 || !z1 || !z0->soa() || !z1->soa() || batch_bytes > max_bytes) {
      broken.insert(apex_key);
      continue;
    }
    ZoneDiff d;
    d.apex = z1->apex();
    d.old_soa = soa_record(*z0);
    d.new_soa = soa_record(*z1);
    for (const auto& [key, rrtype] : at) diff_rrset(*z0, *z1, key, rrtype, d);
    const bool same_soa = d.old_soa == d.new_soa;
    if (same_soa && d.removed.empty() && d.added.empty()) continue;  // nothing changed
    if (d.from() == d.to()) {
      broken.insert(apex_key);  // changed data (or SOA) under the same serial
      continue;
    }
    out.diffs.push_back(std::move(d));
  }
  for (const std::string& apex_key : broken) {
    const Zone* z = zone_at(after, apex_key);
    if (!z) z = zone_at(before, apex_key);
    if (z) out.reset.push_back(z->apex());
  }
  return out;
}

}  // namespace dns
