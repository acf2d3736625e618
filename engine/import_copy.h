#pragma once
// A first-boot import by copy (command kind 8): a zone file too large to replicate record by
// record (NodeOptions::import_copy_records). The importing node writes its records to its import
// file (`import.snap`, laid out as a store snapshot at index 0) and proposes one small entry
// naming their count and SHA-256 (ImportDigest). Applying it, a node that holds records with that
// digest (the origin: from memory, its import file, or its zone file after a wipe) serves them as
// an import batch; every other node copies the datastore of a peer that has served that index
// (engine/datastore_transfer.h). The digest makes sure nobody serves other records at that
// index: a zone file edited since cannot stand in for the records the entry was proposed with.

#include <optional>
#include <string>
#include <vector>

#include "dns/zone_db.h"
#include "engine/command.h"
#include "engine/io.h"

namespace engine {

inline constexpr const char* kImportFile = "import.snap";
inline constexpr const char* kImportPartFile = "import.part";

// The digest of an import's records: their count and the SHA-256 of put_record() of each, in
// order (OpenSSL).
ImportDigest import_digest(const std::vector<dns::Change>& adds);

// Writes the records of `adds` as the import file ("import.part" first, fsynced, then renamed
// to kImportFile): durable on return. Returns their digest (computed in the same pass). Throws
// DiskError.
ImportDigest write_import_file(Disk& disk, const std::vector<dns::Change>& adds);

// The import file's records as ADDs, or nullopt if there is none. Throws raft::DecodeError
// naming the file for a damaged one, DiskError.
std::optional<std::vector<dns::Change>> read_import_file(const Disk& disk);

// "n records, sha256 0123abcd..." for logs.
std::string describe(const ImportDigest& digest);

}  // namespace engine
