#pragma once
// One DNS-over-TCP client connection.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_set>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/query_handler.h"
#include "net/reply_gate.h"
#include "net/server_options.h"

namespace net {

class TcpConnection;

// The open connections of one worker thread, so that stopping the server can close them. Shared
// with the connections because they may outlive the listener while the io_context shuts down.
class ConnectionRegistry {
 public:
  explicit ConnectionRegistry(std::shared_ptr<ReplyGate> gate) : gate_(std::move(gate)) {}
  // Where deferred answers enter this thread (closed when the listener closes).
  const std::shared_ptr<ReplyGate>& gate() const { return gate_; }
  void add(TcpConnection* connection) { open_.insert(connection); }
  void remove(TcpConnection* connection) { open_.erase(connection); }
  void close_all();
  // Under pressure (RFC 7766 section 6.2.3) makes room by closing the connection whose last
  // complete message is the oldest; false if this thread has none to close.
  bool close_least_recently_active();

 private:
  std::unordered_set<TcpConnection*> open_;
  std::shared_ptr<ReplyGate> gate_;
};

// Serves one TCP connection (RFC 7766): reads 2-byte length framed queries, answers the complete
// queries in arrival order (at most kMaxBufferedOutput of answers at a time: the rest wait until
// those are written), writes the responses in one batch, and closes the connection on malformed
// framing (length 0 or above the limit), on EOF, or when no complete message has arrived for the
// idle timeout (bytes of an unfinished message do not count: a client trickling one byte at a
// time cannot hold a slot). A deferred answer (a DNS UPDATE after its commit) is written when it
// arrives, between the in-order answers (RFC 7766 §7 lets answers come out of order).
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  // `response_scratch` is the worker's buffer (>= 65535 bytes) shared by its connections; it is
  // only used synchronously. `open_connections` was already incremented for this connection.
  TcpConnection(boost::asio::ip::tcp::socket socket, QueryHandler& handler,
                const ServerOptions& options, std::span<std::uint8_t> response_scratch,
                std::atomic<std::size_t>& open_connections,
                std::shared_ptr<ConnectionRegistry> registry);
  ~TcpConnection();
  void start();
  void close();
  bool closed() const { return closed_; }
  // When the last complete message arrived (or the connection opened, or an answer was written).
  std::chrono::steady_clock::time_point last_activity() const { return last_activity_; }

  // Answers buffered for one connection before it stops answering and writes them first.
  static constexpr std::size_t kMaxBufferedOutput = 256 * 1024;

 private:
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  // Answers every complete frame in the input buffer; false if the framing is malformed.
  bool answer_complete_frames();
  void write();
  void wait_idle_deadline();
  void note_activity() {
    last_activity_ = std::chrono::steady_clock::now();
    idle_deadline_ = last_activity_ + idle_timeout_;
  }
  // Answers what is complete in the input (up to the output cap), then writes the answers,
  // closes after malformed framing, or reads more.
  void serve_input();
  // A deferred answer, on this connection's thread: written now, or after the current write.
  void deliver(std::vector<std::uint8_t> answer);
  // Frames the open stream's next messages into the output, up to the output cap; drops the
  // stream when it is done (or failed: then the connection closes after the write).
  void pump_stream();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point idle_deadline_;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::milliseconds idle_timeout_;
  QueryHandler& handler_;
  std::size_t max_message_size_;
  std::span<std::uint8_t> response_scratch_;
  std::atomic<std::size_t>& open_connections_;
  std::shared_ptr<ConnectionRegistry> registry_;
  bool closed_ = false;
  bool close_after_write_ = false;   // malformed framing seen: flush earlier answers, then close
  std::vector<std::uint8_t> input_;  // received bytes not yet answered: [0, input_used_)
  std::size_t input_used_ = 0;
  std::vector<std::uint8_t> output_;    // framed responses being written
  std::vector<std::uint8_t> deferred_;  // framed deferred answers waiting for the next write
  bool reading_ = false;
  bool writing_ = false;
  boost::asio::ip::address client_;  // the peer's address (for the transfer access control)
  // A multi-message answer being sent (a zone transfer): further queries wait until it is done.
  std::unique_ptr<dns::MessageStream> stream_;
};

}  // namespace net
