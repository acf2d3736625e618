#include "net/tcp_listener.h"

#include <memory>

#include <spdlog/spdlog.h>

#include "net/socket_options.h"
#include "net/tcp_connection.h"

namespace net {

TcpListener::TcpListener(boost::asio::io_context& io, QueryHandler& handler,
                         const boost::asio::ip::tcp::endpoint& endpoint,
                         const ServerOptions& options, std::atomic<std::size_t>& open_connections)
    : io_(io),
      acceptor_(io, endpoint.protocol()),
      retry_timer_(io),
      handler_(handler),
      options_(options),
      open_connections_(open_connections),
      response_scratch_(65535),
      connections_(std::make_shared<ConnectionRegistry>(std::make_shared<ReplyGate>(io))) {
  acceptor_.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true));
  set_reuse_port(acceptor_);
  acceptor_.bind(endpoint);
  acceptor_.listen(boost::asio::socket_base::max_listen_connections);
}

void TcpListener::start() {
  accept();
}

void TcpListener::close() {
  connections_->gate()->close();
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  connections_->close_all();
}

void TcpListener::accept() {
  acceptor_.async_accept(
      io_, [this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) {
          // E.g. out of file descriptors: retrying at once would spin, so pause briefly.
          spdlog::warn("tcp accept: {}", ec.message());
          retry_timer_.expires_after(std::chrono::milliseconds(100));
          retry_timer_.async_wait([this](const boost::system::error_code& timer_ec) {
            if (!timer_ec) accept();
          });
          return;
        }
        // At the limit, make room by closing this thread's least recently active connection
        // (RFC 7766 section 6.2.3), so idle or trickling clients cannot lock out new ones.
        if (open_connections_.load() >= options_.max_tcp_connections &&
            connections_->close_least_recently_active())
          spdlog::debug("tcp: connection limit {} reached, closed the least recently active",
                        options_.max_tcp_connections);
        if (open_connections_.fetch_add(1) >= options_.max_tcp_connections) {
          open_connections_.fetch_sub(1);
          spdlog::debug("tcp: connection limit {} reached, closing new connection",
                        options_.max_tcp_connections);
          boost::system::error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<TcpConnection>(std::move(socket), handler_, options_, response_scratch_,
                                          open_connections_, connections_)
              ->start();
        }
        accept();
      });
}

}  // namespace net
