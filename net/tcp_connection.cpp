#include "net/tcp_connection.h"

#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/write.hpp>

namespace net {

namespace {
// Enough for a burst of typical pipelined queries; grows only for a message that needs more.
constexpr std::size_t kInitialInput = 4096;
}  // namespace

TcpConnection::TcpConnection(boost::asio::ip::tcp::socket socket, QueryHandler& handler,
                             const ServerOptions& options, std::span<std::uint8_t> response_scratch,
                             std::atomic<std::size_t>& open_connections,
                             std::shared_ptr<ConnectionRegistry> registry)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      idle_timeout_(options.tcp_idle_timeout),
      handler_(handler),
      max_message_size_(options.max_tcp_message_size),
      response_scratch_(response_scratch),
      open_connections_(open_connections),
      registry_(std::move(registry)),
      input_(kInitialInput) {
  registry_->add(this);
  boost::system::error_code ec;
  const auto remote = socket_.remote_endpoint(ec);
  if (!ec) client_ = remote.address();
}

TcpConnection::~TcpConnection() {
  registry_->remove(this);
  if (!closed_) open_connections_.fetch_sub(1);
}

void ConnectionRegistry::close_all() {
  auto open = open_;  // close() does not unregister, but be safe against it
  for (TcpConnection* connection : open) connection->close();
}

bool ConnectionRegistry::close_least_recently_active() {
  TcpConnection* oldest = nullptr;
  for (TcpConnection* connection : open_) {
    if (connection->closed()) continue;
    if (!oldest || connection->last_activity() < oldest->last_activity()) oldest = connection;
  }
  if (!oldest) return false;
  oldest->close();
  return true;
}

void TcpConnection::start() {
  boost::system::error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  note_activity();
  wait_idle_deadline();
  read();
}

void TcpConnection::close() {
  if (closed_) return;
  closed_ = true;
  open_connections_.fetch_sub(1);
  boost::system::error_code ignored;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  idle_timer_.cancel();
}

void TcpConnection::wait_idle_deadline() {
  // One timer wait per timeout period instead of re-arming per query: activity only moves
  // idle_deadline_, and the timer re-checks it when it fires.
  idle_timer_.expires_at(idle_deadline_);
  idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_) return;
    if (std::chrono::steady_clock::now() >= self->idle_deadline_) {
      spdlog::debug("tcp: closing idle connection");
      self->close();
      return;
    }
    self->wait_idle_deadline();
  });
}

void TcpConnection::read() {
  if (input_used_ == input_.size()) input_.resize(input_.size() * 2);
  reading_ = true;
  socket_.async_read_some(
      boost::asio::buffer(input_.data() + input_used_, input_.size() - input_used_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t bytes) {
        self->on_read(ec, bytes);
      });
}

void TcpConnection::on_read(const boost::system::error_code& ec, std::size_t bytes) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    if (ec != boost::asio::error::eof && ec != boost::asio::error::operation_aborted)
      spdlog::debug("tcp read: {}", ec.message());
    close();
    return;
  }
  input_used_ += bytes;
  if (writing_) return;  // a deferred answer is being written; its completion serves the input
  serve_input();
}

void TcpConnection::serve_input() {
  // After a write this also answers the frames the output cap left waiting, before reading more.
  if (writing_) return;
  if (stream_) pump_stream();
  if (!stream_ && !close_after_write_ && !answer_complete_frames()) close_after_write_ = true;
  output_.insert(output_.end(), deferred_.begin(), deferred_.end());
  deferred_.clear();
  if (!output_.empty()) {
    write();
  } else if (close_after_write_) {
    close();
  } else if (!reading_) {
    read();
  }
}

void TcpConnection::deliver(std::vector<std::uint8_t> answer) {
  if (closed_ || answer.empty() || answer.size() > 65535) return;
  deferred_.push_back(static_cast<std::uint8_t>(answer.size() >> 8));
  deferred_.push_back(static_cast<std::uint8_t>(answer.size() & 0xff));
  deferred_.insert(deferred_.end(), answer.begin(), answer.end());
  if (writing_) return;  // written after the current write
  output_ = std::move(deferred_);
  deferred_.clear();
  write();
}

