#pragma once
// The durable side of a datastore copy being received (engine/datastore_transfer.h): the staged
// file, which grows chunk by chunk into a snapshot file in the local datastore's format
// (engine/snapshot_file.h; its header is written last, once the record count and checksum are
// known) and becomes the store's snapshot by a rename, and the copy's identity beside it,
// rewritten after every staged chunk, so a receiver that restarts mid-copy asks its source for
// the rest instead of starting over.
//
// Files: `<part>` [17-byte header][records of chunk 0][records of chunk 1]...
//        `<part>.state` framed [peer][transfer id][raft index][chunks][records][record bytes]
//        [CRC-32 of the record bytes][complete], written with Disk::replace().

#include <cstdint>
#include <optional>
#include <string>

#include "engine/io.h"
#include "raft/types.h"

namespace engine {

// Which copy is staged and how far it got: the last chunk staged durably.
struct StagedIdentity {
  NodeId peer = 0;
  std::uint64_t transfer_id = 0;
  raft::Index index = 0;      // the source's snapshot index
  std::uint64_t chunks = 0;   // chunks staged; the next one to ask for
  std::uint64_t records = 0;  // records staged
  std::uint64_t bytes = 0;    // record bytes staged (the file is kSnapshotHeaderBytes longer)
  std::uint32_t crc = 0;      // CRC-32 of those record bytes
  bool complete = false;      // the last chunk is staged
  friend bool operator==(const StagedIdentity&, const StagedIdentity&) = default;
};

class StagedCopy {
 public:
  StagedCopy(Disk& disk, std::string part_name)
      : disk_(disk), part_name_(part_name), state_name_(std::move(part_name) + ".state") {}

  // The copy a restart interrupted, when its staged file holds exactly the record bytes its
  // identity names (bytes past them, a chunk staged but not recorded, are cut off). Otherwise
  // (no identity, a damaged one, a short file or bytes that fail the running checksum) both
  // files are removed and nullopt returned. `note` says what was found, for the log. Reads the
  // staged file kSnapshotReadPiece bytes at a time. Throws DiskError.
  std::optional<StagedIdentity> recover(std::string& note);

  // Removes whatever is staged (a new copy starts empty).
  void clear();
  // Stages one chunk's encoded records: after it the copy is `after` (whose bytes, records, crc
  // and chunks already count this chunk). The data is fsynced before the identity names it;
  // both happen once at least sync_bytes() were staged since the last time, and at the last
  // chunk (a restart resumes from the last identity and cuts what follows it). Throws DiskError.
  void add(const StagedIdentity& after, ByteView records);
  // 0 (the default): an fsync and a new identity after every chunk. A copy that fsyncs two
  // files per 1 MiB chunk spends most of its time waiting for the disk.
  void set_sync_bytes(std::uint64_t bytes) { sync_bytes_ = bytes; }
  std::uint64_t sync_bytes() const { return sync_bytes_; }
  // After the last chunk: reads the staged records back, checking them against the running
  // checksum, writes the snapshot header and fsyncs the file (unless `skip_sync`, the
  // simulator's bug switch). Throws raft::DecodeError when the file does not hold what was
  // staged, DiskError.
  void seal(const StagedIdentity& copy, bool skip_sync);

  const std::string& part_name() const { return part_name_; }
  const std::string& state_name() const { return state_name_; }

 private:
  // Two CRC-32s of the first `bytes` record bytes after the header: of the records alone, and
  // continued from `file_start` (the file's checksum, snapshot_checksum_start()); nullopt if the
  // file is shorter.
  struct Checksums {
    std::uint32_t records = 0;
    std::uint32_t file = 0;
  };
  std::optional<Checksums> checksum_records(std::uint64_t bytes, std::uint32_t file_start) const;
  void write_state(const StagedIdentity& copy);

  Disk& disk_;
  std::string part_name_;
  std::string state_name_;
  std::uint64_t sync_bytes_ = 0;
  std::uint64_t identity_bytes_ = 0;  // record bytes the identity on disk names
};

}  // namespace engine
