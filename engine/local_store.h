#pragma once
// One node's durable copy of the records, independent of raft: a snapshot of every record plus a
// write-ahead log (WAL) of the committed change batches copied since, and the high-water mark hw
// (every committed batch with index <= hw is in here). Written only through the Disk seam; a torn
// or corrupt WAL tail (a crash mid-append) is detected by per-record checksums and cut, never
// parsed as data.
//
// Files (names prefixed with `prefix`, e.g. "store"):
//   store.meta  format version, flags (zone files imported), written with Disk::replace()
//   store.snap  snapshot: format version, snapshot index, records, checksum; Disk::replace()
//   store.wal   append-only records [u32 len][u32 crc32][payload]; payload = one batch
//               (index, hw after it, changes); the WAL records the snapshot index it follows so a
//               crash between replacing the snapshot and emptying the WAL is harmless.

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "dns/record.h"
#include "dns/zone_db.h"
#include "engine/io.h"
#include "raft/types.h"

namespace engine {

// A committed change batch as the local datastore keeps it: its raft index and its changes.
struct StoredBatch {
  raft::Index index = 0;
  std::vector<dns::Change> changes;
};

// Everything load() found on disk.
struct LocalStoreContents {
  bool initialized = false;  // false: nothing on disk yet (first boot)
  bool imported = false;     // the node's zone file has been fully proposed and committed
  raft::Index hw = 0;        // every committed batch <= hw is in snapshot + batches
  raft::Index snapshot_index = 0;
  std::vector<dns::Record> snapshot_records;  // the whole record set as of snapshot_index
  std::vector<StoredBatch> batches;           // > snapshot_index, ascending, <= hw
  std::vector<std::string> warnings;          // e.g. a torn WAL tail that was cut
};

// Damage a crash cannot explain (bad checksum in the snapshot, unknown format, a WAL that goes
// backwards): the node refuses to start rather than serve wrong data.
class LocalStoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class LocalStore {
 public:
  explicit LocalStore(Disk& disk, std::string prefix = "store");

  // Reads everything back, cutting a torn WAL tail (and truncating the file there). Must be
  // called once before any write.
  LocalStoreContents load();

  // Marks the data directory as in use (initialized = true on the next load). Durable on return.
  void initialize();
  // Records that the zone file import finished. Durable on return.
  void mark_imported();

  // Appends the batches (ascending, all > hw()) and raises hw to new_hw (>= the last batch's
  // index). With sync = true (always, except the test-only broken variant) the data is fsynced
  // before returning; otherwise call sync() later.
  void append(std::span<const StoredBatch> batches, raft::Index new_hw, bool sync = true);
  void sync();

  // Replaces the snapshot with `records`, the whole record set as of hw(), and empties the WAL.
  // Durable on return.
  void write_snapshot(const std::vector<dns::Record>& records);
  // The same from a database version (the serving view as of hw()), encoded in one pass over
  // its zone nodes: neither a copy of every record nor a sort (records in the trie's order).
  void write_version_snapshot(const dns::DatabaseVersion& version);

  // write_version_snapshot in two halves, so that the expensive one can run off the node's
  // thread: the file (encoding every record, writing and fsyncing store.snap) touches only the
  // version and that one file; then, back on the node's thread, version_snapshot_written()
  // makes it the store's snapshot and empties the WAL. In between the store must take no
  // append and no other snapshot (hw() must stay what it was), and the version must stay alive.
  class VersionSnapshotFile {
   public:
    // Encodes and replaces the snapshot file (durable on return). Throws DiskError.
    void write();
    raft::Index index() const { return index_; }

