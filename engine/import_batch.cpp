#include "engine/import_batch.h"

#include "dns/types.h"
#include "dns/zone.h"

namespace engine {
namespace {

// RFC 1982: is a newer than b?
bool serial_newer(std::uint32_t a, std::uint32_t b) {
  return a != b && static_cast<std::uint32_t>(a - b) < 0x80000000u;
}

// Whether `soa` would set its zone's serial back (or leave it as is): the zone exists at that
// apex with a SOA whose serial is not older.
bool would_not_advance(const dns::DatabaseVersion& db, const dns::Record& soa) {
  const dns::Zone* zone = db.find_zone(soa.owner.lowercased().wire());
  if (!zone || !(zone->apex() == soa.owner)) return false;
  const dns::RRset* current = zone->soa();
  if (!current || current->rdatas.empty()) return false;
  return !serial_newer(dns::soa_serial(soa.rdata), dns::soa_serial(current->rdatas.front()));
}

}  // namespace

std::vector<dns::Change> import_changes(const dns::DatabaseVersion& db,
                                        std::vector<dns::Change>&& changes) {
  std::erase_if(changes, [&](const dns::Change& c) {
    return c.kind == dns::Change::Add && c.record.type == dns::type::SOA &&
           would_not_advance(db, c.record);
  });
  return std::move(changes);
}

std::vector<dns::Change> import_changes(const dns::DatabaseVersion& db,
                                        const std::vector<dns::Change>& changes) {
  std::vector<dns::Change> out;
  out.reserve(changes.size());
  for (const dns::Change& c : changes) {
    if (c.kind == dns::Change::Add && c.record.type == dns::type::SOA &&
        would_not_advance(db, c.record))
      continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace engine
