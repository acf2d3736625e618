// Each DNS invariant of the simulator fires on the violation it names and stays quiet otherwise
// (fed synthetic events, no cluster).

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "dns/zone_parser.h"
#include "engine/command.h"
#include "engine/replicated_state.h"
#include "harness/dns_invariants.h"
#include "harness/dns_workload.h"
#include "harness/invariant_violation.h"
#include "harness/raft_invariants.h"

namespace harness {
namespace {

dns::Record record(std::string_view line) {
  return dns::parse_master_file(line, "test", {}).records.at(0);
}

const dns::Record kSoa = record("t.test. 300 IN SOA ns.t.test. admin.t.test. 1 3600 600 86400 300");
const dns::Record kA = record("a.t.test. 300 IN A 192.0.2.1");
const dns::Record kB = record("b.t.test. 300 IN A 192.0.2.2");

engine::ChangeBatch batch(engine::NodeId origin, std::uint64_t request,
                          std::vector<dns::Change> changes) {
  return {origin, request, std::move(changes)};
}

raft::Entry ack_entry(raft::Index index, engine::NodeId node, raft::Index acked) {
  const engine::Bytes data = engine::encode_command(engine::Ack{node, acked});
  return {1, index, raft::EntryKind::Normal, data};
}

std::string violated(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvariantViolation& v) {
    return v.invariant();
  }
  return "";
}

TEST(DnsInvariants, PendingMayLeaveOnlyOnceEveryNodeSyncedIt) {
  DnsInvariants c(3);
  c.on_store_synced(1, 5);
  c.on_store_synced(2, 5);
  c.on_store_synced(3, 4);
  const std::vector<engine::NodeId> all = {1, 2, 3};
  EXPECT_EQ(violated([&] { c.on_pending_dropped(1, 4, all); }), "");
  EXPECT_EQ(violated([&] { c.on_pending_dropped(2, 5, all); }),
            "pending kept until every node copied it durably");
  // Once node 3 is removed from the cluster its copy is no longer needed.
  EXPECT_EQ(violated([&] { c.on_pending_dropped(2, 5, {1, 2}); }), "");
  c.on_store_synced(3, 5);
  EXPECT_EQ(violated([&] { c.on_pending_dropped(2, 5, all); }), "");
}

TEST(DnsInvariants, DurableHwNeverGoesBack) {
  DnsInvariants c(1);
  c.on_store_synced(1, 7);
  EXPECT_EQ(violated([&] { c.on_store_synced(1, 6); }), "durable hw never decreases");
}

TEST(DnsInvariants, NoAckInRMayExceedWhatThatNodeSynced) {
  DnsInvariants c(2);
  engine::ReplicatedState r({1, 2});
  r.apply({1, 1, raft::EntryKind::Noop, {}});
  r.apply(ack_entry(2, 2, 1));
  EXPECT_EQ(violated([&] { c.check_acks(1, r); }), "no ack before fsync");
  c.on_store_synced(2, 1);
  EXPECT_EQ(violated([&] { c.check_acks(1, r); }), "");
}

TEST(DnsInvariants, EveryNodeServesTheSameBatchAtAnIndexInCommitOrder) {
  DnsInvariants c(2);
  c.on_served(1, 3, batch(1, 10, {{dns::Change::Add, kA}}));
  EXPECT_EQ(violated([&] {
              c.on_served(2, 3, batch(1, 10, {{dns::Change::Add, kB}}));
            }),
            "same batch served at each index everywhere");
  EXPECT_EQ(violated([&] {
              c.on_served(1, 3, batch(1, 10, {{dns::Change::Add, kA}}));
            }),
            "batches served in commit order");
}

TEST(DnsInvariants, AnOkMustBeTheBatchCommittedAtItsIndex) {
  DnsInvariants c(2);
  EXPECT_EQ(violated([&] {
              c.on_write_ok(1, 4, {{dns::Change::Add, kA}});
            }),
            "acknowledged write is the committed batch");
  c.on_served(1, 4, batch(1, 11, {{dns::Change::Add, kA}}));
  EXPECT_EQ(violated([&] {
              c.on_write_ok(1, 4, {{dns::Change::Add, kB}});
            }),
            "acknowledged write is the committed batch");
  EXPECT_EQ(violated([&] {
              c.on_write_ok(2, 4, {{dns::Change::Add, kA}});
            }),
            "acknowledged write is the committed batch");
  EXPECT_EQ(violated([&] { c.on_write_ok(1, 4, {{dns::Change::Add, kA}}); }), "");
  EXPECT_EQ(c.acknowledged_writes(), 1u);
}

TEST(DnsInvariants, ARestartedNodeServesExactlyItsDurableBatches) {
  DnsInvariants c(1);
  c.on_served(1, 1, batch(1, 1, {{dns::Change::Add, kSoa}}));
  c.on_served(1, 2, batch(1, 2, {{dns::Change::Add, kA}}));
  c.on_served(1, 5, batch(1, 3, {{dns::Change::Add, kB}}));
  c.on_store_synced(1, 2);
  dns::Database db;
  db.apply(std::vector<dns::Change>{{dns::Change::Add, kSoa}});
  // Batch 2 is below hw but missing from what was loaded.
  EXPECT_EQ(violated([&] { c.on_store_loaded(1, 2, db); }),
            "restarted node serves every committed batch <= its hw");
  db.apply(std::vector<dns::Change>{{dns::Change::Add, kA}});
  EXPECT_EQ(violated([&] { c.on_store_loaded(1, 2, db); }), "");
  EXPECT_EQ(violated([&] { c.on_store_loaded(1, 1, db); }), "local datastore survives crashes");
}

TEST(DnsInvariants, ReferenceAppliesCommittedBatchesInIndexOrder) {
  DnsInvariants c(1);
  c.on_served(1, 2, batch(1, 1, {{dns::Change::Add, kSoa}, {dns::Change::Add, kA}}));
  c.on_served(1, 6, batch(1, 2, {{dns::Change::Remove, kA}, {dns::Change::Add, kB}}));
  EXPECT_EQ(canonical(c.reference_records(5)).size(), 2u);
  const auto all = canonical(c.reference_records(6));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_NE(all[0].find("b.t.test."), std::string::npos);
  // One change to the zone per apply: the serial went 1 -> 2.
  dns::Database by_hand;
  by_hand.apply(std::vector<dns::Change>{{dns::Change::Add, kSoa}, {dns::Change::Add, kA}});
  by_hand.apply(std::vector<dns::Change>{{dns::Change::Remove, kA}, {dns::Change::Add, kB}});
  EXPECT_EQ(all, canonical(by_hand.all_records()));
}

TEST(DnsInvariants, RemovedRecordsAreThoseWhoseLastChangeWasARemove) {
  DnsInvariants c(1);
  c.on_served(1, 1, batch(1, 1, {{dns::Change::Add, kA}, {dns::Change::Add, kB}}));
  c.on_served(1, 2, batch(1, 2, {{dns::Change::Remove, kA}, {dns::Change::Remove, kB}}));
  c.on_served(1, 3, batch(1, 3, {{dns::Change::Add, kB}}));
  const std::vector<dns::Record> removed = c.removed_records();
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0], kA);
}

