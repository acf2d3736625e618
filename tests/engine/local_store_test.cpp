// LocalStore: what is appended and synced comes back after a crash at any point, torn WAL tails
// are cut, damage a crash cannot explain is refused, and hw never goes backwards.

#include "engine/local_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include "dns/rdata.h"
#include "dns/zone_db.h"
#include "engine/crc32.h"
#include "raft/codec.h"
#include "tests/engine/memory_disk.h"

namespace engine {
namespace {

using raft::Index;
using testing::MemoryDisk;
using testing::PowerCut;

dns::Record a_record(int host, int ip, std::uint32_t ttl = 300) {
  dns::Record r;
  r.owner = dns::Name::from_text(fmt::format("h{}.example.", host));
  r.type = dns::type::A;
  r.ttl = ttl;
  r.rdata = {10, 0, 0, static_cast<std::uint8_t>(ip)};
  return r;
}

dns::Change add(int host, int ip) {
  return {dns::Change::Add, a_record(host, ip)};
}
dns::Change remove(int host, int ip) {
  return {dns::Change::Remove, a_record(host, ip)};
}

// Records by their text line.
using RecordSet = std::map<std::string, dns::Record>;

void apply(RecordSet& set, const std::vector<dns::Change>& changes) {
  for (const dns::Change& c : changes) {
    if (c.kind == dns::Change::Add)
      set.emplace(dns::to_text(c.record), c.record);
    else
      set.erase(dns::to_text(c.record));
  }
}

RecordSet replay(const LocalStoreContents& c) {
  RecordSet set;
  for (const dns::Record& r : c.snapshot_records) set.emplace(dns::to_text(r), r);
  for (const StoredBatch& b : c.batches) apply(set, b.changes);
  return set;
}

std::vector<dns::Record> to_records(const RecordSet& set) {
  std::vector<dns::Record> out;
  for (const auto& [line, record] : set) out.push_back(record);
  return out;
}

std::string describe(const std::vector<dns::Change>& changes) {
  std::string s;
  for (const dns::Change& c : changes)
    s += fmt::format("{}{};", c.kind == dns::Change::Add ? "+" : "-", dns::to_text(c.record));
  return s;
}

// Everything ever appended (the history), how far it goes and how far it is durable.
struct Model {
  std::vector<StoredBatch> history;
  Index hw = 0;
  Index durable = 0;

  RecordSet at(Index upto) const {
    RecordSet set;
    for (const StoredBatch& b : history)
      if (b.index <= upto) apply(set, b.changes);
    return set;
  }
  void append(const std::vector<StoredBatch>& batches, Index new_hw, bool sync) {
    history.insert(history.end(), batches.begin(), batches.end());
    hw = new_hw;
    if (sync) durable = hw;
  }
  void lose_after(Index loaded_hw) {
    std::erase_if(history, [&](const StoredBatch& b) { return b.index > loaded_hw; });
    hw = durable = loaded_hw;
  }
};

// The loaded contents are the model's state at some hw between `lowest` (what was durable) and
// the model's hw (what was written), and are internally consistent.
void expect_loaded(const LocalStoreContents& c, Index lowest, const Model& m) {
  EXPECT_GE(c.hw, lowest);
  EXPECT_LE(c.hw, m.hw);
  EXPECT_LE(c.snapshot_index, c.hw);
  Index prev = c.snapshot_index;
  for (const StoredBatch& b : c.batches) {
    EXPECT_GT(b.index, prev);
    EXPECT_LE(b.index, c.hw);
    prev = b.index;
  }
  EXPECT_EQ(replay(c), m.at(c.hw)) << "at hw " << c.hw;
}

StoredBatch batch(Index index, std::vector<dns::Change> changes) {
  return StoredBatch{index, std::move(changes)};
}

// A loaded store on a disk, with its model.
struct Fixture {
  MemoryDisk disk;
  std::optional<LocalStore> store;
  Model model;
  Fixture() { restart(); }

  // A new store object on the same disk, as after a restart.
  LocalStoreContents restart() {
    store.emplace(disk);
    return store->load();
  }

