// The engine's rules (first-boot import, checkpointing, client writes, no-quorum behaviour,
// restart) on a small deterministic cluster.
#include <gtest/gtest.h>

#include <algorithm>

#include "dns/rdata.h"
#include "dns/zone_parser.h"
#include "tests/engine/fake_cluster.h"
#include "tests/engine/node_test_support.h"

namespace engine {
namespace {

using namespace std::chrono_literals;
using testing::FakeCluster;
using testing::fast_options;
using testing::has;
using testing::into;
using testing::record;
using testing::records;
using testing::Reply;

std::uint32_t soa_serial(dns::Database& db, std::string_view apex) {
  for (const dns::Record& r : db.all_records())
    if (r.type == dns::type::SOA && r.owner == dns::Name::from_text(apex))
      return dns::soa_from_rdata(r.rdata).serial;
  return 0;
}

constexpr std::string_view kZoneA =
    "a.test. 300 IN SOA ns.a.test. admin.a.test. 1 3600 600 86400 300\n"
    "a.test. 300 IN NS ns.a.test.\n"
    "ns.a.test. 300 IN A 192.0.2.1\n"
    "www.a.test. 300 IN A 192.0.2.2\n";
constexpr std::string_view kZoneB =
    "b.test. 300 IN SOA ns.b.test. admin.b.test. 1 3600 600 86400 300\n"
    "www.b.test. 300 IN A 198.51.100.1\n";

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.member(1).zone = records(kZoneA);
    cluster_.member(2).zone = records(kZoneB);
    cluster_.start_all();
    ASSERT_TRUE(cluster_.run_until(
        [&] {
          for (NodeId n = 1; n <= 3; ++n)
            if (!cluster_.node(n).status().imported && n != 3) return false;
          for (NodeId n = 1; n <= 3; ++n)
            if (cluster_.db(n).all_records().size() != 6) return false;
          return true;
        },
        10s));
  }
  Reply write(NodeId on, dns::Change::Kind kind, std::string_view line) {
    Reply reply;
    cluster_.node(on).submit({{kind, record(line)}}, into(reply));
    cluster_.run_until([&] { return reply.done; }, 5s);
    EXPECT_TRUE(reply.done);
    return reply;
  }
  bool pending_empty() {
    for (NodeId n = 1; n <= 3; ++n)
      if (!cluster_.node(n).state().pending().empty()) return false;
    return true;
  }

  FakeCluster cluster_{3, fast_options(2)};
};

TEST_F(NodeTest, FirstBootServesTheUnionOfAllZoneFilesOnEveryNode) {
  for (NodeId n = 1; n <= 3; ++n) {
    for (const dns::Record& r : records(kZoneA)) {
      if (r.type == dns::type::SOA) continue;  // its serial moved on
      EXPECT_TRUE(has(cluster_.db(n), r)) << "node " << n << " " << dns::to_text(r);
    }
    EXPECT_TRUE(has(cluster_.db(n), record("www.b.test. 300 IN A 198.51.100.1")));
  }
}

TEST_F(NodeTest, PendingDrainsOnceEveryNodeCopiedAndAcked) {
  ASSERT_TRUE(cluster_.run_until([&] { return pending_empty(); }, 5s));
  for (NodeId n = 1; n <= 3; ++n) {
    EXPECT_GT(cluster_.node(n).status().hw, 0u);
    for (auto [node, acked] : cluster_.node(n).state().acked()) EXPECT_GT(acked, 0u);
  }
}

TEST_F(NodeTest, WriteOnAFollowerCommitsAndIsAnswerableEverywhereBeforeACheckpoint) {
  NodeId follower = cluster_.leader() == 1 ? 2 : 1;
  const dns::Record r = record("new.a.test. 300 IN A 192.0.2.77");
  Reply reply;
  cluster_.node(follower).submit({{dns::Change::Add, r}}, into(reply));
  ASSERT_TRUE(cluster_.run_until([&] { return reply.done; }, 2s));
  EXPECT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
  EXPECT_EQ(reply.result.message, fmt::format("OK index={}", reply.result.index));
  // Every node applies at commit; a few message delays, far less than a checkpoint interval.
  ASSERT_TRUE(cluster_.run_until(
      [&] { return has(cluster_.db(1), r) && has(cluster_.db(2), r) && has(cluster_.db(3), r); },
      50ms));
}

