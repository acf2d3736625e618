#pragma once
// The outbound half of the link to one peer: dials it, says hello, waits for its hello back (and,
// with a cluster key, exchanges authentication proofs: net/peer_auth.h), then writes the queued
// messages in order, each sealed with a sequence number and tag when authenticated. Reconnects
// after any error with capped exponential backoff. Never reads raft traffic: each node receives
// on the connections its peers dial.

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/peer_auth.h"
#include "net/peer_context.h"
#include "net/peer_frame.h"

namespace net {

struct PeerLinkStats {
  bool connected = false;     // handshake done, messages flow
  std::uint64_t sent = 0;     // messages fully written to the socket
  std::uint64_t dropped = 0;  // pushed out of a full queue, or lost with a broken connection
  std::size_t queued = 0;     // waiting for the connection
};

// Outbound link to one peer: queue, dial, hello, ordered writes, reconnect.
class PeerLink : public std::enable_shared_from_this<PeerLink> {
 public:
  PeerLink(boost::asio::any_io_executor executor, std::shared_ptr<const PeerContext> context,
           engine::NodeId peer, std::uint64_t jitter_seed);
  void start();
  // Queues `message`; starts writing if connected. Never blocks and never calls back.
  void send(engine::Bytes message);
  void close();
  PeerLinkStats stats() const;

 private:
  // Handshaking: our hello is out, the peer's is awaited; AwaitingProof: the peer's hello came,
  // its authentication proof is awaited (cluster key only).
  enum class State { Waiting, Connecting, Handshaking, AwaitingProof, Up, Closed };

  void connect();
  void read();
  void on_read(std::uint64_t attempt, const boost::system::error_code& ec, std::size_t bytes);
  // One handshake frame from the peer; may fail() or bring the link up.
  void on_handshake_frame(engine::ByteView payload);
  void on_hello(engine::ByteView payload);
  void on_proof(engine::ByteView payload);
  void up();
  void write();
  void on_written(std::uint64_t attempt, const boost::system::error_code& ec);
  // Drops the connection, logs why (once per distinct reason unless the peer was up), and
  // schedules the next attempt.
  void fail(const std::string& reason, bool worth_a_warning);
  void arm_deadline(std::uint64_t attempt);
  std::chrono::milliseconds next_backoff();
  void drop_oldest_while_full(std::size_t incoming_bytes);
  void log(engine::LogLevel level, const std::string& message) const {
    context_->log(level, message);
  }

  std::shared_ptr<const PeerContext> context_;
  engine::NodeId peer_;
  boost::asio::ip::tcp::endpoint endpoint_;
  engine::Bytes hello_;        // our hello on this connection (fresh nonce each time)
  engine::Bytes hello_frame_;  // the same, framed
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;  // backoff wait, or the connect+handshake deadline
  State state_ = State::Waiting;
  // Bumped per connection attempt: completions of an older attempt are ignored.
  std::uint64_t attempt_ = 0;
  unsigned failures_ = 0;  // since the last successful handshake, drives the backoff
  std::mt19937_64 jitter_;
  std::string last_failure_;
  FrameReader reader_;
  std::unique_ptr<PeerSessionKeys> session_;  // this connection's keys (cluster key only)
  std::unique_ptr<FrameSealer> sealer_;       // set once up with a cluster key
  engine::Bytes proof_frame_;                 // our proof, written ahead of the first messages

  std::deque<engine::Bytes> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  std::vector<engine::Bytes> in_flight_;
  // Per in-flight message: its length (and sequence number) before it, its tag after it.
  std::vector<FrameSealer::Sealed> in_flight_frames_;
  bool proof_in_flight_ = false;

  std::uint64_t sent_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace net
