#pragma once
// The TCP half of one worker thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/query_handler.h"
#include "net/server_options.h"
#include "net/tcp_connection.h"

namespace net {

// One SO_REUSEPORT TCP acceptor served by one thread; starts a TcpConnection per client and
// enforces the connection limit shared by all threads.
class TcpListener {
 public:
  // Binds and listens at once; throws boost::system::system_error on failure.
  TcpListener(boost::asio::io_context& io, QueryHandler& handler,
              const boost::asio::ip::tcp::endpoint& endpoint, const ServerOptions& options,
              std::atomic<std::size_t>& open_connections);
  void start();
  // Stops accepting and closes every open connection of this thread.
  void close();
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  QueryHandler& handler_;
  const ServerOptions& options_;
  std::atomic<std::size_t>& open_connections_;
  std::vector<std::uint8_t> response_scratch_;
  std::shared_ptr<ConnectionRegistry> connections_;
};

}  // namespace net
