// net::BatchingLoop: runs every handler like io_context::run() and returns when the work is done
// or the context is stopped; it waits after rounds of steady work and never when work comes
// slower than one wait apart.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/batching_loop.h"

namespace net {
namespace {

using namespace std::chrono_literals;

// A handler that posts itself again `left` times: work is always ready when the loop looks.
void post_chain(boost::asio::io_context& io, int left, int& ran) {
  boost::asio::post(io, [&io, left, &ran] {
    ++ran;
    if (left > 0) post_chain(io, left - 1, ran);
  });
}

TEST(BatchingLoop, ZeroWaitRunsEverythingAndNeverWaits) {
  boost::asio::io_context io;
  int ran = 0;
  post_chain(io, 99, ran);
  BatchingLoop loop(io, 0us);
  loop.run();
  EXPECT_EQ(ran, 100);
  EXPECT_EQ(loop.waits(), 0u);
}

TEST(BatchingLoop, SteadyWorkIsServedInBatchesWithWaitsBetween) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  int ran = 0;
  // Work arrives from another thread every few tens of microseconds, far faster than the wait.
  std::thread producer([&] {
    for (int i = 0; i < 200; ++i) {
      boost::asio::post(io, [&ran] { ++ran; });
      std::this_thread::sleep_for(20us);
    }
    boost::asio::post(io, [&guard] { guard.reset(); });
  });
  BatchingLoop loop(io, 1ms);
  loop.run();  // returns once the producer is done and the guard is gone
  producer.join();
  EXPECT_EQ(ran, 200);
  // It waited between rounds, and each wait gathered more than one handler.
  EXPECT_GE(loop.waits(), 2u);
  EXPECT_LT(loop.waits(), 100u);
}

TEST(BatchingLoop, WorkSlowerThanOneWaitApartIsNeverWaitedFor) {
  boost::asio::io_context io;
  boost::asio::steady_timer timer(io);
  int fired = 0;
  std::function<void()> arm = [&] {
    timer.expires_after(20ms);  // 200 waits apart: the loop sleeps in epoll in between
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (++fired < 5) arm();
    });
  };
  arm();
  BatchingLoop loop(io, 100us);
  loop.run();
  EXPECT_EQ(fired, 5);
  // Waiting after every round would be 5; one is allowed for a thread descheduled for the whole
  // 20 ms on a loaded machine, so that the timer was due when it got back.
  EXPECT_LE(loop.waits(), 1u);
}

TEST(BatchingLoop, ReturnsWhenStoppedFromAnotherThread) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);  // never out of work: only stop() ends run()
  int ran = 0;
  post_chain(io, 9, ran);
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    io.stop();
  });
  BatchingLoop loop(io, 200us);
  loop.run();
  stopper.join();
  EXPECT_EQ(ran, 10);
}

}  // namespace
}  // namespace net
