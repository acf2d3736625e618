#pragma once
// Runs a DNS worker's io_context, waiting briefly after a burst of work so the next look finds
// a batch.

#include <chrono>
#include <cstddef>

#include <boost/asio/io_context.hpp>

namespace net {

// Interrupt moderation for a worker thread: under steady traffic each wake-up of a thread that
// sleeps in epoll costs a context switch and a few syscalls for the one or two queries that are
// waiting, and on loopback it also wakes the client once per answer. After a round that did work,
// while work keeps coming (the round found work right after a wait, or after less than one wait
// asleep in epoll), the loop sleeps `wait` before it polls again, so queries that arrive
// meanwhile are read, answered and sent in one recvmmsg/sendmmsg (or one TCP read and write).
// That adds at most `wait` (plus the kernel's timer slack) to the latency of a query that arrives
// during it; at low rates the loop never waits. A zero wait is plain io_context::run().
class BatchingLoop {
 public:
  BatchingLoop(boost::asio::io_context& io, std::chrono::microseconds wait)
      : io_(io), wait_(wait) {}

  // Returns when the io_context runs out of work or is stopped.
  void run();

  // Rounds after which the loop waited (for tests).
  std::size_t waits() const { return waits_; }

 private:
  boost::asio::io_context& io_;
  std::chrono::microseconds wait_;
  std::size_t waits_ = 0;
};

}  // namespace net
