// libFuzzer target for the local datastore's files: arbitrary bytes as store.meta, store.snap and
// store.wal either load or throw LocalStoreError. Whatever loads must then take an append and a
// snapshot and load again to the same high-water mark, without complaint.
//
// Input layout: [u8 which files exist: 1 meta, 2 snap, 4 wal][u16 meta length][u16 snap length]
// [meta bytes][snap bytes][wal bytes = the rest]; lengths are clamped to what is there.

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "engine/local_store.h"
#include "tests/engine/memory_disk.h"

namespace {

size_t take_u16(const std::uint8_t*& data, size_t& size) {
  if (size < 2) {
    size = 0;
    return 0;
  }
  const size_t v = data[0] | (size_t{data[1]} << 8);
  data += 2;
  size -= 2;
  return v;
}

engine::Bytes take(const std::uint8_t*& data, size_t& size, size_t n) {
  n = std::min(n, size);
  engine::Bytes out(data, data + n);
  data += n;
  size -= n;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::uint8_t present = data[0];
  ++data;
  --size;
  const size_t meta_len = take_u16(data, size);
  const size_t snap_len = take_u16(data, size);
  const engine::Bytes meta = take(data, size, meta_len);
  const engine::Bytes snap = take(data, size, snap_len);
  const engine::Bytes wal(data, data + size);

  engine::testing::MemoryDisk disk;
  if (present & 1) disk.replace("store.meta", meta);
  if (present & 2) disk.replace("store.snap", snap);
  if (present & 4) disk.replace("store.wal", wal);

  engine::LocalStore store(disk);
  engine::LocalStoreContents contents;
  try {
    contents = store.load();
  } catch (const engine::LocalStoreError&) {
    return 0;
  }

  // What loaded is a consistent store: it takes writes and loads again, and nothing goes missing.
  try {
    raft::Index hw = contents.hw;
    if (hw < UINT64_MAX) {
      dns::Record record;
      record.owner = dns::Name::from_text("fuzz.example.");
      record.type = dns::type::A;
      record.rdata = {192, 0, 2, 1};
      std::vector<engine::StoredBatch> batches{{hw + 1, {{dns::Change::Add, record}}}};
      store.append(batches, hw + 1);
      ++hw;
    }
    engine::LocalStoreContents again = engine::LocalStore(disk).load();
    if (again.hw != hw || again.batches.size() < (hw > contents.hw ? 1u : 0u) ||
        again.snapshot_records.size() != contents.snapshot_records.size() ||
        !again.warnings.empty()) {
      std::abort();
    }
    store.write_snapshot(contents.snapshot_records);
    engine::LocalStoreContents snapped = engine::LocalStore(disk).load();
    if (snapped.hw != hw || snapped.snapshot_index != hw || !snapped.batches.empty() ||
        snapped.snapshot_records.size() != contents.snapshot_records.size()) {
      std::abort();
    }
  } catch (const std::exception&) {
    std::abort();
  }
  return 0;
}
