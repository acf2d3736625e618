#pragma once
// The local datastore's snapshot file (store.snap) a piece at a time: its layout is
// [u8 version][u32 crc32 of the rest][u64 raft index][u32 record count][records], the records
// as engine/record_codec.h encodes them. LocalStore writes and reads it whole; a datastore copy
// (engine/staged_copy.h) builds one chunk by chunk and the node loads its records from it
// without holding the file or a vector of every record.

#include <cstdint>
#include <functional>
#include <string>

#include "dns/record.h"
#include "engine/io.h"
#include "raft/types.h"

namespace engine {

inline constexpr std::uint8_t kSnapshotFileVersion = 1;
// version, checksum, index, count.
inline constexpr std::size_t kSnapshotHeaderBytes = 1 + 4 + 8 + 4;
// How much of the file is read at a time.
inline constexpr std::size_t kSnapshotReadPiece = std::size_t{1} << 20;

// The CRC-32 of a snapshot file's index and count: extended (crc32_extend) over its records it
// becomes the file's checksum.
std::uint32_t snapshot_checksum_start(raft::Index index, std::uint32_t records);
// The header of a snapshot file at raft index `index` holding `records` records, with the
// checksum `file_crc` of everything after it.
Bytes snapshot_file_header(raft::Index index, std::uint32_t records, std::uint32_t file_crc);

// What for_each_snapshot_record() found.
struct SnapshotFileSummary {
  raft::Index index = 0;
  std::uint64_t records = 0;
};

// Calls `visit` with every record of the snapshot file `name`, reading it `piece` bytes at a
// time (tests use tiny pieces), and checks the file's checksum and record count as it goes. Throws
// raft::DecodeError naming the file and byte (a missing file, a short one, a bad checksum), in
// which case `visit` may have seen part of the records; DiskError.
SnapshotFileSummary for_each_snapshot_record(const Disk& disk, const std::string& name,
                                             const std::function<void(const dns::Record&)>& visit,
                                             std::size_t piece = kSnapshotReadPiece);

}  // namespace engine
