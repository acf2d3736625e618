#pragma once
// engine::Transport over TCP between dns-node processes: raft messages to and from the other
// members of the cluster, length-framed, after a handshake naming the cluster and the node.
// With a cluster key (PeerOptions::cluster_key) both ends of every connection prove that they
// hold it and every frame carries a sequence number and an HMAC tag (net/peer_auth.h); without
// one the links are unauthenticated and the transport warns once.
//
// Connection scheme: every node dials every peer and only writes on the connection it dialed;
// connections a peer dialed to us are only read. So each pair of nodes has two connections, one
// per direction, and nobody has to decide who dials whom or merge simultaneous dials.
//
// Everything runs on the io_context's thread (the engine's), including the receive callback and
// the log sink. send() never blocks: it queues, bounded per peer, dropping the oldest message
// when full (raft retransmits).

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "engine/event_log.h"
#include "engine/io.h"
#include "net/peer_context.h"
#include "net/peer_options.h"

namespace net {

class PeerLink;
class PeerListener;

struct PeerStats {
  bool connected = false;      // our link to it has completed the handshake
  std::uint64_t sent = 0;      // messages written to it
  std::uint64_t received = 0;  // messages received from it
  std::uint64_t dropped = 0;   // messages to it dropped (full queue or broken connection)
  std::size_t queued = 0;      // messages to it waiting
};

struct PeerTransportStats {
  std::map<engine::NodeId, PeerStats> peers;  // every member but this node
  std::uint64_t accepted_connections = 0;     // inbound connections accepted
  std::uint64_t refused_connections = 0;      // inbound connections that failed the handshake
};

// engine::Transport to the other cluster members over TCP (see the top of this file).
class PeerTransport : public engine::Transport {
 public:
  // `members` maps every member's id, this node's included, to its raft address; this node
  // listens on its own (port 0 picks a free one, see local_endpoint()). Throws net::Error if
  // `self` is not a member or the address cannot be bound.
  PeerTransport(boost::asio::io_context& io, engine::NodeId self, std::string cluster,
                PeerMembers members, PeerReceiveFn receive, engine::LogSink log,
                PeerOptions options = {});
  ~PeerTransport() override;
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Queues `message` for `to`. A message to a node not yet known (raft adds a member when it
  // appends the change; its address arrives when the change is applied) waits in a small queue
  // until set_members() names it; this node's own id is logged and ignored.
  void send(engine::NodeId to, engine::Bytes message) override;
  // The cluster's members changed (a committed ConfChange): links to removed nodes close, new
  // nodes get a link, a node whose address changed gets a new one; `members` must include this
  // node at the address it listens on. Inbound connections are checked against the new list.
  void set_members(PeerMembers members);
  // A node started with --join knows no peer until the leader's snapshot names them: until
  // then it accepts connections from any node id (still authenticated by the cluster key).
  void admit_unknown_peers(bool on);
  // Called with a peer's id when a connection it dialed to us closes or breaks: most often its
  // process died (kill -9 closes its sockets), sometimes it only reconnects.
  void on_peer_lost(PeerLostFn lost);
  PeerTransportStats stats() const;
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Closes every connection and timer; no callback runs afterwards. Idempotent.
  void close();

 private:
  void add_link(engine::NodeId id);

  boost::asio::any_io_executor executor_;
  std::uint64_t jitter_seed_ = 0;
  std::shared_ptr<PeerContext> context_;
  // Messages for nodes not yet known, kept until set_members names them (bounded).
  std::map<engine::NodeId, std::vector<engine::Bytes>> waiting_;
  std::shared_ptr<PeerListener> listener_;
  std::map<engine::NodeId, std::shared_ptr<PeerLink>> links_;
};

}  // namespace net
