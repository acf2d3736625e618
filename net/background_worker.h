#pragma once
// engine::Worker for a real dns-node: each piece of work on its own thread, its `done` posted
// back to the engine's executor.

#include <functional>
#include <thread>

#include <boost/asio/any_io_executor.hpp>

#include "engine/io.h"

namespace net {

// Runs one piece of work at a time on a thread of its own (the engine starts one local-store
// snapshot now and then, seconds apart, so a thread per piece costs nothing worth pooling) and
// posts its `done` to `executor`, the engine's thread. Destroying it waits for running work:
// declare it after what that work uses (the Disk) and before the engine node.
class BackgroundWorker final : public engine::Worker {
 public:
  explicit BackgroundWorker(boost::asio::any_io_executor executor);
  ~BackgroundWorker() override;
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Waits for the previous work first (the engine starts one at a time anyway).
  void run(std::function<void()> work, std::function<void()> done) override;
  void wait() override;

 private:
  boost::asio::any_io_executor executor_;
  std::thread thread_;
};

}  // namespace net
