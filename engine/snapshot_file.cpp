#include "engine/snapshot_file.h"

#include <stdexcept>

#include <fmt/core.h>

#include "engine/crc32.h"
#include "engine/record_codec.h"
#include "raft/codec.h"

namespace engine {
namespace {

// The longest record put_record() writes: owner (length + 255 bytes), type and class, ttl,
// rdata (length + 65535 bytes). A piece holding this much decodes one whole record.
constexpr std::size_t kMaxEncodedRecord = 4 + 255 + 4 + 4 + 4 + 65535;

Bytes index_and_count(raft::Index index, std::uint32_t records) {
  Bytes out;
  raft::ByteWriter w(out);
  w.u64(index);
  w.u32(records);
  return out;
}

}  // namespace

std::uint32_t snapshot_checksum_start(raft::Index index, std::uint32_t records) {
  return crc32(index_and_count(index, records));
}

Bytes snapshot_file_header(raft::Index index, std::uint32_t records, std::uint32_t file_crc) {
  Bytes out;
  raft::ByteWriter w(out);
  w.u8(kSnapshotFileVersion);
  w.u32(file_crc);
  const Bytes rest = index_and_count(index, records);
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

SnapshotFileSummary for_each_snapshot_record(const Disk& disk, const std::string& name,
                                             const std::function<void(const dns::Record&)>& visit,
                                             std::size_t piece) {
  if (piece == 0) throw std::invalid_argument("for_each_snapshot_record: a piece of 0 bytes");
  Bytes window;
  std::size_t at = 0;             // next unread byte of `window`
  std::uint64_t file_offset = 0;  // of window[0]
  bool end_of_file = false;
  // Keeps at least `want` unread bytes in the window unless the file ends first.
  auto fill = [&](std::size_t want) {
    if (end_of_file || window.size() - at >= want) return;
    window.erase(window.begin(), window.begin() + static_cast<std::ptrdiff_t>(at));
    file_offset += at;
    at = 0;
    while (!end_of_file && window.size() < want) {
      const std::uint64_t from = file_offset + window.size();
      std::optional<Bytes> read = disk.read_range(name, from, piece);
      if (!read) throw raft::DecodeError(fmt::format("{}: the file is gone", name));
      if (read->size() < piece) end_of_file = true;
      window.insert(window.end(), read->begin(), read->end());
    }
  };

  fill(kSnapshotHeaderBytes);
  if (window.size() < kSnapshotHeaderBytes)
    throw raft::DecodeError(fmt::format("{}: {} bytes is too short for the {}-byte header", name,
                                        window.size(), kSnapshotHeaderBytes));
  if (window[0] != kSnapshotFileVersion)
    throw raft::DecodeError(
        fmt::format("{}: byte 0: format version {} is not supported", name, window[0]));
  raft::ByteReader head(ByteView(window.data() + 1, kSnapshotHeaderBytes - 1));
  const std::uint32_t expected_crc = head.u32("snapshot checksum");
  SnapshotFileSummary summary;
  summary.index = head.u64("snapshot index");
  const std::uint32_t count = head.u32("snapshot records");
  std::uint32_t crc = snapshot_checksum_start(summary.index, count);
  at = kSnapshotHeaderBytes;

  for (std::uint32_t i = 0; i < count; ++i) {
    fill(kMaxEncodedRecord);
    raft::ByteReader r(ByteView(window.data() + at, window.size() - at));
    dns::Record record;
    try {
      record = get_record(r);
    } catch (const raft::DecodeError& e) {
      throw raft::DecodeError(fmt::format("{}: record {} of {} at byte {}: {}", name, i + 1, count,
                                          file_offset + at, e.what()));
    }
    crc = crc32_extend(crc, ByteView(window.data() + at, r.position()));
    at += r.position();
    visit(record);
    ++summary.records;
  }
  fill(1);
  if (window.size() > at)
    throw raft::DecodeError(fmt::format("{}: bytes after the last of its {} records at byte {}",
                                        name, count, file_offset + at));
  if (crc != expected_crc)
    throw raft::DecodeError(fmt::format(
        "{}: checksum mismatch: the file's bytes do not match the checksum at bytes 1..4", name));
  return summary;
}

}  // namespace engine