TEST(DnsWorkload, ZoneFilesDifferPerNodeAndThePoolStartsAbsent) {
  EXPECT_FALSE(dns_zone_file(1).empty());
  EXPECT_NE(canonical(dns_zone_file(1)), canonical(dns_zone_file(2)));
  EXPECT_TRUE(dns_zone_file(kDnsZones + 1).empty());
  for (std::uint64_t n = 1; n <= kDnsZones; ++n)
    for (const dns::Record& r : dns_record_pool())
      for (const dns::Record& z : dns_zone_file(n)) EXPECT_FALSE(r == z);
  // Every query is a well-formed packet that an empty database refuses (no zone).
  dns::Database empty;
  for (std::size_t q = 0; q < dns_query_count(); ++q) {
    const auto answer = answer_from(empty, dns_query(q));
    ASSERT_GE(answer.size(), 12u);
    EXPECT_EQ(answer[3] & 0x0F, 5) << "query " << q;
  }
}

TEST(DnsInvariants, ADiskFaultedNodeMustKeepServingWhatItHad) {
  DnsInvariants c(3);
  dns::Database view;
  view.load({kSoa, kA});
  c.on_disk_fault(2, view);
  EXPECT_EQ(violated([&] { c.check_faulted_serving(2, view); }), "");
  dns::Database lost;
  lost.load({kSoa});
  EXPECT_EQ(violated([&] { c.check_faulted_serving(2, lost); }),
            "a disk-faulted node keeps serving what it had");
  dns::Database grown;
  grown.load({kSoa, kA, kB});
  EXPECT_EQ(violated([&] { c.check_faulted_serving(2, grown); }),
            "a disk-faulted node keeps serving what it had");
  // Other nodes, and the node once recovered or restarted, are not held to it.
  EXPECT_EQ(violated([&] { c.check_faulted_serving(1, lost); }), "");
  c.on_disk_recovered(2);
  EXPECT_EQ(violated([&] { c.check_faulted_serving(2, lost); }), "");
  c.on_disk_fault(3, view);
  c.on_store_loaded(3, 0, dns::Database{});
  EXPECT_EQ(violated([&] { c.check_faulted_serving(3, lost); }), "");
}

// Pending within its bound: quiet while R leaves laggards behind, fires when it does not (the
// ignore-pending-bound bug), and quiet when no member may go (every counted member equal).
TEST(DnsInvariants, PendingOverItsBoundFiresOnlyWhenALaggardCouldHaveGone) {
  for (const bool ignore : {false, true}) {
    engine::ReplicatedState r({1, 2, 3});
    r.set_ignore_pending_bound(ignore);
    raft::Index i = 1;
    r.apply({1, i++, raft::EntryKind::Normal,
             engine::encode_command(engine::SetPendingBound{engine::kMinPendingBound})});
    bool fired = false;
    for (std::uint64_t k = 0; k < 60 && !fired; ++k) {
      const dns::Record a = record(fmt::format("h{}.t.test. 300 IN A 192.0.2.1", k));
      r.apply({1, i++, raft::EntryKind::Normal,
               engine::encode_command(batch(1, k + 1, {{dns::Change::Add, a}}))});
      r.apply(ack_entry(i, 1, i - 1)), ++i;
      r.apply(ack_entry(i, 2, i - 2)), ++i;
      try {
        DnsInvariants::check_pending_bound(1, r);
      } catch (const InvariantViolation&) {
        fired = true;
      }
    }
    EXPECT_EQ(fired, ignore);
  }
  engine::ReplicatedState alike({1, 2});
  alike.apply({1, 1, raft::EntryKind::Normal,
               engine::encode_command(engine::SetPendingBound{engine::kMinPendingBound})});
  for (std::uint64_t k = 0; k < 60; ++k)
    alike.apply({1, k + 2, raft::EntryKind::Normal,
                 engine::encode_command(batch(1, k + 1, {{dns::Change::Add, kA}}))});
  ASSERT_GT(alike.pending_bytes(), engine::kMinPendingBound);
  EXPECT_NO_THROW(DnsInvariants::check_pending_bound(1, alike));  // nobody ahead: none may go
}

}  // namespace
}  // namespace harness
