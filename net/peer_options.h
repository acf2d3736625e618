#pragma once
// Knobs of the peer transport, with defaults suited to raft traffic between dns-node processes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "net/peer_key.h"

namespace net {

struct PeerOptions {
  // Largest message a peer may send (a raft snapshot must fit); a longer frame closes the link.
  std::size_t max_message_size = std::size_t{64} << 20;
  // Send queue bound per peer; when either is reached the oldest queued message is dropped
  // (raft retransmits; newer messages supersede older ones).
  std::size_t max_queued_messages = 4096;
  std::size_t max_queued_bytes = std::size_t{64} << 20;
  // Reconnect delay: doubles from min to max after each failed attempt, with jitter so that
  // restarted nodes do not dial in lockstep; back to min after a successful handshake.
  std::chrono::milliseconds min_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  // Connect plus handshake must finish within this, both when dialing and when accepting.
  std::chrono::milliseconds handshake_timeout{5000};
  // The cluster key every member holds: links authenticate each other with it and every frame
  // carries a tag and a sequence number (net/peer_auth.h). Without one (nullptr), links are
  // unauthenticated, as in the 2017 prototype, and a node with a key refuses them.
  std::shared_ptr<const ClusterKey> cluster_key;
  // Inbound connections that have not completed the handshake yet; when a new one would exceed
  // this, the oldest of them is closed (a slow or hostile client cannot hold the port's slots).
  std::size_t max_unidentified_connections = 32;
  // At most one log line per remote address per interval about refused connections; the next
  // line says how many were left out. Zero logs every refusal.
  std::chrono::milliseconds refusal_log_interval{10000};
  // Seeds the backoff jitter; 0 derives it from the node id.
  std::uint64_t jitter_seed = 0;
  // Refuse a peer whose connection does not come from its configured raft address (skipped for
  // members configured on 0.0.0.0 / ::). Outbound connections are bound to our own address so
  // that peers can check us.
  bool check_peer_address = true;
};

}  // namespace net
