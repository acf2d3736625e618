#include "engine/update_codec.h"

#include <fmt/core.h>

#include "dns/rdata.h"
#include "dns/types.h"

namespace engine {
namespace {

void put_update_record(raft::ByteWriter& w, const dns::Record& record) {
  const std::string& wire = record.owner.wire();
  w.bytes({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
  w.u32(static_cast<std::uint32_t>(record.type) << 16 | record.rclass);
  w.u32(record.ttl);
  w.bytes(record.rdata);
}

// Like get_record, but class ANY/NONE records may have empty rdata (UPDATE's meta records).
dns::Record get_update_record(raft::ByteReader& r) {
  dns::Record record;
  const raft::Bytes owner = r.bytes("update record owner", dns::Name::kMaxWireLength);
  const std::uint32_t type_class = r.u32("update record type");
  record.type = static_cast<std::uint16_t>(type_class >> 16);
  record.rclass = static_cast<std::uint16_t>(type_class & 0xffff);
  record.ttl = r.u32("update record ttl");
  record.rdata = r.bytes("update record rdata", 65535);
  const bool meta = record.rclass == dns::rclass::ANY || record.rclass == dns::rclass::NONE;
  try {
    record.owner = dns::Name::from_wire(owner);
    if (!(meta && record.rdata.empty())) dns::validate_rdata(record.type, record.rdata);
  } catch (const std::exception& e) {
    throw raft::DecodeError(std::string("update record: ") + e.what());
  }
  return record;
}

void put_records(raft::ByteWriter& w, const std::vector<dns::Record>& records) {
  w.u32(static_cast<std::uint32_t>(records.size()));
  for (const dns::Record& r : records) put_update_record(w, r);
}

std::vector<dns::Record> get_records(raft::ByteReader& r, std::string_view field) {
  std::vector<dns::Record> out;
  for (std::uint32_t i = 0, n = r.count(field, kMaxUpdateRecords, 13); i < n; ++i)
    out.push_back(get_update_record(r));
  return out;
}

}  // namespace

std::size_t update_request_size(const dns::update::Request& request) {
  // Each ByteWriter::bytes() is a u32 length and the data; a record is owner, type|class, TTL,
  // rdata; a record list is a u32 count and its records.
  std::size_t n = 4 + request.zone.wire().size();
  for (const auto* records : {&request.prerequisites, &request.updates}) {
    n += 4;
    for (const dns::Record& r : *records)
      n += 4 + r.owner.wire().size() + 4 + 4 + 4 + r.rdata.size();
  }
  return n;
}

void put_update_request(raft::ByteWriter& w, const dns::update::Request& request) {
  const std::string& zone = request.zone.wire();
  w.bytes({reinterpret_cast<const std::uint8_t*>(zone.data()), zone.size()});
  put_records(w, request.prerequisites);
  put_records(w, request.updates);
}

dns::update::Request get_update_request(raft::ByteReader& r) {
  dns::update::Request request;
  const raft::Bytes zone = r.bytes("update zone", dns::Name::kMaxWireLength);
  try {
    request.zone = dns::Name::from_wire(zone);
  } catch (const std::exception& e) {
    throw raft::DecodeError(std::string("update zone: ") + e.what());
  }
  request.prerequisites = get_records(r, "update prerequisites");
  request.updates = get_records(r, "update records");
  return request;
}

Bytes encode_pending_updates(const std::map<raft::Index, PendingUpdate>& updates) {
  Bytes out;
  raft::ByteWriter w(out);
  w.u32(static_cast<std::uint32_t>(updates.size()));
  for (const auto& [index, u] : updates) {
    w.u64(index);
    w.u64(u.origin);
    w.u64(u.request_id);
    put_update_request(w, u.request);
  }
  return out;
}

std::map<raft::Index, PendingUpdate> decode_pending_updates(ByteView bytes) {
  raft::ByteReader r(bytes);
  std::map<raft::Index, PendingUpdate> out;
  raft::Index last = 0;
  for (std::uint32_t i = 0, n = r.count("pending updates", 1u << 30, 40); i < n; ++i) {
    const raft::Index index = r.u64("pending update index");
    if (index <= last)
      throw raft::DecodeError(
          fmt::format("pending update index: {} after {} (not ascending)", index, last));
    last = index;
    PendingUpdate u;
    u.origin = r.u64("pending update origin");
    u.request_id = r.u64("pending update request id");
    u.request = get_update_request(r);
    out.emplace(index, std::move(u));
  }
  r.expect_end("pending updates");
  return out;
}

}  // namespace engine
