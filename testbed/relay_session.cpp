#include "testbed/relay_session.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace testbed {

namespace asio = boost::asio;
using boost::system::error_code;

RelaySession::RelaySession(asio::ip::tcp::socket client, asio::ip::tcp::endpoint upstream,
                           StateFn state, Random01Fn random01)
    : client_(std::move(client)),
      upstream_(client_.get_executor()),
      upstream_endpoint_(upstream),
      due_timer_(client_.get_executor()),
      state_(std::move(state)),
      random01_(std::move(random01)) {}

void RelaySession::start() {
  auto self = shared_from_this();
  upstream_.async_connect(upstream_endpoint_, [this, self](const error_code& ec) {
    if (closed_) return;
    if (ec) return close();  // node down: the dialer sees its connection drop and redials
    error_code ignored;
    upstream_.set_option(asio::ip::tcp::no_delay(true), ignored);
    connected_ = true;
    read_upstream();
    write_upstream();
  });
  error_code ignored;
  client_.set_option(asio::ip::tcp::no_delay(true), ignored);
  read_client();
}

void RelaySession::read_client() {
  if (closed_ || reading_client_ || queued_bytes_ >= kMaxQueuedBytes) return;
  reading_client_ = true;
  auto self = shared_from_this();
  client_.async_read_some(asio::buffer(client_buffer_), [this, self](const error_code& ec,
                                                                     std::size_t n) {
    reading_client_ = false;
    if (closed_) return;
    if (ec) return close();
    const LinkState s = state_();
    if (s.blocked || (s.loss > 0 && random01_() < s.loss)) return close();
    auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(s.delay_ms);
    if (s.jitter_ms > 0)
      due +=
          std::chrono::microseconds(static_cast<std::int64_t>(random01_() * s.jitter_ms * 1000.0));
    due = std::max(due, last_due_);  // a stream keeps its order whatever the jitter
    last_due_ = due;
    queue_.push_back(
        Chunk{due, std::vector<char>(client_buffer_.begin(), client_buffer_.begin() + n)});
    queued_bytes_ += n;
    write_upstream();
    read_client();
  });
}

void RelaySession::write_upstream() {
  if (closed_ || !connected_ || writing_ || waiting_due_ || queue_.empty()) return;
  const LinkState s = state_();
  if (s.blocked) return close();
  if (s.clogged) return;  // kick() resumes when the clog ends
  const auto now = std::chrono::steady_clock::now();
  auto self = shared_from_this();
  if (queue_.front().due > now) {
    waiting_due_ = true;
    due_timer_.expires_at(queue_.front().due);
    due_timer_.async_wait([this, self](const error_code&) {
      waiting_due_ = false;
      write_upstream();
    });
    return;
  }
  writing_ = true;
  asio::async_write(upstream_, asio::buffer(queue_.front().bytes),
                    [this, self](const error_code& ec, std::size_t n) {
                      writing_ = false;
                      if (closed_) return;
                      if (ec) return close();
                      forwarded_ += n;
                      queued_bytes_ -= queue_.front().bytes.size();
                      queue_.pop_front();
                      read_client();
                      write_upstream();
                    });
}

void RelaySession::read_upstream() {
  auto self = shared_from_this();
  upstream_.async_read_some(asio::buffer(upstream_buffer_),
                            [this, self](const error_code& ec, std::size_t n) {
                              if (closed_) return;
                              if (ec) return close();
                              asio::async_write(client_, asio::buffer(upstream_buffer_.data(), n),
                                                [this, self](const error_code& ec2, std::size_t) {
                                                  if (closed_) return;
                                                  if (ec2) return close();
                                                  read_upstream();
                                                });
                            });
}

void RelaySession::kick() {
  if (closed_) return;
  if (state_().blocked) return close();
  write_upstream();
}

void RelaySession::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  client_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  client_.close(ignored);
  upstream_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  upstream_.close(ignored);
  due_timer_.cancel();
  if (!writing_) {  // an aborted write still refers to the front chunk until it completes
    queue_.clear();
    queued_bytes_ = 0;
  }
}

}  // namespace testbed
