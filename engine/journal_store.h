#pragma once
// The IXFR journal's file, beside the local datastore: append-only records, one per served
// change batch ([u32 len][u32 crc32][kind][index][zones reset][diffs], engine/durable_framing.h),
// replayed into a dns::ZoneJournal at start and rewritten compacted when it has grown to twice
// what the journal retains. Written only through the Disk seam.
//
// The journal is history for IXFR, not the data: a record past the datastore's hw (written just
// before a crash cut the datastore's append short) is dropped at load and made again when that
// batch is served again, and a file that cannot be read is dropped with a warning (an IXFR then
// gets the whole zone, as it would from a node whose journal does not reach back).

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "dns/zone_diff.h"
#include "dns/zone_journal.h"
#include "engine/io.h"
#include "raft/types.h"

namespace engine {

// The journal entries of one served batch: the zones it reset and its diffs.
struct JournalBatch {
  raft::Index index = 0;
  std::vector<dns::Name> reset;
  std::vector<dns::ZoneDiff> diffs;
  bool operator==(const JournalBatch&) const = default;
};

// One record's bytes, framed.
Bytes encode_journal_batch(const JournalBatch& batch);
void append_journal_batch(Bytes& out, const JournalBatch& batch);  // the same, added to out

// A journal file read back: its complete records, and where a torn tail (if any) begins.
struct JournalScan {
  std::vector<JournalBatch> batches;
  std::size_t valid_bytes = 0;
};
// Decodes a whole file. Throws raft::DecodeError (naming the byte) for damage a crash cannot
// explain: an intact record that does not decode, or a damaged record with a valid one after it.
JournalScan decode_journal(const Bytes& file);

class JournalStore {
 public:
  // The file is rewritten once it exceeds twice what the journal retains plus `compact_slack`.
  explicit JournalStore(Disk& disk, std::string name = "journal.log",
                        std::uint64_t compact_slack = 1 << 20);

  // Replays the file into `journal` (cleared first), keeping only batches up to `hw`.
  void load(raft::Index hw, dns::ZoneJournal& journal, std::vector<std::string>& warnings);
  // Appends the batches (durable on return), then compacts the file when it has grown past
  // twice what `journal` (which already holds them) retains. Throws DiskError.
  void append(std::span<const JournalBatch> batches, const dns::ZoneJournal& journal);
  // Empties the file (after the datastore was replaced by a peer's). Durable on return.
  void clear();
  std::uint64_t file_bytes() const { return file_bytes_; }

 private:
  // Replaces the file with exactly what `journal` retains.
  void rewrite(const dns::ZoneJournal& journal);

  Disk& disk_;
  std::string name_;
  std::uint64_t compact_slack_;
  std::uint64_t file_bytes_ = 0;
};

}  // namespace engine