bool TcpConnection::answer_complete_frames() {
  std::size_t pos = 0;
  bool well_formed = true;
  while (!stream_ && input_used_ - pos >= 2 && output_.size() < kMaxBufferedOutput) {
    std::size_t length = (std::size_t{input_[pos]} << 8) | input_[pos + 1];
    if (length == 0 || length > max_message_size_) {
      spdlog::debug("tcp: bad frame length {}, closing", length);
      well_formed = false;
      break;
    }
    if (input_used_ - pos - 2 < length) {
      // Incomplete: make sure the whole frame fits once the rest arrives.
      if (input_.size() < 2 + length) input_.resize(2 + length);
      break;
    }
    note_activity();  // a complete message: only these keep the connection from idling out
    std::size_t answer = 0;
    try {
      answer = handler_.handle({input_.data() + pos + 2, length}, response_scratch_, true);
    } catch (const std::exception& e) {
      spdlog::warn("tcp query: {}", e.what());
      well_formed = false;
      break;
    }
    if (answer == QueryHandler::kDeferred) {
      handler_.handle_deferred(
          {input_.data() + pos + 2, length}, true,
          [gate = registry_->gate(),
           weak = weak_from_this()](std::vector<std::uint8_t> bytes) mutable {
            gate->post([weak = std::move(weak), bytes = std::move(bytes)]() mutable {
              if (auto self = weak.lock()) self->deliver(std::move(bytes));
            });
          });
      answer = 0;
    } else if (answer == QueryHandler::kStream) {
      try {
        stream_ = handler_.open_stream({input_.data() + pos + 2, length}, true, client_);
      } catch (const std::exception& e) {
        spdlog::warn("tcp transfer query: {}", e.what());
        well_formed = false;
        break;
      }
      answer = 0;
      pos += 2 + length;
      pump_stream();
      continue;
    }
    if (answer > 0) {
      output_.push_back(static_cast<std::uint8_t>(answer >> 8));
      output_.push_back(static_cast<std::uint8_t>(answer & 0xff));
      output_.insert(output_.end(), response_scratch_.begin(),
                     response_scratch_.begin() + static_cast<std::ptrdiff_t>(answer));
    }
    pos += 2 + length;
  }
  if (pos > 0) {
    std::memmove(input_.data(), input_.data() + pos, input_used_ - pos);
    input_used_ -= pos;
  }
  return well_formed;
}

void TcpConnection::pump_stream() {
  std::vector<std::uint8_t> message;
  try {
    while (stream_ && output_.size() < kMaxBufferedOutput) {
      if (!stream_->next(message)) {
        stream_.reset();
        break;
      }
      if (message.empty() || message.size() > 65535) continue;
      output_.push_back(static_cast<std::uint8_t>(message.size() >> 8));
      output_.push_back(static_cast<std::uint8_t>(message.size() & 0xff));
      output_.insert(output_.end(), message.begin(), message.end());
    }
  } catch (const std::exception& e) {
    // The client cannot tell a cut-off transfer from a finished one but by its last SOA; a
    // closed connection makes it retry.
    spdlog::warn("tcp transfer: {}", e.what());
    stream_.reset();
    close_after_write_ = true;
  }
}

void TcpConnection::write() {
  writing_ = true;
  boost::asio::async_write(
      socket_, boost::asio::buffer(output_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        self->writing_ = false;
        if (self->closed_) return;
        if (ec) {
          spdlog::debug("tcp write: {}", ec.message());
          self->close();
          return;
        }
        self->output_.clear();
        self->note_activity();
        if (!self->deferred_.empty()) {
          self->output_ = std::move(self->deferred_);
          self->deferred_.clear();
          self->write();
          return;
        }
        // The pending read serves what arrives, unless a stream still has messages to send.
        if (self->reading_ && !self->stream_) return;
        self->serve_input();
      });
}

}  // namespace net
