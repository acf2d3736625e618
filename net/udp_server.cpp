#include "net/udp_server.h"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "net/socket_options.h"

namespace net {

namespace {
// A datagram cannot be larger than this; the buffers are sized once for the worst case.
constexpr std::size_t kMaxDatagram = 65535;
// Batches served per wake-up before yielding to the TCP work of the same thread.
constexpr int kBatchesPerWakeup = 8;
}  // namespace

UdpServer::UdpServer(boost::asio::io_context& io, QueryHandler& handler,
                     const boost::asio::ip::udp::endpoint& endpoint, const ServerOptions& options)
    : socket_(io, endpoint.protocol()),
      handler_(handler),
      requests_(kBatch * kMaxDatagram),
      responses_(kBatch * kMaxDatagram),
      gate_(std::make_shared<ReplyGate>(io)) {
  set_reuse_port(socket_);
  set_buffer_sizes(socket_.native_handle(), options.udp_receive_buffer_bytes,
                   options.udp_send_buffer_bytes);
  socket_.bind(endpoint);
  socket_.non_blocking(true);
}

void UdpServer::start() {
  wait_readable();
}

void UdpServer::close() {
  gate_->close();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void UdpServer::wait_readable() {
  socket_.async_wait(boost::asio::ip::udp::socket::wait_read,
                     [this](const boost::system::error_code& ec) {
                       if (ec) return;  // closed
                       for (int i = 0; i < kBatchesPerWakeup; ++i)
                         if (serve_batch() < kBatch) break;
                       wait_readable();
                     });
}

std::size_t UdpServer::serve_batch() {
  for (std::size_t i = 0; i < kBatch; ++i) {
    request_iov_[i] = {requests_.data() + i * kMaxDatagram, kMaxDatagram};
    request_msgs_[i].msg_hdr = {};
    request_msgs_[i].msg_hdr.msg_name = &peers_[i];
    request_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    request_msgs_[i].msg_hdr.msg_iov = &request_iov_[i];
    request_msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  int received =
      ::recvmmsg(socket_.native_handle(), request_msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (received < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;  // drained
    // E.g. an ICMP error left by an earlier send; reading it cleared it, so keep serving.
    spdlog::debug("udp recvmmsg: {}", std::strerror(errno));
    return kBatch;
  }
  std::size_t answers = 0;
  for (int i = 0; i < received; ++i) {
    const auto& message = request_msgs_[i];
    if (message.msg_hdr.msg_flags & MSG_TRUNC) continue;  // cannot be a sensible DNS query
    std::span<const std::uint8_t> query{requests_.data() + i * kMaxDatagram, message.msg_len};
    std::span<std::uint8_t> out{responses_.data() + answers * kMaxDatagram, kMaxDatagram};
    std::size_t size = 0;
    try {
      size = handler_.handle(query, out, false);
    } catch (const std::exception& e) {
      spdlog::warn("udp query: {}", e.what());
      continue;
    }
    if (size == QueryHandler::kDeferred) {
      defer(query, peers_[i], message.msg_hdr.msg_namelen);
      continue;
    }
    if (size == QueryHandler::kStream) size = first_of_stream(query, peers_[i], out);
    if (size == 0) continue;
    response_iov_[answers] = {out.data(), size};
    response_msgs_[answers].msg_hdr = {};
    response_msgs_[answers].msg_hdr.msg_name = &peers_[i];
    response_msgs_[answers].msg_hdr.msg_namelen = message.msg_hdr.msg_namelen;
    response_msgs_[answers].msg_hdr.msg_iov = &response_iov_[answers];
    response_msgs_[answers].msg_hdr.msg_iovlen = 1;
    ++answers;
  }
  std::size_t sent = 0;
  while (sent < answers) {
    int n = ::sendmmsg(socket_.native_handle(), response_msgs_.data() + sent,
                       static_cast<unsigned>(answers - sent), MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    // A full send buffer (or an unreachable peer, reported for the first message): drop that
    // one answer, as UDP may, and go on with the rest.
    spdlog::debug("udp sendmmsg: {}", std::strerror(errno));
    ++dropped_responses_;
    ++sent;
  }
  return static_cast<std::size_t>(received);
}

std::size_t UdpServer::first_of_stream(std::span<const std::uint8_t> query,
                                       const sockaddr_storage& peer, std::span<std::uint8_t> out) {
  // Over UDP a stream (an IXFR's answer: the SOA alone, or TC=1) is one message.
  boost::asio::ip::address client;
  if (peer.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(peer);
    client = boost::asio::ip::address_v4(ntohl(in.sin_addr.s_addr));
  } else if (peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(peer);
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), in6.sin6_addr.s6_addr, bytes.size());
    client = boost::asio::ip::address_v6(bytes, in6.sin6_scope_id);
  }
  try {
    std::unique_ptr<dns::MessageStream> stream = handler_.open_stream(query, false, client);
    std::vector<std::uint8_t> message;
    if (!stream || !stream->next(message) || message.size() > out.size()) return 0;
    std::memcpy(out.data(), message.data(), message.size());
    return message.size();
  } catch (const std::exception& e) {
    spdlog::warn("udp transfer query: {}", e.what());
    return 0;
  }
}

void UdpServer::defer(std::span<const std::uint8_t> query, const sockaddr_storage& peer,
                      socklen_t peer_length) {
  try {
    handler_.handle_deferred(
        query, false, [this, gate = gate_, peer, peer_length](std::vector<std::uint8_t> answer) {
          // Runs on the engine's thread. sendto on the socket is safe from any thread and the
          // gate keeps the socket open while it runs: no hop to the worker (a wake-up and a
          // context switch per answer). A full send buffer drops the answer, as UDP may.
          gate->run_now([&] {
            if (::sendto(socket_.native_handle(), answer.data(), answer.size(), MSG_DONTWAIT,
                         reinterpret_cast<const sockaddr*>(&peer), peer_length) < 0) {
              spdlog::debug("udp sendto (deferred answer): {}", std::strerror(errno));
              ++dropped_responses_;
            }
          });
        });
  } catch (const std::exception& e) {
    spdlog::warn("udp deferred query: {}", e.what());
  }
}

}  // namespace net