   private:
    friend class LocalStore;
    VersionSnapshotFile(Disk& disk, std::string name, raft::Index index,
                        const dns::DatabaseVersion& version, std::size_t reserve);
    Disk* disk_;
    std::string name_;
    raft::Index index_;
    const dns::DatabaseVersion* version_;
    std::size_t reserve_;
    std::uint64_t bytes_ = 0;
    bool written_ = false;
  };
  // `version` must be the serving view as of hw().
  VersionSnapshotFile version_snapshot_file(const dns::DatabaseVersion& version) const;
  // ... of a version that is the store's state plus batches up to `index` (>= hw()) not yet
  // appended: written, it stands for those batches too (a checkpoint by snapshot: a batch the
  // size of the datastore need not be written to the WAL and then again to a snapshot).
  VersionSnapshotFile version_snapshot_file(const dns::DatabaseVersion& version,
                                            raft::Index index) const;
  // The file was written (write() returned): it becomes the snapshot and the WAL is emptied.
  // Durable on return; throws DiskError (the file then stays written: call it again).
  void version_snapshot_written(const VersionSnapshotFile& file);

  // Replaces everything with a peer's datastore (engine/datastore_transfer.h): `records`, the
  // whole record set as of raft index `index` (>= hw()), becomes the snapshot, the WAL is
  // emptied and the import flag set (a node that copied a peer never imports its zone file).
  // Durable on return; a crash in between leaves either the old or the new snapshot, each with a
  // WAL load() accepts (the old WAL is below `index`, which a gap transfer guarantees).
  // `durable` false is the simulator's bug switch only: hw rises without writing anything.
  void install_snapshot(const std::vector<dns::Record>& records, raft::Index index,
                        bool durable = true);

  // The same from a sealed snapshot file (engine/snapshot_file.h) of `file_bytes` bytes at raft
  // index `index`, staged on this Disk as `staged` (engine/staged_copy.h): it is renamed to the
  // store's snapshot file, so nothing the size of the datastore passes through memory. `staged`
  // must have been fsynced. Durable on return, with the same crash cases as install_snapshot();
  // `durable` false is the bug switch (nothing renamed, hw rises). `imported`: whether this
  // node's own zone-file import is done with it (a node copying another's import by copy while
  // its own import is still to commit must propose it again after a restart).
  void install_snapshot_file(const std::string& staged, std::uint64_t file_bytes, raft::Index index,
                             bool durable = true, bool imported = true);
  // The name of the snapshot file (for engine/snapshot_file.h's reader).
  const std::string& snapshot_file() const { return snap_name_; }

  raft::Index hw() const { return hw_; }                  // as appended (maybe not yet synced)
  raft::Index durable_hw() const { return durable_hw_; }  // as of the last sync
  std::uint64_t wal_bytes() const { return wal_bytes_; }
  std::uint64_t snapshot_bytes() const { return snapshot_bytes_; }

 private:
  struct WalEntry;
  struct WalScan;

  // The steps of load(), in order. The readers throw LocalStoreError on damage a crash cannot
  // explain.
  // Reads the meta file (the imported flag); returns whether it exists.
  bool read_meta();
  // Reads the snapshot index and records (into `records`); returns whether the file exists.
  bool read_snapshot(std::vector<dns::Record>& records);
  // Decodes the WAL's records up to a torn tail, if any.
  WalScan scan_wal(const Bytes& wal) const;
  // Truncates the WAL to its valid records (with a warning) and makes them durable.
  void cut_torn_tail(const Bytes& wal, std::size_t valid_bytes, std::vector<std::string>& warnings);
  // Takes the WAL's batches after the snapshot, or resets a WAL the snapshot already covers.
  void join_wal_to_snapshot(WalScan& scan, LocalStoreContents& out);

  void require_loaded(const char* what) const;
  void write_meta();
  // Frames `payload` (hw, count, records) as the snapshot file, then empties the WAL.
  void replace_snapshot(const Bytes& payload);
  // Replaces the WAL with a header naming the snapshot at hw_ (after the snapshot is durable).
  void reset_wal();

  Disk& disk_;
  std::string meta_name_;
  std::string snap_name_;
  std::string wal_name_;
  raft::Index hw_ = 0;
  raft::Index durable_hw_ = 0;
  raft::Index snapshot_index_ = 0;
  std::uint64_t wal_bytes_ = 0;
  std::uint64_t snapshot_bytes_ = 0;
  bool imported_ = false;
  bool unsynced_ = false;  // WAL bytes appended since the last sync
  bool loaded_ = false;
};

}  // namespace engine
