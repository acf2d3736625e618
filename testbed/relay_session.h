#pragma once
// One connection through the fault proxy: a node dialed the proxy's port for link from -> to,
// and the proxy dialed node `to`. Bytes from the dialer (its raft messages) pass through the
// link's faults (cut, held, delayed in order, cut by chance); bytes back (the handshake reply)
// pass unchanged. The proxy relays bytes, not messages, so HMACs and sequence numbers of
// authenticated peer links (net/peer_auth.h) pass through intact: a fault never corrupts a frame,
// it only holds, delays or cuts the stream, as a network would.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "testbed/link_faults.h"

namespace testbed {

// The relay of one proxied connection (see the top of this file).
class RelaySession : public std::enable_shared_from_this<RelaySession> {
 public:
  using StateFn = std::function<LinkState()>;
  using Random01Fn = std::function<double()>;  // uniform in [0, 1)

  // How many bytes may wait in the proxy before it stops reading from the dialer (the dialer's
  // own queue then fills and drops, as it would behind a slow link).
  static constexpr std::size_t kMaxQueuedBytes = 1 << 20;

  RelaySession(boost::asio::ip::tcp::socket client, boost::asio::ip::tcp::endpoint upstream,
               StateFn state, Random01Fn random01);
  void start();
  // The link's faults changed: cut the connection if it is blocked now, resume if unclogged.
  void kick();
  void close();
  bool closed() const { return closed_; }
  std::uint64_t bytes_forwarded() const { return forwarded_; }

 private:
  struct Chunk {
    std::chrono::steady_clock::time_point due;
    std::vector<char> bytes;
  };
  void read_client();
  void read_upstream();
  void write_upstream();

  boost::asio::ip::tcp::socket client_;
  boost::asio::ip::tcp::socket upstream_;
  boost::asio::ip::tcp::endpoint upstream_endpoint_;
  boost::asio::steady_timer due_timer_;
  StateFn state_;
  Random01Fn random01_;
  std::vector<char> client_buffer_ = std::vector<char>(16 * 1024);
  std::vector<char> upstream_buffer_ = std::vector<char>(16 * 1024);
  std::deque<Chunk> queue_;
  std::size_t queued_bytes_ = 0;
  std::chrono::steady_clock::time_point last_due_{};
  std::uint64_t forwarded_ = 0;
  bool connected_ = false;
  bool reading_client_ = false;
  bool writing_ = false;
  bool waiting_due_ = false;
  bool closed_ = false;
};

}  // namespace testbed
