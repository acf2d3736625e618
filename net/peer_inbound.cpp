#include "net/peer_inbound.h"

#include <boost/asio/write.hpp>

#include "net/peer_admission.h"
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
  // A connection that never completes the handshake (a port scanner, a stuck client, a peer
  // without the key) is not kept forever.
  deadline_.expires_after(context_->options.handshake_timeout);
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_ || self->identified_) return;
    self->refuse(self->hello_seen_ ? "no authentication proof within the handshake timeout"
                                   : "no hello within the handshake timeout");
  });
  read();
}

void PeerInbound::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  deadline_.cancel();
  session_.reset();
  opener_.reset();
}

void PeerInbound::lost() {
  // Our side is closed first, so a callback that closes the transport finds nothing to do here.
  close();
  const engine::NodeId peer = peer_;
  context_->lost(peer);
}

void PeerInbound::refuse(const std::string& reason) {
  if (closed_) return;
  if (identified_) {
    context_->log(LogLevel::Warn, fmt::format("peer {} ({}): {}; closing the connection", peer_,
                                              to_string(remote_), reason));
  } else {
    ++context_->refused_connections;
    context_->log_refusal(
        remote_, fmt::format("peer connection from {} refused: {}", to_string(remote_), reason));
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
    if (!identified_ && session_)
      refuse("closed during authentication (does it have a different cluster key?)");
    else if (!identified_ && ec == asio::error::eof && reader_.buffered() > 0)
      refuse("closed in the middle of its hello");
    else if (identified_ && context_->lost && !context_->closed)
      lost();
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
        if (!hello_seen_)
          accept_hello(*frame);
        else
          accept_proof(*frame);
        if (closed_) return false;
        continue;
      }
      engine::ByteView payload = opener_ ? opener_->open(*frame) : *frame;
      ++context_->received[peer_];
      // The callback may close the transport; nothing is delivered after that.
      if (context_->receive)
        context_->receive(peer_, engine::Bytes(payload.begin(), payload.end()));
      if (closed_ || context_->closed) return false;
    }
  } catch (const PeerProtocolError& e) {
    refuse(e.what());
    return false;
  } catch (const Error& e) {  // OpenSSL failed (out of memory): drop this connection only
    refuse(e.what());
    return false;
  }
  return true;
}

void PeerInbound::accept_hello(engine::ByteView payload) {
  PeerHello hello = decode_hello(payload);
  if (auto refusal = hello_refusal(hello, context_->protocol_version(), context_->self,
                                   context_->cluster, context_->members, remote_.address(),
                                   context_->options.check_peer_address, context_->admit_unknown)) {
    refuse(*refusal);
    return;
  }
  peer_ = hello.node;
  hello_seen_ = true;
  PeerHello ours{context_->protocol_version(), context_->self, context_->cluster};
  if (!context_->authenticated()) {
    write_handshake(framed(encode_hello(ours)));
    identify();
    return;
  }
  // The hello is unproven: answer with ours and our proof, and wait for the peer's proof before
  // anything else it sends is looked at.
  ours.nonce = fresh_nonce();
  const engine::Bytes our_hello = encode_hello(ours);
  session_ =
      std::make_unique<PeerSessionKeys>(context_->options.cluster_key->bytes(), payload, our_hello);
  engine::Bytes reply = framed(our_hello);
  const engine::Bytes proof = framed(session_->acceptor_proof());
  reply.insert(reply.end(), proof.begin(), proof.end());
  write_handshake(std::move(reply));
}

void PeerInbound::accept_proof(engine::ByteView payload) {
  if (!session_->dialer_proof_matches(decode_proof(payload))) {
    refuse(
        fmt::format("authentication failed: node {}'s proof does not match our cluster key "
                    "(is its cluster_key_file the same as ours?)",
                    peer_));
    return;
  }
  opener_ = std::make_unique<FrameOpener>(session_->frame_key());
  session_.reset();
  identify();
}

void PeerInbound::identify() {
  identified_ = true;
  deadline_.cancel();
  const std::size_t overhead = opener_ ? kAuthenticatedFrameOverhead : 0;
  reader_.set_max_frame_size(context_->options.max_message_size + overhead);
  context_->log(LogLevel::Debug,
                fmt::format("peer {} connected from {}{}", peer_, to_string(remote_),
                            opener_ ? " (authenticated)" : ""));
  if (on_identified_) on_identified_(*this);
}

void PeerInbound::write_handshake(engine::Bytes bytes) {
  handshake_reply_ = std::move(bytes);
  asio::async_write(socket_, asio::buffer(handshake_reply_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (ec) self->close();
                    });
}

}  // namespace net
