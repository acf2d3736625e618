#include "net/peer_link.h"

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "net/peer_admission.h"
#include "net/peer_handshake.h"

namespace net {

namespace asio = boost::asio;
using asio::ip::tcp;
using engine::LogLevel;

namespace {
// One write gathers at most this much, so a long queue does not delay noticing a broken link.
constexpr std::size_t kMaxWriteBatchBytes = std::size_t{4} << 20;
constexpr std::size_t kMaxWriteBatchMessages = 256;
}  // namespace

PeerLink::PeerLink(asio::any_io_executor executor, std::shared_ptr<const PeerContext> context,
                   engine::NodeId peer, std::uint64_t jitter_seed)
    : context_(std::move(context)),
      peer_(peer),
      endpoint_(context_->members.at(peer)),
      socket_(executor),
      timer_(executor),
      jitter_(jitter_seed),
      reader_(kMaxHelloSize) {}

void PeerLink::start() {
  connect();
}

void PeerLink::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  ++attempt_;
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
}

PeerLinkStats PeerLink::stats() const {
  return {state_ == State::Up, sent_, dropped_, queue_.size()};
}

void PeerLink::send(engine::Bytes message) {
  if (state_ == State::Closed) return;
  drop_oldest_while_full(message.size());
  queued_bytes_ += message.size();
  queue_.push_back(std::move(message));
  if (state_ == State::Up && !writing_) write();
}

void PeerLink::drop_oldest_while_full(std::size_t incoming_bytes) {
  const auto& options = context_->options;
  while (!queue_.empty() && (queue_.size() + 1 > options.max_queued_messages ||
                             queued_bytes_ + incoming_bytes > options.max_queued_bytes)) {
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    ++dropped_;
  }
}

void PeerLink::connect() {
  const std::uint64_t attempt = ++attempt_;
  state_ = State::Connecting;
  reader_ = FrameReader(kMaxHelloSize);
  session_.reset();
  sealer_.reset();
  proof_frame_.clear();
  PeerHello hello{context_->protocol_version(), context_->self, context_->cluster};
  if (context_->authenticated()) {
    try {
      hello.nonce = fresh_nonce();
    } catch (const Error& e) {
      fail(e.what(), true);
      return;
    }
  }
  hello_ = encode_hello(hello);
  hello_frame_ = framed(hello_);
  boost::system::error_code ec;
  socket_.open(endpoint_.protocol(), ec);
  const auto& own = context_->members.at(context_->self);
  if (!ec && context_->options.check_peer_address && !own.address().is_unspecified()) {
    // Dial from our configured address so the peer's address check sees who we claim to be
    // (matters when nodes share a host on distinct addresses such as 127.0.0.1/.2/.3).
    socket_.bind(tcp::endpoint(own.address(), 0), ec);
  }
  if (ec) {
    fail(fmt::format("cannot open a socket: {}", ec.message()), true);
    return;
  }
  arm_deadline(attempt);
  socket_.async_connect(
      endpoint_, [self = shared_from_this(), attempt](const boost::system::error_code& ec) {
        if (attempt != self->attempt_) return;
        if (ec) {
          self->fail(fmt::format("connect: {}", ec.message()), false);
          return;
        }
        boost::system::error_code ignored;
        self->socket_.set_option(tcp::no_delay(true), ignored);
        self->socket_.set_option(asio::socket_base::keep_alive(true), ignored);
        self->state_ = State::Handshaking;
        asio::async_write(self->socket_, asio::buffer(self->hello_frame_),
                          [self, attempt](const boost::system::error_code& ec, std::size_t) {
                            if (attempt != self->attempt_) return;
                            if (ec)
                              self->fail(fmt::format("sending hello: {}", ec.message()), false);
                          });
        self->read();
      });
}

void PeerLink::arm_deadline(std::uint64_t attempt) {
  timer_.expires_after(context_->options.handshake_timeout);
  timer_.async_wait([self = shared_from_this(), attempt](const boost::system::error_code& ec) {
    if (ec || attempt != self->attempt_ || self->state_ == State::Up) return;
    self->fail("handshake not completed within the handshake timeout", true);
  });
}

void PeerLink::read() {
  auto space = reader_.prepare(512);
  socket_.async_read_some(asio::buffer(space.data(), space.size()),
                          [self = shared_from_this(), attempt = attempt_](
                              const boost::system::error_code& ec, std::size_t bytes) {
                            self->on_read(attempt, ec, bytes);
                          });
}

void PeerLink::on_read(std::uint64_t attempt, const boost::system::error_code& ec,
                       std::size_t bytes) {
  if (attempt != attempt_) return;
  if (ec) {
    // EOF before the handshake is done is how a peer refuses us; its log says why.
    const bool refused = state_ != State::Up && ec == asio::error::eof;
    std::string reason = ec.message();
    if (refused) reason = "closed by the peer during the handshake (its log says why)";
    if (ec == asio::error::eof && state_ == State::Up) reason = "closed by the peer";
    fail(reason, refused);
    return;
  }
  reader_.commit(bytes);
  try {
    while (state_ != State::Up) {
      auto frame = reader_.next();
      if (!frame) break;
      on_handshake_frame(*frame);
      if (attempt != attempt_) return;
    }
  } catch (const Error& e) {  // a PeerProtocolError, or OpenSSL failing (out of memory)
    fail(fmt::format("bad handshake reply: {}", e.what()), true);
    return;
  }
  if (state_ == State::Up && reader_.buffered() > 0) {
    // The peer only ever sends its handshake on this connection.
    fail("unexpected data after the handshake", true);
    return;
  }
  read();
}