TEST_F(NodeTest, SoaSerialRisesWithEachCommittedChangeAndIsEqualEverywhere) {
  const std::uint32_t before = soa_serial(cluster_.db(1), "a.test.");
  write(2, dns::Change::Add, "x.a.test. 300 IN A 192.0.2.10");
  write(3, dns::Change::Add, "y.a.test. 300 IN A 192.0.2.11");
  cluster_.run_for(100ms);
  for (NodeId n = 1; n <= 3; ++n) EXPECT_EQ(soa_serial(cluster_.db(n), "a.test."), before + 2);
}

TEST_F(NodeTest, AddOfAnExistingRecordAndRemoveOfAMissingOneAreNoops) {
  Reply add = write(1, dns::Change::Add, "www.a.test. 300 IN A 192.0.2.2");
  EXPECT_EQ(add.result.kind, WriteResult::Noop);
  EXPECT_EQ(add.result.message, fmt::format("NOOP already present index={}", add.result.index));
  Reply remove = write(2, dns::Change::Remove, "nothere.a.test. 300 IN A 192.0.2.9");
  EXPECT_EQ(remove.result.kind, WriteResult::Noop);
  EXPECT_EQ(remove.result.message, fmt::format("NOOP not present index={}", remove.result.index));
}

TEST_F(NodeTest, RemovedRecordIsAnsweredByNoNode) {
  const dns::Record r = record("www.a.test. 300 IN A 192.0.2.2");
  Reply reply = write(3, dns::Change::Remove, "www.a.test. 300 IN A 192.0.2.2");
  EXPECT_EQ(reply.result.kind, WriteResult::Ok);
  cluster_.run_for(50ms);
  for (NodeId n = 1; n <= 3; ++n) EXPECT_FALSE(has(cluster_.db(n), r));
}

TEST_F(NodeTest, WithoutQuorumAWriteTimesOutIsNotAppliedAndQueriesKeepTheirData) {
  const NodeId cut = 3;
  cluster_.block(3, 1);
  cluster_.block(3, 2);
  cluster_.run_for(500ms);
  const auto before = cluster_.db(cut).all_records();
  Reply reply;
  cluster_.node(cut).submit({{dns::Change::Add, record("lost.a.test. 300 IN A 192.0.2.99")}},
                            into(reply));
  cluster_.run_for(900ms);
  EXPECT_FALSE(reply.done) << "answered before the write timeout";
  cluster_.run_for(200ms);
  ASSERT_TRUE(reply.done);
  EXPECT_EQ(reply.result.kind, WriteResult::NoQuorum);
  EXPECT_TRUE(reply.result.message.starts_with("ERROR no quorum")) << reply.result.message;
  EXPECT_EQ(cluster_.db(cut).all_records(), before);
}

TEST_F(NodeTest, AWriteNeverAppliesBeforeItCommits) {
  // Leader cut from both followers: it appends but cannot commit.
  const NodeId leader = cluster_.leader();
  ASSERT_NE(leader, 0u);
  for (NodeId n = 1; n <= 3; ++n)
    if (n != leader) cluster_.block(leader, n);
  const dns::Record r = record("early.a.test. 300 IN A 192.0.2.50");
  Reply reply;
  cluster_.node(leader).submit({{dns::Change::Add, r}}, into(reply));
  cluster_.run_for(300ms);
  for (NodeId n = 1; n <= 3; ++n) EXPECT_FALSE(has(cluster_.db(n), r)) << "node " << n;
}