  void append(std::vector<StoredBatch> batches, Index new_hw, bool sync = true) {
    model.append(batches, new_hw, sync);
    store->append(batches, new_hw, sync);
  }
  void snapshot() {
    model.durable = model.hw;
    store->write_snapshot(to_records(model.at(model.hw)));
  }
};

LocalStoreContents reload(MemoryDisk& disk) {
  return LocalStore(disk).load();
}

TEST(LocalStore, EmptyDiskIsFirstBoot) {
  MemoryDisk disk;
  LocalStoreContents c = reload(disk);
  EXPECT_FALSE(c.initialized);
  EXPECT_FALSE(c.imported);
  EXPECT_EQ(c.hw, 0u);
  EXPECT_EQ(c.snapshot_index, 0u);
  EXPECT_TRUE(c.snapshot_records.empty());
  EXPECT_TRUE(c.batches.empty());
  EXPECT_TRUE(c.warnings.empty());
}

TEST(LocalStore, InitializeAndMarkImportedAreDurable) {
  MemoryDisk disk;
  {
    LocalStore store(disk);
    store.load();
    store.initialize();
  }
  disk.crash();
  LocalStoreContents c = reload(disk);
  EXPECT_TRUE(c.initialized);
  EXPECT_FALSE(c.imported);
  {
    LocalStore store(disk);
    store.load();
    store.mark_imported();
  }
  disk.crash();
  c = reload(disk);
  EXPECT_TRUE(c.initialized);
  EXPECT_TRUE(c.imported);
}

TEST(LocalStore, AppendedBatchesRoundTrip) {
  Fixture f;
  f.append({batch(2, {add(1, 1), add(2, 2)}), batch(5, {remove(1, 1)})}, 6);
  f.append({}, 9);  // committed entries that changed no record still raise hw
  f.append({batch(10, {add(3, 3), add(1, 4), remove(7, 7)})}, 10);
  f.disk.crash();
  LocalStoreContents c = reload(f.disk);
  EXPECT_TRUE(c.initialized);
  EXPECT_EQ(c.hw, 10u);
  EXPECT_TRUE(c.warnings.empty());
  ASSERT_EQ(c.batches.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(c.batches[i].index, f.model.history[i].index);
    EXPECT_EQ(describe(c.batches[i].changes), describe(f.model.history[i].changes));
  }
  expect_loaded(c, 10, f.model);
  EXPECT_EQ(f.store->wal_bytes(), f.disk.read("store.wal")->size());
}

TEST(LocalStore, EachAppendIsSyncedBeforeReturning) {
  Fixture f;
  const int before = f.disk.syncs;
  f.append({batch(1, {add(1, 1)})}, 1);
  EXPECT_EQ(f.disk.syncs, before + 1);
  EXPECT_EQ(f.store->durable_hw(), 1u);
  f.disk.crash();
  EXPECT_EQ(reload(f.disk).hw, 1u);
}

TEST(LocalStore, DurableHwMovesOnlyOnSync) {
  Fixture f;
  f.append({batch(1, {add(1, 1)})}, 1);
  f.append({batch(3, {add(2, 2)})}, 4, /*sync=*/false);
  EXPECT_EQ(f.store->hw(), 4u);
  EXPECT_EQ(f.store->durable_hw(), 1u);
  MemoryDisk unsynced_copy = f.disk;
  f.store->sync();
  EXPECT_EQ(f.store->durable_hw(), 4u);

  unsynced_copy.crash();
  EXPECT_EQ(reload(unsynced_copy).hw, 1u);
  f.disk.crash();
  EXPECT_EQ(reload(f.disk).hw, 4u);
}

TEST(LocalStore, SnapshotReplacesWalAndRoundTrips) {
  Fixture f;
  for (Index i = 1; i <= 20; ++i) f.append({batch(i, {add(int(i % 6), int(i % 4))})}, i);
  const std::uint64_t wal_before = f.store->wal_bytes();
  f.snapshot();
  EXPECT_LT(f.store->wal_bytes(), wal_before);
  EXPECT_EQ(f.store->snapshot_bytes(), f.disk.read("store.snap")->size());
  f.append({batch(22, {remove(2, 2), add(9, 9)})}, 23);
  f.disk.crash();
  LocalStoreContents c = reload(f.disk);
  EXPECT_EQ(c.snapshot_index, 20u);
  EXPECT_EQ(c.hw, 23u);
  ASSERT_EQ(c.batches.size(), 1u);
  EXPECT_EQ(c.batches[0].index, 22u);
  expect_loaded(c, 23, f.model);
}

TEST(LocalStore, HwNeverGoesBackwards) {
  Fixture f;
  f.append({batch(5, {add(1, 1)})}, 7);
  EXPECT_THROW(f.store->append(std::vector{batch(7, {add(1, 2)})}, 8), std::logic_error);
  EXPECT_THROW(f.store->append(std::vector{batch(3, {add(1, 2)})}, 8), std::logic_error);
  EXPECT_THROW(f.store->append({}, 6), std::logic_error);
  EXPECT_THROW(f.store->append(std::vector{batch(9, {}), batch(8, {})}, 9), std::logic_error);
  EXPECT_THROW(f.store->append(std::vector{batch(9, {add(1, 2)})}, 8), std::logic_error);
  EXPECT_EQ(f.store->hw(), 7u);
  f.store->append({}, 7);  // no change is fine
  f.append({batch(8, {add(1, 2)})}, 8);
  EXPECT_EQ(reload(f.disk).hw, 8u);

  MemoryDisk disk;
  LocalStore unloaded(disk);
  EXPECT_THROW(unloaded.append(std::vector{batch(1, {})}, 1), std::logic_error);
  EXPECT_THROW(unloaded.write_snapshot({}), std::logic_error);
}

// Runs `op` after `setup` with a power cut at each of op's disk calls in turn (and once
// without), tearing the unsynced bytes in several ways, then reloads: nothing durable before op
// (or, if op returned, after it) is lost, and the reloaded store keeps working.
void check_every_crash_point(const std::function<void(Fixture&)>& setup,
                             const std::function<void(Fixture&)>& op) {
  int calls = 0;
  {
    Fixture f;
    setup(f);
    const int before = f.disk.writes;
    op(f);
    calls = f.disk.writes - before;
  }
  ASSERT_GT(calls, 0);
  for (int k = 0; k <= calls; ++k) {
    for (size_t torn : {0, 1, 9, 30, 100000}) {
      SCOPED_TRACE(fmt::format("power cut at disk call {} of {}, {} torn bytes", k, calls, torn));
      Fixture f;
      setup(f);
      const Index durable_before = f.model.durable;
      f.disk.cut_power_after(k);
      bool cut = false;
      try {
        op(f);
      } catch (const PowerCut&) {
        cut = true;
      }
      f.disk.cut_power_after(-1);
      EXPECT_EQ(cut, k < calls);
      f.disk.crash(torn);
      LocalStoreContents c;
      ASSERT_NO_THROW(c = reload(f.disk));
      expect_loaded(c, cut ? durable_before : f.model.durable, f.model);

      // The store goes on from what it found, and that survives the next restart.
      f.model.lose_after(c.hw);
      LocalStore again(f.disk);
      again.load();
      const Index next = c.hw + 1;
      f.model.append({batch(next, {add(42, 1)})}, next, true);
      again.append(std::vector{batch(next, {add(42, 1)})}, next);
      f.disk.crash();
      expect_loaded(reload(f.disk), next, f.model);
    }
  }
}

TEST(LocalStore, EveryCrashPointOfAppendLosesNothingSynced) {
  check_every_crash_point(
      [](Fixture& f) {
        f.append({batch(1, {add(1, 1)}), batch(2, {add(2, 1)})}, 3);
        f.append({batch(4, {add(3, 1)})}, 4, false);
      },
      [](Fixture& f) {
        f.append({batch(5, {remove(1, 1)}), batch(7, {add(1, 2)})}, 8);
      });
}

TEST(LocalStore, EveryCrashPointOfFirstAppendLosesNothing) {
  check_every_crash_point([](Fixture& f) { f.store->initialize(); },
                          [](Fixture& f) { f.append({batch(3, {add(1, 1)})}, 3); });
}

TEST(LocalStore, EveryCrashPointOfSnapshotLosesNothingSynced) {
  check_every_crash_point(
      [](Fixture& f) {
        for (Index i = 1; i <= 6; ++i) f.append({batch(i, {add(int(i), 1)})}, i);
        f.snapshot();
        f.append({batch(8, {remove(2, 1)})}, 9);
        f.append({batch(10, {add(8, 8)})}, 10, false);  // unsynced: the snapshot covers it
      },
      [](Fixture& f) { f.snapshot(); });
}

TEST(LocalStore, EveryCrashPointOfSyncLosesNothingSynced) {
  check_every_crash_point(
      [](Fixture& f) {
        f.append({batch(1, {add(1, 1)})}, 1);
        f.append({batch(2, {add(2, 1)}), batch(3, {add(3, 1)})}, 3, false);
      },
      [](Fixture& f) {
        f.model.durable = f.model.hw;
        f.store->sync();
      });
}

// The byte offset where the last WAL record starts, and the WAL's size.
std::pair<size_t, size_t> last_record(MemoryDisk& disk) {
  const Bytes wal = *disk.read("store.wal");
  size_t offset = 0, last = 0;
  while (offset < wal.size()) {
    raft::ByteReader r(ByteView(wal.data() + offset, 4));
    last = offset;
    offset += 8 + r.u32("len");
  }
  return {last, wal.size()};
}

TEST(LocalStore, TornTailOfEveryLengthIsCut) {
  Fixture f;
  f.append({batch(1, {add(1, 1)})}, 1);
  f.append({batch(2, {add(2, 1), add(3, 1)})}, 2);
  const size_t synced = f.disk.read("store.wal")->size();
  f.append({batch(3, {add(4, 1), remove(1, 1)})}, 3, false);
  const size_t full = f.disk.read("store.wal")->size();
  for (size_t torn = 1; torn < full - synced; ++torn) {
    SCOPED_TRACE(fmt::format("{} of {} bytes", torn, full - synced));
    MemoryDisk disk = f.disk;
    disk.crash(torn);
    LocalStoreContents c = reload(disk);
    EXPECT_EQ(c.hw, 2u);
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_EQ(c.warnings[0],
              fmt::format("store.wal: torn tail cut at byte {} ({} bytes dropped)", synced, torn));
    EXPECT_EQ(disk.read("store.wal")->size(), synced);
    // The cut is durable: another crash finds the same clean file.
    disk.crash();
    EXPECT_TRUE(reload(disk).warnings.empty());
  }
  MemoryDisk whole = f.disk;
  whole.crash(full - synced);
  LocalStoreContents c = reload(whole);
  EXPECT_EQ(c.hw, 3u);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(LocalStore, BadChecksumOnLastRecordIsCut) {
  Fixture f;
  f.append({batch(1, {add(1, 1)})}, 1);
  f.append({batch(2, {add(2, 1)})}, 2);
  auto [last, size] = last_record(f.disk);
  f.disk.raw("store.wal")[size - 2] ^= 0x40;
  LocalStoreContents c = reload(f.disk);
  EXPECT_EQ(c.hw, 1u);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find(fmt::format("store.wal: torn tail cut at byte {}", last)),
            std::string::npos);
}

TEST(LocalStore, ZeroFilledTailIsCut) {
  Fixture f;
  f.append({batch(1, {add(1, 1)})}, 1);
  const size_t size = f.disk.read("store.wal")->size();
  f.disk.raw("store.wal").resize(size + 4096, 0);
  LocalStoreContents c = reload(f.disk);
  EXPECT_EQ(c.hw, 1u);
  EXPECT_EQ(c.warnings.size(), 1u);
}

TEST(LocalStore, DamagedMiddleRecordIsRefused) {
  Fixture f;
  for (Index i = 1; i <= 4; ++i) f.append({batch(i, {add(int(i), 1)})}, i);
  // Find record 2 (after the header and batch 1) and flip a payload byte.
  const Bytes wal = *f.disk.read("store.wal");
  size_t offset = 0;
  for (int skip = 0; skip < 2; ++skip) {
    raft::ByteReader r(ByteView(wal.data() + offset, 4));
    offset += 8 + r.u32("len");
  }
  raft::ByteReader r(ByteView(wal.data() + offset, 4));
  const size_t len = r.u32("len");
  f.disk.raw("store.wal")[offset + 10] ^= 0x01;
  try {
    reload(f.disk);
    FAIL() << "a damaged middle record was accepted";
  } catch (const LocalStoreError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("store.wal: record at byte {} is damaged (checksum mismatch) but a valid "
                          "record follows at byte {}: not a torn tail",
                          offset, offset + 8 + len));
  }
}

TEST(LocalStore, DamagedSnapshotOrMetaIsRefused) {
  Fixture f;
  f.store->initialize();
  f.append({batch(1, {add(1, 1)})}, 1);
  f.snapshot();
  for (const char* name : {"store.snap", "store.meta"}) {
    for (size_t at : {size_t{0}, f.disk.read(name)->size() - 1}) {
      MemoryDisk disk = f.disk;
      disk.raw(name)[at] ^= 0x10;
      try {
        reload(disk);
        ADD_FAILURE() << name << " damaged at byte " << at << " was accepted";
      } catch (const LocalStoreError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(name, 0), 0u) << e.what();
      }
    }
  }
}

