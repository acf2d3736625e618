#include "engine/journal_store.h"

#include <fmt/format.h>

#include "engine/durable_framing.h"
#include "engine/record_codec.h"
#include "raft/codec.h"

namespace engine {

namespace {

constexpr std::uint8_t kBatchKind = 1;
// Far above any real batch; bounds what a damaged count can make the decoder reserve.
constexpr std::uint32_t kMaxZonesPerBatch = 1u << 16;
constexpr std::uint32_t kMaxRecordsPerDiff = 1u << 24;
constexpr std::size_t kMinRecordBytes = 16;  // u32 owner length, type|class, ttl, rdata length

void put_name(raft::ByteWriter& w, const dns::Name& name) {
  const std::string& wire = name.wire();
  w.bytes({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
}

dns::Name get_name(raft::ByteReader& r, std::string_view field) {
  const raft::Bytes wire = r.bytes(field, dns::Name::kMaxWireLength);
  try {
    return dns::Name::from_wire(wire);
  } catch (const std::exception& e) {
    throw raft::DecodeError(fmt::format("{}: {}", field, e.what()));
  }
}

void put_records(raft::ByteWriter& w, const std::vector<dns::Record>& records) {
  w.u32(static_cast<std::uint32_t>(records.size()));
  for (const dns::Record& r : records) put_record(w, r);
}

std::vector<dns::Record> get_records(raft::ByteReader& r, std::string_view field) {
  const std::uint32_t n = r.count(field, kMaxRecordsPerDiff, kMinRecordBytes);
  std::vector<dns::Record> out;
  out.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) out.push_back(get_record(r));
  return out;
}

dns::ZoneDiff get_diff(raft::ByteReader& r, raft::Index index) {
  dns::ZoneDiff d;
  d.index = index;
  d.apex = get_name(r, "diff apex");
  d.old_soa = get_record(r);
  d.new_soa = get_record(r);
  if (d.old_soa.type != dns::type::SOA || d.new_soa.type != dns::type::SOA)
    throw raft::DecodeError("diff: old or new SOA is not a SOA record");
  d.removed = get_records(r, "diff removed count");
  d.added = get_records(r, "diff added count");
  return d;
}

JournalBatch get_batch(raft::ByteReader& r) {
  if (r.u8("record kind") != kBatchKind) throw raft::DecodeError("record kind: not a batch (1)");
  JournalBatch b;
  b.index = r.u64("batch index");
  const std::uint32_t resets = r.count("reset count", kMaxZonesPerBatch, 5);
  for (std::uint32_t i = 0; i < resets; ++i) b.reset.push_back(get_name(r, "reset apex"));
  const std::uint32_t diffs = r.count("diff count", kMaxZonesPerBatch, 5 + 2 * kMinRecordBytes);
  for (std::uint32_t i = 0; i < diffs; ++i) b.diffs.push_back(get_diff(r, b.index));
  r.expect_end("journal batch");
  return b;
}

void replay(const JournalBatch& b, dns::ZoneJournal& journal) {
  for (const dns::Name& apex : b.reset) journal.reset(apex);
  for (const dns::ZoneDiff& d : b.diffs) journal.add(std::make_shared<const dns::ZoneDiff>(d));
}

}  // namespace

Bytes encode_journal_batch(const JournalBatch& b) {
  Bytes out;
  append_journal_batch(out, b);
  return out;
}

void append_journal_batch(Bytes& out, const JournalBatch& b) {
  append_record(out, kBatchKind, [&](raft::ByteWriter& w) {
    w.u64(b.index);
    w.u32(static_cast<std::uint32_t>(b.reset.size()));
    for (const dns::Name& apex : b.reset) put_name(w, apex);
    w.u32(static_cast<std::uint32_t>(b.diffs.size()));
    for (const dns::ZoneDiff& d : b.diffs) {
      put_name(w, d.apex);
      put_record(w, d.old_soa);
      put_record(w, d.new_soa);
      put_records(w, d.removed);
      put_records(w, d.added);
    }
  });
}

JournalScan decode_journal(const Bytes& file) {
  JournalScan scan;
  std::size_t offset = 0;
  while (offset < file.size()) {
    const std::optional<ByteView> payload = record_at(file, offset);
    if (!payload) {
      if (const std::optional<std::size_t> next = next_valid_record(file, offset))
        throw raft::DecodeError(
            fmt::format("record at byte {} is damaged ({}) but a valid record follows at byte {}",
                        offset, record_problem(file, offset), *next));
      break;  // a torn tail
    }
    try {
      raft::ByteReader r(*payload);
      scan.batches.push_back(get_batch(r));
    } catch (const raft::DecodeError& e) {
      throw raft::DecodeError(fmt::format("record at byte {}: {}", offset, e.what()));
    }
    offset += kRecordFrameHeader + payload->size();
  }
  scan.valid_bytes = offset;
  return scan;
}

JournalStore::JournalStore(Disk& disk, std::string name, std::uint64_t compact_slack)
    : disk_(disk), name_(std::move(name)), compact_slack_(compact_slack) {}

void JournalStore::load(raft::Index hw, dns::ZoneJournal& journal,
                        std::vector<std::string>& warnings) {
  journal.clear();
  file_bytes_ = 0;
  const std::optional<Bytes> file = disk_.read(name_);
  if (!file) return;
  JournalScan scan;
  try {
    scan = decode_journal(*file);
  } catch (const raft::DecodeError& e) {
    warnings.push_back(
        fmt::format("{}: {}; the IXFR journal starts empty (IXFR falls back to "
                    "AXFR until it refills)",
                    name_, e.what()));
    disk_.replace(name_, {});
    return;
  }
  bool dropped = scan.valid_bytes < file->size();
  if (dropped)
    warnings.push_back(fmt::format("{}: torn tail cut at byte {} ({} bytes dropped)", name_,
                                   scan.valid_bytes, file->size() - scan.valid_bytes));
  for (const JournalBatch& b : scan.batches) {
    if (b.index > hw) {
      dropped = true;  // served again after this start, and recorded again then
      continue;
    }
    replay(b, journal);
  }
  file_bytes_ = scan.valid_bytes;
  // What is left must not meet the records that replace the dropped ones: write it afresh.
  if (dropped) rewrite(journal);
}

void JournalStore::append(std::span<const JournalBatch> batches, const dns::ZoneJournal& journal) {
  if (batches.empty()) return;
  Bytes out;
  for (const JournalBatch& b : batches) append_journal_batch(out, b);
  disk_.append(name_, out);
  disk_.sync(name_);
  file_bytes_ += out.size();
  if (file_bytes_ > 2 * journal.bytes() + compact_slack_) rewrite(journal);
}

void JournalStore::clear() {
  disk_.replace(name_, {});
  file_bytes_ = 0;
}

void JournalStore::rewrite(const dns::ZoneJournal& journal) {
  Bytes out;
  for (const auto& d : journal.all()) {
    JournalBatch b;
    b.index = d->index;
    b.diffs.push_back(*d);
    append_journal_batch(out, b);
  }
  disk_.replace(name_, out);
  file_bytes_ = out.size();
}

}  // namespace engine
