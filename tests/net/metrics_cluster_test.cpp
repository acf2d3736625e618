// Readiness, /status JSON, routing and the cluster families (net/metrics_cluster.h,
// net/metrics_endpoint.h), on hand-made statuses.

#include "net/metrics_cluster.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/metrics_endpoint.h"

namespace net {
namespace {

using std::chrono::milliseconds;

const engine::Duration kElection = milliseconds(1000);
const engine::TimePoint kNow = engine::TimePoint(milliseconds(100'000));

engine::NodeStatus three_voters(engine::NodeId self, raft::Role role, engine::NodeId leader) {
  engine::NodeStatus s;
  s.raft.id = self;
  s.raft.role = role;
  s.raft.term = 4;
  s.raft.leader = leader;
  s.raft.voters = {0, 1, 2};
  return s;
}

TEST(Readiness, FollowerThatHeardItsLeaderRecentlyIsReady) {
  engine::NodeStatus s = three_voters(1, raft::Role::Follower, 0);
  s.last_heard[0] = kNow - milliseconds(300);
  EXPECT_TRUE(node_readiness(s, kNow, kElection).ready);
}

TEST(Readiness, FollowerWhoseLeaderWentSilentIsNot) {
  engine::NodeStatus s = three_voters(1, raft::Role::Follower, 0);
  s.last_heard[0] = kNow - milliseconds(1500);
  s.last_heard[2] = kNow;  // another peer does not stand in for the leader
  const Readiness r = node_readiness(s, kNow, kElection);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "leader 0 not heard from for 1500 ms (election timeout 1000 ms)");
  s.last_heard.erase(0);
  EXPECT_EQ(node_readiness(s, kNow, kElection).reason, "leader 0 never heard from");
}

TEST(Readiness, NoLeaderKnown) {
  const Readiness r =
      node_readiness(three_voters(2, raft::Role::Candidate, raft::kNoNode), kNow, kElection);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "no leader known (role Candidate, term 4)");
}

TEST(Readiness, LeaderNeedsAQuorumHeardRecently) {
  engine::NodeStatus s = three_voters(0, raft::Role::Leader, 0);
  s.last_heard[1] = kNow - milliseconds(2000);
  s.last_heard[2] = kNow - milliseconds(5000);
  Readiness r = node_readiness(s, kNow, kElection);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason,
            "leader has heard from 1 of 3 voters within the election timeout (1000 ms); a "
            "quorum is 2");
  s.last_heard[2] = kNow - milliseconds(10);
  EXPECT_TRUE(node_readiness(s, kNow, kElection).ready);
}

TEST(Readiness, SingleNodeLeaderIsItsOwnQuorum) {
  engine::NodeStatus s = three_voters(0, raft::Role::Leader, 0);
  s.raft.voters = {0};
  EXPECT_TRUE(node_readiness(s, kNow, kElection).ready);
}

TEST(Readiness, DiskFaultWins) {
  engine::NodeStatus s = three_voters(0, raft::Role::Leader, 0);
  s.raft.voters = {0};
  s.disk_fault = engine::DiskFaultStatus{"ENOSPC:raft.log:write", "no space", false, 1};
  const Readiness r = node_readiness(s, kNow, kElection);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "disk fault: no space");
}

TEST(StatusJson, HasTheStatusFieldsAndMembership) {
  engine::NodeStatus s = three_voters(1, raft::Role::Follower, raft::kNoNode);
  s.raft.learners = {3};
  s.raft.commit = 41;
  s.acked = {{0, 39}, {1, 40}, {2, 37}};
  s.pending_batches = 2;
  const nlohmann::json j = status_json(1, s, {false, "no leader known"});
  EXPECT_EQ(j["node"], 1);
  EXPECT_EQ(j["role"], "Follower");
  EXPECT_TRUE(j["leader"].is_null());
  EXPECT_EQ(j["commit"], 41);
  EXPECT_EQ(j["pending"], 2);
  EXPECT_EQ(j["acked"]["2"], 37);
  EXPECT_EQ(j["voters"], nlohmann::json({0, 1, 2}));
  EXPECT_EQ(j["learners"], nlohmann::json({3}));
  EXPECT_EQ(j["disk"], "ok");
  EXPECT_EQ(j["ready"], false);
  EXPECT_EQ(j["ready_reason"], "no leader known");
}