TEST_F(NodeTest, RestartKeepsEveryRecordAndDoesNotImportAgain) {
  write(1, dns::Change::Add, "kept.a.test. 300 IN A 192.0.2.33");
  ASSERT_TRUE(cluster_.run_until([&] { return pending_empty(); }, 5s));
  const auto before = cluster_.db(2).all_records();
  const raft::Index applied = cluster_.node(1).state().applied();
  for (NodeId n = 1; n <= 3; ++n) cluster_.crash(n);
  cluster_.start_all();
  EXPECT_EQ(cluster_.db(2).all_records(), before) << "served from the local datastore at once";
  cluster_.run_for(3s);
  EXPECT_EQ(cluster_.db(2).all_records(), before);
  EXPECT_TRUE(pending_empty());
  // Only noops and acks were added: no import batch was proposed again.
  EXPECT_LT(cluster_.node(1).state().applied(), applied + 10);
}

TEST_F(NodeTest, PendingGrowsWhileANodeIsDownAndDrainsAfterItReturns) {
  ASSERT_TRUE(cluster_.run_until([&] { return pending_empty(); }, 5s));
  cluster_.crash(3);
  for (int i = 0; i < 5; ++i)
    write(1, dns::Change::Add, fmt::format("d{}.a.test. 300 IN A 192.0.2.{}", i, 100 + i));
  cluster_.run_for(1s);
  EXPECT_EQ(cluster_.node(1).state().pending().size(), 5u);
  cluster_.start(3);
  ASSERT_TRUE(cluster_.run_until([&] { return pending_empty(); }, 5s));
  EXPECT_EQ(cluster_.db(3).all_records(), cluster_.db(1).all_records());
}

TEST_F(NodeTest, GarbageFromAPeerIsDroppedAndTheNodeKeepsWorking) {
  const std::vector<std::uint8_t> garbage{0xde, 0xad, 0xbe, 0xef, 1, 2, 3};
  cluster_.node(1).receive(2, garbage);
  cluster_.node(1).receive(2, {});
  Reply reply = write(1, dns::Change::Add, "after.a.test. 300 IN A 192.0.2.5");
  EXPECT_EQ(reply.result.kind, WriteResult::Ok);
}

TEST_F(NodeTest, ReloadProposesOnlyTheDifference) {
  std::string changed(kZoneA);
  changed.replace(changed.find("www.a.test. 300 IN A 192.0.2.2"), 30,
                  "www.a.test. 300 IN A 192.0.2.3");
  Reply reply;
  cluster_.node(1).reload_zone(records(changed), into(reply));
  ASSERT_TRUE(cluster_.run_until([&] { return reply.done; }, 2s));
  EXPECT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
  EXPECT_EQ(reply.result.applied, 2u);  // one REMOVE, one ADD; the SOA differs only in serial
  Reply again;
  cluster_.node(1).reload_zone(records(changed), into(again));
  cluster_.run_for(100ms);
  EXPECT_EQ(again.result.kind, WriteResult::Noop) << again.result.message;
}

TEST_F(NodeTest, AWriteAboveTheBatchLimitIsRefusedWithTheSizes) {
  NodeOptions options = fast_options(2);
  options.max_batch_bytes = 100;
  FakeCluster small(1, options);
  small.start_all();
  std::vector<dns::Change> changes;
  for (int i = 0; i < 5; ++i)
    changes.push_back(
        {dns::Change::Add, record("w" + std::to_string(i) + ".a.test. 300 IN A 192.0.2.9")});
  Reply reply;
  small.node(1).submit(changes, into(reply));
  ASSERT_TRUE(reply.done);
  EXPECT_EQ(reply.result.kind, WriteResult::Invalid);
  EXPECT_NE(reply.result.message.find("ERROR write too large: 5 changes take"), std::string::npos)
      << reply.result.message;
  EXPECT_NE(reply.result.message.find("limit of 100 bytes"), std::string::npos);
}

TEST_F(NodeTest, ALargeReloadIsCommittedInBatchesUnderTheLimitWithOneAnswer) {
  std::string zone(kZoneA);
  for (int i = 0; i < 40; ++i)
    zone += "r" + std::to_string(i) + ".a.test. 300 IN TXT \"" + std::string(100, 'x') + "\"\n";
  const raft::Index before = cluster_.node(1).status().raft.commit;
  Reply reply;
  cluster_.node(1).reload_zone(records(zone), into(reply));
  ASSERT_TRUE(cluster_.run_until([&] { return reply.done; }, 5s));
  EXPECT_EQ(reply.result.kind, WriteResult::Ok) << reply.result.message;
  EXPECT_EQ(reply.result.applied, 40u);
  // import_batch is 2 in these tests: 40 additions make 20 raft entries, answered once.
  EXPECT_NE(reply.result.message.find("(40 changes in 20 batches)"), std::string::npos)
      << reply.result.message;
  EXPECT_GE(cluster_.node(1).status().raft.commit, before + 20);
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        for (NodeId n = 1; n <= 3; ++n)
          if (!has(cluster_.db(n),
                   record("r39.a.test. 300 IN TXT \"" + std::string(100, 'x') + "\"")))
            return false;
        return true;
      },
      5s));
}

