// ServingWatch: forwards every observation and says when the serving database changed.
#include "net/serving_watch.h"

#include <gtest/gtest.h>

namespace net {
namespace {

// Counts what reaches it.
struct CountingObserver : engine::NodeObserver {
  int served = 0, installed = 0, answered = 0, checkpoints = 0;
  void on_served(raft::Index, const engine::ChangeBatch&, const dns::ApplyResult&) override {
    ++served;
  }
  void on_transfer_installed(std::uint64_t, std::uint64_t) override { ++installed; }
  void on_write_answered(const engine::WriteResult&) override { ++answered; }
  void on_checkpoint(engine::Duration) override { ++checkpoints; }
};

TEST(ServingWatch, ForwardsEverythingAndReportsServedChangesAndInstalledCopies) {
  CountingObserver next;
  int changed = 0;
  ServingWatch watch(next, [&] { ++changed; });
  engine::NodeObserver& observer = watch;
  observer.on_served(5, engine::ChangeBatch{}, dns::ApplyResult{.applied = 2, .noops = 0});
  EXPECT_EQ(changed, 1);
  // A batch that changed nothing (only no-ops) moves no serial.
  observer.on_served(6, engine::ChangeBatch{}, dns::ApplyResult{.applied = 0, .noops = 1});
  EXPECT_EQ(changed, 1);
  observer.on_transfer_installed(100, 2);
  EXPECT_EQ(changed, 2);
  observer.on_write_answered(engine::WriteResult{});
  observer.on_checkpoint(engine::Duration{});
  EXPECT_EQ(changed, 2);
  EXPECT_EQ(next.served, 2);
  EXPECT_EQ(next.installed, 1);
  EXPECT_EQ(next.answered, 1);
  EXPECT_EQ(next.checkpoints, 1);
}

}  // namespace
}  // namespace net