TEST(LocalStore, WalOlderThanSnapshotIsResetOnLoad) {
  Fixture f;
  f.append({batch(1, {add(1, 1)}), batch(2, {add(2, 2)})}, 3);
  f.store->load();
  f.disk.cut_power_after(1);  // the snapshot is replaced, the WAL reset is not
  EXPECT_THROW(f.snapshot(), PowerCut);
  f.disk.cut_power_after(-1);
  f.disk.crash();
  LocalStoreContents c = f.restart();
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], "store.wal: older than store.snap (index 0 < 3): reset");
  EXPECT_EQ(c.snapshot_index, 3u);
  EXPECT_TRUE(c.batches.empty());
  expect_loaded(c, 3, f.model);
  f.append({batch(4, {remove(1, 1)})}, 4);
  f.disk.crash();
  c = reload(f.disk);
  EXPECT_TRUE(c.warnings.empty());
  expect_loaded(c, 4, f.model);
}

TEST(LocalStore, WalAheadOfSnapshotIsRefused) {
  Fixture f;
  f.append({batch(1, {add(1, 1)})}, 1);
  f.snapshot();
  f.disk.remove("store.snap");
  EXPECT_THROW(reload(f.disk), LocalStoreError);
}

TEST(LocalStore, ValidChecksumButUndecodableRecordIsRefused) {
  Fixture f;
  f.append({batch(1, {add(1, 1)})}, 1);
  Bytes payload{7, 1, 2, 3};  // record kind 7 does not exist
  Bytes record;
  raft::ByteWriter w(record);
  w.u32(static_cast<std::uint32_t>(payload.size()));
  w.u32(crc32(payload));
  record.insert(record.end(), payload.begin(), payload.end());
  const size_t at = f.disk.read("store.wal")->size();
  f.disk.append("store.wal", record);
  try {
    reload(f.disk);
    FAIL() << "accepted";
  } catch (const LocalStoreError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("store.wal: record at byte {}: record kind 7 is unknown", at));
  }
}

