#include "net/peer_transport.h"

#include "net/error.h"
#include "net/peer_handshake.h"
#include "net/peer_link.h"
#include "net/peer_listener.h"

namespace net {

using engine::LogLevel;

PeerTransport::PeerTransport(boost::asio::io_context& io, engine::NodeId self, std::string cluster,
                             PeerMembers members, PeerReceiveFn receive, engine::LogSink log,
                             PeerOptions options)
    : executor_(io.get_executor()), context_(std::make_shared<PeerContext>()) {
  if (!members.contains(self))
    throw Error(fmt::format("node {} is not in the cluster's member list", self));
  if (cluster.size() > kMaxClusterNameSize)
    throw Error(fmt::format("cluster name longer than {} bytes", kMaxClusterNameSize));
  context_->self = self;
  context_->cluster = std::move(cluster);
  context_->members = std::move(members);
  context_->options = options;
  context_->refusal_log = PeerRefusalLog(options.refusal_log_interval);
  context_->receive = std::move(receive);
  context_->log_sink = std::move(log);
  if (context_->authenticated())
    context_->log(LogLevel::Info,
                  "peer links authenticated with the cluster key (HMAC-SHA256 handshake and "
                  "frames)");
  else
    context_->log(LogLevel::Warn,
                  "peer links are unauthenticated: no cluster_key_file in the cluster config, so "
                  "any process that can reach the raft port can take part in raft (dns-node "
                  "--gen-key FILE makes a key)");
  listener_ = std::make_shared<PeerListener>(io, context_, context_->members.at(self));
  listener_->start();
  jitter_seed_ = options.jitter_seed != 0 ? options.jitter_seed : self;
  for (const auto& [id, endpoint] : context_->members)
    if (id != self) add_link(id);
}

void PeerTransport::add_link(engine::NodeId id) {
  context_->received.try_emplace(id, 0);
  // Distinct jitter per link, so links to several restarted peers do not retry in step.
  auto link = std::make_shared<PeerLink>(executor_, context_, id,
                                         jitter_seed_ * 0x9e3779b97f4a7c15ULL + id);
  link->start();
  links_.emplace(id, std::move(link));
}

void PeerTransport::set_members(PeerMembers members) {
  if (context_->closed) return;
  const engine::NodeId self = context_->self;
  if (!members.contains(self)) members[self] = context_->members.at(self);
  PeerMembers old = std::move(context_->members);
  context_->members = std::move(members);
  for (auto it = links_.begin(); it != links_.end();) {
    auto now = context_->members.find(it->first);
    if (now != context_->members.end() && now->second == old.at(it->first)) {
      ++it;
      continue;
    }
    it->second->close();
    context_->log(
        LogLevel::Info,
        now == context_->members.end()
            ? fmt::format("peer transport: node {} is no longer a member; link closed", it->first)
            : fmt::format("peer transport: node {} moved to {}", it->first,
                          to_string(now->second)));
    it = links_.erase(it);
  }
  for (const auto& [id, endpoint] : context_->members) {
    if (id == self || links_.contains(id)) continue;
    add_link(id);
    if (!old.contains(id))
      context_->log(LogLevel::Info,
                    fmt::format("peer transport: node {} joined at {}", id, to_string(endpoint)));
  }
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    auto link = links_.find(it->first);
    if (link == links_.end()) {
      ++it;
      continue;
    }
    for (engine::Bytes& message : it->second) link->second->send(std::move(message));
    it = waiting_.erase(it);
  }
}

void PeerTransport::on_peer_lost(PeerLostFn lost) {
  context_->lost = std::move(lost);
}

void PeerTransport::admit_unknown_peers(bool on) {
  context_->admit_unknown = on;
}

PeerTransport::~PeerTransport() {
  close();
}

void PeerTransport::close() {
  if (context_->closed) return;
  context_->closed = true;
  listener_->close();
  for (auto& [id, link] : links_) link->close();
}

void PeerTransport::send(engine::NodeId to, engine::Bytes message) {
  if (context_->closed) return;
  auto link = links_.find(to);
  if (link == links_.end()) {
    // Raft may address a member whose change is appended but not yet applied here: it waits
    // (a few messages; raft retransmits the rest).
    constexpr std::size_t kMaxWaitingPeers = 16, kMaxWaitingMessages = 64;
    if (to != context_->self && (waiting_.contains(to) || waiting_.size() < kMaxWaitingPeers)) {
      auto& queue = waiting_[to];
      if (queue.size() >= kMaxWaitingMessages) queue.erase(queue.begin());
      queue.push_back(std::move(message));
      return;
    }
    context_->log(LogLevel::Error,
                  fmt::format("peer transport: no link to node {}, message dropped", to));
    return;
  }
  if (message.size() > context_->options.max_message_size) {
    context_->log(LogLevel::Error,
                  fmt::format("peer transport: message of {} bytes to node {} exceeds the limit "
                              "of {}; dropped",
                              message.size(), to, context_->options.max_message_size));
    return;
  }
  link->second->send(std::move(message));
}

PeerTransportStats PeerTransport::stats() const {
  PeerTransportStats stats;
  stats.accepted_connections = context_->accepted_connections;
  stats.refused_connections = context_->refused_connections;
  for (const auto& [id, link] : links_) {
    PeerLinkStats link_stats = link->stats();
    auto received = context_->received.find(id);
    stats.peers[id] = {link_stats.connected, link_stats.sent,
                       received == context_->received.end() ? 0 : received->second,
                       link_stats.dropped, link_stats.queued};
  }
  return stats;
}

boost::asio::ip::tcp::endpoint PeerTransport::local_endpoint() const {
  return listener_->local_endpoint();
}

}  // namespace net