// A large zone file is proposed a window of batches at a time, the next as one commits: never
// thousands of entries in one burst (which starved heartbeats), and every record still arrives.
TEST(NodeCheckpoint, ABurstOfWritesIsCopiedBeforeTheIntervalIsUp) {
  NodeOptions options = fast_options();
  options.checkpoint_interval = 5s;
  options.checkpoint_batches = 3;
  FakeCluster cluster(3, options);
  cluster.member(1).zone = records(kZoneA);
  cluster.start_all();
  auto copied_everywhere = [&](raft::Index index) {
    for (NodeId n = 1; n <= 3; ++n)
      if (cluster.node(n).store().hw() < index || !cluster.node(n).state().pending().empty())
        return false;
    return true;
  };
  // The import is copied by the first timed checkpoint; the next is 5 s away.
  ASSERT_TRUE(cluster.run_until([&] { return copied_everywhere(1); }, 10s));
  const NodeId leader = cluster.leader();
  ASSERT_NE(leader, 0u);
  const raft::Index hw = cluster.node(leader).store().hw();

  // Two writes: below the bound, so nothing is copied.
  std::vector<Reply> replies(3);
  for (int i = 0; i < 2; ++i)
    cluster.node(leader).submit(
        {{dns::Change::Add, record(fmt::format("w{}.a.test. 300 IN A 192.0.2.{}", i, 10 + i))}},
        into(replies[i]));
  ASSERT_TRUE(cluster.run_until([&] { return replies[1].done; }, 1s));
  cluster.run_for(200ms);
  EXPECT_EQ(cluster.node(leader).store().hw(), hw);

  // The third reaches it: every node copies and acknowledges at once, and pending drains.
  cluster.node(leader).submit({{dns::Change::Add, record("w2.a.test. 300 IN A 192.0.2.12")}},
                              into(replies[2]));
  ASSERT_TRUE(cluster.run_until([&] { return replies[2].done; }, 1s));
  EXPECT_TRUE(cluster.run_until([&] { return copied_everywhere(replies[2].result.index); }, 1s));
}

TEST(NodeImport, FirstBootImportKeepsAtMostTheWindowOfBatchesInFlight) {
  NodeOptions options = fast_options(2);
  options.import_window = 3;
  FakeCluster cluster(3, options);
  std::string zone(kZoneA);
  for (int i = 0; i < 60; ++i)
    zone += "h" + std::to_string(i) + ".a.test. 300 IN A 192.0.2." + std::to_string(i) + "\n";
  cluster.member(1).zone = records(zone);  // 64 records: 32 batches of 2
  cluster.start_all();
  std::size_t most = 0;
  bool seen_in_flight = false;
  for (int step = 0; step < 2000 && !cluster.node(1).status().imported; ++step) {
    cluster.run_for(5ms);
    const std::size_t in_flight = cluster.node(1).status().writes_in_flight;
    most = std::max(most, in_flight);
    seen_in_flight = seen_in_flight || in_flight > 0;
  }
  ASSERT_TRUE(cluster.node(1).status().imported);
  EXPECT_TRUE(seen_in_flight);
  EXPECT_LE(most, 3u);
  ASSERT_TRUE(cluster.run_until(
      [&] {
        for (NodeId n = 1; n <= 3; ++n)
          if (!has(cluster.db(n), record("h59.a.test. 300 IN A 192.0.2.59")) ||
              cluster.db(n).all_records().size() != 64)
            return false;
        return true;
      },
      5s));
}

}  // namespace
}  // namespace engine
