#include "engine/local_store.h"

#include <fmt/format.h>

#include <limits>
#include <optional>

#include "engine/crc32.h"
#include "engine/durable_framing.h"
#include "engine/record_codec.h"
#include "engine/snapshot_file.h"
#include "raft/codec.h"

namespace engine {

namespace {

constexpr std::uint8_t kFileVersion = 1;
static_assert(kFileVersion == kSnapshotFileVersion, "a staged copy becomes store.snap as is");
constexpr size_t kRecordHeader = kRecordFrameHeader;
constexpr std::uint8_t kImportedFlag = 1;
// Smallest encoded record: owner length + type/class + ttl + rdata length.
constexpr size_t kMinRecordBytes = 16;

// What one WAL record says. Header opens every WAL and names the snapshot it follows; Batch is
// one committed change batch; Mark only raises hw (committed entries that changed no record).
enum class WalKind : std::uint8_t { Header = 0, Batch = 1, Mark = 2 };

// Files written with replace() are atomic: damage there is not a crash artifact, so it is
// reported rather than silently dropped.
ByteView unframe_or_throw(const std::string& name, const Bytes& file) {
  UnframedFile f = unframe_file(kFileVersion, file);
  if (!f.payload) throw LocalStoreError(fmt::format("{}: {}", name, f.problem));
  return *f.payload;
}

Bytes wal_record(WalKind kind, auto&& write_body) {
  return frame_record(static_cast<std::uint8_t>(kind), write_body);
}

Bytes header_record(raft::Index snapshot_index) {
  return wal_record(WalKind::Header, [&](raft::ByteWriter& w) { w.u64(snapshot_index); });
}

}  // namespace

LocalStore::LocalStore(Disk& disk, std::string prefix)
    : disk_(disk),
      meta_name_(prefix + ".meta"),
      snap_name_(prefix + ".snap"),
      wal_name_(prefix + ".wal") {}

// One decoded WAL record after the header.
struct LocalStore::WalEntry {
  raft::Index hw = 0;
  std::optional<StoredBatch> batch;  // empty for a Mark
};

// The WAL as load() finds it.
struct LocalStore::WalScan {
  std::optional<raft::Index> follows_snapshot;  // from the header; none if the WAL is empty
  std::vector<WalEntry> entries;
  size_t valid_bytes = 0;
};

LocalStoreContents LocalStore::load() {
  LocalStoreContents out;
  const bool has_meta = read_meta();
  const bool has_snapshot = read_snapshot(out.snapshot_records);
  const Bytes wal = disk_.read(wal_name_).value_or(Bytes{});
  WalScan scan = scan_wal(wal);
  cut_torn_tail(wal, scan.valid_bytes, out.warnings);
  join_wal_to_snapshot(scan, out);
  durable_hw_ = hw_;
  unsynced_ = false;
  loaded_ = true;

  out.initialized = has_meta || has_snapshot || !wal.empty();
  out.imported = imported_;
  out.hw = hw_;
  out.snapshot_index = snapshot_index_;
  return out;
}

bool LocalStore::read_meta() {
  auto meta = disk_.read(meta_name_);
  imported_ = false;
  if (meta) {
    try {
      raft::ByteReader r(unframe_or_throw(meta_name_, *meta));
      const std::uint8_t flags = r.u8("flags");
      if (flags & ~kImportedFlag) {
        throw raft::DecodeError(fmt::format("flags {:#x} are unknown", flags));
      }
      r.expect_end("meta");
      imported_ = (flags & kImportedFlag) != 0;
    } catch (const raft::DecodeError& e) {
      throw LocalStoreError(fmt::format("{}: {}", meta_name_, e.what()));
    }
  }
  return meta.has_value();
}

bool LocalStore::read_snapshot(std::vector<dns::Record>& records) {
  auto snap = disk_.read(snap_name_);
  snapshot_index_ = 0;
  snapshot_bytes_ = snap ? snap->size() : 0;
  if (snap) {
    try {
      raft::ByteReader r(unframe_or_throw(snap_name_, *snap));
      snapshot_index_ = r.u64("snapshot index");
      const std::uint32_t n =
          r.count("snapshot records", std::numeric_limits<std::uint32_t>::max(), kMinRecordBytes);
      records.reserve(n);
      for (std::uint32_t i = 0; i < n; ++i) records.push_back(get_record(r));
      r.expect_end("snapshot");
    } catch (const raft::DecodeError& e) {
      throw LocalStoreError(fmt::format("{}: {}", snap_name_, e.what()));
    }
  }
  return snap.has_value();
}

// Reads the WAL up to the first record that is incomplete or fails its checksum. If nothing valid
// follows it, it is a write torn by a crash (never synced, so nobody relied on it) and
// cut_torn_tail() cuts it off; if a valid record starts anywhere after it, the damage is not a
// crash's doing (a crash only tears the end) and the store refuses to load.
LocalStore::WalScan LocalStore::scan_wal(const Bytes& wal) const {
  WalScan scan;
  raft::Index prev_hw = 0;
  size_t offset = 0;
  while (offset < wal.size()) {
    const std::optional<ByteView> payload = record_at(wal, offset);
    if (!payload) {
      // Every later position is tried, not just where the length field says the next record
      // starts: that field may be the damaged byte.
      if (const std::optional<size_t> next = next_valid_record(wal, offset)) {
        throw LocalStoreError(fmt::format(
            "{}: record at byte {} is damaged ({}) but a valid record follows at byte {}: not a "
            "torn tail",
            wal_name_, offset, record_problem(wal, offset), *next));
      }
      break;
    }
    try {
      raft::ByteReader r(*payload);
      const auto kind = static_cast<WalKind>(r.u8("record kind"));
      if (kind == WalKind::Header) {
        if (offset != 0) throw raft::DecodeError("a header record after the start of the WAL");
        scan.follows_snapshot = r.u64("header snapshot index");
        prev_hw = *scan.follows_snapshot;
      } else if (kind == WalKind::Batch || kind == WalKind::Mark) {
        if (!scan.follows_snapshot) throw raft::DecodeError("the WAL does not start with a header");
        WalEntry entry;
        if (kind == WalKind::Batch) {
          StoredBatch batch;
          batch.index = r.u64("batch index");
          entry.hw = r.u64("batch hw");
          batch.changes = get_changes(r, kMaxStoredChanges);
          if (batch.index <= prev_hw || entry.hw < batch.index) {
            throw raft::DecodeError(fmt::format("batch {} (hw {}) goes backwards after hw {}",
                                                batch.index, entry.hw, prev_hw));
          }
          entry.batch = std::move(batch);
        } else {
          entry.hw = r.u64("mark hw");
          if (entry.hw < prev_hw) {
            throw raft::DecodeError(
                fmt::format("hw {} goes backwards after hw {}", entry.hw, prev_hw));
          }
        }
        prev_hw = entry.hw;
        scan.entries.push_back(std::move(entry));
      } else {
        throw raft::DecodeError(fmt::format("record kind {} is unknown", static_cast<int>(kind)));
      }
      r.expect_end("record");
    } catch (const raft::DecodeError& e) {
      // A record with a valid checksum that does not make sense was not torn by a crash.
      throw LocalStoreError(fmt::format("{}: record at byte {}: {}", wal_name_, offset, e.what()));
    }
    offset += kRecordHeader + payload->size();
  }
  scan.valid_bytes = offset;
  return scan;
}

void LocalStore::cut_torn_tail(const Bytes& wal, std::size_t valid_bytes,
                               std::vector<std::string>& warnings) {
  if (valid_bytes < wal.size()) {
    warnings.push_back(fmt::format("{}: torn tail cut at byte {} ({} bytes dropped)", wal_name_,
                                   valid_bytes, wal.size() - valid_bytes));
    disk_.truncate(wal_name_, valid_bytes);
  }
  // What was read may still sit only in the OS cache (the process died, not the machine): make
  // it durable before anyone acknowledges it.
  if (!wal.empty()) disk_.sync(wal_name_);
  wal_bytes_ = valid_bytes;
}

void LocalStore::join_wal_to_snapshot(WalScan& scan, LocalStoreContents& out) {
  const raft::Index follows = scan.follows_snapshot.value_or(snapshot_index_);
  if (follows > snapshot_index_) {
    throw LocalStoreError(fmt::format("{}: follows a snapshot at index {} but {} is at index {}",
                                      wal_name_, follows, snap_name_, snapshot_index_));
  }
  hw_ = snapshot_index_;
  if (follows < snapshot_index_) {
    // A crash between replacing the snapshot and resetting the WAL: the snapshot already holds
    // everything this WAL has, so it is reset now (before any append lands behind a stale header).
    for (const WalEntry& entry : scan.entries) {
      if (entry.hw > snapshot_index_) {
        throw LocalStoreError(fmt::format(
            "{}: follows the snapshot at index {} and reaches hw {}, beyond {} at index {}",
            wal_name_, follows, entry.hw, snap_name_, snapshot_index_));
      }
    }
    out.warnings.push_back(fmt::format("{}: older than {} (index {} < {}): reset", wal_name_,
                                       snap_name_, follows, snapshot_index_));
    const Bytes header = header_record(snapshot_index_);
    disk_.replace(wal_name_, header);
    wal_bytes_ = header.size();
  } else {
    for (WalEntry& entry : scan.entries) {
      hw_ = entry.hw;
      if (entry.batch) out.batches.push_back(std::move(*entry.batch));
    }
  }
}

void LocalStore::require_loaded(const char* what) const {
  if (!loaded_) throw std::logic_error(fmt::format("LocalStore::{} before load()", what));
}

void LocalStore::write_meta() {
  Bytes payload{imported_ ? kImportedFlag : std::uint8_t{0}};
  disk_.replace(meta_name_, frame_file(kFileVersion, payload));
}

void LocalStore::initialize() {
  require_loaded("initialize");
  write_meta();
}

void LocalStore::mark_imported() {
  require_loaded("mark_imported");
  imported_ = true;
  write_meta();
}

void LocalStore::append(std::span<const StoredBatch> batches, raft::Index new_hw, bool sync) {
  require_loaded("append");
  raft::Index prev = hw_;
  for (const StoredBatch& b : batches) {
    if (b.index <= prev) {
      throw std::logic_error(fmt::format(
          "LocalStore::append: batch {} is not above hw {} / the batch before it", b.index, prev));
    }
    prev = b.index;
  }
  if (new_hw < prev) {
    throw std::logic_error(
        fmt::format("LocalStore::append: new hw {} is below hw {} / the last batch", new_hw, prev));
  }
  if (batches.empty() && new_hw == hw_) {
    if (sync) this->sync();
    return;
  }

  Bytes data;
  if (wal_bytes_ == 0) data = header_record(snapshot_index_);
  for (size_t k = 0; k < batches.size(); ++k) {
    // Only the last batch may claim the entries after it; earlier ones vouch for themselves.
    const raft::Index hw_after = k + 1 == batches.size() ? new_hw : batches[k].index;
    append_record(data, static_cast<std::uint8_t>(WalKind::Batch), [&](raft::ByteWriter& w) {
      w.u64(batches[k].index);
      w.u64(hw_after);
      put_changes(w, batches[k].changes);
    });
  }
  if (batches.empty())
    append_record(data, static_cast<std::uint8_t>(WalKind::Mark),
                  [&](raft::ByteWriter& w) { w.u64(new_hw); });

  disk_.append(wal_name_, data);
  wal_bytes_ += data.size();
  hw_ = new_hw;
  unsynced_ = true;
  if (sync) this->sync();
}

void LocalStore::sync() {
  require_loaded("sync");
  if (unsynced_) disk_.sync(wal_name_);
  unsynced_ = false;
  durable_hw_ = hw_;
}

void LocalStore::write_snapshot(const std::vector<dns::Record>& records) {
  require_loaded("write_snapshot");
  Bytes payload;
  raft::ByteWriter w(payload);
  w.u64(hw_);
  w.u32(static_cast<std::uint32_t>(records.size()));
  for (const dns::Record& record : records) put_record(w, record);
  replace_snapshot(payload);
}

void LocalStore::write_version_snapshot(const dns::DatabaseVersion& version) {
  require_loaded("write_version_snapshot");
  VersionSnapshotFile file = version_snapshot_file(version);
  file.write();
  version_snapshot_written(file);
}

LocalStore::VersionSnapshotFile LocalStore::version_snapshot_file(
    const dns::DatabaseVersion& version) const {
  return version_snapshot_file(version, hw_);
}

LocalStore::VersionSnapshotFile LocalStore::version_snapshot_file(
    const dns::DatabaseVersion& version, raft::Index index) const {
  require_loaded("version_snapshot_file");
  if (index < hw_)
    throw std::logic_error(
        fmt::format("LocalStore::version_snapshot_file: a snapshot at {} below hw {}", index, hw_));
  return VersionSnapshotFile(disk_, snap_name_, index, version,
                             snapshot_bytes_ + (snapshot_bytes_ >> 2));
}

LocalStore::VersionSnapshotFile::VersionSnapshotFile(Disk& disk, std::string name,
                                                     raft::Index index,
                                                     const dns::DatabaseVersion& version,
                                                     std::size_t reserve)
    : disk_(&disk), name_(std::move(name)), index_(index), version_(&version), reserve_(reserve) {}

void LocalStore::VersionSnapshotFile::write() {
  // Framed in place (frame_file's layout: version, CRC-32 of the payload, payload), so the
  // records are not copied a second time: at 1M records each copy is ~50 MB of resident memory.
  Bytes snap;
  snap.reserve(reserve_);  // it usually grew a little since the last one
  raft::ByteWriter w(snap);
  w.u8(kFileVersion);
  w.u32(0);  // the payload's CRC-32, known once it is written
  w.u64(index_);
  w.u32(0);  // the record count, likewise
  const std::size_t count = put_version_records(w, *version_);
  auto put_u32 = [&snap](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) snap[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  put_u32(kFileFrameHeader + 8, static_cast<std::uint32_t>(count));
  put_u32(1, crc32(ByteView(snap).subspan(kFileFrameHeader)));
  disk_->replace(name_, snap);
  bytes_ = snap.size();
  written_ = true;
}

void LocalStore::version_snapshot_written(const VersionSnapshotFile& file) {
  require_loaded("version_snapshot_written");
  if (!file.written_ || file.index_ < hw_)
    throw std::logic_error(
        fmt::format("LocalStore::version_snapshot_written: a snapshot at {} ({}) while hw is {}",
                    file.index_, file.written_ ? "written" : "not written", hw_));
  // A snapshot above hw holds what the WAL would have: it is the store's state from now on (a
  // crash before the WAL reset leaves a WAL whose header names an older snapshot: covered).
  hw_ = file.index_;
  snapshot_index_ = hw_;
  snapshot_bytes_ = file.bytes_;
  reset_wal();
}

void LocalStore::replace_snapshot(const Bytes& payload) {
  const Bytes snap = frame_file(kFileVersion, payload);
  // Snapshot first: a crash before the WAL reset leaves a WAL whose header names an older
  // snapshot, which load() recognises as already covered.
  disk_.replace(snap_name_, snap);
  snapshot_index_ = hw_;
  snapshot_bytes_ = snap.size();
  reset_wal();
}

void LocalStore::reset_wal() {
  const Bytes header = header_record(hw_);
  disk_.replace(wal_name_, header);
  wal_bytes_ = header.size();
  unsynced_ = false;
  durable_hw_ = hw_;
}

}  // namespace engine

namespace engine {

void LocalStore::install_snapshot(const std::vector<dns::Record>& records, raft::Index index,
                                  bool durable) {
  require_loaded("install_snapshot");
  if (index < hw_)
    throw std::logic_error(
        fmt::format("LocalStore::install_snapshot: index {} is below hw {}", index, hw_));
  if (!durable) {
    hw_ = durable_hw_ = index;
    return;
  }
  const raft::Index old_hw = hw_;
  hw_ = index;
  try {
    write_snapshot(records);
  } catch (...) {
    if (snapshot_index_ != index) hw_ = old_hw;  // the old snapshot is still the store's
    throw;
  }
  imported_ = true;
  write_meta();
}

}  // namespace engine

namespace engine {

void LocalStore::install_snapshot_file(const std::string& staged, std::uint64_t file_bytes,
                                       raft::Index index, bool durable, bool imported) {
  require_loaded("install_snapshot_file");
  if (index < hw_)
    throw std::logic_error(
        fmt::format("LocalStore::install_snapshot_file: index {} is below hw {}", index, hw_));
  if (!durable) {
    hw_ = durable_hw_ = index;
    return;
  }
  // The snapshot first, as in replace_snapshot(): a crash before the WAL reset leaves a WAL
  // whose header names an older snapshot, which load() recognises as covered.
  disk_.rename(staged, snap_name_);
  hw_ = snapshot_index_ = index;
  snapshot_bytes_ = file_bytes;
  const Bytes header = header_record(index);
  disk_.replace(wal_name_, header);
  wal_bytes_ = header.size();
  unsynced_ = false;
  durable_hw_ = index;
  imported_ = imported_ || imported;
  write_meta();
}

}  // namespace engine
