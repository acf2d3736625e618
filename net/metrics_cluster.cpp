#include "net/metrics_cluster.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dns/update.h"

namespace net {
namespace {

// engine::WriteResult::Kind in order, as label values.
constexpr std::array<std::string_view, 7> kWriteResultLabels = {
    "ok", "noop", "no_quorum", "invalid", "stopped", "disk_fault", "copying"};

// NotifyEvent in order, as label values.
constexpr std::array<std::string_view, 4> kNotifyResultLabels = {"acked", "retry", "gave_up",
                                                                 "rejected"};

// UPDATE answers are counted by rcode up to NOTZONE (RFC 2136 §2.2: 0..10).
constexpr std::uint16_t kLastUpdateRcode = 10;

constexpr std::array<raft::Role, 4> kRoles = {raft::Role::Follower, raft::Role::PreCandidate,
                                              raft::Role::Candidate, raft::Role::Leader};

long long milliseconds(engine::Duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

double number(std::uint64_t n) {
  return static_cast<double>(n);
}

}  // namespace

void ClusterMetrics::on_write_answered(const engine::WriteResult& result) {
  const auto kind = static_cast<std::size_t>(result.kind);
  if (kind < writes_.size()) bump(writes_[kind]);
}

void ClusterMetrics::on_update_answered(std::uint16_t rcode) {
  if (rcode < updates_.size()) bump(updates_[rcode]);
}

void ClusterMetrics::on_notify(NotifyEvent event) {
  const auto i = static_cast<std::size_t>(event);
  if (i < notify_.size()) bump(notify_[i]);
}

void ClusterMetrics::render(const engine::NodeStatus& s, const PeerTransportStats& peers,
                            MetricsText& out) const {
  out.family("raftdns_raft_term", "gauge", "Current raft term");
  out.sample("raftdns_raft_term", {}, number(s.raft.term));
  out.family("raftdns_raft_role", "gauge", "Raft role of this node: 1 for the current role");
  for (raft::Role role : kRoles)
    out.sample("raftdns_raft_role", {{"role", raft::to_string(role)}}, s.raft.role == role ? 1 : 0);
  out.family("raftdns_raft_commit_index", "gauge", "Raft commit index");
  out.sample("raftdns_raft_commit_index", {}, number(s.raft.commit));
  out.family("raftdns_raft_applied_index", "gauge",
             "Last raft index applied to the replicated state");
  out.sample("raftdns_raft_applied_index", {}, number(s.applied));
  out.family("raftdns_raft_leader_changes_total", "counter",
             "Times this node saw a new leader (another node, or a new term)");
  out.sample("raftdns_raft_leader_changes_total", {}, number(s.leader_changes));
  out.family("raftdns_raft_elections_total", "counter", "Elections this node started as candidate");
  out.sample("raftdns_raft_elections_total", {}, number(s.raft.elections));

  out.family("raftdns_pending_batches", "gauge",
             "Committed change batches not yet copied by every node");
  out.sample("raftdns_pending_batches", {}, number(s.pending_batches));
  out.family("raftdns_pending_bytes", "gauge",
             "Encoded size of the pending changes and UPDATE requests");
  out.sample("raftdns_pending_bytes", {}, number(s.pending_bytes));
  out.family("raftdns_pending_bound_bytes", "gauge",
             "The bound on pending (max_pending_bytes) the cluster enforces");
  out.sample("raftdns_pending_bound_bytes", {}, number(s.max_pending_bytes));
  out.family("raftdns_members_needing_transfer", "gauge",
             "Members the cluster stopped holding changes for (pending over its bound): each "
             "copies a peer's datastore when it returns");
  out.sample("raftdns_members_needing_transfer", {}, number(s.needs_transfer.size()));
  out.family("raftdns_member_acked_index", "gauge",
             "Highest index each member has acknowledged as copied to its local datastore");
  for (const auto& [member, index] : s.acked)
    out.sample("raftdns_member_acked_index", {{"member", std::to_string(member)}}, number(index));
  out.family("raftdns_checkpoint_duration_seconds", "histogram",
             "Time of one checkpoint: copying served batches to the local datastore and fsyncing");
  out.histogram("raftdns_checkpoint_duration_seconds", {}, checkpoint_.snapshot());
  out.family("raftdns_fsync_duration_seconds", "histogram",
             "Time of one fsync of raft.log or store.wal");
  out.histogram("raftdns_fsync_duration_seconds", {}, fsync_.snapshot());

  out.family("raftdns_writes_total", "counter",
             "Client writes (ADD/REMOVE, RELOAD) answered by this node, by result");
  for (std::size_t i = 0; i < writes_.size(); ++i)
    out.sample("raftdns_writes_total", {{"result", kWriteResultLabels[i]}},
               number(writes_[i].load(std::memory_order_relaxed)));

  out.family("raftdns_dns_updates_total", "counter",
             "DNS UPDATE requests answered by this node, by rcode (SERVFAIL: not committed in "
             "time, nothing applied)");
  for (std::uint16_t rcode = 0; rcode <= kLastUpdateRcode; ++rcode)
    out.sample("raftdns_dns_updates_total", {{"rcode", dns::update::rcode_text(rcode)}},
               number(updates_[rcode].load(std::memory_order_relaxed)));

  out.family("raftdns_notify_sent_total", "counter",
             "NOTIFY messages this node sent to the zones' notify targets (retransmissions too)");
  out.sample("raftdns_notify_sent_total", {}, number(notify_sent_.load(std::memory_order_relaxed)));
  out.family("raftdns_notify_total", "counter",
             "What became of NOTIFYs: acked (NOERROR reply), retry (sent again after no reply), "
             "gave_up (no reply within the retry budget), rejected (an error rcode)");
  for (std::size_t i = 0; i < notify_.size(); ++i)
    out.sample("raftdns_notify_total", {{"result", kNotifyResultLabels[i]}},
               number(notify_[i].load(std::memory_order_relaxed)));

  out.family("raftdns_datastore_transfers_total", "counter",
             "Copies of a peer's datastore this node needed (its datastore lacked batches the "
             "cluster had dropped) and installed");
  out.sample("raftdns_datastore_transfers_total", {{"event", "needed"}},
             number(transfers_needed_.load(std::memory_order_relaxed)));
  out.sample("raftdns_datastore_transfers_total", {{"event", "installed"}},
             number(transfers_installed_.load(std::memory_order_relaxed)));
  out.family("raftdns_datastore_transfer_bytes_total", "counter",
             "Datastore copy payload: received in installed copies, sent to peers copying");
  out.sample("raftdns_datastore_transfer_bytes_total", {{"direction", "received"}},
             number(transfer_bytes_received_.load(std::memory_order_relaxed)));
  out.sample("raftdns_datastore_transfer_bytes_total", {{"direction", "sent"}},
             number(transfer_bytes_sent_.load(std::memory_order_relaxed)));
  out.family("raftdns_datastore_transfer_active", "gauge",
             "1 while this node copies a peer's datastore (or waits for its REJOIN decision)");
  out.sample("raftdns_datastore_transfer_active", {}, s.transfer.has_value() || s.joining ? 1 : 0);

  out.family("raftdns_peer_up", "gauge",
             "1 while this node's link to the peer is connected (handshake done)");
  for (const auto& [peer, stats] : peers.peers)
    out.sample("raftdns_peer_up", {{"peer", std::to_string(peer)}}, stats.connected ? 1 : 0);
}

Readiness node_readiness(const engine::NodeStatus& s, engine::TimePoint now,
                         engine::Duration election_timeout) {
  if (s.disk_fault) return {false, fmt::format("disk fault: {}", s.disk_fault->message)};
  auto heard_recently = [&](engine::NodeId node) {
    auto it = s.last_heard.find(node);
    return it != s.last_heard.end() && now - it->second < election_timeout;
  };
  const std::vector<engine::NodeId>& voters = s.raft.voters;
  if (s.raft.role == raft::Role::Leader) {
    std::size_t heard = 0;
    for (engine::NodeId v : voters)
      if (v == s.raft.id || heard_recently(v)) ++heard;
    const std::size_t quorum = voters.size() / 2 + 1;
    if (heard >= quorum) return {true, {}};
    return {false, fmt::format("leader has heard from {} of {} voters within the election "
                               "timeout ({} ms); a quorum is {}",
                               heard, voters.size(), milliseconds(election_timeout), quorum)};
  }
  if (s.raft.leader == raft::kNoNode)
    return {false, fmt::format("no leader known (role {}, term {})", raft::to_string(s.raft.role),
                               s.raft.term)};
  if (!heard_recently(s.raft.leader)) {
    auto it = s.last_heard.find(s.raft.leader);
    if (it == s.last_heard.end())
      return {false, fmt::format("leader {} never heard from", s.raft.leader)};
    return {false, fmt::format("leader {} not heard from for {} ms (election timeout {} ms)",
                               s.raft.leader, milliseconds(now - it->second),
                               milliseconds(election_timeout))};
  }
  return {true, {}};
}

nlohmann::json status_json(engine::NodeId self, const engine::NodeStatus& s,
                           const Readiness& readiness) {
  using json = nlohmann::json;
  json acked = json::object();
  for (const auto& [node, index] : s.acked) acked[std::to_string(node)] = index;
  json disk = "ok";
  if (s.disk_fault)
    disk = json{{"fault", s.disk_fault->summary},
                {"message", s.disk_fault->message},
                {"restart_needed", s.disk_fault->restart_needed},
                {"retries", s.disk_fault->retries}};
  json j = {
      {"node", self},
      {"role", raft::to_string(s.raft.role)},
      {"term", s.raft.term},
      {"leader", s.raft.leader == raft::kNoNode ? json(nullptr) : json(s.raft.leader)},
      {"commit", s.raft.commit},
      {"applied", s.applied},
      {"pending", s.pending_batches},
      {"pending_changes", s.pending_changes},
      {"pending_bytes", s.pending_bytes},
      {"max_pending_bytes", s.max_pending_bytes},
      {"needs_transfer", s.needs_transfer},
      {"acked", acked},
      {"hw", s.hw},
      {"served", s.served},
      {"writes", s.writes_in_flight},
      {"imported", s.imported},
      {"wal_bytes", s.wal_bytes},
      {"raft_log_bytes", s.raft_log_bytes},
      {"disk", disk},
      {"voters", s.raft.voters},
      {"learners", s.raft.learners},
      {"votes", engine::describe(s.votes)},
      {"ready", readiness.ready},
  };
  if (!readiness.ready) j["ready_reason"] = readiness.reason;
  return j;
}

}  // namespace net
