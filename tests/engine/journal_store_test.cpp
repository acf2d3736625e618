// The IXFR journal's file (engine/journal_store.h) and the Node's journal: records round-trip,
// load keeps only what the datastore has (<= hw), a torn tail is cut, damage empties the journal
// (IXFR then falls back to AXFR), the file is compacted to what the bound retains, and a node's
// journal is the same on every replica and survives a crash and restart.
#include "engine/journal_store.h"

#include <gtest/gtest.h>

#include <memory>

#include "dns/zone.h"
#include "tests/engine/fake_cluster.h"
#include "tests/engine/memory_disk.h"
#include "tests/engine/node_test_support.h"

namespace engine {
namespace {

using namespace std::chrono_literals;
using testing::FakeCluster;
using testing::fast_options;
using testing::into;
using testing::MemoryDisk;
using testing::record;
using testing::records;
using testing::Reply;

const dns::Name kApex = dns::Name::from_text("a.test.");

dns::Record soa(std::uint32_t serial) {
  return record(
      fmt::format("a.test. 300 IN SOA ns.a.test. admin.a.test. {} 3600 600 86400 300", serial));
}

// The batch at `index` taking a.test from serial `from` to from + 1 by adding one address.
JournalBatch batch(raft::Index index, std::uint32_t from) {
  dns::ZoneDiff d;
  d.index = index;
  d.apex = kApex;
  d.old_soa = soa(from);
  d.new_soa = soa(from + 1);
  d.added.push_back(record(fmt::format("h{}.a.test. 300 IN A 192.0.2.{}", index, index % 250)));
  if (from % 2 == 0) d.removed.push_back(record("old.a.test. 300 IN TXT \"gone\""));
  return JournalBatch{index, {}, {d}};
}

// Writes batches 1..n (serials 1 -> 1 + n) through a store and its journal.
void write(MemoryDisk& disk, int n, dns::JournalLimits limits = {},
           std::uint64_t compact_slack = 1 << 20) {
  JournalStore store(disk, "journal.log", compact_slack);
  dns::ZoneJournal journal(limits);
  std::vector<std::string> warnings;
  store.load(0, journal, warnings);
  for (int i = 1; i <= n; ++i) {
    const JournalBatch b = batch(i, i);
    for (const auto& d : b.diffs) journal.add(std::make_shared<const dns::ZoneDiff>(d));
    store.append(std::span(&b, 1), journal);
  }
}

TEST(JournalStore, RecordsRoundTrip) {
  JournalBatch b = batch(7, 3);
  b.reset.push_back(dns::Name::from_text("other.test."));
  const Bytes file = encode_journal_batch(b);
  const JournalScan scan = decode_journal(file);
  ASSERT_EQ(scan.batches.size(), 1u);
  EXPECT_EQ(scan.batches[0], b);
  EXPECT_EQ(scan.valid_bytes, file.size());
}

TEST(JournalStore, LoadReplaysUpToHwAndForgetsTheRest) {
  MemoryDisk disk;
  write(disk, 10);
  dns::ZoneJournal journal;
  std::vector<std::string> warnings;
  JournalStore store(disk);
  store.load(6, journal, warnings);  // batches 7..10 never reached the datastore
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(journal.between(kApex, 1, 7));
  EXPECT_FALSE(journal.between(kApex, 1, 8));
  // Served again, they are recorded again and load after the earlier ones.
  for (int i = 7; i <= 8; ++i) {
    const JournalBatch b = batch(i, i);
    for (const auto& d : b.diffs) journal.add(std::make_shared<const dns::ZoneDiff>(d));
    store.append(std::span(&b, 1), journal);
  }
  JournalStore again(disk);
  dns::ZoneJournal reloaded;
  again.load(8, reloaded, warnings);
  EXPECT_TRUE(reloaded.between(kApex, 1, 9));
  EXPECT_EQ(reloaded.diffs(), 8u);
}

TEST(JournalStore, ATornTailIsCut) {
  MemoryDisk disk;
  write(disk, 3);
  Bytes file = *disk.read("journal.log");
  const Bytes fourth = encode_journal_batch(batch(4, 4));
  file.insert(file.end(), fourth.begin(), fourth.begin() + 20);  // cut short by a crash
  disk.replace("journal.log", file);
  dns::ZoneJournal journal;
  std::vector<std::string> warnings;
  JournalStore store(disk);
  store.load(100, journal, warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("torn tail"), std::string::npos) << warnings[0];
  EXPECT_TRUE(journal.between(kApex, 1, 4));
  EXPECT_EQ(disk.read("journal.log")->size(), file.size() - 20);
}

TEST(JournalStore, DamageEmptiesTheJournalWithAWarning) {
  MemoryDisk disk;
  write(disk, 3);
  Bytes file = *disk.read("journal.log");
  file[12] ^= 0xff;  // inside the first record, with valid records after it
  disk.replace("journal.log", file);
  dns::ZoneJournal journal;
  std::vector<std::string> warnings;
  JournalStore store(disk);
  store.load(100, journal, warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("falls back to AXFR"), std::string::npos) << warnings[0];
  EXPECT_EQ(journal.diffs(), 0u);
  EXPECT_TRUE(disk.read("journal.log")->empty());
}

TEST(JournalStore, TheFileIsCompactedToWhatTheBoundKeeps) {
  MemoryDisk disk;
  const dns::JournalLimits limits{.max_diffs = 5, .max_bytes = 1 << 20};
  write(disk, 2000, limits, 4096);
  // Without compaction the file would hold all 2000 batches (over 100 KiB).
  EXPECT_LT(disk.read("journal.log")->size(), 8192u);
  dns::ZoneJournal journal(limits);
  std::vector<std::string> warnings;
  JournalStore store(disk);
  store.load(2000, journal, warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(journal.diffs(), 5u);
  EXPECT_TRUE(journal.between(kApex, 2001 - 5, 2001));
}

constexpr std::string_view kZone =
    "a.test. 300 IN SOA ns.a.test. admin.a.test. 1 3600 600 86400 300\n"
    "a.test. 300 IN NS ns.a.test.\n"
    "ns.a.test. 300 IN A 192.0.2.1\n";

std::uint32_t serial_of(dns::Database& db) {
  const auto v = db.current();
  const dns::Zone* z = v->find_zone(dns::name_key(kApex));
  return z && z->soa() ? dns::soa_serial(z->soa()->rdatas.front()) : 0;
}

// Starts the cluster with kZone as node 1's zone file; true once every node serves it.
bool start_imported(FakeCluster& cluster) {
  cluster.member(1).zone = records(kZone);
  cluster.start_all();
  return cluster.run_until(
      [&] {
        for (NodeId n = 1; n <= 3; ++n)
          if (cluster.db(n).all_records().size() != 3) return false;
        return true;
      },
      10s);
}

// True once every node serves a.test at `serial`.
bool reach_serial(FakeCluster& cluster, std::uint32_t serial) {
  return cluster.run_until(
      [&] {
        for (NodeId n = 1; n <= 3; ++n)
          if (serial_of(cluster.db(n)) != serial) return false;
        return true;
      },
      5s);
}

TEST(NodeJournal, EveryReplicaJournalsTheSameDiffsAndARestartKeepsThem) {
  FakeCluster cluster{3, fast_options()};
  ASSERT_TRUE(start_imported(cluster));
  const std::uint32_t s0 = serial_of(cluster.db(1));
  for (int i = 0; i < 3; ++i) {
    Reply reply;
    const NodeId leader = cluster.leader();
    cluster.node(leader).submit(
        {{dns::Change::Add, record(fmt::format("w{}.a.test. 300 IN A 192.0.2.{}", i, 10 + i))}},
        into(reply));
    ASSERT_TRUE(cluster.run_until([&] { return reply.done; }, 3s));
    ASSERT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
  }
  ASSERT_TRUE(reach_serial(cluster, s0 + 3));
  cluster.run_for(1s);  // a checkpoint writes the journal beside the datastore
  std::vector<std::vector<dns::ZoneDiff>> seen;
  for (NodeId n = 1; n <= 3; ++n) {
    const auto diffs = cluster.node(n).journal().between(kApex, s0, s0 + 3);
    ASSERT_TRUE(diffs) << "node " << n;
    std::vector<dns::ZoneDiff> copy;
    for (const auto& d : *diffs) copy.push_back(*d);
    ASSERT_EQ(copy.size(), 3u);
    EXPECT_EQ(copy[1].added.at(0), record("w1.a.test. 300 IN A 192.0.2.11"));
    EXPECT_TRUE(copy[1].removed.empty());
    seen.push_back(std::move(copy));
  }
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_EQ(seen[0], seen[2]);

  // The checkpoint wrote them to node 2's journal.log (so the restart reads them back).
  const std::optional<Bytes> file = cluster.member(2).disk.read("journal.log");
  ASSERT_TRUE(file);
  std::size_t on_disk = 0;
  for (const JournalBatch& b : decode_journal(*file).batches) on_disk += b.diffs.size();
  EXPECT_GE(on_disk, 3u);

  cluster.crash(2);  // what was synced survives
  cluster.start(2);
  cluster.run_for(500ms);
  const auto after = cluster.node(2).journal().between(kApex, s0, s0 + 3);
  ASSERT_TRUE(after);
  std::vector<dns::ZoneDiff> copy;
  for (const auto& d : *after) copy.push_back(*d);
  EXPECT_EQ(copy, seen[0]);
}

TEST(NodeJournal, AFirstBootImportIsNoDiffAndTheFirstWriteAfterItIs) {
  // The import adds records without a new serial: no IXFR could send it, so it is not diffed
  // (the zone answers IXFR by AXFR until its next change, which is diffed as usual).
  NodeOptions options = fast_options();
  options.import_batch = 1;  // three import batches, the two after the SOA inside the zone
  FakeCluster cluster{3, options};
  ASSERT_TRUE(start_imported(cluster));
  for (NodeId n = 1; n <= 3; ++n) EXPECT_FALSE(cluster.node(n).journal().holds(kApex)) << n;
  const std::uint32_t s0 = serial_of(cluster.db(1));
  Reply reply;
  cluster.node(cluster.leader())
      .submit({{dns::Change::Add, record("w.a.test. 300 IN A 192.0.2.9")}}, into(reply));
  ASSERT_TRUE(cluster.run_until([&] { return reply.done; }, 3s));
  ASSERT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
  ASSERT_TRUE(reach_serial(cluster, s0 + 1));
  for (NodeId n = 1; n <= 3; ++n) {
    const auto diffs = cluster.node(n).journal().between(kApex, s0, s0 + 1);
    ASSERT_TRUE(diffs) << "node " << n;
    ASSERT_EQ(diffs->size(), 1u);
    EXPECT_EQ(diffs->front()->added,
              std::vector<dns::Record>{record("w.a.test. 300 IN A 192.0.2.9")});
  }
}

}  // namespace
}  // namespace engine
