// DNS UPDATE through the engine: one raft entry, evaluated when applied on every replica against
// the same state (so concurrent UPDATEs serialize), the rcode back to the origin, one serial
// bump per applied update, nothing applied without quorum; and R's PendingUpdates section
// (present only while an UPDATE is pending) across snapshots and restarts.
#include <gtest/gtest.h>

#include <algorithm>

#include "dns/rdata.h"
#include "dns/update.h"
#include "dns/zone_parser.h"
#include "engine/update_codec.h"
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

std::uint32_t soa_serial(dns::Database& db) {
  for (const dns::Record& r : db.all_records())
    if (r.type == dns::type::SOA) return dns::soa_from_rdata(r.rdata).serial;
  return 0;
}

constexpr std::string_view kZone =
    "a.test. 300 IN SOA ns.a.test. admin.a.test. 1 3600 600 86400 300\n"
    "a.test. 300 IN NS ns.a.test.\n"
    "ns.a.test. 300 IN A 192.0.2.1\n";

// "Add `name` only if it does not exist yet" (prerequisite NONE ANY).
dns::update::Request add_if_absent(std::string_view name, std::string_view address) {
  dns::update::Request r;
  r.zone = dns::Name::from_text("a.test.");
  r.prerequisites.push_back({dns::Name::from_text(name), dns::type::ANY, dns::rclass::NONE, 0, {}});
  r.updates.push_back(record(fmt::format("{} 300 IN A {}", name, address)));
  return r;
}

class NodeUpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.member(1).zone = records(kZone);
    cluster_.start_all();
    ASSERT_TRUE(cluster_.run_until(
        [&] {
          for (NodeId n = 1; n <= 3; ++n)
            if (cluster_.db(n).all_records().size() != 3) return false;
          return true;
        },
        10s));
  }
  FakeCluster cluster_{3, fast_options()};
};

TEST_F(NodeUpdateTest, ConcurrentConflictingUpdatesSerializeInLogOrder) {
  const std::uint32_t before = soa_serial(cluster_.db(1));
  // Two nodes race to claim the same name with different addresses: exactly one wins,
  // the other gets YXDOMAIN, and every replica agrees on the winner.
  Reply first, second;
  cluster_.node(2).submit_update(add_if_absent("claim.a.test.", "192.0.2.10"), into(first));
  cluster_.node(3).submit_update(add_if_absent("claim.a.test.", "192.0.2.20"), into(second));
  ASSERT_TRUE(cluster_.run_until([&] { return first.done && second.done; }, 3s));
  ASSERT_EQ(first.result.kind, WriteResult::Ok) << first.result.message;
  ASSERT_EQ(second.result.kind, WriteResult::Ok) << second.result.message;
  std::vector<std::uint16_t> rcodes = {first.result.rcode, second.result.rcode};
  std::sort(rcodes.begin(), rcodes.end());
  EXPECT_EQ(rcodes,
            (std::vector<std::uint16_t>{dns::rcode::NOERROR, dns::update::rcode::YXDOMAIN}));
  const bool first_won = first.result.rcode == dns::rcode::NOERROR;
  const dns::Record winner =
      record(first_won ? "claim.a.test. 300 IN A 192.0.2.10" : "claim.a.test. 300 IN A 192.0.2.20");
  const dns::Record loser =
      record(first_won ? "claim.a.test. 300 IN A 192.0.2.20" : "claim.a.test. 300 IN A 192.0.2.10");
  cluster_.run_for(100ms);
  for (NodeId n = 1; n <= 3; ++n) {
    EXPECT_TRUE(has(cluster_.db(n), winner)) << n;
    EXPECT_FALSE(has(cluster_.db(n), loser)) << n;
    EXPECT_EQ(soa_serial(cluster_.db(n)), before + 1) << n;  // only the applied one bumps
  }
}

