#pragma once
// Accepts the connections peers dial to us and keeps track of them, so that closing the
// transport closes them too, and so that connections still in the handshake stay few (they
// cost memory and anyone can open them).

#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/peer_context.h"

namespace net {

class PeerInbound;

// The peer port's acceptor plus the inbound connections it created.
class PeerListener : public std::enable_shared_from_this<PeerListener> {
 public:
  // Binds and listens at once (throws net::Error naming the address if it cannot).
  PeerListener(boost::asio::io_context& io, std::shared_ptr<PeerContext> context,
               const boost::asio::ip::tcp::endpoint& endpoint);
  void start();
  void close();
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  void accept();
  // A peer that reconnected (it restarted, or its link broke) replaces its older connection.
  void retire_older_connections(const PeerInbound& newest);
  // Before a new connection is taken in: closes the oldest not yet identified connections so
  // that at most options.max_unidentified_connections are waiting, the new one included.
  void make_room_for_unidentified();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::shared_ptr<PeerContext> context_;
  std::vector<std::weak_ptr<PeerInbound>> connections_;
  bool closed_ = false;
};

}  // namespace net