TEST(LocalStore, WalGoingBackwardsIsRefused) {
  Fixture f;
  f.append({batch(5, {add(1, 1)})}, 5);
  // Splice in a copy of the batch-5 record: the WAL then goes 5, 5.
  auto [last, size] = last_record(f.disk);
  const Bytes wal = *f.disk.read("store.wal");
  f.disk.append("store.wal", ByteView(wal.data() + last, size - last));
  EXPECT_THROW(reload(f.disk), LocalStoreError);
}

// Random appends (synced or not), syncs, snapshots and crashes (between operations, or cutting
// power in the middle of one, tearing unsynced bytes): after each crash and reload the content is
// the model's at an hw between what was synced and what was written.
RC_GTEST_PROP(LocalStoreProperty, CrashesKeepEverythingSynced, ()) {
  Fixture f;
  const int steps = *rc::gen::inRange(1, 60);
  for (int step = 0; step < steps; ++step) {
    const int op = *rc::gen::inRange(0, 10);
    const Index durable_before = f.model.durable;
    const bool power_cut_armed = op < 8 && *rc::gen::inRange(0, 4) == 0;
    if (power_cut_armed) f.disk.cut_power_after(*rc::gen::inRange(0, 3));
    bool cut = false;
    try {
      if (op < 5) {
        std::vector<StoredBatch> batches;
        Index index = f.model.hw;
        const int n = *rc::gen::inRange(0, 4);
        for (int b = 0; b < n; ++b) {
          index += *rc::gen::inRange(1, 4);
          std::vector<dns::Change> changes;
          const int m = *rc::gen::inRange(0, 4);
          for (int c = 0; c < m; ++c) {
            const int host = *rc::gen::inRange(0, 6), ip = *rc::gen::inRange(0, 3);
            changes.push_back(*rc::gen::arbitrary<bool>() ? add(host, ip) : remove(host, ip));
          }
          batches.push_back(batch(index, std::move(changes)));
        }
        const Index new_hw = index + *rc::gen::inRange(0, 3);
        f.append(batches, new_hw, *rc::gen::arbitrary<bool>());
      } else if (op < 7) {
        f.model.durable = f.model.hw;
        f.store->sync();
      } else if (op < 8) {
        f.snapshot();
      }
    } catch (const PowerCut&) {
      cut = true;
    }
    f.disk.cut_power_after(-1);
    if (cut || op >= 8) {
      const size_t torn = *rc::gen::arbitrary<bool>() ? 0 : *rc::gen::inRange(1, 300);
      f.disk.crash(torn);
      LocalStoreContents c = f.restart();
      const Index lowest = cut ? durable_before : f.model.durable;
      RC_ASSERT(c.hw >= lowest);
      RC_ASSERT(c.hw <= f.model.hw);
      if (torn == 0 && !cut) RC_ASSERT(c.hw == f.model.durable);
      RC_ASSERT(replay(c) == f.model.at(c.hw));
      f.model.lose_after(c.hw);
    }
    RC_ASSERT(f.store->hw() == f.model.hw);
    RC_ASSERT(f.store->durable_hw() == f.model.durable);
  }
}

}  // namespace
}  // namespace engine

