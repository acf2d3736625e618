#include "engine/datastore_transfer.h"

#include <fmt/core.h>

#include <algorithm>
#include <limits>

#include "engine/crc32.h"
#include "engine/record_codec.h"
#include "raft/codec.h"

namespace engine {
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
  s.chunk_starts.push_back({0, zone_at(s, 0).first_node(), 0});
  return s;
}

const dns::Zone& TransferSource::zone_at(const Stream& stream, std::size_t zone) {
  const auto& zones = stream.snapshot.version->zones();
  return zone < zones.size() ? *zones[zone] : stream.snapshot.version->outside_zones();
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
  std::vector<dns::Record> records;  // one node's
  while (at.zone <= zone_count && out.payload.size() < chunk_bytes_) {
    const dns::ZoneNode* node = at.node.node();
    if (!node) {
      if (++at.zone <= zone_count) at.node = zone_at(stream, at.zone).first_node();
      at.record = 0;
      continue;
    }
    records.clear();
    dns::Zone::append_records(*node, records);
    while (at.record < records.size() && out.payload.size() < chunk_bytes_) {
      put_record(w, records[at.record++]);
      ++out.records;
    }
    if (at.record >= records.size()) {
      at.node.next();
      at.record = 0;
    }
  }
  out.last = at.zone > zone_count;
  if (number + 1 == stream.chunk_starts.size() && !out.last) stream.chunk_starts.push_back(at);
  return out;
}

std::string TransferSink::recover() {
  std::string note;
  const std::optional<StagedIdentity> copy = staged_.recover(note);
  if (!copy) return note;
  progress_ = {};
  progress_.peer = copy->peer;
  progress_.transfer_id = copy->transfer_id;
  progress_.index = copy->index;
  progress_.chunks = copy->chunks;
  progress_.records = copy->records;
  progress_.bytes = copy->bytes;
  progress_.checksum = copy->crc;
  progress_.resumed_at = copy->chunks;
  active_ = true;
  complete_ = copy->complete;
  recovered_ = true;
  return note;
}

TransferRequest TransferSink::begin(NodeId peer, std::uint64_t transfer_id) {
  const std::uint64_t restarts = active_ ? progress_.restarts + 1 : progress_.restarts;
  staged_.clear();
  progress_ = {};
  progress_.peer = peer;
  progress_.transfer_id = transfer_id;
  progress_.restarts = restarts;
  active_ = true;
  complete_ = false;
  recovered_ = false;
  return next_request();
}

TransferSink::Step TransferSink::on_chunk(NodeId from, const TransferChunk& chunk) {
  if (!active_ || complete_ || from != progress_.peer ||
      chunk.transfer_id != progress_.transfer_id || chunk.chunk != progress_.chunks)
    return Step::Ignored;
  if (chunk.chunk > 0 && chunk.index != progress_.index)
    throw raft::DecodeError(fmt::format("chunk index: chunk {} covers index {}, chunk 0 covered {}",
                                        chunk.chunk, chunk.index, progress_.index));
  if (progress_.records + chunk.records > std::numeric_limits<std::uint32_t>::max())
    throw raft::DecodeError(
        fmt::format("chunk records: {} more than the {} so far is more than a "
                    "snapshot file holds",
                    chunk.records, progress_.records));
  // Decoded once here so a malformed chunk is refused before it reaches the disk.
  raft::ByteReader r(chunk.payload);
  for (std::uint32_t i = 0; i < chunk.records; ++i) get_record(r);
  r.expect_end("chunk records");
  StagedIdentity after;
  after.peer = progress_.peer;
  after.transfer_id = progress_.transfer_id;
  after.index = chunk.index;
  after.chunks = progress_.chunks + 1;
  after.records = progress_.records + chunk.records;
  after.bytes = progress_.bytes + chunk.payload.size();
  after.crc = crc32_extend(progress_.checksum, chunk.payload);
  after.complete = chunk.last;
  staged_.add(after, chunk.payload);
  progress_.index = after.index;
  progress_.chunks = after.chunks;
  progress_.records = after.records;
  progress_.bytes = after.bytes;
  progress_.checksum = after.crc;
  recovered_ = false;
  if (!chunk.last) return Step::Next;
  complete_ = true;
  return Step::Complete;
}

void TransferSink::finish(bool skip_sync) {
  if (!complete_) throw std::logic_error("transfer finished before its last chunk");
  StagedIdentity copy;
  copy.peer = progress_.peer;
  copy.transfer_id = progress_.transfer_id;
  copy.index = progress_.index;
  copy.chunks = progress_.chunks;
  copy.records = progress_.records;
  copy.bytes = progress_.bytes;
  copy.crc = progress_.checksum;
  copy.complete = true;
  staged_.seal(copy, skip_sync);
}

void TransferSink::discard() {
  staged_.clear();
  active_ = false;
  complete_ = false;
  recovered_ = false;
}

}  // namespace engine
