#pragma once
// State shared by a PeerTransport and its connections. Connections keep it alive with a
// shared_ptr, so their completion handlers stay safe after the transport is gone; `closed`
// tells them to stop without calling back.

#include <functional>
#include <map>
#include <string>

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>

#include "engine/event_log.h"
#include "engine/io.h"
#include "net/peer_handshake.h"
#include "net/peer_options.h"
#include "net/peer_refusal_log.h"

namespace net {

using PeerReceiveFn = std::function<void(engine::NodeId from, engine::Bytes message)>;
using PeerLostFn = std::function<void(engine::NodeId peer)>;
using PeerMembers = std::map<engine::NodeId, boost::asio::ip::tcp::endpoint>;

// Configuration, callbacks and counters of one PeerTransport, shared with its connections.
struct PeerContext {
  engine::NodeId self = 0;
  std::string cluster;
  PeerMembers members;
  bool admit_unknown = false;  // a joining node: accept any node id (see admit_unknown_peers)
  PeerOptions options;
  PeerReceiveFn receive;
  PeerLostFn lost;  // an identified peer closed the connection it dialed to us (may be empty)
  engine::LogSink log_sink;
  bool closed = false;
  std::map<engine::NodeId, std::uint64_t> received;  // messages delivered, per sender
  std::uint64_t accepted_connections = 0;            // inbound connections accepted
  std::uint64_t refused_connections = 0;             // inbound connections that failed the hello
  PeerRefusalLog refusal_log{options.refusal_log_interval};  // reset when options are set

  bool authenticated() const { return options.cluster_key != nullptr; }
  std::uint16_t protocol_version() const {
    return authenticated() ? kAuthenticatedPeerProtocolVersion : kPeerProtocolVersion;
  }

  void log(engine::LogLevel level, const std::string& message) const {
    if (!closed && log_sink) log_sink(level, message);
  }
  // Logs a refused inbound connection, rate limited per remote address (see PeerRefusalLog).
  void log_refusal(const boost::asio::ip::tcp::endpoint& remote, const std::string& message);
};

inline std::string to_string(const boost::asio::ip::tcp::endpoint& endpoint) {
  if (endpoint.address().is_v6())
    return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

inline void PeerContext::log_refusal(const boost::asio::ip::tcp::endpoint& remote,
                                     const std::string& message) {
  const std::string address = remote.address().to_string();
  auto suppressed = refusal_log.admit(address, PeerRefusalLog::Clock::now());
  if (!suppressed) return;
  if (*suppressed == 0) {
    log(engine::LogLevel::Warn, message);
  } else {
    log(engine::LogLevel::Warn,
        fmt::format("{} (and {} more refused connections from {} not logged since its last line)",
                    message, *suppressed, address));
  }
}

}  // namespace net