TEST_F(NodeUpdateTest, WithoutQuorumNothingIsAppliedAndTheAnswerIsNoQuorum) {
  cluster_.block(3, 1);
  cluster_.block(3, 2);
  cluster_.run_for(500ms);
  const auto before = cluster_.db(3).all_records();
  Reply reply;
  cluster_.node(3).submit_update(add_if_absent("lost.a.test.", "192.0.2.99"), into(reply));
  cluster_.run_for(1200ms);
  ASSERT_TRUE(reply.done);
  EXPECT_EQ(reply.result.kind, WriteResult::NoQuorum);
  EXPECT_EQ(cluster_.db(3).all_records(), before);
}

TEST_F(NodeUpdateTest, SnapshotCarriesPendingUpdatesOnlyWhileThereAreAny) {
  // Node 3 down: nothing leaves pending, so the UPDATE stays in R.
  cluster_.crash(3);
  Reply reply;
  cluster_.node(1).submit_update(add_if_absent("snap.a.test.", "192.0.2.30"), into(reply));
  ASSERT_TRUE(cluster_.run_until([&] { return reply.done; }, 3s));
  ASSERT_EQ(reply.result.rcode, dns::rcode::NOERROR);
  const ReplicatedState& r = cluster_.node(1).state();
  ASSERT_EQ(r.pending_updates().size(), 1u);
  Bytes snapshot = r.snapshot();
  EXPECT_EQ(snapshot.front(), 2) << "format 2: the PendingUpdates section";
  ReplicatedState copy(std::vector<NodeId>{1, 2, 3});
  copy.restore(snapshot, r.applied());
  EXPECT_EQ(copy.pending_updates(), r.pending_updates());
  EXPECT_EQ(copy.snapshot(), snapshot);
  // Node 3 returns, evaluates the UPDATE itself against the same state, acks; R drops it.
  cluster_.start(3);
  ASSERT_TRUE(cluster_.run_until(
      [&] {
        for (NodeId n = 1; n <= 3; ++n)
          if (!cluster_.node(n).state().pending().empty()) return false;
        return true;
      },
      5s));
  EXPECT_TRUE(has(cluster_.db(3), record("snap.a.test. 300 IN A 192.0.2.30")));
  EXPECT_TRUE(cluster_.node(1).state().pending_updates().empty());
  EXPECT_FALSE(cluster_.node(1).state().sections().contains(StateSection::PendingUpdates))
      << "the section goes with the last pending UPDATE";
  EXPECT_EQ(cluster_.db(3).all_records(), cluster_.db(1).all_records());
}

TEST(UpdateCodec, CommandAndSectionRoundTripAndRejectGarbage) {
  dns::update::Request request = add_if_absent("x.a.test.", "192.0.2.1");
  request.updates.push_back(
      {dns::Name::from_text("y.a.test."), dns::type::A, dns::rclass::ANY, 0, {}});
  const UpdateCommand command{7, 99, request};
  const Command decoded = decode_command(encode_command(command));
  ASSERT_TRUE(std::holds_alternative<UpdateCommand>(decoded));
  EXPECT_EQ(std::get<UpdateCommand>(decoded), command);
  const std::map<raft::Index, PendingUpdate> section = {{5, command}, {9, command}};
  EXPECT_EQ(decode_pending_updates(encode_pending_updates(section)), section);
  Bytes bytes = encode_command(command);
  EXPECT_EQ(encoded_size(command), bytes.size());  // R's pending_bytes counts this
  EXPECT_EQ(encoded_size(UpdateCommand{1, 2, {}}), encode_command(UpdateCommand{1, 2, {}}).size());
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(decode_command(ByteView(bytes.data(), n)), raft::DecodeError) << n;
  // Class IN with empty rdata is not a meta record: an A record needs 4 octets.
  dns::update::Request bad = request;
  bad.updates.push_back({dns::Name::from_text("z.a.test."), dns::type::A, dns::rclass::IN, 0, {}});
  EXPECT_THROW(decode_command(encode_command(UpdateCommand{1, 2, bad})), raft::DecodeError);
}

}  // namespace
}  // namespace engine
