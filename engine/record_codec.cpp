#include "engine/record_codec.h"

#include <string>

#include "dns/error.h"
#include "dns/rdata.h"

namespace engine {

void put_record(raft::ByteWriter& w, const dns::Record& record) {
  const std::string& wire = record.owner.wire();
  w.bytes({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
  w.u32(static_cast<std::uint32_t>(record.type) << 16 | record.rclass);
  w.u32(record.ttl);
  w.bytes(record.rdata);
}

std::size_t put_version_records(raft::ByteWriter& w, const dns::DatabaseVersion& version) {
  std::size_t count = 0;
  auto put_zone = [&](const dns::Zone& zone) {
    zone.for_each_node([&](const dns::ZoneNode& node) {
      const std::string_view owner = node.owner_wire();
      for (const dns::RRset& set : node.rrsets)
        for (const auto rdata : set.rdatas) {
          w.bytes({reinterpret_cast<const std::uint8_t*>(owner.data()), owner.size()});
          w.u32(static_cast<std::uint32_t>(set.type) << 16 | dns::rclass::IN);
          w.u32(set.ttl);
          w.bytes({rdata.data(), rdata.size()});
          ++count;
        }
    });
  };
  for (const auto& zone : version.zones()) put_zone(*zone);
  put_zone(version.outside_zones());
  return count;
}

dns::Record get_record(raft::ByteReader& r) {
  dns::Record record;
  const raft::Bytes owner = r.bytes("record owner", dns::Name::kMaxWireLength);
  const std::uint32_t type_class = r.u32("record type");
  record.type = static_cast<std::uint16_t>(type_class >> 16);
  record.rclass = static_cast<std::uint16_t>(type_class & 0xffff);
  record.ttl = r.u32("record ttl");
  record.rdata = r.bytes("record rdata", 65535);
  // A damaged file or a hostile peer must not smuggle an invalid name or rdata into the zones.
  try {
    record.owner = dns::Name::from_wire(owner);
    dns::validate_rdata(record.type, record.rdata);
  } catch (const std::exception& e) {
    throw raft::DecodeError(std::string("record: ") + e.what());
  }
  return record;
}

void put_change(raft::ByteWriter& w, const dns::Change& change) {
  w.u8(change.kind == dns::Change::Add ? 1 : 2);
  put_record(w, change.record);
}

dns::Change get_change(raft::ByteReader& r) {
  dns::Change change;
  switch (r.u8("change kind")) {
    case 1:
      change.kind = dns::Change::Add;
      break;
    case 2:
      change.kind = dns::Change::Remove;
      break;
    default:
      throw raft::DecodeError("change kind: not ADD (1) or REMOVE (2)");
  }
  change.record = get_record(r);
  return change;
}

std::size_t encoded_size(const std::vector<dns::Change>& changes) {
  // Mirrors put_changes: u32 count; per change u8 kind, then put_record's u32 length + owner,
  // u32 type|class, u32 ttl, u32 length + rdata.
  std::size_t size = 4;
  for (const dns::Change& c : changes)
    size += 1 + 4 + c.record.owner.wire_length() + 4 + 4 + 4 + c.record.rdata.size();
  return size;
}

void put_changes(raft::ByteWriter& w, const std::vector<dns::Change>& changes) {
  w.u32(static_cast<std::uint32_t>(changes.size()));
  for (const dns::Change& c : changes) put_change(w, c);
}

std::vector<dns::Change> get_changes(raft::ByteReader& r, std::uint32_t max_changes) {
  // Smallest change: kind + empty owner length... at least 1 + 4 + 1 + 4 + 4 + 4 bytes.
  const std::uint32_t n = r.count("changes", max_changes, 18);
  std::vector<dns::Change> changes;
  changes.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) changes.push_back(get_change(r));
  return changes;
}

}  // namespace engine
