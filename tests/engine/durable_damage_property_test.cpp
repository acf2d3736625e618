// Every durable file of both stores against a single flipped byte: the load either refuses it with
// an error naming the file and a byte offset, or (only for damage inside the last record of an
// append-only log) cuts that record as a torn tail. It never loads different data.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <regex>
#include <string>

#include "engine/local_store.h"
#include "engine/raft_log_store.h"
#include "raft/codec.h"
#include "tests/engine/memory_disk.h"

namespace engine {
namespace {

using raft::Index;
using testing::MemoryDisk;

dns::Change add(int host, int ip) {
  dns::Record r;
  r.owner = dns::Name::from_text(fmt::format("h{}.example.", host));
  r.type = dns::type::A;
  r.ttl = 300;
  r.rdata = {10, 0, 0, static_cast<std::uint8_t>(ip)};
  return {dns::Change::Add, r};
}

// Where each record of an undamaged append-only log starts.
std::vector<std::size_t> record_starts(const Bytes& file) {
  std::vector<std::size_t> starts;
  for (std::size_t at = 0; at < file.size();) {
    starts.push_back(at);
    raft::ByteReader r(ByteView(file.data() + at, 4));
    at += 8 + r.u32("length");
  }
  return starts;
}

// The refusal names the file and a byte offset ("store.wal: record at byte 52 ...",
// "store.snap: checksum mismatch: bytes 5..90 ...", "raft.snap: byte 0: format version ...").
void expect_names_file_and_offset(const std::string& what, const std::string& file) {
  RC_LOG() << what << "\n";
  RC_ASSERT(what.rfind(file + ": ", 0) == 0);
  RC_ASSERT(std::regex_search(what, std::regex("bytes? [0-9]+")));
}

// What a load found, comparably.
struct Loaded {
  Index hw = 0;
  std::vector<std::string> records;  // snapshot records, then every batch's changes, as text
  bool operator==(const Loaded&) const = default;
};

Loaded load_store(MemoryDisk disk) {
  LocalStore store(disk);
  LocalStoreContents c = store.load();
  Loaded out{c.hw, {}};
  for (const dns::Record& r : c.snapshot_records) out.records.push_back(dns::to_text(r));
  for (const StoredBatch& b : c.batches)
    for (const dns::Change& ch : b.changes)
      out.records.push_back(fmt::format("{} {}", b.index, dns::to_text(ch.record)));
  return out;
}

RC_GTEST_PROP(DurableDamageProperty, LocalStoreRefusesOrCutsOnlyTheLastWalRecord, ()) {
  // A store with a snapshot, a meta file and several WAL records after it.
  MemoryDisk disk;
  Index index = 0;
  {
    LocalStore store(disk);
    store.load();
    store.initialize();
    store.mark_imported();
    const int before_snapshot = *rc::gen::inRange(1, 4);
    for (int i = 0; i < before_snapshot; ++i, ++index)
      store.append(std::vector<StoredBatch>{{index + 1, {add(i, i)}}}, index + 1);
    store.write_snapshot({add(100, 1).record, add(101, 2).record});
    const int after_snapshot = *rc::gen::inRange(2, 7);
    for (int i = 0; i < after_snapshot; ++i, ++index) {
      std::vector<dns::Change> changes;
      const int n = *rc::gen::inRange(1, 4);
      for (int k = 0; k < n; ++k) changes.push_back(add(*rc::gen::inRange(0, 50), k));
      store.append(std::vector<StoredBatch>{{index + 1, changes}}, index + 1);
    }
  }
  const Loaded intact = load_store(disk);
  const std::string file = *rc::gen::element<std::string>("store.wal", "store.snap", "store.meta");
  const Bytes original = *disk.read(file);
  const std::size_t at = *rc::gen::inRange<std::size_t>(0, original.size());
  const auto flip = *rc::gen::inRange<int>(1, 256);
  MemoryDisk damaged = disk;
  damaged.raw(file)[at] ^= static_cast<std::uint8_t>(flip);
  RC_TAG(file);
  try {
    const Loaded got = load_store(damaged);
    // Accepted: only as a torn tail of the WAL, losing exactly its last record.
    RC_ASSERT(file == "store.wal");
    const std::size_t last = record_starts(original).back();
    RC_ASSERT(at >= last);
    RC_ASSERT(got.hw == intact.hw - 1);
    RC_ASSERT(got.records.size() < intact.records.size());
    RC_ASSERT(std::equal(got.records.begin(), got.records.end(), intact.records.begin()));
  } catch (const LocalStoreError& e) {
    expect_names_file_and_offset(e.what(), file);
  }
}

std::vector<raft::Entry> entries(Index from, Index to, std::size_t size) {
  std::vector<raft::Entry> out;
  for (Index i = from; i <= to; ++i)
    out.push_back(raft::Entry{.term = 2, .index = i, .data = Bytes(size + i % 5, std::uint8_t(i))});
  return out;
}

RC_GTEST_PROP(DurableDamageProperty, RaftLogStoreRefusesOrCutsOnlyTheLastLogRecord, ()) {
  // A compacted snapshot, then several Readies of entries and hard states in raft.log.
  MemoryDisk disk;
  const std::size_t size = *rc::gen::inRange<std::size_t>(1, 40);
  {
    RaftLogStore store(disk);
    store.load();
    store.save(raft::Ready{.hard_state = raft::HardState{.term = 2, .vote = 1, .commit = 3},
                           .entries = entries(1, 4, size)});
    raft::Snapshot snap;
    snap.meta = {.index = 3, .term = 2, .voters = {1, 2, 3}};
    snap.data = Bytes(size, 7);
    store.save(raft::Ready{.compacted_snapshot = snap});
    store.compact(3);
    const int readies = *rc::gen::inRange(2, 6);
    for (Index i = 5; i < Index(5 + readies); ++i)
      store.save(raft::Ready{.hard_state = raft::HardState{.term = 2, .vote = 1, .commit = i - 1},
                             .entries = entries(i, i, size)});
  }
  const std::string file = *rc::gen::element<std::string>("raft.log", "raft.snap");
  const Bytes original = *disk.read(file);
  const std::size_t at = *rc::gen::inRange<std::size_t>(0, original.size());
  MemoryDisk damaged = disk;
  damaged.raw(file)[at] ^= static_cast<std::uint8_t>(*rc::gen::inRange<int>(1, 256));
  RC_TAG(file);
  MemoryDisk intact_disk = disk;
  const raft::Restored intact = RaftLogStore(intact_disk).load();
  try {
    const raft::Restored got = RaftLogStore(damaged).load();
    // Accepted: only as a torn tail of the log: the last Ready's record (its hard state) is gone,
    // nothing else changed.
    RC_ASSERT(file == "raft.log");
    RC_ASSERT(at >= record_starts(original).back());
    RC_ASSERT(got.snapshot.has_value() && got.snapshot->meta.index == intact.snapshot->meta.index);
    RC_ASSERT(got.entries.size() == intact.entries.size());
    for (std::size_t k = 0; k < got.entries.size(); ++k) {
      RC_ASSERT(got.entries[k].index == intact.entries[k].index);
      RC_ASSERT(got.entries[k].data == intact.entries[k].data);
    }
    RC_ASSERT(got.hard_state.commit + 1 == intact.hard_state.commit);
  } catch (const RaftLogStoreError& e) {
    expect_names_file_and_offset(e.what(), file);
  }
}

}  // namespace
}  // namespace engine
