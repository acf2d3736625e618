#include "net/asio_clock.h"

#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace net {
namespace {

using namespace std::chrono_literals;

TEST(AsioClock, NowNeverGoesBackwards) {
  boost::asio::io_context io;
  AsioClock clock(io);
  engine::TimePoint previous = clock.now();
  for (int i = 0; i < 1000; ++i) {
    engine::TimePoint current = clock.now();
    EXPECT_GE(current, previous);
    previous = current;
  }
}

TEST(AsioClock, TimersFireInDeadlineOrder) {
  boost::asio::io_context io;
  AsioClock clock(io);
  std::vector<int> fired;
  clock.start_timer(30ms, [&] { fired.push_back(30); });
  clock.start_timer(10ms, [&] { fired.push_back(10); });
  clock.start_timer(0ms, [&] { fired.push_back(0); });
  clock.start_timer(20ms, [&] { fired.push_back(20); });
  io.run();
  EXPECT_EQ(fired, (std::vector<int>{0, 10, 20, 30}));
  EXPECT_EQ(clock.pending_timers(), 0u);
}

TEST(AsioClock, FiresNoEarlierThanAsked) {
  boost::asio::io_context io;
  AsioClock clock(io);
  const engine::TimePoint start = clock.now();
  engine::TimePoint fired_at{};
  clock.start_timer(15ms, [&] { fired_at = clock.now(); });
  io.run();
  EXPECT_GE(fired_at - start, engine::Duration(15ms));
}

TEST(AsioClock, NeverFiresInsideStartTimer) {
  boost::asio::io_context io;
  AsioClock clock(io);
  bool fired = false;
  clock.start_timer(0ms, [&] { fired = true; });
  clock.start_timer(-5ms, [&] { fired = true; });
  EXPECT_FALSE(fired);
  io.run();
  EXPECT_TRUE(fired);
}

TEST(AsioClock, CancelledTimerNeverFires) {
  boost::asio::io_context io;
  AsioClock clock(io);
  std::vector<int> fired;
  auto first = clock.start_timer(5ms, [&] { fired.push_back(1); });
  clock.start_timer(10ms, [&] { fired.push_back(2); });
  clock.cancel_timer(first);
  EXPECT_EQ(clock.pending_timers(), 1u);
  io.run();
  EXPECT_EQ(fired, std::vector<int>{2});
}

// A zero delay is a post, not a timer: cancelling it before the io_context runs still wins, and
// it runs after the work queued before it.
TEST(AsioClock, ZeroDelayRunsAfterQueuedWorkAndCanBeCancelled) {
  boost::asio::io_context io;
  AsioClock clock(io);
  std::vector<int> fired;
  boost::asio::post(io, [&] { fired.push_back(1); });
  clock.start_timer(0ms, [&] { fired.push_back(2); });
  const auto cancelled = clock.start_timer(0ms, [&] { fired.push_back(3); });
  clock.cancel_timer(cancelled);
  EXPECT_EQ(clock.pending_timers(), 1u);
  io.run();
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  EXPECT_EQ(clock.pending_timers(), 0u);
}

TEST(AsioClock, CancelAfterExpiryButBeforeTheCallbackRunsStillWins) {
  // Both timers have expired before the io_context runs, so both completions are ready; whichever
  // runs first cancels the other, which must then stay silent.
  boost::asio::io_context io;
  AsioClock clock(io);
  int fired = 0;
  engine::Clock::TimerId a = 0, b = 0;
  a = clock.start_timer(0ms, [&] {
    ++fired;
    clock.cancel_timer(b);
  });
  b = clock.start_timer(0ms, [&] {
    ++fired;
    clock.cancel_timer(a);
  });
  std::this_thread::sleep_for(5ms);
  io.run();
  EXPECT_EQ(fired, 1);
}

TEST(AsioClock, CancelOfUnknownOrFiredIdsIsIgnored) {
  boost::asio::io_context io;
  AsioClock clock(io);
  int fired = 0;
  auto id = clock.start_timer(0ms, [&] { ++fired; });
  io.run();
  clock.cancel_timer(id);
  clock.cancel_timer(12345);
  EXPECT_EQ(fired, 1);
}

TEST(AsioClock, CallbacksMayStartAndCancelTimers) {
  boost::asio::io_context io;
  AsioClock clock(io);
  std::vector<int> fired;
  std::function<void(int)> chain = [&](int n) {
    fired.push_back(n);
    if (n < 5) clock.start_timer(1ms, [&, n] { chain(n + 1); });
    auto doomed = clock.start_timer(0ms, [&] { fired.push_back(-1); });
    clock.cancel_timer(doomed);
  };
  clock.start_timer(0ms, [&] { chain(1); });
  io.run();
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(AsioClock, TimerIdsAreNeverReused) {
  boost::asio::io_context io;
  AsioClock clock(io);
  std::set<engine::Clock::TimerId> ids;
  for (int i = 0; i < 1000; ++i) {
    auto id = clock.start_timer(1h, [] {});
    EXPECT_TRUE(ids.insert(id).second) << id;
    if (i % 2 == 0) clock.cancel_timer(id);
  }
  int fired = 0;
  for (int i = 0; i < 10; ++i) {
    auto id = clock.start_timer(0ms, [&] { ++fired; });
    EXPECT_TRUE(ids.insert(id).second) << id;
  }
  io.run_for(200ms);  // bounded: the 1 h timers keep the io_context busy
  EXPECT_EQ(fired, 10);
}

TEST(AsioClock, DestroyingTheClockSilencesItsTimers) {
  boost::asio::io_context io;
  auto clock = std::make_unique<AsioClock>(io);
  bool fired = false;
  clock->start_timer(0ms, [&] { fired = true; });
  clock->start_timer(1h, [&] { fired = true; });
  clock.reset();
  io.run();  // returns at once: the destroyed timers' waits were aborted
  EXPECT_FALSE(fired);
}

TEST(AsioClock, CallbacksRunOnTheThreadRunningTheExecutor) {
  boost::asio::io_context io;
  auto strand = boost::asio::make_strand(io);
  AsioClock clock(strand);
  std::thread::id callback_thread;
  clock.start_timer(1ms, [&] { callback_thread = std::this_thread::get_id(); });
  std::thread runner([&] { io.run(); });
  const std::thread::id runner_id = runner.get_id();
  runner.join();
  EXPECT_EQ(callback_thread, runner_id);
}

}  // namespace
}  // namespace net