TEST(ClusterFamilies, RoleIsOneHotAndWritesAreCountedByResult) {
  ClusterMetrics metrics;
  metrics.on_write_answered({engine::WriteResult::Ok, 5, 1, 0, "OK index=5"});
  metrics.on_write_answered({engine::WriteResult::Ok, 6, 1, 0, "OK index=6"});
  metrics.on_write_answered({engine::WriteResult::NoQuorum, 0, 0, 0, "ERROR no quorum"});
  metrics.on_checkpoint(milliseconds(3));
  metrics.fsync().observe(milliseconds(2));
  engine::NodeStatus s = three_voters(0, raft::Role::Leader, 0);
  s.acked = {{0, 9}, {1, 8}, {2, 7}};
  PeerTransportStats peers;
  peers.peers[1].connected = true;
  peers.peers[2].connected = false;
  MetricsText out;
  metrics.render(s, peers, out);
  const std::string& t = out.text();
  EXPECT_NE(t.find("raftdns_raft_role{role=\"Leader\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("raftdns_raft_role{role=\"Follower\"} 0\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_raft_term 4\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_writes_total{result=\"ok\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_writes_total{result=\"no_quorum\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_writes_total{result=\"disk_fault\"} 0\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_member_acked_index{member=\"2\"} 7\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_peer_up{peer=\"1\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_peer_up{peer=\"2\"} 0\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_checkpoint_duration_seconds_bucket{le=\"0.0025\"} 0\n"),
            std::string::npos);
  EXPECT_NE(t.find("raftdns_checkpoint_duration_seconds_bucket{le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("raftdns_fsync_duration_seconds_count 1\n"), std::string::npos);
}

TEST(NodeRequests, EveryPathAndTheMissingOnes) {
  NodeEndpoints e;
  e.metrics = [] { return std::string("m 1\n"); };
  bool ready = true;
  e.ready = [&] { return ready ? Readiness{true, {}} : Readiness{false, "no leader known"}; };
  e.status = [] { return nlohmann::json{{"node", 0}}; };

  HttpReply r = answer_node_request(e, "/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "m 1\n");
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(answer_node_request(e, "/health").status, 200u);
  r = answer_node_request(e, "/ready");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json({{"ready", true}}));
  ready = false;
  r = answer_node_request(e, "/ready");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(r.body),
            nlohmann::json({{"ready", false}, {"reason", "no leader known"}}));
  EXPECT_EQ(nlohmann::json::parse(answer_node_request(e, "/status").body)["node"], 0);
  EXPECT_EQ(answer_node_request(e, "/").status, 404u);
  EXPECT_EQ(answer_node_request(e, "/metrics/").status, 404u);

  NodeEndpoints standalone;
  standalone.metrics = e.metrics;
  EXPECT_EQ(answer_node_request(standalone, "/ready").status, 404u);
  EXPECT_EQ(answer_node_request(standalone, "/status").status, 404u);
  EXPECT_EQ(answer_node_request(standalone, "/health").status, 200u);
}

}  // namespace
}  // namespace net

namespace net {
namespace {

TEST(ClusterFamilies, UpdatesByRcodeTransfersAndCopyingWrites) {
  ClusterMetrics metrics;
  metrics.on_update_answered(0);
  metrics.on_update_answered(0);
  metrics.on_update_answered(9);   // NOTAUTH
  metrics.on_update_answered(99);  // not an rcode: not counted, no crash
  metrics.on_write_answered({engine::WriteResult::Copying, 0, 0, 0, "ERROR copying"});
  metrics.on_transfer_needed(3, 40);
  metrics.on_transfer_chunk_sent(1000);
  metrics.on_transfer_installed(4096, 2);
  engine::NodeStatus s = three_voters(0, raft::Role::Follower, 1);
  s.joining = true;
  MetricsText out;
  metrics.render(s, PeerTransportStats{}, out);
  const std::string& t = out.text();
  EXPECT_NE(t.find("raftdns_dns_updates_total{rcode=\"NOERROR\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("raftdns_dns_updates_total{rcode=\"NOTAUTH\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_dns_updates_total{rcode=\"REFUSED\"} 0\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_writes_total{result=\"copying\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_datastore_transfers_total{event=\"needed\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("raftdns_datastore_transfers_total{event=\"installed\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("raftdns_datastore_transfer_bytes_total{direction=\"received\"} 4096\n"),
            std::string::npos);
  EXPECT_NE(t.find("raftdns_datastore_transfer_bytes_total{direction=\"sent\"} 1000\n"),
            std::string::npos);
  EXPECT_NE(t.find("raftdns_datastore_transfer_active 1\n"), std::string::npos);
}

}  // namespace
}  // namespace net
