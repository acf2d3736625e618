#include "net/peer_inbound.h"

#include <boost/asio/write.hpp>

#include "net/peer_handshake.h"

namespace net {

namespace asio = boost::asio;
using asio::ip::tcp;
using engine::LogLevel;

PeerInbound::PeerInbound(tcp::socket socket, std::shared_ptr<PeerContext> context)
    : socket_(std::move(socket)),
      deadline_(socket_.get_executor()),
      context_(std::move(context)),
      reader_(kMaxHelloSize) {
  boost::system::error_code ec;
  remote_ = socket_.remote_endpoint(ec);
}

void PeerInbound::start(std::function<void(PeerInbound&)> on_identified) {
  on_identified_ = std::move(on_identified);
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  // A connection that never says hello (a port scanner, a stuck client) is not kept forever.
  deadline_.expires_after(context_->options.handshake_timeout);
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_ || self->identified_) return;
    self->refuse("no hello within the handshake timeout");
  });
  read();
}

void PeerInbound::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  deadline_.cancel();
}

void PeerInbound::refuse(const std::string& reason) {
  if (closed_) return;
  if (identified_) {
    context_->log(LogLevel::Warn, fmt::format("peer {} ({}): {}; closing the connection", peer_,
                                              to_string(remote_), reason));
  } else {
    ++context_->refused_connections;
    context_->log(LogLevel::Warn,
                  fmt::format("peer connection from {} refused: {}", to_string(remote_), reason));
  }
  close();
}

void PeerInbound::read() {
  auto space = reader_.prepare(identified_ ? 64 * 1024 : 512);
  socket_.async_read_some(
      asio::buffer(space.data(), space.size()),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t bytes) {
        self->on_read(ec, bytes);
      });
}

void PeerInbound::on_read(const boost::system::error_code& ec, std::size_t bytes) {
  if (closed_ || context_->closed) return;
  if (ec) {
    if (!identified_ && ec == asio::error::eof && reader_.buffered() > 0)
      refuse("closed in the middle of its hello");
    else
      close();  // the peer's link logs its own view of why; ours is the outbound "down"
    return;
  }
  reader_.commit(bytes);
  if (handle_frames()) read();
}

bool PeerInbound::handle_frames() {
  try {
    while (auto frame = reader_.next()) {
      if (!identified_) {
        accept_hello(*frame);
        if (closed_) return false;
        continue;
      }
      ++context_->received[peer_];
      // The callback may close the transport; nothing is delivered after that.
      if (context_->receive) context_->receive(peer_, engine::Bytes(frame->begin(), frame->end()));
      if (closed_ || context_->closed) return false;
    }
  } catch (const PeerProtocolError& e) {
    refuse(e.what());
    return false;
  }
  return true;
}

void PeerInbound::accept_hello(engine::ByteView payload) {
  PeerHello hello = decode_hello(payload);
  if (auto refusal = hello_refusal(hello, context_->self, context_->cluster, context_->members,
                                   remote_.address(), context_->options.check_peer_address)) {
    refuse(*refusal);
    return;
  }
  peer_ = hello.node;
  identified_ = true;
  deadline_.cancel();
  reader_.set_max_frame_size(context_->options.max_message_size);
  context_->log(LogLevel::Debug,
                fmt::format("peer {} connected from {}", peer_, to_string(remote_)));
  if (on_identified_) on_identified_(*this);
  hello_reply_ = framed(encode_hello({kPeerProtocolVersion, context_->self, context_->cluster}));
  asio::async_write(socket_, asio::buffer(hello_reply_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (ec) self->close();
                    });
}

}  // namespace net
