#pragma once
// The UDP half of one worker thread.

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "net/query_handler.h"
#include "net/reply_gate.h"
#include "net/server_options.h"

namespace net {

// One SO_REUSEPORT UDP socket served by one thread. Waits for readability, then drains the
// queue in batches: one recvmmsg() takes up to kBatch datagrams, and one sendmmsg() sends their
// answers, into buffers allocated once, so the hot path makes no allocation and few system calls.
class UdpServer {
 public:
  // Binds at once; throws boost::system::system_error when the address cannot be bound.
  UdpServer(boost::asio::io_context& io, QueryHandler& handler,
            const boost::asio::ip::udp::endpoint& endpoint, const ServerOptions& options);
  void start();
  void close();
  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  // Responses dropped because the kernel send buffer was full.
  std::uint64_t dropped_responses() const { return dropped_responses_; }

 private:
  static constexpr std::size_t kBatch = 32;

  void wait_readable();
  // Serves one batch; returns how many datagrams were received (< kBatch: queue drained).
  std::size_t serve_batch();
  // Answers a request the handler streams (an IXFR) with the stream's first message, written
  // into `out`; returns its size (0: nothing to send).
  std::size_t first_of_stream(std::span<const std::uint8_t> query, const sockaddr_storage& peer,
                              std::span<std::uint8_t> out);
  // Hands a deferred request to the handler, with a reply that comes back to this thread.
  void defer(std::span<const std::uint8_t> query, const sockaddr_storage& peer,
             socklen_t peer_length);

  boost::asio::ip::udp::socket socket_;
  QueryHandler& handler_;
  std::vector<std::uint8_t> requests_;   // kBatch slots of kMaxDatagram bytes
  std::vector<std::uint8_t> responses_;  // likewise
  std::array<sockaddr_storage, kBatch> peers_{};
  std::array<iovec, kBatch> request_iov_{};
  std::array<mmsghdr, kBatch> request_msgs_{};
  std::array<iovec, kBatch> response_iov_{};
  std::array<mmsghdr, kBatch> response_msgs_{};
  std::atomic<std::uint64_t> dropped_responses_{0};  // deferred answers count from other threads
  std::shared_ptr<ReplyGate> gate_;
};

}  // namespace net