namespace engine {
namespace {

// The serving view's version is written as the snapshot in one pass (trie order, no sort): it
// loads back as exactly the same record set, the outside-zone records and a later WAL included.
TEST(LocalStore, SnapshotOfADatabaseVersionLoadsBackTheSameRecords) {
  dns::Database db;
  std::vector<dns::Record> records;
  dns::Record soa;
  soa.owner = dns::Name::from_text("example.");
  soa.type = dns::type::SOA;
  soa.ttl = 300;
  soa.rdata = dns::soa_to_rdata({dns::Name::from_text("ns.example."),
                                 dns::Name::from_text("admin.example."), 7, 3600, 600, 86400, 300});
  records.push_back(soa);
  for (int i = 0; i < 500; ++i) records.push_back(a_record(i, i % 200));
  dns::Record outside = a_record(1, 1);
  outside.owner = dns::Name::from_text("Mixed.Case.elsewhere.");
  records.push_back(outside);
  db.load(records);

  MemoryDisk disk;
  {
    LocalStore store(disk);
    store.load();
    store.initialize();
    store.append(std::vector<StoredBatch>{{3, {add(900, 9)}}}, 3);
    store.write_version_snapshot(*db.current());
    EXPECT_EQ(store.wal_bytes(), disk.read("store.wal")->size());
    EXPECT_EQ(store.snapshot_bytes(), disk.read("store.snap")->size());
    store.append(std::vector<StoredBatch>{{4, {add(901, 9)}}}, 4);
  }
  disk.crash();
  LocalStoreContents c = reload(disk);
  EXPECT_EQ(c.snapshot_index, 3u);
  EXPECT_EQ(c.hw, 4u);
  ASSERT_EQ(c.batches.size(), 1u);
  auto key = [](const dns::Record& r) { return dns::to_text(r); };
  std::vector<std::string> loaded, expected;
  for (const dns::Record& r : c.snapshot_records) loaded.push_back(key(r));
  for (const dns::Record& r : db.all_records()) expected.push_back(key(r));
  std::sort(loaded.begin(), loaded.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(loaded.size(), 502u);
  EXPECT_EQ(loaded, expected);
  // The owner keeps the case it was loaded with.
  EXPECT_NE(std::find(loaded.begin(), loaded.end(), key(outside)), loaded.end());
}

}  // namespace
}  // namespace engine
