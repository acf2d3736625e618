#pragma once
// One connection a peer dialed to us: checks its hello, answers with ours (with a cluster key:
// also proves we hold the key and checks the peer's proof, net/peer_auth.h), then reads framed
// raft messages, checks each frame's tag and sequence number when authenticated, and hands them
// to the receive callback. Closes on any protocol error, logging the remote address and what
// was wrong (refusals of unidentified connections rate limited per address).

#include <cstdint>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/peer_auth.h"
#include "net/peer_context.h"
#include "net/peer_frame.h"

namespace net {

// One inbound peer connection: handshake, then framed messages to the receive callback.
class PeerInbound : public std::enable_shared_from_this<PeerInbound> {
 public:
  PeerInbound(boost::asio::ip::tcp::socket socket, std::shared_ptr<PeerContext> context);
  // `on_identified` runs once the handshake is complete, authentication included (the listener
  // uses it to retire an older connection from the same peer).
  void start(std::function<void(PeerInbound&)> on_identified);
  void close();
  // Closes the connection, logging why (as a refusal while it is not identified yet).
  void refuse(const std::string& reason);
  // The identified peer closed its connection (or it broke): tell the transport's owner.
  void lost();
  bool open() const { return !closed_; }
  // Handshake complete: the peer is a member (and proved it holds the cluster key, if any).
  bool identified() const { return identified_; }
  // The peer's id once identified, else 0.
  engine::NodeId peer() const { return identified_ ? peer_ : 0; }

 private:
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  // Handles every complete frame; false once the connection was closed.
  bool handle_frames();
  void accept_hello(engine::ByteView payload);
  void accept_proof(engine::ByteView payload);
  void identify();
  void write_handshake(engine::Bytes bytes);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::endpoint remote_;
  boost::asio::steady_timer deadline_;
  std::shared_ptr<PeerContext> context_;
  std::function<void(PeerInbound&)> on_identified_;
  FrameReader reader_;
  engine::NodeId peer_ = 0;  // the id its hello claims
  bool hello_seen_ = false;
  bool identified_ = false;
  bool closed_ = false;
  engine::Bytes handshake_reply_;
  std::unique_ptr<PeerSessionKeys> session_;  // between our proof and the peer's
  std::unique_ptr<FrameOpener> opener_;       // once identified with a cluster key
};

}  // namespace net
