#pragma once
// One connection a peer dialed to us: checks its hello, answers with ours, then reads framed
// raft messages and hands them to the receive callback. Closes on any protocol error, logging
// the remote address and what was wrong.

#include <cstdint>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/peer_context.h"
#include "net/peer_frame.h"

namespace net {

// One inbound peer connection: hello check, then framed messages to the receive callback.
class PeerInbound : public std::enable_shared_from_this<PeerInbound> {
 public:
  PeerInbound(boost::asio::ip::tcp::socket socket, std::shared_ptr<PeerContext> context);
  // `on_identified` runs once the hello is accepted (the listener uses it to retire an older
  // connection from the same peer).
  void start(std::function<void(PeerInbound&)> on_identified);
  void close();
  bool open() const { return !closed_; }
  // The peer's id once its hello was accepted, else 0.
  engine::NodeId peer() const { return peer_; }

 private:
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  // Handles every complete frame; false once the connection was closed.
  bool handle_frames();
  void accept_hello(engine::ByteView payload);
  void refuse(const std::string& reason);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::endpoint remote_;
  boost::asio::steady_timer deadline_;
  std::shared_ptr<PeerContext> context_;
  std::function<void(PeerInbound&)> on_identified_;
  FrameReader reader_;
  engine::NodeId peer_ = 0;
  bool identified_ = false;
  bool closed_ = false;
  engine::Bytes hello_reply_;
};

}  // namespace net
