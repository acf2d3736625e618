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
    : context_(std::make_shared<PeerContext>()) {
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
  const std::uint64_t seed = options.jitter_seed != 0 ? options.jitter_seed : self;
  for (const auto& [id, endpoint] : context_->members) {
    if (id == self) continue;
    context_->received[id] = 0;
    // Distinct jitter per link, so links to several restarted peers do not retry in step.
    auto link = std::make_shared<PeerLink>(io.get_executor(), context_, id,
                                           seed * 0x9e3779b97f4a7c15ULL + id);
    link->start();
    links_.emplace(id, std::move(link));
  }
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
