// First-boot import batches (command kind 7): re-proposed after a crash, their SOA never sets an
// existing zone's serial back; the kind survives the command codec and R's snapshot.
#include "engine/import_batch.h"

#include <gtest/gtest.h>

#include "engine/command.h"
#include "engine/replicated_state.h"
#include "tests/engine/node_test_support.h"

namespace engine {
namespace {

using testing::record;

dns::Change add(std::string_view line) {
  return {dns::Change::Add, record(line)};
}

TEST(ImportBatch, AnExistingZonesSerialIsNeverSetBack) {
  dns::Database db;
  db.load(
      testing::records("a.test. 300 IN SOA ns.a.test. admin.a.test. 7 3600 600 86400 300\n"
                       "ns.a.test. 300 IN A 192.0.2.1\n"));
  const std::vector<dns::Change> reimport{
      add("a.test. 300 IN SOA ns.a.test. admin.a.test. 1 3600 600 86400 300"),
      add("ns.a.test. 300 IN A 192.0.2.1"),
      add("b.test. 300 IN SOA ns.b.test. admin.b.test. 1 3600 600 86400 300")};
  const std::vector<dns::Change> kept = import_changes(*db.current(), reimport);
  ASSERT_EQ(kept.size(), 2u);  // a.test.'s older SOA left out; the new zone b.test. created
  EXPECT_EQ(kept[0].record, reimport[1].record);
  EXPECT_EQ(kept[1].record, reimport[2].record);
  // A newer serial (RFC 1982) still replaces it.
  const std::vector<dns::Change> newer{
      add("a.test. 300 IN SOA ns.a.test. admin.a.test. 8 3600 600 86400 300")};
  EXPECT_EQ(import_changes(*db.current(), newer).size(), 1u);
}

TEST(ImportBatch, TheKindSurvivesTheCodecAndRsSnapshot) {
  ChangeBatch batch{1, 42, {add("x.a.test. 300 IN A 192.0.2.9")}, true};
  const Command decoded = decode_command(encode_command(batch));
  EXPECT_TRUE(std::get<ChangeBatch>(decoded).import);
  batch.import = false;
  EXPECT_FALSE(std::get<ChangeBatch>(decode_command(encode_command(batch))).import);

  ReplicatedState r({1, 2});
  r.apply({1, 1, raft::EntryKind::Normal, encode_command(ChangeBatch{1, 1, batch.changes, true})});
  r.apply({1, 2, raft::EntryKind::Normal, encode_command(ChangeBatch{1, 2, batch.changes, false})});
  ReplicatedState copy({1, 2});
  copy.restore(r.snapshot(), 2);
  EXPECT_TRUE(copy.pending().at(1).import);
  EXPECT_FALSE(copy.pending().at(2).import);
  EXPECT_EQ(copy.snapshot(), r.snapshot());
}

}  // namespace
}  // namespace engine
