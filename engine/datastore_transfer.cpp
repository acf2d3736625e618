#include "engine/datastore_transfer.h"

#include <fmt/core.h>

#include <algorithm>

#include "engine/durable_framing.h"
#include "engine/record_codec.h"
#include "raft/codec.h"

namespace engine {
namespace {
constexpr std::uint8_t kPartChunk = 1;
}  // namespace

TransferSource::Stream* TransferSource::find(std::uint64_t id) {
  for (Stream& s : streams_)
    if (s.id == id) return &s;
  return nullptr;
}

TransferSource::Stream& TransferSource::open(std::uint64_t id, Snapshot snapshot) {
  if (streams_.size() >= kMaxSourceTransfers) streams_.pop_front();
  Stream& s = streams_.emplace_back();
  s.id = id;
  s.snapshot = std::move(snapshot);
  s.chunk_starts.push_back({});
  return s;
}

const std::vector<dns::Record>& TransferSource::zone_records(Stream& stream, std::size_t zone) {
  if (stream.cached_zone != zone) {
    stream.cached_records.clear();
    const auto& zones = stream.snapshot.version->zones();
    if (zone < zones.size())
      zones[zone]->append_records(stream.cached_records);
    else
      stream.snapshot.version->outside_zones().append_records(stream.cached_records);
    stream.cached_zone = zone;
  }
  return stream.cached_records;
}

TransferMessage TransferSource::chunk(Stream& stream, std::uint64_t number) {
  if (number >= stream.chunk_starts.size())
    return TransferRefused{stream.id, fmt::format("chunk {} asked before chunk {} was sent", number,
                                                  stream.chunk_starts.size() - 1)};
  TransferChunk out;
  out.transfer_id = stream.id;
  out.index = stream.snapshot.index;
  out.chunk = number;
  raft::ByteWriter w(out.payload);
  Position at = stream.chunk_starts[number];
  const std::size_t zone_count = stream.snapshot.version->zones().size();
  while (at.zone <= zone_count && out.payload.size() < chunk_bytes_) {
    const std::vector<dns::Record>& records = zone_records(stream, at.zone);
    while (at.record < records.size() && out.payload.size() < chunk_bytes_) {
      put_record(w, records[at.record++]);
      ++out.records;
    }
    if (at.record >= records.size()) at = {at.zone + 1, 0};
  }
  out.last = at.zone > zone_count;
  if (number + 1 == stream.chunk_starts.size() && !out.last) stream.chunk_starts.push_back(at);
  return out;
}

TransferRequest TransferSink::begin(NodeId peer, std::uint64_t transfer_id) {
  const std::uint64_t restarts = active_ ? progress_.restarts + 1 : progress_.restarts;
  disk_.remove(part_name_);
  progress_ = {};
  progress_.peer = peer;
  progress_.transfer_id = transfer_id;
  progress_.restarts = restarts;
  active_ = true;
  complete_ = false;
  return next_request();
}

TransferSink::Step TransferSink::on_chunk(NodeId from, const TransferChunk& chunk) {
  if (!active_ || complete_ || from != progress_.peer ||
      chunk.transfer_id != progress_.transfer_id || chunk.chunk != progress_.chunks)
    return Step::Ignored;
  if (chunk.chunk > 0 && chunk.index != progress_.index)
    throw raft::DecodeError(fmt::format("chunk index: chunk {} covers index {}, chunk 0 covered {}",
                                        chunk.chunk, chunk.index, progress_.index));
  // Decoded once here so a malformed chunk is refused before it reaches the disk.
  raft::ByteReader r(chunk.payload);
  for (std::uint32_t i = 0; i < chunk.records; ++i) get_record(r);
  r.expect_end("chunk records");
  disk_.append(part_name_, frame_record(kPartChunk, [&](raft::ByteWriter& w) {
                 w.u64(chunk.index);
                 w.u32(chunk.records);
                 w.bytes(chunk.payload);
               }));
  progress_.index = chunk.index;
  ++progress_.chunks;
  progress_.records += chunk.records;
  progress_.bytes += chunk.payload.size();
  if (!chunk.last) return Step::Next;
  complete_ = true;
  return Step::Complete;
}

std::vector<dns::Record> TransferSink::finish(bool skip_sync) {
  if (!complete_) throw std::logic_error("transfer finished before its last chunk");
  if (!skip_sync) disk_.sync(part_name_);
  const std::optional<Bytes> file = disk_.read(part_name_);
  if (!file) throw raft::DecodeError(fmt::format("{}: the part file is gone", part_name_));
  std::vector<dns::Record> records;
  records.reserve(progress_.records);
  std::size_t offset = 0;
  for (std::uint64_t i = 0; i < progress_.chunks; ++i) {
    const std::optional<ByteView> payload = record_at(*file, offset);
    if (!payload)
      throw raft::DecodeError(fmt::format("{}: chunk {} at byte {}: {}", part_name_, i, offset,
                                          record_problem(*file, offset)));
    offset += kRecordFrameHeader + payload->size();
    raft::ByteReader r(*payload);
    if (r.u8("part kind") != kPartChunk) throw raft::DecodeError("part kind: not a chunk");
    if (r.u64("part index") != progress_.index)
      throw raft::DecodeError(fmt::format("{}: chunk {} is of another snapshot", part_name_, i));
    const std::uint32_t count = r.u32("part records");
    const Bytes body = r.bytes("part payload", kMaxTransferChunkBytes);
    r.expect_end("part chunk");
    raft::ByteReader rr(body);
    for (std::uint32_t k = 0; k < count; ++k) records.push_back(get_record(rr));
    rr.expect_end("part chunk records");
  }
  if (offset != file->size())
    throw raft::DecodeError(
        fmt::format("{}: {} bytes after the last chunk", part_name_, file->size() - offset));
  return records;
}

void TransferSink::discard() {
  disk_.remove(part_name_);
  active_ = false;
  complete_ = false;
}

}  // namespace engine
