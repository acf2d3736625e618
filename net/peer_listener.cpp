#include "net/peer_listener.h"

#include <algorithm>

#include "net/error.h"
#include "net/peer_inbound.h"

namespace net {

namespace asio = boost::asio;
using asio::ip::tcp;
using engine::LogLevel;

PeerListener::PeerListener(asio::io_context& io, std::shared_ptr<PeerContext> context,
                           const tcp::endpoint& endpoint)
    : acceptor_(io), retry_timer_(io), context_(std::move(context)) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(
        fmt::format("cannot listen for peers on {}: {}", to_string(endpoint), ec.message()));
}

tcp::endpoint PeerListener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void PeerListener::start() {
  accept();
}

void PeerListener::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  for (auto& weak : connections_)
    if (auto connection = weak.lock()) connection->close();
  connections_.clear();
}

void PeerListener::accept() {
  acceptor_.async_accept(
      [self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
        if (self->closed_ || ec == asio::error::operation_aborted) return;
        if (ec) {
          // E.g. out of file descriptors: retrying at once would spin, so pause briefly.
          self->context_->log(LogLevel::Warn, fmt::format("peer accept: {}", ec.message()));
          self->retry_timer_.expires_after(std::chrono::milliseconds(100));
          self->retry_timer_.async_wait([self](const boost::system::error_code& timer_ec) {
            if (!timer_ec && !self->closed_) self->accept();
          });
          return;
        }
        std::erase_if(self->connections_, [](const auto& weak) {
          auto connection = weak.lock();
          return !connection || !connection->open();
        });
        ++self->context_->accepted_connections;
        self->make_room_for_unidentified();
        auto connection = std::make_shared<PeerInbound>(std::move(socket), self->context_);
        self->connections_.push_back(connection);
        std::weak_ptr<PeerListener> weak_self = self;
        connection->start([weak_self](PeerInbound& identified) {
          if (auto listener = weak_self.lock()) listener->retire_older_connections(identified);
        });
        self->accept();
      });
}

void PeerListener::retire_older_connections(const PeerInbound& newest) {
  for (auto& weak : connections_) {
    auto connection = weak.lock();
    if (connection && connection.get() != &newest && connection->identified() &&
        connection->peer() == newest.peer())
      connection->close();
  }
}

void PeerListener::make_room_for_unidentified() {
  const std::size_t limit =
      std::max<std::size_t>(1, context_->options.max_unidentified_connections);
  std::vector<std::shared_ptr<PeerInbound>> waiting;  // oldest first: connections_ is in order
  for (auto& weak : connections_)
    if (auto connection = weak.lock();
        connection && connection->open() && !connection->identified())
      waiting.push_back(std::move(connection));
  for (std::size_t i = 0; i + limit <= waiting.size(); ++i)
    waiting[i]->refuse(fmt::format(
        "closed to make room: {} connections are already waiting to complete the handshake (the "
        "limit)",
        limit));
}

}  // namespace net
