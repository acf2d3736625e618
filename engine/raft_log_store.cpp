#include "engine/raft_log_store.h"

#include <algorithm>

#include "engine/durable_framing.h"

#include <fmt/format.h>

#include "raft/codec.h"

namespace engine {

namespace {

constexpr std::uint8_t kFileVersion = 1;
// raft.snap in format 2 holds a snapshot whose configuration has learners
// (raft::SnapshotLayout::WithLearners); it is written only then, so every other snapshot stays
// in format 1, readable by versions that predate learners.
constexpr std::uint8_t kSnapshotWithLearnersVersion = 2;
constexpr size_t kRecordHeader = kRecordFrameHeader;
constexpr std::uint32_t kMaxRecordBytes = raft::kMaxEntryBytes + 64;

enum class RecordKind : std::uint8_t { Header = 0, Entry = 1, Truncate = 2, HardState = 3 };

// Whole files are framed [u8 version][u32 crc32(payload)][payload] (durable_framing.h).
ByteView unframe_or_throw(const std::string& name, const Bytes& file,
                          std::uint8_t version = kFileVersion) {
  // These files are only ever written with replace(), which is atomic: damage here is not a
  // crash artifact, so it is reported rather than silently dropped.
  UnframedFile f = unframe_file(version, file);
  if (!f.payload) throw RaftLogStoreError(fmt::format("{}: {}", name, f.problem));
  return *f.payload;
}

// Each adds its record to `out` (a Ready's records go to the log in one write).
void record(Bytes& out, RecordKind kind, auto&& write_body) {
  append_record(out, static_cast<std::uint8_t>(kind), write_body);
}

void header_record(Bytes& out, std::uint64_t generation) {
  record(out, RecordKind::Header, [&](raft::ByteWriter& w) { w.u64(generation); });
}

void entry_record(Bytes& out, const raft::Entry& e) {
  record(out, RecordKind::Entry, [&](raft::ByteWriter& w) { raft::put_entry(w, e); });
}

void truncate_record(Bytes& out, raft::Index from) {
  record(out, RecordKind::Truncate, [&](raft::ByteWriter& w) { w.u64(from); });
}

void hard_state_record(Bytes& out, const raft::HardState& hs) {
  record(out, RecordKind::HardState, [&](raft::ByteWriter& w) { raft::put_hard_state(w, hs); });
}

}  // namespace

RaftLogStore::RaftLogStore(Disk& disk, std::string prefix)
    : disk_(disk),
      hs_name_(prefix + ".hs"),
      snap_name_(prefix + ".snap"),
      log_name_(prefix + ".log") {
  // load() takes zeros after the last record for the end of the log.
  disk_.zero_ahead(log_name_);
}

raft::Restored RaftLogStore::load() {
  raft::Restored out;
  if (auto file = disk_.read(hs_name_)) {
    try {
      raft::ByteReader r(unframe_or_throw(hs_name_, *file));
      out.hard_state = raft::get_hard_state(r);
      r.expect_end("hard state");
    } catch (const raft::DecodeError& e) {
      throw RaftLogStoreError(fmt::format("{}: {}", hs_name_, e.what()));
    }
  }
  std::uint64_t snap_generation = 0;
  snapshot_index_ = 0;
  if (auto file = disk_.read(snap_name_)) {
    try {
      const bool with_learners = !file->empty() && (*file)[0] == kSnapshotWithLearnersVersion;
      raft::ByteReader r(unframe_or_throw(
          snap_name_, *file, with_learners ? kSnapshotWithLearnersVersion : kFileVersion));
      snap_generation = r.u64("generation");
      out.snapshot = raft::get_snapshot(
          r, with_learners ? raft::SnapshotLayout::WithLearners : raft::SnapshotLayout::VotersOnly);
      r.expect_end("snapshot");
      // Format 2 is written only for a snapshot with learners; the version byte is outside the
      // checksum, so a damaged one must not pass for the other layout.
      if (with_learners &&
          raft::snapshot_layout(out.snapshot->meta) != raft::SnapshotLayout::WithLearners)
        throw raft::DecodeError("a format 2 snapshot without learners");
      snapshot_index_ = out.snapshot->meta.index;
    } catch (const raft::DecodeError& e) {
      // The checksum matched, so what does not decode is the version byte's doing (or a format
      // this build does not know).
      throw RaftLogStoreError(
          fmt::format("{}: byte 0: format version {} does not fit the contents: {}", snap_name_,
                      (*file)[0], e.what()));
    }
  }

  // Replay the log records up to the first one that is incomplete or fails its checksum. If
  // nothing valid follows it, it is a write torn by a crash (never synced, so nobody relied on
  // it) and is cut off. If a valid record follows, the damage is not a crash's doing: cutting
  // there would drop synced entries and the vote, so the node refuses to start instead.
  std::uint64_t log_generation = 0;
  std::vector<raft::Entry> entries;
  Bytes file = disk_.read(log_name_).value_or(Bytes{});
  size_t offset = 0;
  while (offset < file.size()) {
    const std::optional<ByteView> payload = record_at(file, offset, kMaxRecordBytes);
    if (!payload) {
      // Zeros to the end: space the Disk wrote ahead of the appends (Disk::zero_ahead).
      if (std::all_of(file.begin() + static_cast<std::ptrdiff_t>(offset), file.end(),
                      [](std::uint8_t b) { return b == 0; }))
        break;
      if (const std::optional<std::size_t> next = next_valid_record(file, offset, kMaxRecordBytes))
        throw RaftLogStoreError(fmt::format(
            "{}: record at byte {} is damaged ({}) but a valid record follows at byte {}: not "
            "a torn tail",
            log_name_, offset, record_problem(file, offset, kMaxRecordBytes), *next));
      break;
    }
    const std::size_t len = payload->size();
    try {
      raft::ByteReader r(*payload);
      auto kind = static_cast<RecordKind>(r.u8("record.kind"));
      if (kind == RecordKind::Header) {
        log_generation = r.u64("generation");
      } else if (kind == RecordKind::Entry) {
        raft::Entry e = raft::get_entry(r);
        if (!entries.empty() && e.index > entries.back().index + 1) {
          throw RaftLogStoreError(fmt::format("{}: record at byte {}: entry {} after entry {}",
                                              log_name_, offset, e.index, entries.back().index));
        }
        while (!entries.empty() && entries.back().index >= e.index) entries.pop_back();
        entries.push_back(std::move(e));
      } else if (kind == RecordKind::Truncate) {
        raft::Index from = r.u64("truncate.from");
        while (!entries.empty() && entries.back().index >= from) entries.pop_back();
      } else if (kind == RecordKind::HardState) {
        // The newest one wins, also over raft.hs (written by earlier versions).
        out.hard_state = raft::get_hard_state(r);
      } else {
        throw raft::DecodeError(fmt::format("record kind {} is unknown", static_cast<int>(kind)));
      }
      r.expect_end("record");
    } catch (const raft::DecodeError& e) {
      // A record with a valid checksum that does not parse was written by a different format.
      throw RaftLogStoreError(
          fmt::format("{}: record at byte {}: {}", log_name_, offset, e.what()));
    }
    offset += kRecordHeader + len;
  }
  if (offset < file.size()) disk_.truncate(log_name_, offset);
  // What was read may sit only in the OS cache (the process died, not the machine, or an fsync
  // failed before a restart): make it durable before raft tells anyone it has it.
  if (!file.empty()) disk_.sync(log_name_);
  log_size_ = offset;
  generation_ = std::max(snap_generation, log_generation);

  bool stale_log = log_generation < snap_generation;
  if (stale_log) {
    // A received snapshot was saved but the crash came before the log was rewritten: every entry
    // in this log belongs to the history the snapshot replaced.
    entries.clear();
  }
  std::erase_if(entries, [&](const raft::Entry& e) { return e.index <= snapshot_index_; });
  if (!entries.empty() && entries.front().index != snapshot_index_ + 1) {
    throw RaftLogStoreError(fmt::format("{}: log starts at entry {} but the snapshot ends at {}",
                                        log_name_, entries.front().index, snapshot_index_));
  }
  entries_ = entries;
  out.entries = std::move(entries);
  hard_state_ = out.hard_state;
  loaded_ = true;
  if (stale_log) rewrite_log();
  return out;
}

void RaftLogStore::write(const raft::Ready& ready) {
  if (!loaded_) load();
  // The in-memory state follows each disk call only once it went through, so after a DiskError
  // it matches the files and the same Ready can be saved again.
  auto write_snapshot = [&](const raft::Snapshot& s, std::uint64_t generation) {
    Bytes payload;
    raft::ByteWriter w(payload);
    w.u64(generation);
    const raft::SnapshotLayout layout = raft::snapshot_layout(s.meta);
    raft::put_snapshot(w, s, layout);
    disk_.replace(snap_name_, frame_file(layout == raft::SnapshotLayout::WithLearners
                                             ? kSnapshotWithLearnersVersion
                                             : kFileVersion,
                                         payload));
    generation_ = generation;
    snapshot_index_ = s.meta.index;
  };
  if (ready.snapshot) {
    // The log is replaced wholesale: a new generation, so that if we crash (or fail) before the
    // log rewrite, load() knows the old log is stale.
    write_snapshot(*ready.snapshot, generation_ + 1);
    entries_.clear();
    rewrite_log();
  } else if (ready.compacted_snapshot) {
    // Same history, shorter log: the old log stays valid if we crash before the rewrite.
    write_snapshot(*ready.compacted_snapshot, generation_);
    std::erase_if(entries_, [&](const raft::Entry& e) { return e.index <= snapshot_index_; });
    rewrite_log();
  }
  Bytes records;
  std::size_t keep = entries_.size();  // entries_ before the Ready's first entry
  if (!ready.entries.empty()) {
    raft::Index front = ready.entries.front().index;
    if (!entries_.empty() && front <= entries_.back().index) {
      truncate_record(records, front);
      while (keep > 0 && entries_[keep - 1].index >= front) --keep;
    }
    raft::Index expect = keep == 0 ? snapshot_index_ + 1 : entries_[keep - 1].index + 1;
    if (front != expect) {
      throw RaftLogStoreError(
          fmt::format("{}: asked to save entry {} where {} comes next", log_name_, front, expect));
    }
    for (const raft::Entry& e : ready.entries) entry_record(records, e);
  }
  // The hard state travels in the log with the entries, so a Ready costs one fsync (a separate
  // atomically replaced file cost three: the temp file, the rename's directory, and the log).
  if (ready.hard_state) hard_state_record(records, *ready.hard_state);
  if (records.empty()) return;
  append_records(records);
  entries_.resize(keep);
  entries_.insert(entries_.end(), ready.entries.begin(), ready.entries.end());
  if (ready.hard_state) hard_state_ = *ready.hard_state;
}

void RaftLogStore::compact(raft::Index upto) {
  if (!loaded_) load();
  if (upto > snapshot_index_) {
    throw RaftLogStoreError(
        fmt::format("{}: cannot drop entries up to {}: the saved snapshot only covers up to {}",
                    log_name_, upto, snapshot_index_));
  }
  if (entries_.empty() || entries_.front().index > upto) return;
  std::erase_if(entries_, [&](const raft::Entry& e) { return e.index <= upto; });
  rewrite_log();
}

void RaftLogStore::rewrite_log() {
  Bytes file;
  header_record(file, generation_);
  if (hard_state_) hard_state_record(file, *hard_state_);
  for (const raft::Entry& e : entries_) entry_record(file, e);
  disk_.replace(log_name_, file);
  log_size_ = file.size();
  unsynced_ = false;  // replace() is durable on return
}

void RaftLogStore::append_records(const Bytes& data) {
  disk_.append(log_name_, data);
  unsynced_ = true;
  log_size_ += data.size();
}

bool ready_needs_sync(const raft::Ready& ready, const std::optional<raft::HardState>& written) {
  if (!ready.entries.empty() || ready.snapshot || ready.compacted_snapshot) return true;
  if (!ready.hard_state) return false;
  return !written || ready.hard_state->term != written->term ||
         ready.hard_state->vote != written->vote;
}

void RaftLogStore::sync() {
  if (!unsynced_) return;
  disk_.sync(log_name_);
  unsynced_ = false;
}

}  // namespace engine
