#include "sim/sim_clock.h"

#include <gtest/gtest.h>

#include "sim/world.h"

namespace sim {
namespace {

TEST(SimClock, TimersFireAfterTheirDelayInLocalTime) {
  EventQueue queue;
  SimClock clock(queue, Prng(1), /*drift_ppm=*/0, /*jitter=*/0, /*offset=*/5 * kSecond);
  EXPECT_EQ(clock.now().time_since_epoch().count(), 5 * kSecond);
  SimTime fired_at = -1;
  clock.start_timer(std::chrono::milliseconds(30), [&] { fired_at = queue.now(); });
  queue.run_until(kSecond);
  EXPECT_EQ(fired_at, 30 * kMillisecond);
}

TEST(SimClock, FastClockFiresEarlierInGlobalTimeAndReadsAhead) {
  EventQueue queue;
  SimClock fast(queue, Prng(1), /*drift_ppm=*/100'000, 0, 0);  // 10% fast
  SimTime fired_at = -1;
  fast.start_timer(std::chrono::milliseconds(110), [&] { fired_at = queue.now(); });
  queue.run_until(kSecond);
  EXPECT_EQ(fired_at, 100 * kMillisecond);
  EXPECT_EQ(fast.now().time_since_epoch().count(), 1100 * kMillisecond);
}

TEST(SimClock, JitterDelaysButNeverAdvancesATimer) {
  EventQueue queue;
  SimClock clock(queue, Prng(3), 0, /*jitter=*/5 * kMillisecond, 0);
  std::vector<SimTime> fired;
  for (int i = 0; i < 50; ++i)
    clock.start_timer(std::chrono::milliseconds(10), [&] { fired.push_back(queue.now()); });
  queue.run_until(kSecond);
  ASSERT_EQ(fired.size(), 50u);
  bool varied = false;
  for (SimTime t : fired) {
    EXPECT_GE(t, 10 * kMillisecond);
    EXPECT_LE(t, 15 * kMillisecond);
    varied |= t != fired[0];
  }
  EXPECT_TRUE(varied);
}

TEST(SimClock, CancelledAndCrashedTimersDoNotFire) {
  EventQueue queue;
  SimClock clock(queue, Prng(1), 0, 0, 0);
  int fired = 0;
  auto id = clock.start_timer(std::chrono::milliseconds(1), [&] { ++fired; });
  clock.cancel_timer(id);
  clock.start_timer(std::chrono::milliseconds(2), [&] { ++fired; });
  clock.drop_timers();
  clock.start_timer(std::chrono::milliseconds(3), [&] { fired += 10; });
  queue.run_until(kSecond);
  EXPECT_EQ(fired, 10);
}

TEST(World, CrashLosesUnsyncedDiskDataTimersAndInFlightMessages) {
  WorldOptions options;
  options.nodes = 2;
  World world(1, options);
  int delivered = 0, timers = 0;
  world.network().set_deliver([&](engine::NodeId, engine::NodeId, engine::Bytes) { ++delivered; });
  world.disk(2).append("f", engine::Bytes{1});
  world.disk(2).sync("f");
  world.disk(2).append("f", engine::Bytes{2});
  world.clock(2).start_timer(std::chrono::milliseconds(5), [&] { ++timers; });
  world.network().send(1, 2, engine::Bytes{1});
  world.crash(2);
  EXPECT_FALSE(world.alive(2));
  world.network().send(1, 2, engine::Bytes{2});  // to a dead node
  world.queue().run_until(kSecond);
  world.restart(2);
  EXPECT_EQ(*world.disk(2).read("f"), engine::Bytes{1});
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(timers, 0);
  world.network().send(1, 2, engine::Bytes{3});
  world.queue().run_until(2 * kSecond);
  EXPECT_EQ(delivered, 1);
}

TEST(World, ClocksOfDifferentNodesDisagreeWithDrift) {
  WorldOptions options;
  options.nodes = 3;
  options.clock_drift_ppm = 1000;
  World a(11, options), b(11, options);
  for (engine::NodeId n = 1; n <= 3; ++n) {
    EXPECT_EQ(a.clock(n).drift_ppm(), b.clock(n).drift_ppm());
    EXPECT_LE(std::abs(a.clock(n).drift_ppm()), 1000);
  }
}

}  // namespace
}  // namespace sim
