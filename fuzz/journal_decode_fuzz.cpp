// libFuzzer target for the IXFR journal's file (engine/journal_store.h): arbitrary bytes as
// journal.log either decode or throw raft::DecodeError; loading them never fails (damage empties
// the journal with a warning). What decoded encodes back to the same bytes, and whatever loaded
// takes an append and loads again with the same diffs.

#include <cstdint>
#include <cstdlib>

#include "engine/journal_store.h"
#include "raft/codec.h"
#include "tests/engine/memory_disk.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const engine::Bytes file(data, data + size);
  try {
    const engine::JournalScan scan = engine::decode_journal(file);
    if (scan.valid_bytes > file.size()) std::abort();
    engine::Bytes again;
    for (const engine::JournalBatch& b : scan.batches) {
      const engine::Bytes record = engine::encode_journal_batch(b);
      again.insert(again.end(), record.begin(), record.end());
    }
    // Records decode to what they encode (names and rdata are validated, never altered).
    if (engine::decode_journal(again).batches != scan.batches) std::abort();
  } catch (const raft::DecodeError&) {
  }

  try {
    engine::testing::MemoryDisk disk;
    disk.replace("journal.log", file);
    engine::JournalStore store(disk);
    dns::ZoneJournal journal;
    std::vector<std::string> warnings;
    store.load(UINT64_MAX, journal, warnings);
    const std::size_t diffs = journal.diffs();
    engine::JournalStore(disk).load(UINT64_MAX, journal, warnings);
    if (journal.diffs() != diffs) std::abort();
  } catch (const std::exception&) {
    std::abort();  // a journal that cannot be read is dropped, never an error
  }
  return 0;
}
