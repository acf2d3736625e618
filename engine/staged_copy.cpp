#include "engine/staged_copy.h"

#include <fmt/core.h>

#include <algorithm>
#include <limits>

#include "engine/crc32.h"
#include "engine/durable_framing.h"
#include "engine/snapshot_file.h"
#include "raft/codec.h"

namespace engine {
namespace {

constexpr std::uint8_t kStateVersion = 1;

std::optional<StagedIdentity> decode_state(const Bytes& file, std::string& problem) {
  const UnframedFile f = unframe_file(kStateVersion, file);
  if (!f.payload) {
    problem = f.problem;
    return std::nullopt;
  }
  try {
    raft::ByteReader r(*f.payload);
    StagedIdentity copy;
    copy.peer = r.u64("peer");
    copy.transfer_id = r.u64("transfer id");
    copy.index = r.u64("index");
    copy.chunks = r.u64("chunks");
    copy.records = r.u64("records");
    copy.bytes = r.u64("bytes");
    copy.crc = r.u32("checksum");
    const std::uint8_t complete = r.u8("complete");
    if (complete > 1) throw raft::DecodeError(fmt::format("complete: {} is not 0 or 1", complete));
    copy.complete = complete == 1;
    r.expect_end("state");
    if (copy.records > std::numeric_limits<std::uint32_t>::max())
      throw raft::DecodeError(
          fmt::format("records: {} is more than a snapshot holds", copy.records));
    return copy;
  } catch (const raft::DecodeError& e) {
    problem = e.what();
    return std::nullopt;
  }
}

}  // namespace

std::optional<StagedCopy::Checksums> StagedCopy::checksum_records(std::uint64_t bytes,
                                                                  std::uint32_t file_start) const {
  Checksums sums{0, file_start};
  std::uint64_t done = 0;
  while (done < bytes) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(kSnapshotReadPiece, bytes - done));
    const std::optional<Bytes> piece =
        disk_.read_range(part_name_, kSnapshotHeaderBytes + done, want);
    if (!piece || piece->size() < want) return std::nullopt;
    sums.records = crc32_extend(sums.records, *piece);
    sums.file = crc32_extend(sums.file, *piece);
    done += want;
  }
  return sums;
}

std::optional<StagedIdentity> StagedCopy::recover(std::string& note) {
  const std::optional<Bytes> state = disk_.read(state_name_);
  const std::optional<Bytes> head = disk_.read_range(part_name_, 0, kSnapshotHeaderBytes);
  auto give_up = [&](std::string why) -> std::optional<StagedIdentity> {
    note = std::move(why);
    clear();
    return std::nullopt;
  };
  if (!state) {
    if (!head) return std::nullopt;  // nothing staged
    return give_up(fmt::format("{} without {}: removed", part_name_, state_name_));
  }
  std::string problem;
  const std::optional<StagedIdentity> copy = decode_state(*state, problem);
  if (!copy)
    return give_up(fmt::format("{}: {}; the staged copy is dropped", state_name_, problem));
  if (!head) return give_up(fmt::format("{} is gone (installed, or never begun)", part_name_));
  const std::optional<Checksums> sums = checksum_records(copy->bytes, 0);
  if (!sums)
    return give_up(fmt::format("{} is shorter than the {} record bytes {} names; starting over",
                               part_name_, copy->bytes, state_name_));
  if (sums->records != copy->crc)
    return give_up(fmt::format(
        "{}: the {} staged record bytes do not match their checksum {:08x} in {}; starting over",
        part_name_, copy->bytes, copy->crc, state_name_));
  // A chunk appended (maybe in part) after the last identity was written is asked for again.
  disk_.truncate(part_name_, kSnapshotHeaderBytes + copy->bytes);
  identity_bytes_ = copy->bytes;
  note = fmt::format(
      "staged copy from node {} (transfer {:016x}, index {}): {} chunks, {} records, {} bytes{}",
      copy->peer, copy->transfer_id, copy->index, copy->chunks, copy->records, copy->bytes,
      copy->complete ? ", complete" : "");
  return copy;
}

void StagedCopy::clear() {
  // The identity first: a staged file without one is never resumed.
  disk_.remove(state_name_);
  disk_.remove(part_name_);
}

void StagedCopy::add(const StagedIdentity& after, ByteView records) {
  const std::uint64_t before = after.bytes - records.size();
  if (after.chunks == 1) {
    // The header's place; its content is known only at seal().
    disk_.remove(part_name_);
    disk_.append(part_name_, Bytes(kSnapshotHeaderBytes, 0));
  } else {
    // Whatever a failed append left after the staged bytes goes first.
    disk_.truncate(part_name_, kSnapshotHeaderBytes + before);
  }
  disk_.append(part_name_, records);
  if (after.chunks == 1) identity_bytes_ = 0;
  if (!after.complete && after.bytes - identity_bytes_ < std::max<std::uint64_t>(sync_bytes_, 1))
    return;
  disk_.sync(part_name_);
  write_state(after);
  identity_bytes_ = after.bytes;
}

void StagedCopy::write_state(const StagedIdentity& copy) {
  Bytes payload;
  raft::ByteWriter w(payload);
  w.u64(copy.peer);
  w.u64(copy.transfer_id);
  w.u64(copy.index);
  w.u64(copy.chunks);
  w.u64(copy.records);
  w.u64(copy.bytes);
  w.u32(copy.crc);
  w.u8(copy.complete ? 1 : 0);
  disk_.replace(state_name_, frame_file(kStateVersion, payload));
}

void StagedCopy::seal(const StagedIdentity& copy, bool skip_sync) {
  if (!copy.complete) throw std::logic_error("StagedCopy::seal before the last chunk");
  const auto count = static_cast<std::uint32_t>(copy.records);
  const std::optional<Checksums> sums =
      checksum_records(copy.bytes, snapshot_checksum_start(copy.index, count));
  if (!sums)
    throw raft::DecodeError(
        fmt::format("{}: shorter than the {} record bytes staged", part_name_, copy.bytes));
  if (sums->records != copy.crc)
    throw raft::DecodeError(
        fmt::format("{}: the {} staged record bytes do not match their running checksum {:08x}",
                    part_name_, copy.bytes, copy.crc));
  disk_.truncate(part_name_, kSnapshotHeaderBytes + copy.bytes);
  disk_.write_at(part_name_, 0, snapshot_file_header(copy.index, count, sums->file));
  if (!skip_sync) disk_.sync(part_name_);
}

}  // namespace engine
