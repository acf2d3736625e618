#pragma once
// An engine::Worker for node tests that holds the work it is given until the test runs it, and
// its `done` until the test delivers it: every interleaving of the node's thread with work off
// it (a local-store snapshot, a raft log fsync) is the test's to choose.

#include <gtest/gtest.h>

#include <functional>

#include "engine/io.h"

namespace engine::testing {

class HeldWorker : public Worker {
 public:
  void run(std::function<void()> work, std::function<void()> done) override {
    EXPECT_FALSE(work_ || done_) << "a second piece of work started while one runs";
    work_ = std::move(work);
    done_ = std::move(done);
    ++started;
  }
  void wait() override {
    ++waits;
    finish_work();
  }
  bool running() const { return static_cast<bool>(work_); }
  bool holding_done() const { return static_cast<bool>(done_); }
  void finish_work() {
    if (!work_) return;
    auto work = std::move(work_);
    work_ = nullptr;
    work();
  }
  void deliver_done() {
    ASSERT_FALSE(work_) << "done before the work";
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done();
  }
  // Runs what it holds, if anything, to the end.
  void pump() {
    finish_work();
    if (holding_done()) deliver_done();
  }

  // Forgets what it holds, unrun: the process that started it crashed.
  void drop() {
    work_ = nullptr;
    done_ = nullptr;
  }

  int started = 0;
  int waits = 0;

 private:
  std::function<void()> work_;
  std::function<void()> done_;
};

}  // namespace engine::testing
