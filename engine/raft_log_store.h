#pragma once
// Durable raft log + hard state + snapshot through the Disk seam; detects a torn tail with
// per-record checksums and cuts it on load; refuses damage anywhere before the last record.
//
// Files (names prefixed with `prefix`, e.g. "raft"):
//   raft.snap  latest snapshot, Disk::replace()
//   raft.log   append-only records [u32 len][u32 crc32][payload]; payload is a header
//              (generation), an entry, "truncate from index" (a conflicting suffix), or a hard
//              state (the last one wins; appended with the Ready's entries, one fsync). It is
//              rewritten with replace() on compaction and on installing a received snapshot.
//              Zeros may follow the last record (Disk::zero_ahead); load() cuts them.
//   raft.hs    hard state as earlier versions kept it; read if present, never written.
// The snapshot records the log generation it goes with, so a crash between writing a received
// snapshot and rewriting the log cannot resurrect the stale log behind the new snapshot.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/io.h"
#include "raft/raft.h"

namespace engine {

// Thrown when the stored files are damaged in a way a crash cannot explain (not a torn tail).
class RaftLogStoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// etcd's MustSync, for a Ready after `written` (the hard state last written; none: nothing yet):
// entries, a snapshot, or a new term or vote must be durable before the Ready is acted on; a new
// commit index alone need not be. RaftLogStore::save() syncs by it, and the simulator's drivers
// follow what a power cut would leave by it.
bool ready_needs_sync(const raft::Ready& ready, const std::optional<raft::HardState>& written);

class RaftLogStore {
 public:
  explicit RaftLogStore(Disk& disk, std::string prefix = "raft");

  // After a crash/restart: reads everything back, cutting a torn log tail (damage in the last
  // record). Throws RaftLogStoreError, naming the file and byte offset, for damage that valid
  // records follow.
  raft::Restored load();
  // Persists hard state, snapshot (received or compacted) and entries; syncs before returning
  // if needs_sync(). A DiskError leaves the store's state as the files are: if it is
  // retry_safe(), the same Ready may be saved again.
  void save(const raft::Ready& ready) {
    const bool must = needs_sync(ready);
    write(ready);
    if (must) sync();
  }
  // Whether what a Ready says may be acted on only once it is durable (etcd's MustSync): it
  // carries entries or a snapshot, or a hard state whose term or vote changed. A new commit
  // index alone is written but not synced (the next sync takes it along): a follower learns of
  // each commit in an append of its own, and an fsync for it cost as much as one for entries.
  // After a crash the commit index may be older than what the node applied; the leader tells it
  // again, and applying an entry twice is a no-op (its local datastore's hw is kept).
  bool needs_sync(const raft::Ready& ready) const { return ready_needs_sync(ready, hard_state_); }
  // save() without the log's fsync, so that the fsync can run on another thread: the Ready's
  // records are appended to the log file but not durable until Disk::sync(log_name()) returns.
  // The caller must not write() again (nor compact()) before that sync has returned.
  void write(const raft::Ready& ready);
  // The log file, for a Disk::sync() of what write() appended, on any thread; then synced().
  const std::string& log_name() const { return log_name_; }
  // Nothing write() appended is waiting for its fsync (it returned on another thread).
  void synced() { unsynced_ = false; }
  // Drops persisted entries <= upto. Throws RaftLogStoreError unless a snapshot at >= upto has
  // been saved (the entries would otherwise be lost).
  void compact(raft::Index upto);

  // Index of the last entry on disk (the snapshot's when no entry follows it; 0 before load()):
  // synced, unless a write() awaits its sync.
  raft::Index last_index() const {
    return entries_.empty() ? snapshot_index_ : entries_.back().index;
  }

  // Bytes of raft.log as written (for tests and metrics).
  std::uint64_t log_file_size() const { return log_size_; }

 private:
  // Makes what write() appended durable, if anything is waiting for it.
  void sync();
  void rewrite_log();
  void append_records(const Bytes& records);  // framed records, one after another

  Disk& disk_;
  std::string hs_name_;
  std::string snap_name_;
  std::string log_name_;
  std::uint64_t generation_ = 0;
  raft::Index snapshot_index_ = 0;
  std::vector<raft::Entry> entries_;  // persisted entries after the snapshot, contiguous
  std::uint64_t log_size_ = 0;
  std::optional<raft::HardState> hard_state_;  // as last written (see needs_sync)
  bool loaded_ = false;
  bool unsynced_ = false;  // write() appended records no sync has covered yet
};

}  // namespace engine