void PeerLink::on_handshake_frame(engine::ByteView payload) {
  if (state_ == State::Handshaking)
    on_hello(payload);
  else if (state_ == State::AwaitingProof)
    on_proof(payload);
}

void PeerLink::on_hello(engine::ByteView payload) {
  PeerHello hello = decode_hello(payload);
  if (hello.node != peer_) {
    fail(fmt::format("the node at this address says it is node {}, not {}", hello.node, peer_),
         true);
    return;
  }
  auto refusal = hello_refusal(hello, context_->protocol_version(), context_->self,
                               context_->cluster, context_->members, endpoint_.address(), false);
  if (refusal) {
    fail(*refusal, true);
    return;
  }
  if (!context_->authenticated()) {
    up();
    return;
  }
  session_ =
      std::make_unique<PeerSessionKeys>(context_->options.cluster_key->bytes(), hello_, payload);
  state_ = State::AwaitingProof;
}

void PeerLink::on_proof(engine::ByteView payload) {
  if (!session_->acceptor_proof_matches(decode_proof(payload))) {
    fail(
        "authentication failed: the peer's proof does not match our cluster key (is its "
        "cluster_key_file the same as ours?)",
        true);
    return;
  }
  const PeerProof ours = session_->dialer_proof();
  proof_frame_ = framed(ours);
  sealer_ = std::make_unique<FrameSealer>(session_->frame_key());
  session_.reset();
  up();
}

void PeerLink::up() {
  state_ = State::Up;
  failures_ = 0;
  last_failure_.clear();
  timer_.cancel();
  log(LogLevel::Info, fmt::format("peer {} up ({}){}", peer_, to_string(endpoint_),
                                  sealer_ ? ", authenticated" : ""));
  if (!queue_.empty() || !proof_frame_.empty()) write();
}

void PeerLink::write() {
  writing_ = true;
  in_flight_.clear();
  in_flight_frames_.clear();
  std::size_t batch_bytes = 0;
  while (!queue_.empty() && in_flight_.size() < kMaxWriteBatchMessages &&
         (in_flight_.empty() || batch_bytes + queue_.front().size() <= kMaxWriteBatchBytes)) {
    batch_bytes += queue_.front().size();
    queued_bytes_ -= queue_.front().size();
    in_flight_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  in_flight_frames_.reserve(in_flight_.size());
  for (const auto& message : in_flight_) {
    if (sealer_) {
      in_flight_frames_.push_back(sealer_->seal(message));
    } else {
      FrameSealer::Sealed plain{};
      const auto header = frame_header(message.size());
      std::copy(header.begin(), header.end(), plain.prefix.begin());
      in_flight_frames_.push_back(plain);
    }
  }
  // Sealed frames: length and sequence number, payload, tag. Plain frames: length, payload.
  const std::size_t prefix_size = sealer_ ? FrameSealer::kPrefixSize : kFrameHeaderSize;
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(3 * in_flight_.size() + 1);
  proof_in_flight_ = !proof_frame_.empty();
  if (proof_in_flight_) buffers.emplace_back(asio::buffer(proof_frame_));
  for (std::size_t i = 0; i < in_flight_.size(); ++i) {
    buffers.emplace_back(asio::buffer(in_flight_frames_[i].prefix.data(), prefix_size));
    buffers.emplace_back(asio::buffer(in_flight_[i]));
    if (sealer_) buffers.emplace_back(asio::buffer(in_flight_frames_[i].tag));
  }
  asio::async_write(
      socket_, buffers,
      [self = shared_from_this(), attempt = attempt_](
          const boost::system::error_code& ec, std::size_t) { self->on_written(attempt, ec); });
}

void PeerLink::on_written(std::uint64_t attempt, const boost::system::error_code& ec) {
  if (attempt != attempt_) return;
  writing_ = false;
  if (ec) {
    fail(fmt::format("write: {}", ec.message()), false);
    return;
  }
  sent_ += in_flight_.size();
  in_flight_.clear();
  if (proof_in_flight_) {
    proof_in_flight_ = false;
    proof_frame_.clear();
  }
  if (!queue_.empty()) write();
}

void PeerLink::fail(const std::string& reason, bool worth_a_warning) {
  if (state_ == State::Closed) return;
  const bool was_up = state_ == State::Up;
  ++attempt_;
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  // Messages of a broken write may or may not have arrived; raft treats them as lost.
  dropped_ += in_flight_.size();
  in_flight_.clear();
  writing_ = false;
  proof_in_flight_ = false;
  session_.reset();
  sealer_.reset();
  if (was_up) {
    log(LogLevel::Warn, fmt::format("peer {} down ({}): {}", peer_, to_string(endpoint_), reason));
  } else if (reason != last_failure_) {
    log(worth_a_warning ? LogLevel::Warn : LogLevel::Debug,
        fmt::format("peer {} ({}): {}", peer_, to_string(endpoint_), reason));
  }
  last_failure_ = reason;
  state_ = State::Waiting;
  const std::uint64_t attempt = attempt_;
  timer_.expires_after(next_backoff());
  timer_.async_wait([self = shared_from_this(), attempt](const boost::system::error_code& ec) {
    if (ec || attempt != self->attempt_) return;
    self->connect();
  });
}

std::chrono::milliseconds PeerLink::next_backoff() {
  const auto& options = context_->options;
  auto delay = options.min_backoff;
  for (unsigned i = 0; i < failures_ && delay < options.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options.max_backoff);
  ++failures_;
  // Uniform in [delay/2, delay]: spreads reconnects without ever exceeding the cap.
  auto half = static_cast<std::uint64_t>(delay.count()) / 2;
  std::uniform_int_distribution<std::uint64_t> spread(0, half);
  return std::chrono::milliseconds(half + spread(jitter_));
}

}  // namespace net
