// net::WorkerThread: work runs in order on one thread of its own, each `done` on the
// io_context's thread after its work; wait() returns once everything started has run; the
// destructor finishes what was started.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "net/worker_thread.h"

namespace net {
namespace {

TEST(WorkerThread, WorkInOrderOnOneThreadDoneOnTheIoContext) {
  boost::asio::io_context io;
  WorkerThread worker(io.get_executor());
  const std::thread::id self = std::this_thread::get_id();
  std::vector<std::thread::id> worked_on(3);
  std::vector<int> work_order;
  std::vector<int> done_order;
  for (int i = 0; i < 3; ++i)
    worker.run(
        [&, i] {
          worked_on[i] = std::this_thread::get_id();
          work_order.push_back(i);
        },
        [&, i] {
          EXPECT_EQ(std::this_thread::get_id(), self);
          done_order.push_back(i);
        });
  worker.wait();
  EXPECT_EQ(work_order, (std::vector<int>{0, 1, 2}));
  EXPECT_NE(worked_on[0], self);
  EXPECT_EQ(worked_on[1], worked_on[0]);
  EXPECT_EQ(worked_on[2], worked_on[0]);
  EXPECT_TRUE(done_order.empty());  // queued, not run: only the io_context runs them
  io.run();
  EXPECT_EQ(done_order, (std::vector<int>{0, 1, 2}));
}

TEST(WorkerThread, WaitReturnsOnlyOnceTheWorkHas) {
  boost::asio::io_context io;
  WorkerThread worker(io.get_executor());
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

TEST(WorkerThread, DestroyingItFinishesTheWorkStarted) {
  boost::asio::io_context io;
  std::atomic<int> ran{0};
  {
    WorkerThread worker(io.get_executor());
    for (int i = 0; i < 5; ++i) worker.run([&] { ++ran; }, [] {});
  }
  EXPECT_EQ(ran.load(), 5);
}

}  // namespace
}  // namespace net
