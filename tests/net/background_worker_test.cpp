// net::BackgroundWorker: work runs on another thread, its `done` on the io_context's thread after
// the work; wait() returns once the work has; one piece of work at a time.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "net/background_worker.h"

namespace net {
namespace {

TEST(BackgroundWorker, WorkOffTheThreadDoneOnTheIoContext) {
  boost::asio::io_context io;
  BackgroundWorker worker(io.get_executor());
  const std::thread::id self = std::this_thread::get_id();
  std::thread::id worked_on;
  std::vector<int> order;
  worker.run([&] { worked_on = std::this_thread::get_id(); },
             [&] {
               EXPECT_EQ(std::this_thread::get_id(), self);
               order.push_back(1);
             });
  worker.wait();
  EXPECT_NE(worked_on, std::thread::id{});
  EXPECT_NE(worked_on, self);
  EXPECT_TRUE(order.empty());  // queued, not run: only the io_context runs it
  // A second piece waits for the first; both dones run, in order.
  worker.run([] {}, [&] { order.push_back(2); });
  worker.wait();
  io.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(BackgroundWorker, WaitReturnsOnlyOnceTheWorkHas) {
  boost::asio::io_context io;
  BackgroundWorker worker(io.get_executor());
  std::atomic<bool> release{false};
  std::atomic<bool> finished{false};
  worker.run(
      [&] {
        while (!release.load()) std::this_thread::yield();
        finished = true;
      },
      [] {});
  EXPECT_FALSE(finished.load());
  release = true;
  worker.wait();
  EXPECT_TRUE(finished.load());
  io.run();
}

}  // namespace
}  // namespace net
