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

bool contains(uint16_t rrtype, const std::vector<std::vector<uint8_t>>& rdatas,
              std::span<const uint8_t> rdata) {
  for (const auto& rd : rdatas)
    if (rdata_equal(rrtype, rd, rdata)) return true;
  return false;
}

// Adds to `d` how the RRset (key, type) differs between `s0` (before, null if absent) and the
// zone `z1` (after).
void diff_rrset(const DiffBase::RRsetState* s0, const Zone& z1, const std::string& key,
                uint16_t rrtype, ZoneDiff& d) {
  const ZoneNode* n1 = z1.find(key);
  const RRset* s1 = n1 ? n1->find(rrtype) : nullptr;
  const bool new_ttl = s0 && s1 && s0->ttl != s1->ttl;  // a new TTL applies to the whole RRset
  if (s0) {
    for (const auto& rd : s0->rdatas)
      if (new_ttl || !s1 || !contains(*s1, rd))
        d.removed.push_back(Record{s0->owner, rrtype, rclass::IN, s0->ttl, rd});
  }
  if (s1) {
    const Name owner = n1->owner();
    for (const auto rd : s1->rdatas)
      if (new_ttl || !s0 || !contains(rrtype, s0->rdatas, rd))
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

DiffBase diff_base(const DatabaseVersion& before, std::span<const Change> changes) {
  DiffBase base;
  base.apex_of.reserve(changes.size());
  for (const Change& c : changes) {
    if (c.record.rclass != rclass::IN) {
      base.apex_of.emplace_back();
      continue;
    }
    const std::string key = name_key(c.record.owner);
    const Zone* z = before.find_zone(key);
    base.apex_of.push_back(z != nullptr ? z->apex_key() : std::string());
    if (z == nullptr) continue;
    if (!base.zones.contains(z->apex_key())) {
      DiffBase::ZoneState& zs = base.zones[z->apex_key()];
      zs.apex = z->apex();
      if (z->soa()) zs.soa = soa_record(*z);
    }
    const ZoneNode* n = z->find(key);
    const RRset* set = n ? n->find(c.record.type) : nullptr;
    if (set == nullptr || base.rrsets.contains({key, c.record.type})) continue;
    DiffBase::RRsetState& rs = base.rrsets[{key, c.record.type}];
    rs.owner = n->owner();
    rs.ttl = set->ttl;
    for (const auto rd : set->rdatas) rs.rdatas.emplace_back(rd.begin(), rd.end());
  }
  return base;
}

std::vector<Name> touched_zones(const DatabaseVersion& after, std::span<const Change> changes) {
  std::vector<Name> out;
  std::set<std::string> seen;
  char buf[Name::kMaxWireLength];
  auto add = [&](const Zone* z) {
    if (z != nullptr && seen.insert(z->apex_key()).second) out.push_back(z->apex());
  };
  for (const Change& c : changes) {
    if (c.record.rclass != rclass::IN) continue;  // ignored by the database
    const std::string_view key = name_key(c.record.owner, buf);
    const Zone* z = after.find_zone(key);
    add(z);
    if (c.record.type == type::SOA && z != nullptr && z->apex_key() == key &&
        !c.record.owner.is_root())
      add(after.find_zone(name_key(c.record.owner.parent())));
  }
  return out;
}

VersionDiff diff_from(const DiffBase& base, const DatabaseVersion& after,
                      std::span<const Change> changes, size_t max_bytes) {
  VersionDiff out;
  // Which zones the batch touched, and at which (name, type) in each.
  std::map<std::string, std::set<std::pair<std::string, uint16_t>>> touched;
  std::set<std::string> broken;  // apexes whose history is not a diff
  size_t batch_bytes = 0;
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    if (c.record.rclass != rclass::IN) continue;  // ignored by the database
    batch_bytes += record_bytes(c.record);
    const std::string key = name_key(c.record.owner);
    const std::string& a0 = base.apex_of[i];
    const std::string a1 = apex_of(after, key);
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
    const auto z0 = base.zones.find(apex_key);
    const Zone* z1 = zone_at(after, apex_key);
    if (z0 == base.zones.end() || !z1 || !z0->second.soa || !z1->soa() || batch_bytes > max_bytes) {
      broken.insert(apex_key);
      continue;
    }
    ZoneDiff d;
    d.apex = z1->apex();
    d.old_soa = *z0->second.soa;
    d.new_soa = soa_record(*z1);
    for (const auto& [key, rrtype] : at) {
      const auto s0 = base.rrsets.find({key, rrtype});
      diff_rrset(s0 == base.rrsets.end() ? nullptr : &s0->second, *z1, key, rrtype, d);
    }
    const bool same_soa = d.old_soa == d.new_soa;
    if (same_soa && d.removed.empty() && d.added.empty()) continue;  // nothing changed
    if (d.from() == d.to()) {
      broken.insert(apex_key);  // changed data (or SOA) under the same serial
      continue;
    }
    out.diffs.push_back(std::move(d));
  }
  for (const std::string& apex_key : broken) {
    if (const Zone* z = zone_at(after, apex_key)) {
      out.reset.push_back(z->apex());
    } else if (const auto z0 = base.zones.find(apex_key); z0 != base.zones.end()) {
      out.reset.push_back(z0->second.apex);
    }
  }
  return out;
}

VersionDiff diff_versions(const DatabaseVersion& before, const DatabaseVersion& after,
                          std::span<const Change> changes, size_t max_bytes) {
  return diff_from(diff_base(before, changes), after, changes, max_bytes);
}

}  // namespace dns
