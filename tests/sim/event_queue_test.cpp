#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sim {
namespace {

TEST(EventQueue, RunsInTimeOrderThenSchedulingOrder) {
  EventQueue queue;
  std::vector<std::string> order;
  queue.schedule_at(30, [&] { order.push_back("c30"); });
  queue.schedule_at(10, [&] { order.push_back("a10"); });
  queue.schedule_at(20, [&] { order.push_back("b20-first"); });
  queue.schedule_at(20, [&] { order.push_back("b20-second"); });
  while (queue.run_next()) {
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a10", "b20-first", "b20-second", "c30"}));
  EXPECT_EQ(queue.now(), 30);
}

TEST(EventQueue, CancelledEventsDoNotRunAndStaleIdsAreHarmless) {
  EventQueue queue;
  int fired = 0;
  EventId a = queue.schedule_at(5, [&] { fired += 1; });
  queue.schedule_at(6, [&] { fired += 10; });
  queue.cancel(a);
  queue.cancel(a);  // twice: no effect
  EXPECT_EQ(queue.pending(), 1u);
  while (queue.run_next()) {
  }
  EXPECT_EQ(fired, 10);
  // The slot of `a` is recycled; the old id must not cancel the new event.
  queue.schedule_at(7, [&] { fired += 100; });
  queue.cancel(a);
  while (queue.run_next()) {
  }
  EXPECT_EQ(fired, 110);
}

TEST(EventQueue, EventsScheduledFromEventsAtTheSameTimeRunAfterEarlierOnes) {
  EventQueue queue;
  std::vector<int> order;
  queue.schedule_at(10, [&] {
    order.push_back(1);
    queue.schedule_after(0, [&] { order.push_back(3); });
  });
  queue.schedule_at(10, [&] { order.push_back(2); });
  queue.run_until(100);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(queue.now(), 100);
}

TEST(EventQueue, PastIsClampedToNowAndRunUntilStopsAtBound) {
  EventQueue queue;
  queue.run_until(50);
  std::vector<SimTime> times;
  queue.schedule_at(10, [&] { times.push_back(queue.now()); });
  queue.schedule_at(80, [&] { times.push_back(queue.now()); });
  queue.run_until(60);
  EXPECT_EQ(times, (std::vector<SimTime>{50}));
  EXPECT_EQ(queue.pending(), 1u);
  EXPECT_EQ(queue.next_time(), 80);
}

}  // namespace
}  // namespace sim
